"""Response times of emergency calls: how long from the call to the dispatch and to the arrival on site.

The ``incidents-csv`` importer keeps the call, dispatch and arrival times as UTC timestamps and names them in
``properties["incident"]``; this analysis reads those names and returns one SQL statement (tests read it).
"""

from __future__ import annotations

from twin.api import LayerInfo, ProjectReader, TwinError, quote_identifier

GROUPS = ("unit", "type", "priority")


def response_times(project: ProjectReader, *, layer: LayerInfo | None, by: str = "unit") -> str:
    """Per responding unit (``by=type`` or ``priority`` for the others): incidents, arrivals, and the median,
    mean and 90th percentile of the minutes from call to arrival, and the median minutes from call to dispatch."""
    roles = (layer.properties.get("incident") if layer is not None else None) or {}
    if not roles.get("call"):
        name = layer.name if layer is not None else "(none)"
        raise TwinError(f"layer {name!r} holds no emergency calls (import a CSV with call and arrival times "
                        "through the incidents-csv importer)")
    if by not in GROUPS:
        raise TwinError(f"response-times: by must be one of {', '.join(GROUPS)}, not {by!r}")
    group = quote_identifier(roles[by]) if roles.get(by) else "'all'"

    def minutes(end: str | None) -> str:
        if not roles.get(end):
            return "NULL::DOUBLE"
        return f"(epoch({quote_identifier(roles[end])}) - epoch({quote_identifier(roles['call'])})) / 60.0"

    response, dispatch = minutes("arrival"), minutes("dispatch")
    return (
        f"SELECT {group}::VARCHAR AS {by}, count(*) AS incidents, count({response}) AS arrived, "
        f"round(median({response}), 1) AS median_response_min, round(avg({response}), 1) AS mean_response_min, "
        f"round(quantile_cont({response}, 0.9), 1) AS p90_response_min, "
        f"round(median({dispatch}), 1) AS median_dispatch_min "
        f"FROM {layer.ref()} GROUP BY 1 ORDER BY median_response_min DESC NULLS LAST, 1"
    )
