"""Buildings of the sample district, block by block, the way Korean new towns are built.

Apartment complexes of slab (판상형) and tower (탑상형) blocks spaced for daylight, with their
community buildings; low-rise houses on small lots; shops and offices around the centre; two
mixed-use landmark towers; schools with a gym and a playground; a civic block with the community
centre, a police box and a fire station; the central park stays empty. Storeys (``층수``) are given
for every building, measured heights (``높이``) for some.
"""

from __future__ import annotations

import numpy as np
import shapely

from twin_datasets.sample_district.layout import Block

VILLAGES = ("한결마을", "새뜸마을", "가온마을", "도램마을", "범지기마을", "첫마을", "해밀마을", "수루배마을",
            "나릿재마을", "호려울마을", "새샘마을", "가락마을", "단비마을", "제천마을", "한뜰마을", "가재마을", "산울마을")
LABELS = {"업무시설": "오피스", "근린생활시설": "상가", "판매시설": "프라자"}
Row = dict


def _row(geometry, name: str, use: str, storeys: int, *, year: int, height: float | None = None) -> Row:
    return {"geometry": geometry, "건물명": name, "용도": use, "층수": int(storeys),
            "높이": float("nan") if height is None else float(height), "준공연도": int(year)}


def apartments(block: Block, rng: np.random.Generator, *, village: str, distance: float) -> list[Row]:
    """A complex: a strip of shops and community buildings on the south side, then rows of slabs or
    a staggered field of towers, taller near the town centre."""
    x0, y0, x1, y1 = block.bounds
    year = int(rng.integers(2021, 2026))
    base = int(np.clip(30 - distance / 45 + rng.integers(-2, 3), 12, 32))
    rows: list[Row] = []
    strip = 26.0
    x = x0 + 6
    for name, width, storeys in (("단지내상가", 34, 2), ("관리동", 22, 2), ("어린이집", 20, 2), ("경로당", 16, 1)):
        if x + width > x1 - 6:
            break
        rows.append(_row(shapely.box(x, y0 + 6, x + width, y0 + 6 + 14), f"{village} {name}",
                         "근린생활시설" if name == "단지내상가" else "노유자시설", storeys, year=year))
        x += width + rng.uniform(10, 16)
    dong = 101
    towers = rng.random() < 0.4
    y = y0 + strip + 10
    while True:
        storeys = int(np.clip(base + rng.integers(-3, 4), 10, 35))
        depth, length = (24.0, 24.0) if towers else (14.0, 0.0)
        if y + depth > y1 - 10:
            break
        x = x0 + 10 + (rng.uniform(0, 20) if towers else rng.uniform(0, 8))
        while True:
            if towers:
                size = rng.uniform(21, 25)
                footprint = _tower(x, y, size, rng)
                step = size + rng.uniform(22, 30)
            else:
                length = min(rng.uniform(42, 62), x1 - 10 - x)
                if length < 34:
                    break
                footprint = shapely.box(x, y, x + length, y + depth)
                if rng.random() < 0.2 and y + depth + 18 < y1 - 10:  # an L-shaped slab (ㄱ자)
                    footprint = shapely.union(footprint, shapely.box(x + length - 14, y, x + length, y + depth + 16))
                step = length + rng.uniform(15, 22)
            if footprint.bounds[2] > x1 - 8:
                break
            rows.append(_row(footprint, f"{village} {dong}동", "공동주택", storeys, year=year))
            dong += 1
            x += step
        y += depth + max(0.8 * storeys * 3.0, 24.0)  # daylight spacing between rows
    return rows


def _tower(x: float, y: float, size: float, rng: np.random.Generator) -> shapely.Polygon:
    """A tower footprint: a square with two notched corners (the common '+'-ish plan)."""
    notch = size * rng.uniform(0.18, 0.26)
    return shapely.Polygon([
        (x + notch, y), (x + size, y), (x + size, y + size - notch), (x + size - notch, y + size - notch),
        (x + size - notch, y + size), (x, y + size), (x, y + notch), (x + notch, y + notch),
    ])


def houses(block: Block, rng: np.random.Generator) -> list[Row]:
    """Detached houses on 18 x 22 m lots along lanes, shop-houses on the outer lots, a playground left free."""
    x0, y0, x1, y1 = block.bounds
    rows: list[Row] = []
    lots_x = int((x1 - x0) // 18)
    lots_y = int((y1 - y0) // 24)
    middle = (lots_x // 2, lots_y // 2)
    for i in range(lots_x):
        for j in range(lots_y):
            if abs(i - middle[0]) <= 1 and j == middle[1]:
                continue  # the children's park
            lx, ly = x0 + i * 18 + rng.uniform(2.5, 4.5), y0 + j * 24 + rng.uniform(3, 6)
            w, d = rng.uniform(9.5, 12.5), rng.uniform(10, 13)
            edge = i in (0, lots_x - 1) or j in (0, lots_y - 1)
            shop = edge and rng.random() < 0.35
            storeys = int(rng.integers(3, 5)) if shop else int(rng.choice([2, 2, 3]))
            use = "근린생활시설" if shop else "단독주택"
            name = f"점포주택 {i + 1}-{j + 1}" if shop else f"단독주택 {i + 1}-{j + 1}"
            rows.append(_row(shapely.box(lx, ly, lx + w, ly + d), name, use, storeys, year=int(rng.integers(2022, 2026))))
    return rows


def commercial(block: Block, rng: np.random.Generator, *, courtyard: bool) -> list[Row]:
    """Shops and offices around the block edge (corners taller); one courtyard building inside."""
    x0, y0, x1, y1 = block.bounds
    rows: list[Row] = []
    depth = 20.0
    edges = [((x0, y0), (x1, y0), "남측"), ((x0, y1 - depth), (x1, y1 - depth), "북측")]
    for (ax, ay), (bx, _), side in edges:
        x = ax
        while x < bx - 20:
            width = min(rng.uniform(24, 40), bx - x)
            corner = x == ax or x + width >= bx - 1
            storeys = int(rng.integers(5, 10)) + (4 if corner else 0)
            use = str(rng.choice(["업무시설", "근린생활시설", "판매시설"]))
            rows.append(_row(shapely.box(x, ay, x + width, ay + depth), f"합강{side} {LABELS[use]} {len(rows) + 1}",
                             use, storeys, year=int(rng.integers(2022, 2026))))
            x += width + rng.uniform(5, 9)
    for x in (x0, x1 - depth):
        y = y0 + depth + 8
        while y < y1 - depth - 28:
            length = min(rng.uniform(24, 36), y1 - depth - 8 - y)
            rows.append(_row(shapely.box(x, y, x + depth, y + length), f"합강 오피스 {len(rows) + 1}", "업무시설",
                             int(rng.integers(6, 11)), year=int(rng.integers(2022, 2026))))
            y += length + rng.uniform(6, 10)
    if courtyard:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        outer = shapely.box(cx - 38, cy - 30, cx + 38, cy + 30)
        rows.append(_row(outer.difference(shapely.box(cx - 20, cy - 13, cx + 20, cy + 13)), "합강 스마트시티 지원센터",
                         "업무시설", 6, year=2023, height=24.8))
    return rows


def landmark(block: Block, rng: np.random.Generator) -> list[Row]:
    """Two mixed-use towers at the central crossing and a shopping mall south of them."""
    x0, y0, x1, y1 = block.bounds
    rows = [
        _row(_tower(x1 - 48, y0 + 14, 36, rng), "합강 센트럴타워 A", "공동주택", 49, year=2025, height=168.5),
        _row(_tower(x1 - 110, y0 + 14, 34, rng), "합강 센트럴타워 B", "공동주택", 41, year=2025, height=141.2),
        _row(shapely.box(x0 + 10, y1 - 70, x1 - 10, y1 - 12), "합강 스퀘어몰", "판매시설", 4, year=2024, height=22.0),
    ]
    return rows


def school(block: Block, name: str, *, year: int) -> list[Row]:
    """An L-shaped school (4 storeys), a gym (two tall storeys) and a playground."""
    x0, y0, x1, y1 = block.bounds
    main = shapely.union(shapely.box(x0 + 15, y1 - 35, x0 + 125, y1 - 15), shapely.box(x0 + 15, y1 - 95, x0 + 37, y1 - 35))
    return [
        _row(main, name, "교육연구시설", 4, year=year),
        _row(shapely.box(x0 + 50, y1 - 90, x0 + 90, y1 - 55), f"{name} 체육관", "교육연구시설", 2, year=year, height=12.0),
        _row(shapely.box(x1 - 40, y1 - 45, x1 - 15, y1 - 15), f"{name} 병설유치원", "교육연구시설", 2, year=year),
    ]


def civic(block: Block) -> list[Row]:
    """The public block: community centre, library, police box and fire station."""
    x0, y0, x1, y1 = block.bounds
    return [
        _row(shapely.box(x0 + 12, y0 + 12, x0 + 72, y0 + 52), "합강동 행정복지센터", "공공업무시설", 4, year=2023),
        _row(shapely.box(x0 + 90, y0 + 12, x0 + 160, y0 + 60), "합강 복합커뮤니티센터", "문화및집회시설", 5, year=2023),
        _row(shapely.box(x0 + 12, y1 - 60, x0 + 62, y1 - 20), "합강 도서관", "교육연구시설", 3, year=2024),
        _row(shapely.box(x1 - 38, y0 + 12, x1 - 14, y0 + 30), "세종합강치안센터", "공공업무시설", 2, year=2023),
        _row(shapely.box(x1 - 60, y1 - 55, x1 - 14, y1 - 15), "합강119안전센터", "공공업무시설", 3, year=2023, height=14.5),
    ]


def district_buildings(blocks: list[Block], rng: np.random.Generator) -> list[Row]:
    """Every building of the district in local metres, in block order."""
    rows: list[Row] = []
    villages = iter(VILLAGES)
    commercial_seen = 0
    schools = iter(("합강초등학교", "합강중학교"))
    for block in blocks:
        cx, cy = (block.bounds[0] + block.bounds[2]) / 2, (block.bounds[1] + block.bounds[3]) / 2
        if block.use == "apartments":
            rows += apartments(block, rng, village=next(villages), distance=float(np.hypot(cx, cy)))
        elif block.use == "houses":
            rows += houses(block, rng)
        elif block.use == "commercial":
            rows += commercial(block, rng, courtyard=commercial_seen == 0)
            commercial_seen += 1
        elif block.use == "landmark":
            rows += landmark(block, rng)
        elif block.use == "school":
            rows += school(block, next(schools), year=int(rng.integers(2023, 2026)))
        elif block.use == "civic":
            rows += civic(block)
    return rows
