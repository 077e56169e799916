"""The camera of the model: a pose in the project CRS (so it survives the scene's local origin moving)
and requests to frame something (a preset over everything, a layer, a feature), which the view that knows
the drawn bounds answers by setting the pose."""

from __future__ import annotations

from psygnal import Signal, SignalGroup

from twin.present.camera import checked
from twin.scene.camera import PRESETS, CameraPose


class CameraEvents(SignalGroup):
    pose = Signal(object)  # CameraPose (project CRS)
    look = Signal(str, object)  # target (a preset or a layer name), fid or None


class Camera:
    """``pose`` is where the camera is (``None`` until a view has framed the scene); :meth:`look` asks the
    views to frame a target."""

    def __init__(self) -> None:
        self.events = CameraEvents()
        self._pose: CameraPose | None = None
        self.last_look: tuple[str, int | None] | None = None

    @property
    def pose(self) -> CameraPose | None:
        return self._pose

    @pose.setter
    def pose(self, pose: CameraPose | None) -> None:
        if pose is not None:
            checked(pose)
        if pose != self._pose:
            self._pose = pose
            self.events.pose.emit(pose)

    def look(self, target: str = "iso", *, fid: int | None = None) -> None:
        """Frame ``target``: a preset (``iso``, ``top``, ``north``...) over everything, a layer by name, or
        one feature of it (``fid``). The view that draws the model sets :attr:`pose` in answer."""
        if fid is not None and target in PRESETS:
            raise ValueError("a feature is framed through its layer: give the layer name, not a preset")
        self.last_look = (target, fid)
        self.events.look.emit(target, fid)
