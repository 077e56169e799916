"""The buildings of 미호누리, block by block, the way Korean towns grow (local metres).

- the old village (stage 1, 1998-2002): houses and 4-storey villas (다세대) on small lots, shops along the
  main streets, a first complex of 15-storey slabs (판상형), some lots rebuilt later;
- the U-City new town (stage 2, 2004-2013): apartment complexes of slabs then towers (탑상형), each with
  its shops and community buildings, a shopping centre of 5-12 storey buildings, the city hall, the
  integrated operation centre, schools, a house district with shop-houses (점포주택);
- the infill of stage 3 (2014-2017): office towers by the stream, more complexes and schools;
- the pilot-city district of stage 4 (2018-2024): R&D offices, the data hub, the Living Lab, 30-49 storey
  towers, a new house district.

Every building has storeys (``층수``), a measured height (``높이``), a use (``용도``, the 건축법 groups) and
its completion year (``준공연도``). Lots and complexes are laid out with numpy and vectorised shapely per
block: no Python loop per building.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from twin_datasets.new_town import plan

#: metres per storey by use, and the roof structure on top
STOREY_HEIGHT = {"공동주택": 2.9, "단독주택": 3.0, "근린생활시설": 3.8, "업무시설": 3.9, "판매시설": 4.5,
                 "공공청사": 4.2, "교육연구시설": 3.8, "노유자시설": 3.3, "문화및집회시설": 4.5}
ROOF = {"공동주택": 2.5, "업무시설": 3.0}
VILLAGES = ("가온마을", "나래마을", "다온마을", "라온마을", "마루마을", "바른마을", "새뜰마을", "아름마을", "자람마을",
            "하늘마을", "푸른마을", "햇살마을", "누리마을", "보듬마을", "도란마을", "소담마을", "한별마을", "늘봄마을",
            "꽃샘마을", "솔빛마을", "이음마을", "별빛마을", "다솜마을", "온새마을", "희망마을", "미르마을", "가람마을",
            "단비마을", "윤슬마을", "한울마을", "여울마을", "고운마을", "너울마을", "물빛마을", "하람마을", "예솔마을",
            "초롱마을", "해든마을", "새봄마을", "다누리마을")
SCHOOLS = ("미호초등학교", "누리초등학교", "가람중학교", "새뜰초등학교", "누리고등학교", "새누리초등학교")

COLUMNS = ("geometry", "건물명", "용도", "세부용도", "층수", "준공연도", "세대수", "단지명")


@dataclasses.dataclass
class Chunk:
    """Buildings of one block (parallel arrays)."""

    geometry: np.ndarray
    name: np.ndarray
    use: np.ndarray
    subuse: np.ndarray
    storeys: np.ndarray
    year: np.ndarray
    households: np.ndarray
    complex: np.ndarray


def _chunk(geometry, name, use, subuse, storeys, year, households=0, complex_name="") -> Chunk:
    geometry = np.asarray(geometry, dtype=object)
    n = len(geometry)

    def full(value, dtype):
        value = np.asarray(value, dtype=dtype)
        return np.broadcast_to(value, (n,)).copy() if value.ndim == 0 else value

    return Chunk(geometry, full(name, object), full(use, object), full(subuse, object), full(storeys, np.int64),
                 full(year, np.int64), full(households, np.int64), full(complex_name, object))


def lots_of(polys, width: float, depth: float, *, min_share: float = 0.6):
    """Lot grids over many blocks at once: (lots, cells, col, row, columns, rows, block) per lot, the lots being
    the grid cells (about ``width`` x ``depth``, stretched to fit the block's box) cut by their block; cells
    covering less than ``min_share`` of a lot are dropped."""
    polys = np.asarray(polys, dtype=object)
    b = shapely.bounds(polys).reshape(-1, 4)
    nx = np.maximum(((b[:, 2] - b[:, 0]) // width).astype(int), 1)
    ny = np.maximum(((b[:, 3] - b[:, 1]) // depth).astype(int), 1)
    count = nx * ny
    block = np.repeat(np.arange(len(polys)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    cols, rows = nx[block], ny[block]
    gx, gy = k % cols, k // cols
    w, d = (b[block, 2] - b[block, 0]) / cols, (b[block, 3] - b[block, 1]) / rows
    x0, y0 = b[block, 0] + gx * w, b[block, 1] + gy * d
    cells = shapely.box(x0, y0, x0 + w, y0 + d)
    lots = shapely.intersection(cells, polys[block])
    keep = shapely.area(lots) >= min_share * w * d
    return (largest_parts(lots[keep]), cells[keep], gx[keep], gy[keep], cols[keep], rows[keep], block[keep])


def _lots(poly, width: float, depth: float, *, min_share: float = 0.6):
    """The lot grid of one block: (lots, cells, col, row, columns, rows)."""
    lots, cells, gx, gy, cols, rows, _ = lots_of([poly], width, depth, min_share=min_share)
    return lots, cells, gx, gy, (int(cols[0]) if len(cols) else 1), (int(rows[0]) if len(rows) else 1)


def largest_parts(geometries) -> np.ndarray:
    """The largest polygon of each geometry (an empty polygon when it has none), vectorised."""
    geometries = np.asarray(geometries, dtype=object)
    parts, owner = shapely.get_parts(geometries, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    parts, owner = parts[polygon], owner[polygon]
    order = np.lexsort((-shapely.area(parts), owner))
    head = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if len(order) else order
    out = np.full(len(geometries), shapely.from_wkt("POLYGON EMPTY"), dtype=object)
    out[owner[head]] = parts[head]
    return out


def _inset_boxes(cells, lots, rng: np.random.Generator, cover_w, cover_d, *, margin: float = 1.0):
    """A rectangle inside each lot covering ``cover_w`` x ``cover_d`` of its cell, jittered, cut to the lot."""
    b = shapely.bounds(cells)
    n = len(cells)
    w = (b[:, 2] - b[:, 0]) * rng.uniform(*cover_w, n)
    d = (b[:, 3] - b[:, 1]) * rng.uniform(*cover_d, n)
    cx = (b[:, 0] + b[:, 2]) / 2 + rng.uniform(-0.5, 0.5, n) * ((b[:, 2] - b[:, 0]) - w - 2 * margin).clip(0)
    cy = (b[:, 1] + b[:, 3]) / 2 + rng.uniform(-0.5, 0.5, n) * ((b[:, 3] - b[:, 1]) - d - 2 * margin).clip(0)
    boxes = shapely.box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2)
    inner = shapely.buffer(lots, -margin, quad_segs=1)
    return largest_parts(shapely.intersection(boxes, inner))


def towers(x, y, size, notch) -> np.ndarray:
    """Tower footprints (a square with two notched corners) with lower-left corners ``x``, ``y``."""
    s, t = size, notch
    xs = np.stack([x + t, x + s, x + s, x + s - t, x + s - t, x, x, x + t, x + t], axis=1)
    ys = np.stack([y, y, y + s - t, y + s - t, y + s, y + s, y + t, y + t, y], axis=1)
    return shapely.polygons(np.stack([xs, ys], axis=2))


def l_shapes(x, y, length, depth, wing) -> np.ndarray:
    """ㄱ-shaped slabs: a slab ``length`` x ``depth`` with a wing going north at its east end."""
    xs = np.stack([x, x + length, x + length, x + length - depth, x + length - depth, x, x], axis=1)
    ys = np.stack([y, y, y + depth + wing, y + depth + wing, y + depth, y + depth, y], axis=1)
    return shapely.polygons(np.stack([xs, ys], axis=2))


# ----- kinds of blocks ----------------------------------------------------------------------------
def small_lots(polys, stages, rng: np.random.Generator, *, old: bool, major=None) -> tuple[Chunk, np.ndarray]:
    """Houses, villas and shop-houses on lots two rows deep in all the blocks ``polys`` at once (their
    ``stages``); a children's park left free in some blocks of the new house districts. Returns the buildings
    and the parks left free (one per block that has one)."""
    lots, cells, gx, gy, nx, ny, block = lots_of(polys, *LOT_SIZES["old_core" if old else "houses"])
    stages = np.asarray(stages)[block]
    with_park = (rng.random(len(polys)) < 0.35) & (not old)
    park = with_park[block] & (nx >= 6) & (np.abs(gx - nx // 2) <= 1) & (gy == 0)
    groups = np.unique(block[park], return_inverse=True)[1].ravel()
    free = shapely.multipolygons(lots[park], indices=groups) if park.any() else np.empty(0, dtype=object)
    free = shapely.make_valid(shapely.buffer(shapely.buffer(free, 0.01, quad_segs=1), -0.01, quad_segs=1)) \
        if len(free) else free
    lots, cells, block, stages = lots[~park], cells[~park], block[~park], stages[~park]
    n = len(lots)
    facing = shapely.distance(lots, major) < 18.0 if major is not None else np.zeros(n, dtype=bool)
    draw = rng.random(n)
    first = np.array([plan.STAGE_YEARS[s][0] for s in stages], dtype=int)
    last = np.array([plan.STAGE_YEARS[s][1] for s in stages], dtype=int)
    base_year = first + (rng.random(len(polys))[block] * np.maximum(last - 3 - first, 1)).astype(int)  # lots sold
    year = np.clip(base_year + rng.integers(0, 5, n), first, last)  # then built over a few years
    if old:
        use = np.where(facing & (draw < 0.7), "근린생활시설", np.where(draw < 0.25, "공동주택", "단독주택"))
        subuse = np.select([use == "근린생활시설", use == "공동주택"], ["제2종근린생활시설", "다세대주택"], "단독주택")
        storeys = np.select([use == "근린생활시설", use == "공동주택"], [rng.integers(2, 5, n), np.full(n, 4)],
                            rng.integers(1, 3, n))
        rebuilt = rng.random(n) < 0.14  # lots rebuilt as 다가구 later
        year = np.where(rebuilt, rng.integers(2008, 2024, n), year)
        subuse = np.where(rebuilt & (use == "단독주택"), "다가구주택", subuse)
        storeys = np.where(rebuilt & (use == "단독주택"), 4, storeys)
        footprints = _inset_boxes(cells, lots, rng, (0.66, 0.82), (0.55, 0.72), margin=0.8)
    else:
        use = np.where(facing & (draw < 0.8), "근린생활시설", "단독주택")
        subuse = np.where(use == "근린생활시설", "점포겸용주택", np.where(draw < 0.35, "다가구주택", "단독주택"))
        storeys = np.select([subuse == "점포겸용주택", subuse == "다가구주택"], [np.full(n, 4), rng.integers(3, 5, n)],
                            rng.integers(2, 4, n))
        footprints = _inset_boxes(cells, lots, rng, (0.6, 0.78), (0.55, 0.7), margin=1.2)
    households = np.select([subuse == "다세대주택", subuse == "다가구주택", subuse == "점포겸용주택"],
                           [np.full(n, 8), rng.integers(3, 7, n), np.full(n, 2)], 1)
    label = np.where(use == "근린생활시설", "상가", np.where(subuse == "다세대주택", "빌라", "주택"))
    number = np.arange(n) - np.searchsorted(block, block) + 1  # numbered within their block
    name = np.char.add(np.char.add(label.astype(str), " "), number.astype(str)).astype(object)
    keep = shapely.area(footprints) > 45.0
    chunk = _chunk(footprints[keep], name[keep], use[keep], subuse[keep], storeys[keep], year[keep], households[keep])
    return _concat([chunk, _annexes(cells, lots, footprints, keep, rng, share=0.4 if old else 0.2,
                                    name=name, use=use, year=year)]), free


def _annexes(cells, lots, footprints, keep, rng, *, share: float, name, use, year) -> Chunk:
    """Small annexes (a storeroom, a garage: 부속건축물) in a back corner of some lots, clear of the house."""
    n = len(cells)
    b = shapely.bounds(cells)
    house = shapely.get_coordinates(shapely.centroid(footprints)) if n else np.empty((0, 2))
    right = house[:, 0] < (b[:, 0] + b[:, 2]) / 2  # the corner farthest from the house
    top = house[:, 1] < (b[:, 1] + b[:, 3]) / 2
    w, d = rng.uniform(3.5, 5.5, n), rng.uniform(3.0, 4.5, n)
    ax = np.where(right, b[:, 2] - 1.0 - w, b[:, 0] + 1.0)
    ay = np.where(top, b[:, 3] - 1.0 - d, b[:, 1] + 1.0)
    boxes = shapely.box(ax, ay, ax + w, ay + d)
    ok = (rng.random(n) < share) & keep & shapely.within(boxes, lots)
    ok &= ~shapely.intersects(boxes, shapely.buffer(footprints, 0.8, quad_segs=1))
    return _chunk(boxes[ok], np.char.add(name[ok].astype(str), " 부속동").astype(object), use[ok], "부속건축물", 1,
                  year[ok])


def apartments(poly, rng: np.random.Generator, *, stage: int, village: str, distance: float) -> Chunk:
    """An apartment complex: shops and community buildings on its south side, then rows of slabs or a
    staggered field of towers spaced for daylight, taller near the town centre and in later stages."""
    y_from, y_to = plan.STAGE_YEARS[stage]
    year = int(rng.integers(y_from, y_to + 1))
    slabs = stage == 1 or (stage == 2 and year <= 2007)
    inner = shapely.buffer(poly, -9.0, quad_segs=1)
    if inner.is_empty:
        return _chunk([], "", "", "", 0, 0)
    x0, y0, x1, y1 = inner.bounds
    base = {1: 14, 2: 18 if slabs else 22, 3: 25, 4: 30}[stage] + int(np.clip((900 - distance) / 120, -3, 6))
    strip = 30.0
    if slabs:
        length, depth = rng.uniform(48, 64), 14.0
        pitch_x = length + rng.uniform(14, 20)
        pitch_y = depth + 0.8 * base * 2.9 * 0.75
        size_x, size_y = length, depth
    else:
        size = rng.uniform(21.0, 25.0)
        pitch_x = size + rng.uniform(20.0, 28.0)
        pitch_y = size + 0.5 * base * 2.9
        size_x = size_y = size
    xs = np.arange(x0 + 6.0, x1 - size_x, pitch_x)
    ys = np.arange(y0 + strip + 8.0, y1 - size_y + 1e-9, pitch_y)
    if not len(xs) or not len(ys):
        return _chunk([], "", "", "", 0, 0)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    row = np.round((gy - ys[0]) / pitch_y).astype(int)
    n = len(gx)
    if slabs:
        lshape = rng.random(n) < 0.15
        feet = np.where(lshape, l_shapes(gx, gy, size_x, depth, 18.0), shapely.box(gx, gy, gx + size_x, gy + depth))
        units = np.round(size_x / 11.0).astype(int) * np.ones(n, dtype=int)
    else:
        gx = gx + np.where(row % 2 == 1, pitch_x / 2, 0.0) + rng.uniform(-3, 3, n)
        notch = size_x * rng.uniform(0.18, 0.26, n)
        feet = towers(gx, gy, size_x, notch)
        units = np.full(n, 4)
    feet = shapely.set_precision(feet, 0.01)
    keep = shapely.within(feet, inner)
    feet, row, units = feet[keep], row[keep], units[keep]
    n = len(feet)
    storeys = np.clip(base + row * (1 if stage > 1 else 0) + rng.integers(-3, 4, n), 10, 49)
    names = np.char.add(f"{village} ", np.char.add((101 + np.arange(n)).astype(str), "동")).astype(object)
    main = _chunk(feet, names, "공동주택", "아파트", storeys, year, storeys * units, village)
    # the complex's own buildings along its south side
    widths = np.array([38.0, 20.0, 18.0, 16.0, 26.0])
    labels = np.array(["단지내상가", "관리동", "어린이집", "경로당", "주민공동시설"], dtype=object)
    uses = np.array(["근린생활시설", "공공청사", "노유자시설", "노유자시설", "문화및집회시설"], dtype=object)
    uses[1] = "근린생활시설"
    gaps = rng.uniform(10, 18, len(widths))
    left = x0 + 8.0 + np.concatenate([[0.0], np.cumsum(widths + gaps)[:-1]])
    small = shapely.box(left, y0 + 6.0, left + widths, y0 + 20.0)
    gate = shapely.box(np.array([x1 - 14.0, x1 - 14.0]), np.array([y0 + 2.0, y1 - 9.0]),
                       np.array([x1 - 8.0, x1 - 8.0]), np.array([y0 + 7.0, y1 - 4.0]))
    small = np.concatenate([small, gate])
    labels = np.concatenate([labels, np.array(["경비실", "경비실"], dtype=object)])
    uses = np.concatenate([uses, np.array(["공동주택", "공동주택"], dtype=object)])
    fits = shapely.within(small, inner)
    clear = shapely.STRtree(shapely.buffer(np.concatenate([feet, small[:len(widths)]]), 2.0, quad_segs=1))
    hits = clear.query(small, predicate="intersects")
    crowded = np.zeros(len(small), dtype=bool)
    crowded[hits[0][(hits[0] >= len(widths)) & (hits[1] != hits[0] + len(feet))]] = True
    fits &= ~crowded
    aux = _chunk(small[fits], np.char.add(f"{village} ", labels[fits].astype(str)).astype(object), uses[fits],
                 labels[fits], np.where(np.isin(labels[fits], ["경로당", "경비실"]), 1, 2), year, 0, village)
    return _concat([main, aux])


LOT_SIZES = {"old_core": (12.0, 20.0), "houses": (14.0, 18.5), "commercial": (22.0, 24.0), "offices": (46.0, 44.0),
             "smart": (50.0, 48.0)}


def commercial(polys, stages, rng: np.random.Generator, *, kind: str) -> Chunk:
    """Shops, offices and a mall on lots around the blocks ``polys`` (corner lots taller), all blocks at once;
    inner lots of the shopping district are parking or a mall."""
    lots, cells, gx, gy, nx, ny, block = lots_of(polys, *LOT_SIZES[kind])
    n = len(lots)
    stage = np.asarray(stages)[block]
    y_from = np.array([plan.STAGE_YEARS[s][0] for s in stage], dtype=int)
    y_to = np.array([plan.STAGE_YEARS[s][1] for s in stage], dtype=int)
    edge = (gx == 0) | (gx == nx - 1) | (gy == 0) | (gy == ny - 1)
    corner = ((gx == 0) | (gx == nx - 1)) & ((gy == 0) | (gy == ny - 1))
    draw = rng.random(n)
    year = y_from + (rng.random(n) * (y_to - y_from + 1)).astype(int)
    if kind == "commercial":
        keep = edge | (draw < 0.45)
        use = np.where(~edge, "판매시설", np.where(draw < 0.7, "근린생활시설", "업무시설"))
        storeys = np.where(use == "판매시설", rng.integers(3, 6, n), rng.integers(5, 10, n)) + np.where(corner, 3, 0)
        feet = _inset_boxes(cells, lots, rng, (0.84, 0.94), (0.8, 0.92), margin=1.0)
    else:
        keep = np.ones(n, dtype=bool)
        use = np.where(draw < 0.75, "업무시설", "근린생활시설")
        tall = 14 if kind == "offices" else 18
        storeys = np.where(use == "업무시설", rng.integers(tall - 6, tall + 8, n), rng.integers(3, 7, n))
        feet = _inset_boxes(cells, lots, rng, (0.55, 0.75), (0.5, 0.7), margin=3.0)
    subuse = np.select([use == "근린생활시설", use == "판매시설"], ["제1종근린생활시설", "쇼핑몰"],
                       "스마트오피스" if kind == "smart" else "오피스")
    label = np.select([use == "근린생활시설", use == "판매시설"], ["프라자", "몰"], "타워" if kind != "commercial" else "빌딩")
    name = np.char.add(np.char.add(f"{plan.TOWN} ", label.astype(str)), (np.arange(n) + 1).astype(str)).astype(object)
    keep &= shapely.area(feet) > 80.0
    return _chunk(feet[keep], name[keep], use[keep], subuse[keep], storeys[keep], year[keep])


def school(poly, rng: np.random.Generator, *, stage: int, name: str) -> Chunk:
    """A school: an L-shaped main building on the north side, a gym, a kindergarten for primary schools;
    the playground (운동장) stays open to the south."""
    inner = shapely.buffer(poly, -8.0, quad_segs=1)
    x0, y0, x1, y1 = inner.bounds
    year = 1998 if stage == 1 else int(rng.integers(plan.STAGE_YEARS[stage][0], plan.STAGE_YEARS[stage][1] + 1))
    length = min(95.0, (x1 - x0) * 0.75)
    main = shapely.union(shapely.box(x0 + 4, y1 - 20, x0 + 4 + length, y1 - 4),
                         shapely.box(x0 + 4, y1 - 62, x0 + 20, y1 - 20))
    gym = shapely.box(x0 + 30, y1 - 56, x0 + 62, y1 - 30)
    feet = [main, gym]
    names = [name, f"{name} 체육관"]
    storeys = [4 if stage < 4 else 5, 2]
    subuse = ["초등학교" if "초등" in name else ("중학교" if "중학" in name else "고등학교"), "체육관"]
    if "초등" in name:
        feet.append(shapely.box(x1 - 26, y1 - 22, x1 - 4, y1 - 4))
        names.append(f"{name} 병설유치원")
        storeys.append(2)
        subuse.append("유치원")
    feet = np.array(feet, dtype=object)
    ok = shapely.within(feet, inner)
    return _chunk(feet[ok], np.array(names, dtype=object)[ok], "교육연구시설", np.array(subuse, dtype=object)[ok],
                  np.array(storeys)[ok], year)


#: the public buildings and landmarks (local metres): name, use, detail, storeys, year, centre, size
SPECIALS = (
    ("미호누리시청", "공공청사", "시청", 9, 2012, (-40.0, 292.0), (112.0, 42.0)),
    ("미호누리시의회", "공공청사", "시의회", 5, 2013, (85.0, 300.0), (40.0, 34.0)),
    ("미호누리 스마트시티 통합운영센터", "공공청사", "통합운영센터", 4, 2011, (-150.0, 125.0), (52.0, 36.0)),
    ("미호누리 시립도서관", "교육연구시설", "도서관", 3, 2013, (40.0, 130.0), (46.0, 36.0)),
    ("미호누리119안전센터", "공공청사", "119안전센터", 3, 2010, (110.0, 72.0), (30.0, 22.0)),
    ("누리천119안전센터", "공공청사", "119안전센터", 3, 2016, (205.0, 735.0), (30.0, 22.0)),
    ("미호누리지구대", "공공청사", "지구대", 3, 2009, (-400.0, -272.0), (24.0, 18.0)),
    ("합강파출소", "공공청사", "파출소", 2, 1999, (-820.0, -868.0), (18.0, 15.0)),
    ("누리파출소", "공공청사", "파출소", 3, 2019, (620.0, 68.0), (24.0, 18.0)),
    ("합강동 행정복지센터", "공공청사", "행정복지센터", 3, 2000, (-700.0, -700.0), (30.0, 24.0)),
    ("미호누리 센트럴타워", "업무시설", "오피스", 38, 2012, (-205.0, -95.0), (34.0, 34.0)),
    ("미호누리 스마트시티 데이터허브센터", "업무시설", "데이터센터", 7, 2021, (905.0, -110.0), (52.0, 40.0)),
    ("미호누리 리빙랩센터", "문화및집회시설", "리빙랩", 3, 2020, (790.0, -100.0), (32.0, 26.0)),
    ("스마트 스카이타워", "공동주택", "주상복합", 49, 2023, (905.0, -245.0), (36.0, 36.0)),
)


def specials() -> Chunk:
    """The buildings of :data:`SPECIALS` (fixed, not drawn from the seed)."""
    rows = list(zip(*SPECIALS))
    (cx, cy), (w, d) = np.array(rows[5]).T, np.array(rows[6]).T
    feet = shapely.box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2)
    households = np.where(np.array(rows[2]) == "주상복합", 49 * 6, 0)
    return _chunk(feet, np.array(rows[0], dtype=object), np.array(rows[1], dtype=object),
                  np.array(rows[2], dtype=object), np.array(rows[3]), np.array(rows[4]), households)


def _codes(values: np.ndarray, table: dict) -> np.ndarray:
    """Index of each value among the keys of ``table`` (vectorised lookup)."""
    keys = np.array(list(table), dtype=object)
    order = np.argsort(keys)
    return order[np.searchsorted(keys[order], values)]


def _concat(chunks: list[Chunk]) -> Chunk:
    fields = [f.name for f in dataclasses.fields(Chunk)]
    return Chunk(**{f: np.concatenate([getattr(c, f) for c in chunks]) for f in fields})


@dataclasses.dataclass
class Town:
    """The buildings (columns of the footprint file) and the lots left free as children's parks."""

    columns: dict
    parks: np.ndarray


def generate(rng: np.random.Generator) -> Town:
    """Every building of the town in local metres (see the module docstring)."""
    blocks = plan.blocks()
    links = plan.road_links()
    major = shapely.union_all(links.geometry[links.rank != "국지도로"])
    chunks: list[Chunk] = []
    free: list[np.ndarray] = []
    villages = iter(VILLAGES)
    schools = iter(SCHOOLS)
    centre_distance = np.hypot(*shapely.get_coordinates(shapely.centroid(blocks.geometry)).T)
    for kind in ("old_core", "houses"):  # all the small-lot blocks of a kind at once
        mask = blocks.use == kind
        chunk, parks = small_lots(blocks.geometry[mask], blocks.stage[mask], rng, old=kind == "old_core", major=major)
        chunks.append(chunk)
        free.append(parks)
    for kind in ("commercial", "offices", "smart"):
        mask = blocks.use == kind
        chunks.append(commercial(blocks.geometry[mask], blocks.stage[mask], rng, kind=kind))
    for k, (poly, use) in enumerate(zip(blocks.geometry, blocks.use)):  # one complex, school or centre per block
        stage = int(blocks.stage[k])
        if use == "apartments":
            chunks.append(apartments(poly, rng, stage=stage, village=next(villages, "새마을"),
                                     distance=float(centre_distance[k])))
        elif use == "school":
            chunks.append(school(poly, rng, stage=stage, name=next(schools, "누리학교")))
    town = _concat(chunks)
    special = specials()
    clear = shapely.STRtree(shapely.buffer(special.geometry, 6.0))
    hit = np.unique(clear.query(town.geometry, predicate="intersects")[0])
    keep = np.ones(len(town.geometry), dtype=bool)
    keep[hit] = False
    town = _concat([Chunk(**{f.name: getattr(town, f.name)[keep] for f in dataclasses.fields(Chunk)}), special])
    use = town.use
    per_storey = np.array([STOREY_HEIGHT[u] for u in STOREY_HEIGHT])[_codes(use, STOREY_HEIGHT)]
    roof = np.array([ROOF.get(u, 1.0) for u in STOREY_HEIGHT])[_codes(use, STOREY_HEIGHT)]
    height = town.storeys * per_storey + roof
    height = np.round(height + rng.uniform(-0.4, 0.4, len(use)), 1)
    area = shapely.area(town.geometry)
    columns = {
        "geometry": town.geometry,
        "건물명": town.name,
        "용도": town.use,
        "세부용도": town.subuse,
        "층수": town.storeys,
        "높이": height,
        "준공연도": town.year,
        "연면적": np.round(area * town.storeys, 1),
        "세대수": town.households,
        "단지명": town.complex,
    }
    parks = np.concatenate(free) if free else np.empty(0, dtype=object)
    return Town(columns, parks)
