"""The timed visuals under their former path, kept for plugin manifests that name ``twin.render.tracks:Class``
(docs/plugins.md showed that path). The code lives in :mod:`twin.render.timed` (the shared base),
:mod:`twin.render.moving`, :mod:`twin.render.events` and :mod:`twin.render.readings`; new code imports from those.
"""

from twin.render.events import EVENT_MIN_M, EVENT_PX, EVENT_SCALES, EventVisual
from twin.render.moving import (
    ARROW,
    ARROW_GUESS_DIVISOR,
    ARROW_GUESS_MAX_M,
    ARROW_MIN_M,
    ARROW_PX,
    ARROW_RESIZE_STEP,
    ARROW_TRIANGLES,
    LIFT,
    POINT_SIZE,
    TRAIL_MAX_S,
    MovingVisual,
    arrow_points,
)
from twin.render.readings import NO_READING, READING_GLYPH_SCALE, READING_LIFT, READING_PX, SPEED_WORDS, ReadingsVisual
from twin.render.timed import RGB, VALUE, coloring_legend, feature_rgb

__all__ = [
    "ARROW", "ARROW_GUESS_DIVISOR", "ARROW_GUESS_MAX_M", "ARROW_MIN_M", "ARROW_PX", "ARROW_RESIZE_STEP",
    "ARROW_TRIANGLES", "EVENT_MIN_M", "EVENT_PX", "EVENT_SCALES", "LIFT", "NO_READING", "POINT_SIZE",
    "READING_GLYPH_SCALE", "READING_LIFT", "READING_PX", "RGB", "SPEED_WORDS", "TRAIL_MAX_S", "VALUE",
    "EventVisual", "MovingVisual", "ReadingsVisual", "arrow_points", "coloring_legend", "feature_rgb",
]
