"""Air-quality guideline levels, and the analysis "stations above the guideline" as generated SQL.

Daily means are taken per station and calendar day in the project's time zone, over days with at
least ``min_hours`` valid hours (18 of 24, the usual 75 % completeness rule), and compared with the
WHO 2021 24-hour guideline levels (``standard="who"``) or the Korean ambient standards
(``standard="korea"``). Gases are measured in ppm: the WHO levels in µg/m³ are converted at 25 °C
(1 ppm = molar mass / 24.45 mg/m³).
"""

from __future__ import annotations

from twin.api import LayerInfo, Project, zone

#: 24-hour levels: pollutant -> (level, unit)
WHO_2021_24H = {
    "pm25": (15.0, "µg/m³"),
    "pm10": (45.0, "µg/m³"),
    "no2": (0.0133, "ppm"),  # 25 µg/m³
    "so2": (0.0153, "ppm"),  # 40 µg/m³
    "co": (3.49, "ppm"),  # 4 mg/m³
}
KOREA_24H = {
    "pm25": (35.0, "µg/m³"),
    "pm10": (100.0, "µg/m³"),
    "no2": (0.06, "ppm"),
    "so2": (0.05, "ppm"),
}
STANDARDS = {"who": WHO_2021_24H, "korea": KOREA_24H}


def above_guideline(project: Project, *, layer: LayerInfo, standard: str = "who", min_hours: int = 18) -> str:
    """SQL: one row per station, day and pollutant whose daily mean exceeds the guideline, worst first."""
    if standard not in STANDARDS:
        raise ValueError(f"standard must be one of {', '.join(STANDARDS)}, not {standard!r}")
    tz = project.timezone
    zone(tz)  # a known zone name: it is written into the SQL below
    units = layer.properties.get("units", {})
    levels = {p: v for p, v in STANDARDS[standard].items() if p in units}
    if not levels:
        raise ValueError(f"layer {layer.name!r} has none of the pollutants of the {standard} standard")
    stations = _stations_table(project, layer)
    name = "s.station_name" if stations else "NULL"
    join = f"LEFT JOIN {stations} s ON s.station_code = f.object_id" if stations else ""
    values = ", ".join(f"('{p}', {level!r}::DOUBLE, '{unit}')" for p, (level, unit) in levels.items())
    return f"""
WITH long AS (
    UNPIVOT (SELECT fid, t, {", ".join(levels)} FROM {layer.ref("track")})
    ON {", ".join(levels)} INTO NAME pollutant VALUE value
), daily AS (
    SELECT fid, CAST(timezone('{tz}', t) AS DATE) AS day, pollutant, avg(value) AS daily_mean, count(*) AS hours
    FROM long GROUP BY ALL
)
SELECT f.object_id AS station_code, {name} AS station_name, d.day, d.pollutant,
       round(d.daily_mean, 4) AS daily_mean, g.level AS guideline, g.unit,
       round(d.daily_mean / g.level, 2) AS ratio, d.hours
FROM daily d
JOIN {layer.ref()} f USING (fid)
JOIN (VALUES {values}) g(pollutant, level, unit) USING (pollutant)
{join}
WHERE d.hours >= {int(min_hours)} AND d.daily_mean > g.level
ORDER BY ratio DESC, station_code, d.day, d.pollutant
"""


def _stations_table(project: Project, layer: LayerInfo) -> str | None:
    """The stations layer imported from the same file as the readings (its table, quoted SQL), if any."""
    for other in project.layers():
        if (other.kind == "points" and other.source_file == layer.source_file
                and other.properties.get("role") == "stations"):
            return other.ref()
    return None
