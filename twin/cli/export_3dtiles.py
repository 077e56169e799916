"""The ``--3dtiles DIR`` form of ``twin export``: layers with 3D objects as an OGC 3D Tiles 1.1 tileset."""

from __future__ import annotations

import argparse
import sys

from twin.errors import TwinError

#: the writer's default (twin.io.tiles3d.DEFAULT_MAX_FEATURES, checked by tests/test_cli_startup.py), not
#: imported here: the writer pulls in the mesh stack, which ``twin --help`` does not need
DEFAULT_MAX_FEATURES = 1000


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The 3D Tiles options of ``twin export``."""
    g = p.add_argument_group("3D Tiles (docs/export.md)")
    g.add_argument("--3dtiles", dest="tiles3d", metavar="DIR",
                   help="write an OGC 3D Tiles 1.1 tileset (DIR/tileset.json and .glb tiles) instead of LAYER OUT")
    g.add_argument("--layer", dest="tiles_layers", action="append", metavar="NAME",
                   help="layer to put in the tileset (repeat for several; default: every layer with 3D objects)")
    g.add_argument("--max-features", type=int, default=DEFAULT_MAX_FEATURES, metavar="N",
                   help=f"features per tile before it is split in four (default {DEFAULT_MAX_FEATURES})")
    g.add_argument("--no-parent-boxes", dest="parent_boxes", action="store_false",
                   help="leave parent tiles empty instead of boxes of their largest features")


def run(args: argparse.Namespace) -> int:
    """Write the tileset; one line of summary on stderr."""
    if args.layer or args.out:
        raise TwinError("give either LAYER OUT or --3dtiles DIR [--layer NAME ...], not both")
    if args.max_features < 1:
        raise TwinError(f"--max-features must be at least 1, not {args.max_features}")
    from twin.io.tiles3d import export_3dtiles
    from twin.store.project import Project

    with Project.open(args.project, read_only=True) as project:
        report = export_3dtiles(project, args.tiles3d, layers=args.tiles_layers, max_features=args.max_features,
                                parent_boxes=args.parent_boxes)
    print(report.summary(), file=sys.stderr)
    return 0
