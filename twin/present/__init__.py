"""Presenting the twin: bookmarks, guided tours and movies (Qt-free).

- :mod:`twin.present.bookmarks`: a :class:`Bookmark` (camera in the project CRS, time, visible layers,
  stage filter, caption) and the project's ``bookmarks`` and ``tours`` tables (:class:`PresentStore`).
- :mod:`twin.present.camera`: camera state captured from and restored to any ``pyvista.BasePlotter``.
- :mod:`twin.present.flight`: smooth camera flights between two poses (van Wijk and Nuij's zoom and
  pan path, eased; azimuth, elevation and roll interpolated so the horizon stays level).
- :mod:`twin.present.tours`: :class:`Tour` and :class:`TourPlayer` (the state at any second, frames at
  an fps) and timeline replays as frames.
- :mod:`twin.present.scene`: a frame applied to a :class:`twin.render.view.SceneView`, with captions.
- :mod:`twin.present.movie`: frames streamed into an H.264 MP4 through imageio-ffmpeg.

See docs/presenting.md.
"""
