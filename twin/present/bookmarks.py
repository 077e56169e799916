"""A bookmark: a named view of the twin that a presenter can return to.

It holds the camera in the project CRS (so it survives imports that move the scene's local origin),
optionally a time (tracks and events drawn at that moment), the layers that were visible, the stage
filter, and a caption shown when the view is presented. Bookmarks are plain data stored in the
project's ``bookmarks`` table (:mod:`twin.present.store`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from twin.present.camera import checked
from twin.scene.camera import CameraPose

MAX_NAME = 200
#: features a bookmark may keep selected
MAX_SELECTION = 10_000


@dataclasses.dataclass(frozen=True)
class Bookmark:
    """A saved view: camera (project CRS), optional time (UTC), visible layers, stage filter, caption, selection.

    ``layers`` ``None`` leaves the layers as they are; a tuple shows exactly those layers (names not in
    the project are ignored). ``stage`` 1-4 hides layers of later stages (like the app's stage filter).
    """

    name: str
    camera: CameraPose
    time: dt.datetime | None = None
    layers: tuple[str, ...] | None = None
    stage: int | None = None
    caption: str = ""
    created_at: dt.datetime | None = None
    #: the selected features, (layer name, fid): highlighted, with their links drawn (schema version 4)
    selection: tuple[tuple[str, int], ...] = ()
    #: with ``stage``: the stage lens's "what changed at this stage" view
    changes: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_name(self.name, "bookmark"))
        object.__setattr__(self, "selection", check_selection(self.selection, self.name))
        object.__setattr__(self, "changes", bool(self.changes) and self.stage is not None)
        try:
            checked(self.camera)
        except ValueError as exc:
            raise ValueError(f"bookmark {self.name!r}: {exc}") from None
        if self.time is not None:
            if self.time.tzinfo is None:
                raise ValueError(f"bookmark {self.name!r}: the time must carry a time zone")
            object.__setattr__(self, "time", self.time.astimezone(dt.timezone.utc))
        if self.layers is not None:
            object.__setattr__(self, "layers", tuple(dict.fromkeys(str(name) for name in self.layers)))
        if self.stage is not None and self.stage not in (1, 2, 3, 4):
            raise ValueError(f"bookmark {self.name!r}: stage {self.stage} is not 1, 2, 3 or 4")
        object.__setattr__(self, "caption", str(self.caption or "").strip())

    def replace(self, **changes) -> "Bookmark":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def summary(self, tz: str = "UTC") -> dict:
        """The JSON form of ``twin bookmark list --json`` (camera in the project CRS; time with the zone's offset)."""
        from zoneinfo import ZoneInfo

        cam = self.camera
        return {
            "name": self.name,
            "camera": {"position": [round(float(v), 3) for v in cam.position],
                       "focal_point": [round(float(v), 3) for v in cam.focal_point],
                       "view_up": [round(float(v), 6) for v in cam.view_up],
                       "view_angle": float(cam.view_angle),
                       "parallel_scale": None if cam.parallel_scale is None else float(cam.parallel_scale)},
            "time": self.time.astimezone(ZoneInfo(tz)).isoformat() if self.time else None,
            "layers": list(self.layers) if self.layers is not None else None,
            "stage": self.stage,
            "changes": self.changes,
            "selection": [[name, fid] for name, fid in self.selection],
            "caption": self.caption,
        }


def layer_visible(name: str, layer_stage: int | None, *, layers: tuple[str, ...] | None, stage: int | None,
                  current: bool = True) -> bool:
    """Whether a layer is shown under a bookmark's ``layers`` and ``stage`` (``current``: its visibility when
    the bookmark leaves the list of layers alone). Layers without a stage pass every stage filter."""
    listed = current if layers is None else name in layers
    return listed and (stage is None or layer_stage is None or layer_stage <= stage)


def check_selection(items, bookmark: str = "") -> tuple[tuple[str, int], ...]:
    """``[(layer name, fid), ...]`` checked (names non-empty text, fids integers >= 0, at most
    :data:`MAX_SELECTION`); ValueError naming the bookmark and the bad item otherwise."""
    out = []
    for item in items or ():
        try:
            name, fid = item
        except (TypeError, ValueError):
            raise ValueError(f"bookmark {bookmark!r}: a selected feature is [layer, fid], not {item!r}") from None
        if not isinstance(name, str) or not name.strip() or isinstance(fid, bool) or not isinstance(fid, int) or fid < 0:
            raise ValueError(f"bookmark {bookmark!r}: a selected feature is [layer name, fid >= 0], not {item!r}")
        out.append((name, fid))
    if len(out) > MAX_SELECTION:
        raise ValueError(f"bookmark {bookmark!r} selects {len(out)} features (at most {MAX_SELECTION})")
    return tuple(dict.fromkeys(out))


def check_name(name: str, what: str) -> str:
    """A stripped, non-empty name of at most :data:`MAX_NAME` characters; ValueError otherwise."""
    text = str(name or "").strip()
    if not text:
        raise ValueError(f"a {what} needs a name")
    if len(text) > MAX_NAME:
        raise ValueError(f"{what} name {text[:40]!r}... is longer than {MAX_NAME} characters")
    if any(ord(c) < 32 for c in text):
        raise ValueError(f"{what} name {text!r} contains control characters")
    return text
