"""Camera fitting in windows that are not laid out yet (zero width or height)."""

from __future__ import annotations

import numpy as np

from twin.scene.camera import fit_pose


def test_fit_pose_survives_a_window_of_zero_width():
    pose = fit_pose((0, 100, 0, 50, 0, 30), aspect=0.0)
    assert np.all(np.isfinite(np.asarray(pose.position, dtype=float)))
