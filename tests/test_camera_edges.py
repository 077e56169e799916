"""Camera fitting in windows that are not laid out yet (zero width or height)."""

from __future__ import annotations

import numpy as np
import pytest

from twin.scene.camera import ISO_AZIMUTH, ISO_ELEVATION, direction, fit_pose

BOX = (0, 100, 0, 50, 0, 30)
CENTRE = (50.0, 25.0, 15.0)


def test_fit_pose_survives_a_window_of_zero_width():
    pose = fit_pose(BOX, aspect=0.0)
    position = np.asarray(pose.position, dtype=float)
    assert np.all(np.isfinite(position))
    assert pose.focal_point == pytest.approx(CENTRE)  # still looking at the box
    back = position - np.asarray(CENTRE)
    np.testing.assert_allclose(back / np.linalg.norm(back), direction(ISO_AZIMUTH, ISO_ELEVATION), atol=1e-9)
    # a window narrower than any real one needs the camera farther away than a normal one, not nearer
    assert np.linalg.norm(back) > np.linalg.norm(np.asarray(fit_pose(BOX, aspect=1.6).position) - CENTRE)


def test_top_view_of_a_window_of_zero_width_has_a_finite_map_scale():
    pose = fit_pose(BOX, elevation=90.0, aspect=0.0)
    assert pose.focal_point == pytest.approx(CENTRE)
    assert pose.parallel_scale is not None and np.isfinite(pose.parallel_scale)
    assert pose.parallel_scale >= fit_pose(BOX, elevation=90.0, aspect=1.6).parallel_scale  # the whole width still fits
