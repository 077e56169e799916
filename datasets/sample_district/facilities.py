"""Points and networks of the sample district: CCTV (with view direction), bus stops, the police box
and fire station, IoT sensors, parks and the water mains under the roads (local metres)."""

from __future__ import annotations

import numpy as np
import shapely

from twin_datasets.sample_district.layout import (
    MAIN_X,
    MAIN_Y,
    ROAD_CLASSES,
    XS,
    YS,
    Block,
    Road,
    bearing,
    crossings,
)


def _half(index: int, lines: tuple[float, ...], main: int) -> float:
    if index == main:
        return ROAD_CLASSES["대로"][0] / 2
    return ROAD_CLASSES["중로" if index in (0, len(lines) - 1) else "소로"][0] / 2


def cctv(blocks: list[Block], rng: np.random.Generator) -> list[dict]:
    """A camera at a corner of every crossing looking at its centre, plus school-zone and park cameras."""
    rows = []
    for i, j, x, y in crossings():
        hx, hy = _half(i, XS, MAIN_X) + 3, _half(j, YS, MAIN_Y) + 3
        sx, sy = (1 if i < len(XS) - 1 else -1), (1 if j < len(YS) - 1 else -1)
        cam = (x + sx * hx, y + sy * hy)
        main = i == MAIN_X or j == MAIN_Y
        rows.append({"xy": cam, "관리번호": f"CCTV-{len(rows) + 1:03d}", "설치목적": "교통정보" if main else "생활방범",
                     "촬영방향": round(bearing(x - cam[0], y - cam[1]), 1), "카메라대수": 2 if main else 1,
                     "설치연도": int(rng.integers(2021, 2025))})
    for block in blocks:
        x0, y0, x1, y1 = block.bounds
        if block.use == "school":
            for cx, cy in ((x0 + 5, y1 - 5), (x1 - 5, y1 - 5), (x0 + 5, y0 + 5), (x1 - 5, y0 + 5)):
                mx, my = (x0 + x1) / 2, (y0 + y1) / 2
                rows.append({"xy": (cx, cy), "관리번호": f"CCTV-{len(rows) + 1:03d}", "설치목적": "어린이보호",
                             "촬영방향": round(bearing(mx - cx, my - cy), 1), "카메라대수": 2, "설치연도": 2024})
        elif block.use == "park":
            for k, (cx, cy) in enumerate(((x0 + 30, y0 + 30), ((x0 + x1) / 2, y1 - 25), (x1 - 30, (y0 + y1) / 2))):
                rows.append({"xy": (cx, cy), "관리번호": f"CCTV-{len(rows) + 1:03d}", "설치목적": "공원방범",
                             "촬영방향": round((bearing(1, 0) + 120 * k) % 360, 1), "카메라대수": 1, "설치연도": 2023})
    return rows


def bus_stops() -> list[dict]:
    """Stops on both sides of the two boulevards, half way between crossings."""
    rows = []
    half = ROAD_CLASSES["대로"][0] / 2 + 3
    for i in range(len(XS) - 1):
        mx = (XS[i] + XS[i + 1]) / 2
        for side, dy in (("북측", half), ("남측", -half)):
            rows.append({"xy": (mx, dy), "정류장ID": f"0{5100 + len(rows) + 1}", "정류장명": f"한누리대로 {i + 1}({side})",
                         "경유노선": "B5, 1004" if i % 2 else "B5, 551", "BIS설치": "Y"})
    for j in range(len(YS) - 1):
        my = (YS[j] + YS[j + 1]) / 2
        for side, dx in (("동측", half), ("서측", -half)):
            rows.append({"xy": (dx, my), "정류장ID": f"0{5100 + len(rows) + 1}", "정류장명": f"세종중앙로 {j + 1}({side})",
                         "경유노선": "B5, 1001", "BIS설치": "Y" if j % 2 == 0 else "N"})
    return rows


def safety_centres(buildings: list[dict]) -> list[dict]:
    """The police box and the fire station, at their buildings, linked to the city platform (112/119)."""
    rows = []
    for building in buildings:
        if building["건물명"] in ("세종합강치안센터", "합강119안전센터"):
            point = shapely.centroid(building["geometry"])
            police = "치안" in building["건물명"]
            rows.append({"xy": (point.x, point.y), "시설명": building["건물명"], "시설유형": "치안센터" if police else "119안전센터",
                         "관할기관": "세종남부경찰서" if police else "세종소방본부", "통합플랫폼연계": "112 긴급영상" if police else "119 출동지원",
                         "상주인원": 6 if police else 18})
    return rows


def iot_sensors(blocks: list[Block], rng: np.random.Generator) -> list[dict]:
    """Air-quality sensors at boulevard crossings, noise sensors between them, smart poles in the park
    and a water-level sensor at the park pond."""
    rows = []
    for i, j, x, y in crossings():
        if i == MAIN_X or j == MAIN_Y:
            rows.append(_sensor(rows, (x - 25, y - 25), "대기질", "PM10, PM2.5, O3, NO2", 4.5, rng))
    for i in range(len(XS) - 1):
        rows.append(_sensor(rows, ((XS[i] + XS[i + 1]) / 2 + 15, 26.0), "소음", "dB(A)", 4.0, rng))
    for block in blocks:
        x0, y0, x1, y1 = block.bounds
        if block.use == "park":
            for k in range(4):
                rows.append(_sensor(rows, (x0 + 20 + k * (x1 - x0 - 40) / 3, (y0 + y1) / 2 + 30), "스마트가로등",
                                    "조도, 유동인구", 6.0, rng))
            rows.append(_sensor(rows, ((x0 + x1) / 2, (y0 + y1) / 2 - 20), "수위", "수위(cm)", 0.5, rng))
        elif block.use == "school":
            rows.append(_sensor(rows, (x1 - 10, y0 + 10), "대기질", "PM10, PM2.5", 3.0, rng))
    return rows


def _sensor(rows: list[dict], xy, kind: str, measures: str, height: float, rng: np.random.Generator) -> dict:
    codes = {"대기질": "AQ", "소음": "NS", "스마트가로등": "SL", "수위": "WL"}
    return {"xy": xy, "센서ID": f"S51-{codes[kind]}-{len(rows) + 1:03d}", "센서유형": kind, "측정항목": measures,
            "설치높이": height, "통신방식": str(rng.choice(["LoRa", "LTE-M", "NB-IoT"])), "데이터허브연계": "Y"}


def parks(blocks: list[Block]) -> list[dict]:
    """The central park (a whole block) and the children's parks left free in the house blocks."""
    rows = []
    for block in blocks:
        if block.use == "park":
            rows.append({"geometry": block.polygon, "공원명": "합강 중앙공원", "공원구분": "근린공원"})
        elif block.use == "houses":
            x0, y0, x1, y1 = block.bounds
            lots_x, lots_y = int((x1 - x0) // 18), int((y1 - y0) // 24)
            mx, my = lots_x // 2, lots_y // 2
            park = shapely.box(x0 + (mx - 1) * 18, y0 + my * 24, x0 + (mx + 2) * 18, y0 + (my + 1) * 24)
            rows.append({"geometry": park, "공원명": f"합강 어린이공원 {len(rows)}", "공원구분": "어린이공원"})
    for row in rows:
        row["면적"] = round(float(row["geometry"].area), 1)
    return rows


def water_mains(roads: list[Road]) -> list[dict]:
    """A main under every road link, 3 m off its centre line, at the depth of its class (3D lines)."""
    rows = []
    for road in roads:
        _, _, diameter, depth = ROAD_CLASSES[road.road_class]
        line = shapely.offset_curve(road.line, 3.0)
        coords = shapely.get_coordinates(line)
        line3d = shapely.linestrings(np.column_stack([coords, np.full(len(coords), -depth)]))
        rows.append({"geometry": line3d, "관로ID": f"WS-{road.link_id[2:]}", "관경": diameter,
                     "재질": "DCIP" if diameter >= 300 else "PE", "매설심도": depth, "도로명": road.name})
    return rows
