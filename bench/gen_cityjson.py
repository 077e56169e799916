"""Generate a synthetic CityJSON 2.0 city of LoD1 buildings for the import benchmark.

Each building is a Solid LoD1 with semantics (GroundSurface, WallSurface, RoofSurface) on a
footprint of 4 to 8 vertices (rectangles, pentagons, L-, T- and U-shapes: about 40 % concave),
with a few attributes, integer vertices under a ``transform`` (scale 0.01) and a CRS (EPSG:7415 by
default). 100k buildings make 75 MB (54 MB with ``--boxes``: rectangles without semantics). A name
ending in ``.jsonl`` writes CityJSONSeq: a header line, then one feature per building.

    .venv/bin/python bench/gen_cityjson.py bench/out/city_100k.city.json --buildings 100000
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

#: footprint shapes in a unit square, counter-clockwise seen from above
SHAPES = [
    [(0, 0), (1, 0), (1, 1), (0, 1)],  # rectangle
    [(0, 0), (1, 0), (1, 0.7), (0.5, 1), (0, 0.7)],  # house with a gable in plan
    [(0, 0), (1, 0), (1, 0.4), (0.4, 0.4), (0.4, 1), (0, 1)],  # L
    [(0, 0), (1, 0), (1, 0.5), (0.7, 0.5), (0.7, 1), (0.3, 1), (0.3, 0.5), (0, 0.5)],  # T
    [(0, 0), (1, 0), (1, 1), (0.7, 1), (0.7, 0.4), (0.3, 0.4), (0.3, 1), (0, 1)],  # U
]
#: how often each shape occurs (rectangles are the most common footprints)
WEIGHTS = [0.6, 0.1, 0.15, 0.075, 0.075]
FUNCTIONS = ["1000", "1010", "1020", "2000", "3000"]
CRS_ORIGINS = {"EPSG:7415": (84000.0, 445000.0), "EPSG:5186": (200000.0, 550000.0)}


def building(i: int, verts: list, rng: np.random.Generator, x0: float, y0: float, scale: float,
             *, boxes: bool = False) -> dict:
    """One LoD1 building: appends its vertices (integers under the transform) and returns the object.

    ``boxes``: rectangles without semantics (the leaner kind of file STACK.md measured).
    """
    shape = SHAPES[0] if boxes else SHAPES[int(rng.choice(len(SHAPES), p=WEIGHTS))]
    w, d = rng.uniform(6, 16), rng.uniform(6, 14)
    z0, h = rng.uniform(-1, 2), rng.uniform(3, 40)
    n = len(shape)
    base = len(verts)
    for sx, sy in shape:
        verts.append([round((x0 + sx * w) / scale), round((y0 + sy * d) / scale), round(z0 / scale)])
    for sx, sy in shape:
        verts.append([round((x0 + sx * w) / scale), round((y0 + sy * d) / scale), round((z0 + h) / scale)])
    bottom = [[base + k for k in reversed(range(n))]]
    top = [[base + n + k for k in range(n)]]
    walls = [[[base + k, base + (k + 1) % n, base + n + (k + 1) % n, base + n + k]] for k in range(n)]
    obj = {
        "type": "Building",
        "attributes": {
            "measuredHeight": round(h, 2),
            "storeysAboveGround": max(1, int(h // 3)),
            "yearOfConstruction": int(rng.integers(1900, 2024)),
            "function": FUNCTIONS[i % len(FUNCTIONS)],
        },
        "geometry": [{
            "type": "Solid",
            "lod": "1",
            "boundaries": [[bottom, top, *walls]],
            "semantics": {
                "surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}],
                "values": [[0, 1, *([2] * n)]],
            },
        }],
    }
    if boxes:
        del obj["geometry"][0]["semantics"]
    return obj


def generate(path: pathlib.Path, *, buildings: int = 100_000, crs: str = "EPSG:7415", boxes: bool = False,
             seed: int = 7) -> pathlib.Path:
    """Write the synthetic city to ``path`` and return it: CityJSON, or CityJSONSeq when the name ends
    with ``.jsonl`` (a header line, then one CityJSONFeature per building with its own vertices)."""
    rng = np.random.default_rng(seed)
    scale = 0.01
    ox, oy = CRS_ORIGINS.get(crs, (0.0, 0.0))
    side = int(np.ceil(np.sqrt(buildings)))
    seq = path.name.endswith(".jsonl")
    code = crs.split(":")[1]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [scale] * 3, "translate": [ox, oy, 0.0]},
        "metadata": {"referenceSystem": f"https://www.opengis.net/def/crs/EPSG/0/{code}",
                     "title": f"Synthetic LoD1 city of {buildings} buildings"},
        "CityObjects": {},
        "vertices": [],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        if seq:
            fh.write(json.dumps(doc, separators=(",", ":")) + "\n")
        for i in range(buildings):
            x0, y0 = (i % side) * 20.0, (i // side) * 20.0
            oid = f"B{i:07d}"
            own = [] if seq else doc["vertices"]
            obj = building(i, own, rng, x0, y0, scale, boxes=boxes)
            if seq:
                feature = {"type": "CityJSONFeature", "id": oid, "CityObjects": {oid: obj}, "vertices": own}
                fh.write(json.dumps(feature, separators=(",", ":")) + "\n")
            else:
                doc["CityObjects"][oid] = obj
        if not seq:
            json.dump(doc, fh, separators=(",", ":"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--crs", default="EPSG:7415", choices=sorted(CRS_ORIGINS))
    parser.add_argument("--boxes", action="store_true", help="rectangular footprints without semantics")
    args = parser.parse_args()
    path = generate(args.out, buildings=args.buildings, crs=args.crs, boxes=args.boxes)
    print(f"{path}: {args.buildings} buildings, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
