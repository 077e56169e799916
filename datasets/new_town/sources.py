"""Write the town as the files a planner would receive (GeoPackage, GeoJSON, CSV in UTF-8 or CP949 with
위도/경도 as Korean portals publish them, the traffic as SUMO FCD Parquet), one file per layer.

:data:`FILES` says, for every file, the layer it becomes, its stage, service and role, and how it is
imported; :func:`write_sources` generates everything (deterministic for a seed) and writes the files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import shapely

from twin_datasets.new_town import buildings, pilot, plan, safety, ucity, utilities
from twin_datasets.new_town import traffic

DAY = dt.date(2025, 5, 14)  # a Wednesday
DAY_START = f"{DAY.isoformat()}T00:00"
TIMEZONE = "Asia/Seoul"


@dataclasses.dataclass(frozen=True)
class Source:
    """One source file and the layer it becomes."""

    file: str
    layer: str
    stage: int
    service: str
    role: str
    importer: str | None = None  # None: detected from the file
    extra: tuple = ()  # importer options (key, value)
    crs: str | None = None
    join: str | None = None  # readings: the layer they colour
    style: tuple = ()  # (key, value) of the layer's style (twin.scene.style.Style), the rest the kind's defaults


HIDDEN = (("visible", False),)
FILES = (
    Source("buildings.gpkg", "건물 buildings", 1, "planning", "buildings"),
    Source("roads.gpkg", "도로 roads", 1, "traffic", "roads", style=(("color", "#5d6470"),)),
    Source("blocks.gpkg", "블록 blocks", 1, "planning", "blocks", style=(("color", "#d8d2c4"),)),
    Source("parcels.gpkg", "필지 parcels", 1, "planning", "parcels", style=(("color", "#cfc5b0"), ("visible", False))),
    Source("parks.geojson", "공원 parks", 1, "environment", "parks", style=(("color", "#7fb069"),)),
    Source("stream.geojson", "하천 stream", 1, "environment", "stream", style=(("color", "#3d8fd6"),)),
    Source("utilities.gpkg", "지하시설물 utilities", 1, "infrastructure", "utilities", style=HIDDEN),
    Source("valves.gpkg", "밸브 valves", 1, "infrastructure", "valves", style=HIDDEN),
    Source("manholes.gpkg", "맨홀 manholes", 1, "infrastructure", "manholes", style=HIDDEN),
    Source("excavations.csv", "굴착공사 excavations", 1, "infrastructure", "excavations", "events-csv"),
    Source("operation_centre.csv", "통합운영센터 operation centre", 2, "safety", "operation_centre"),
    Source("fibre.gpkg", "자가통신망 fibre", 2, "infrastructure", "fibre", style=HIDDEN),
    Source("cctv.csv", "CCTV", 2, "safety", "cctv", style=(("opacity", 0.45),)),
    Source("its.csv", "ITS 시설 ITS", 2, "traffic", "its"),
    Source("bus_stops.csv", "스마트 버스정류장 bus stops", 2, "mobility", "bus_stops"),
    Source("vehicles.parquet", "차량 vehicles", 2, "traffic", "vehicles", "sumo-fcd",
           (("start", DAY_START),), crs=plan.CRS, style=(("color_by", "type"),)),
    Source("link_speeds.csv", "링크 속도 link speeds", 2, "traffic", "link_speeds", "segments-csv",
           (("value", "평균속도"),), join="도로 roads"),
    Source("police_stations.csv", "112 지구대·파출소 police", 3, "safety", "police_stations"),
    Source("fire_stations.csv", "119 안전센터 fire stations", 3, "safety", "fire_stations"),
    Source("incidents.csv", "사건 incidents", 3, "safety", "incidents", "incidents-csv"),
    Source("iot_sensors.csv", "IoT 센서 sensors", 4, "environment", "sensors"),
    Source("air_quality.csv", "대기질 air quality", 4, "environment", "air_quality", "sensors-csv",
           (("value", "PM10"),), join="IoT 센서 sensors"),
    Source("noise.csv", "소음 noise", 4, "environment", "noise", "sensors-csv",
           (("value", "소음"),), join="IoT 센서 sensors"),
    Source("parking.csv", "주차 parking", 4, "environment", "parking", "sensors-csv",
           (("value", "점유율"),), join="IoT 센서 sensors"),
    Source("smart_poles.csv", "스마트폴 smart poles", 4, "environment", "smart_poles", style=HIDDEN),
    Source("shuttle_gps.csv", "자율주행 셔틀 shuttle", 4, "traffic", "shuttle", "gps-csv"),
    Source("shuttle_route.geojson", "셔틀 노선 shuttle route", 4, "traffic", "shuttle_route"),
    Source("shuttle_stops.csv", "셔틀 정류장 shuttle stops", 4, "traffic", "shuttle_stops"),
    Source("living_lab_reports.csv", "리빙랩 시민제안 reports", 4, "environment", "reports", "events-csv",
           (("duration", 1800),)),
)

ZONING = {"old_core": "제2종일반주거지역", "houses": "제1종일반주거지역", "apartments": "제3종일반주거지역",
          "commercial": "일반상업지역", "offices": "일반상업지역", "smart": "준주거지역", "civic": "일반상업지역",
          "school": "제2종일반주거지역", "park": "자연녹지지역", "linear_park": "자연녹지지역", "pocket_park": "자연녹지지역"}
PLANNED = {"old_core": "단독주택(기존)", "houses": "단독주택", "apartments": "공동주택", "commercial": "근린상업",
           "offices": "업무", "smart": "스마트혁신", "civic": "공공청사", "school": "학교", "park": "공원",
           "linear_park": "녹지", "pocket_park": "소공원"}
LAND_CATEGORY = {"school": "학", "park": "공", "linear_park": "공", "pocket_park": "공"}


def seconds_to_text(seconds) -> np.ndarray:
    """Seconds since 00:00 of the demo day -> ``2025-05-14 08:31:12`` (local time, no offset)."""
    stamps = np.datetime64(DAY.isoformat()) + np.asarray(seconds).astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ").astype(object)


def _gdf(columns: dict, geometry, layer_crs: str = plan.CRS):
    import geopandas as gpd

    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=plan.to_project(geometry), crs=layer_crs)


def _vector(path: pathlib.Path, columns: dict, *, layer: str | None = None, driver: str | None = None) -> None:
    columns = dict(columns)
    geometry = columns.pop("geometry")
    pyogrio.write_dataframe(_gdf(columns, geometry), path, layer=layer, driver=driver)


def _points_csv(path: pathlib.Path, columns: dict, *, encoding: str = "utf-8-sig", first: tuple = ()) -> None:
    """A CSV with 위도/경도 (WGS84, 7 decimals) for the local points ``columns['xy']``."""
    columns = dict(columns)
    lon, lat = plan.to_lonlat(np.asarray(columns.pop("xy"), dtype=float))
    frame = pd.DataFrame({k: columns[k] for k in first if k in columns})
    for key, value in columns.items():
        if key not in frame:
            frame[key] = value
    frame["위도"] = lat
    frame["경도"] = lon
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n" if encoding == "cp949" else "\n")


def _project_xy_of_csv(local_xy: np.ndarray) -> np.ndarray:
    """Where the import will put CSV points written with :func:`_points_csv` (through the rounded 위도/경도)."""
    from twin.crs import transform_xy

    lon, lat = plan.to_lonlat(local_xy)
    x, y = transform_xy(np.asarray(lon, float), np.asarray(lat, float), "EPSG:4326", plan.CRS)
    return np.column_stack([x, y])


def parcels(town: buildings.Town) -> dict:
    """Parcels: the lots of the house and business blocks (the lot grids the buildings stand on), one parcel
    for each other block (단지, school, park)."""
    blocks = plan.blocks()
    number = np.arange(len(blocks))
    geoms, block_no, use = [], [], []
    for kind, size in buildings.LOT_SIZES.items():  # the lots of all blocks of a kind at once
        mask = blocks.use == kind
        lots, *_, owner = buildings.lots_of(blocks.geometry[mask], *size)
        geoms.append(lots)
        block_no.append(number[mask][owner])
        use.append(np.full(len(lots), kind, dtype=object))
    whole = ~np.isin(blocks.use, list(buildings.LOT_SIZES))
    geoms.append(blocks.geometry[whole])
    block_no.append(number[whole])
    use.append(blocks.use[whole])
    geometry, block_no, use = np.concatenate(geoms), np.concatenate(block_no) + 1, np.concatenate(use)
    order = np.argsort(block_no, kind="stable")
    geometry, block_no, use = geometry[order], block_no[order], use[order]
    lot_no = np.arange(len(block_no)) - np.searchsorted(block_no, block_no) + 1
    pnu = np.char.add(np.char.add("36110119001", np.char.zfill(block_no.astype(str), 4)),
                      np.char.zfill(lot_no.astype(str), 4))
    return {"geometry": shapely.set_precision(geometry, 0.01), "PNU": pnu.astype(object),
            "지목": np.array([LAND_CATEGORY.get(u, "대") for u in use], dtype=object),
            "용도지역": np.array([ZONING.get(u, "") for u in use], dtype=object),
            "블록번호": np.char.add("B-", np.char.zfill(block_no.astype(str), 3)).astype(object),
            "면적": np.round(shapely.area(geometry), 1)}


def parks(town: buildings.Town) -> dict:
    """Parks: the central park, the 미호대로 linear park, pocket parks, children's parks left in the house
    blocks, and the riverside park along the stream (cut at the bridges)."""
    blocks = plan.blocks()
    box = shapely.box(-plan.HALF, -plan.HALF, plan.HALF, plan.HALF)
    riverside = shapely.difference(shapely.intersection(plan.stream_corridor(), box), plan.stream_channel())
    riverside = shapely.get_parts(shapely.difference(riverside, plan.carriageway()))
    riverside = riverside[shapely.area(riverside) > 200]
    kinds = {"park": ("누리천 중앙공원", "근린공원"), "linear_park": ("미호대로 선형공원", "완충녹지"),
             "pocket_park": ("소공원", "소공원")}
    geoms, names, kind = [], [], []
    for use, (name, label) in kinds.items():
        g = blocks.geometry[blocks.use == use]
        geoms.append(g)
        names.append([f"{name} {k + 1}" if len(g) > 1 else name for k in range(len(g))])
        kind.append([label] * len(g))
    geoms.append(town.parks)
    names.append([f"어린이공원 {k + 1}" for k in range(len(town.parks))])
    kind.append(["어린이공원"] * len(town.parks))
    geoms.append(riverside)
    names.append([f"누리천 수변공원 {k + 1}" for k in range(len(riverside))])
    kind.append(["수변공원"] * len(riverside))
    geometry = np.concatenate([np.asarray(g, dtype=object) for g in geoms])
    return {"geometry": shapely.set_precision(geometry, 0.01), "공원명": np.concatenate(names).astype(object),
            "공원구분": np.concatenate(kind).astype(object), "면적": np.round(shapely.area(geometry), 1)}


def component_rng(seed: int, component: int) -> np.random.Generator:
    """The random generator of one component of the town (1 = buildings, 2 = utilities, ...): components are
    independent, so changing one never shifts the others."""
    return np.random.default_rng([seed, component])


def town_buildings(seed: int) -> buildings.Town:
    """The buildings of the town for ``seed`` (what the build writes; the traffic demand uses them too)."""
    return buildings.generate(component_rng(seed, 1))


def write_sources(folder: str | pathlib.Path, *, seed: int) -> dict[str, pathlib.Path]:
    """Generate the town (deterministic for a ``seed``) and write its source files into ``folder``."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {s.file: folder / s.file for s in FILES}
    for path in paths.values():
        path.unlink(missing_ok=True)

    def rng(k: int) -> np.random.Generator:
        return component_rng(seed, k)

    # ----- stage 1: the base map and the underground ---------------------------------------------
    town = town_buildings(seed)
    cols = town.columns
    n = len(cols["geometry"])
    _vector(paths["buildings.gpkg"], {"건물ID": np.char.add("MN-", np.char.zfill((np.arange(n) + 1).astype(str), 5)),
                                      **cols}, layer="건물")
    links = plan.road_links()
    _vector(paths["roads.gpkg"], {"geometry": links.geometry, "link_id": links.link_id, "도로명": links.name,
                                  "lanes": links.lanes, "oneway": links.oneway, "max_speed_kmh": links.speed,
                                  "road_rank": links.rank, "도로폭": np.round(links.width, 1)}, layer="도로")
    blocks = plan.blocks()
    _vector(paths["blocks.gpkg"], {"geometry": blocks.geometry,
                                   "블록번호": np.char.add("B-", np.char.zfill((np.arange(len(blocks)) + 1).astype(str), 3)),
                                   "용도지역": np.array([ZONING.get(u, "") for u in blocks.use], dtype=object),
                                   "계획용도": np.array([PLANNED.get(u, "") for u in blocks.use], dtype=object),
                                   "개발단계": blocks.stage, "면적": np.round(shapely.area(blocks.geometry), 1)},
            layer="블록")
    _vector(paths["parcels.gpkg"], parcels(town), layer="필지")
    _vector(paths["parks.geojson"], parks(town), driver="GeoJSON")
    box = shapely.box(-plan.GATE + 50, -plan.GATE + 50, plan.GATE - 50, plan.GATE - 50)
    _vector(paths["stream.geojson"], {"geometry": [shapely.intersection(plan.stream_channel(), box)],
                                      "하천명": ["누리천"], "하천등급": ["지방하천"], "폭": [2 * plan.STREAM_HALF_WIDTH]},
            driver="GeoJSON")
    network = utilities.lines(rng(2))
    _vector(paths["utilities.gpkg"], network, layer="지하시설물")
    _vector(paths["valves.gpkg"], utilities.valves(network, rng(3)), layer="밸브")
    _vector(paths["manholes.gpkg"], utilities.manholes(network), layer="맨홀")
    works = utilities.excavations(network, rng(4))
    _points_csv(paths["excavations.csv"], {"id": works["id"], "공사명": works["공사명"],
                                           "시작시각": seconds_to_text(works["시작"]), "종료시각": seconds_to_text(works["종료"]),
                                           "굴착깊이": works["굴착깊이"], "굴착면적": works["굴착면적"],
                                           "대상시설": works["대상시설"], "시행기관": works["시행기관"], "xy": works["xy"]})
    # ----- stage 2: the U-City ---------------------------------------------------------------------
    _points_csv(paths["operation_centre.csv"], ucity.operation_centre())
    _vector(paths["fibre.gpkg"], ucity.fibre(rng(5)), layer="자가통신망")
    _points_csv(paths["cctv.csv"], ucity.cctv(rng(6)), encoding="cp949")
    _points_csv(paths["its.csv"], ucity.its(rng(7)))
    _points_csv(paths["bus_stops.csv"], ucity.bus_stops(rng(8)), encoding="cp949")
    shutil.copyfile(traffic.VEHICLES, paths["vehicles.parquet"])
    _link_speeds_csv(paths["link_speeds.csv"])
    # ----- stage 3: the integrated platform ----------------------------------------------------------
    st = safety.stations()
    police = st["긴급전화"] == "112"
    for name, mask in (("police_stations.csv", police), ("fire_stations.csv", ~police)):
        _points_csv(paths[name], {k: v[mask] for k, v in st.items()}, encoding="cp949")
    calls = safety.incidents(cols, network, works, _project_xy_of_csv(st["xy"]), st["기관명"], st["긴급전화"],
                             _project_xy_of_csv, rng(9))
    c = calls.columns
    incident_rows = {"사건번호": c["사건번호"], "유형": c["유형"], "우선순위": c["우선순위"],
                     "신고시각": seconds_to_text(c["신고시각"]), "출동시각": seconds_to_text(c["출동시각"]),
                     "도착시각": seconds_to_text(c["도착시각"]), "출동기관": c["출동기관"],
                     "상황종료시각": seconds_to_text(c["종료"]), "신고내용": c["신고내용"],
                     "장소": c["장소"], "xy": calls.xy}
    _points_csv(paths["incidents.csv"], incident_rows)
    # ----- stage 4: the pilot city -------------------------------------------------------------------
    sensors = pilot.sensors(rng(10))
    _points_csv(paths["iot_sensors.csv"], sensors.stations)
    for file, measure in (("air_quality.csv", "대기질"), ("noise.csv", "소음"), ("parking.csv", "주차")):
        rows = dict(sensors.readings[measure])
        t = rows.pop("t")
        frame = pd.DataFrame({"센서ID": rows.pop("센서ID"), "측정일시": seconds_to_text(t), **rows})
        frame.to_csv(paths[file], index=False, encoding="utf-8-sig")
    _points_csv(paths["smart_poles.csv"], pilot.smart_poles(rng(11)))
    shuttle = pilot.shuttle(rng(12))
    fixes = dict(shuttle.fixes)
    t = fixes.pop("t")
    _points_csv(paths["shuttle_gps.csv"], {"차량ID": fixes.pop("차량ID"), "수집일시": seconds_to_text(t), **fixes})
    _vector(paths["shuttle_route.geojson"], {"geometry": [shuttle.route], "노선명": ["자율주행 순환셔틀 A1"],
                                             "운행": ["07:00-21:00"], "차량": ["AS-01, AS-02"],
                                             "길이": [round(shuttle.route.length, 1)]}, driver="GeoJSON")
    _points_csv(paths["shuttle_stops.csv"], shuttle.stops)
    reports = pilot.reports(cols, rng(13))
    t = reports.pop("t")
    _points_csv(paths["living_lab_reports.csv"], {"접수번호": reports.pop("접수번호"), "분류": reports.pop("분류"),
                                                  "내용": reports.pop("내용"), "접수일시": seconds_to_text(t), **reports})
    return paths


def _link_speeds_csv(path: pathlib.Path) -> None:
    """The committed link speeds as a segments CSV: link_id, 수집일시, 평균속도 (km/h), 교통량 (veh/5 min), 측정여부."""
    table = pq.read_table(traffic.LINK_SPEEDS)
    frame = pd.DataFrame({
        "link_id": table["link_id"].to_numpy(zero_copy_only=False),
        "수집일시": seconds_to_text(table["begin_s"].to_numpy()),
        "평균속도": table["speed_kmh"].to_numpy(),
        "교통량": table["volume"].to_numpy(),
        "측정여부": np.where(table["observed"].to_numpy(zero_copy_only=False), "Y", "N"),
    })
    frame.to_csv(path, index=False, encoding="utf-8")
