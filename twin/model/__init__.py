"""The model of the twin: what the planner sees, Qt-free and evented (psygnal), shared by every view.

- :mod:`twin.model.twin`: :class:`TwinModel` (layers, stage lens, selection, camera, time, caption,
  bookmarks, tours);
- :mod:`twin.model.layers`, :mod:`~twin.model.lens`, :mod:`~twin.model.selection`, :mod:`~twin.model.camera`,
  :mod:`~twin.model.time`, :mod:`~twin.model.caption`, :mod:`~twin.model.presentations`: its parts;
- :mod:`twin.model.sync`: writing the model's changes into the project file;
- :mod:`twin.model.session`: an open project (store, read-only reader, import service, persistence);
- :mod:`twin.model.presenter`: bookmarks and tour frames applied to the model;
- :mod:`twin.model.context`: what plugin panels see of the model.
"""

from twin.model.twin import TwinModel

__all__ = ["TwinModel"]
