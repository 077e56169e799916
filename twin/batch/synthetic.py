"""Generated footprint districts and GPS tracks for the batch tests and benchmarks (no real data needed)."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np


def district_frame(count: int, *, seed: int = 0, origin: tuple[float, float] = (200_000.0, 550_000.0),
                   spacing: float = 25.0, crs: str = "EPSG:5186"):
    """``count`` rectangular footprints on a grid (about ``spacing`` m apart) with heights, storeys and names.

    Some have a height, some storeys only (as text "N층"), a few neither. A GeoDataFrame in ``crs``.
    """
    import geopandas
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    i = np.arange(count)
    x0 = origin[0] + (i % side) * spacing + rng.uniform(0, 4, count)
    y0 = origin[1] + (i // side) * spacing + rng.uniform(0, 4, count)
    w, d = rng.uniform(8, 18, count), rng.uniform(8, 18, count)
    geometries = shapely.box(x0, y0, x0 + w, y0 + d)
    height = np.round(rng.uniform(4, 60, count), 1)
    storeys = rng.integers(1, 20, count)
    kind = rng.integers(0, 10, count)
    height_col = np.where(kind < 6, height, np.nan)
    storeys_col = np.where(kind < 9, [f"{s}층" for s in storeys], None)
    return geopandas.GeoDataFrame({"bld_id": [f"B{k:07d}" for k in i], "name": [f"건물 {k}" for k in i],
                                   "height": height_col, "storeys": storeys_col, "use": rng.choice(["주거", "상업", "공공"], count)},
                                  geometry=geometries, crs=crs)


def write_district(path: str | pathlib.Path, count: int, *, seed: int = 0, **kwargs) -> pathlib.Path:
    """Write :func:`district_frame` to ``path`` (GeoPackage, GeoJSON, Shapefile or GeoParquet by suffix)."""
    path = pathlib.Path(path)
    frame = district_frame(count, seed=seed, **kwargs)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, row_group_size=10_000)
    else:
        frame.to_file(path)
    return path


def write_gps_csv(path: str | pathlib.Path, *, objects: int = 20, samples: int = 50, start: str = "2024-05-01T08:00:00",
                  step_s: float = 120.0, seed: int = 0, prefix: str = "bus") -> pathlib.Path:
    """A GPS CSV (vehicle_id, time, lon, lat, speed) around Osan, crossing midnight when long enough."""
    rng = np.random.default_rng(seed)
    t0 = dt.datetime.fromisoformat(start)
    lines = ["vehicle_id,timestamp,longitude,latitude,speed"]
    for o in range(objects):
        lon, lat = 127.05 + rng.uniform(0, 0.02), 37.15 + rng.uniform(0, 0.02)
        for s in range(samples):
            t = t0 + dt.timedelta(seconds=s * step_s + o)
            lines.append(f"{prefix}{o:03d},{t:%Y-%m-%d %H:%M:%S},{lon + s * 1e-4:.6f},{lat + s * 5e-5:.6f},{rng.uniform(0, 50):.1f}")
    path = pathlib.Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
