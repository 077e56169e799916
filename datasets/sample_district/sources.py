"""Write the sample district as the files a planner would receive: GeoPackage, GeoJSON, FlatGeobuf
and CSVs (CP949 with 위도/경도, as Korean portals publish them)."""

from __future__ import annotations

import pathlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from twin_datasets.sample_district import buildings, facilities, layout

#: file name -> (layer name in the project, stage, service)
FILES = {
    "buildings.gpkg": ("건물", 1, "planning"),
    "roads.gpkg": ("도로", 1, "traffic"),
    "parks.geojson": ("공원", 1, "environment"),
    "water_mains.fgb": ("상수관로", 1, "infrastructure"),
    "cctv.csv": ("CCTV", 2, "safety"),
    "bus_stops.csv": ("버스정류장", 2, "mobility"),
    "safety_centres.csv": ("치안·소방", 3, "safety"),
    "iot_sensors.csv": ("IoT 센서", 4, "environment"),
}


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    geometry = layout.to_project(np.array([r.pop("geometry") for r in rows], dtype=object))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs=layout.CRS)


def _points_csv(rows: list[dict], path: pathlib.Path, *, encoding: str) -> None:
    lon, lat = layout.to_lonlat(np.array([r.pop("xy") for r in rows], dtype=float))
    frame = pd.DataFrame(rows)
    frame.insert(len(frame.columns), "위도", np.round(lat, 7))
    frame.insert(len(frame.columns), "경도", np.round(lon, 7))
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")


def write_sources(folder: str | pathlib.Path, *, seed: int = 51) -> dict[str, pathlib.Path]:
    """Generate the district (deterministic for a ``seed``) and write its source files into ``folder``."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    blocks = layout.blocks()
    roads = layout.roads()
    houses = buildings.district_buildings(blocks, rng)
    centres = facilities.safety_centres(houses)
    building_frame = _frame(houses)
    building_frame.insert(0, "건물ID", [f"B51-{i + 1:04d}" for i in range(len(building_frame))])
    paths = {name: folder / name for name in FILES}
    for path in paths.values():
        path.unlink(missing_ok=True)
    pyogrio.write_dataframe(building_frame, paths["buildings.gpkg"], layer="건물")
    road_rows = [{"geometry": r.line, "링크ID": r.link_id, "도로명": r.name, "도로등급": r.road_class,
                  "도로폭": r.width, "차로수": r.lanes, "일방통행": "N"} for r in roads]
    pyogrio.write_dataframe(_frame(road_rows), paths["roads.gpkg"], layer="도로")
    pyogrio.write_dataframe(_frame(facilities.parks(blocks)), paths["parks.geojson"], driver="GeoJSON")
    pyogrio.write_dataframe(_frame(facilities.water_mains(roads)), paths["water_mains.fgb"], driver="FlatGeobuf")
    _points_csv(facilities.cctv(blocks, rng), paths["cctv.csv"], encoding="cp949")
    _points_csv(facilities.bus_stops(), paths["bus_stops.csv"], encoding="utf-8-sig")
    _points_csv(centres, paths["safety_centres.csv"], encoding="cp949")
    _points_csv(facilities.iot_sensors(blocks, rng), paths["iot_sensors.csv"], encoding="cp949")
    return paths
