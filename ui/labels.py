"""How stages and services are named and coloured in the window (from the twin-stages plugin's data)."""

from __future__ import annotations

from twin import stages

NO_SERVICE = "(no service)"
_STAGES: dict[int, object] | None = None


def reload_stages() -> None:
    """Read the stages the plugins declare again (the layer list does it on every rebuild)."""
    global _STAGES
    _STAGES = {item.number: item for item in stages.stages()}


def stage_info(stage: int):
    """The declared :class:`twin.stages.Stage` of a number, or None."""
    if _STAGES is None:
        reload_stages()
    return _STAGES.get(stage)


def stage_label(stage: int | None, *, long: bool = False) -> str:
    """``Stage 2`` (or ``Stage 2 · U-City`` with ``long``: the stage's short title, which fits a layer tree;
    the full title goes in tooltips), ``No stage``."""
    if stage is None:
        return "No stage"
    if long:
        info = stage_info(stage)
        if info is not None:
            return f"Stage {stage} · {info.short_title}"
    return f"Stage {stage}"


def stage_colour(stage: int | None) -> str:
    info = stage_info(stage) if stage is not None else None
    return info.color if info is not None else "#808080"


def service_label(service: str | None) -> str:
    """The title a plugin gives a service id (``traffic`` -> ``Traffic``), else the text itself."""
    if not service:
        return NO_SERVICE
    try:
        return stages.service(service).title
    except KeyError:
        return service
