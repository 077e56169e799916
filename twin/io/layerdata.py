"""Moved to :mod:`twin.layerdata` (temporary re-export while the tests move)."""

from twin.layerdata import *  # noqa: F401,F403
from twin.layerdata import ImportReport, LayerData, MeshData, Skipped  # noqa: F401
