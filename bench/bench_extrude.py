"""Benchmark of footprint extrusion (twin.geometry.extrude_footprints) against naive per-building loops.

    .venv/bin/python bench/bench_extrude.py [--buildings 100000] [--naive 2000]

The footprints are a city's mix: 75 % rectangles (turned), 15 % L-shapes (concave), 5 % towers
with notched corners (concave), 5 % courtyard blocks (a hole). All in one process:

1. ``extrude_footprints`` on all N (numpy walls for all rings at once, numpy fans for convex
   rings, one earcut call per concave polygon or polygon with holes);
2. its triangulation step alone, and ``shapely.constrained_delaunay_triangles`` on the same
   concave polygons (the alternative the brief asked to measure);
3. naive baselines on a subset (``--naive``), extrapolated linearly to N and said so: a Python
   loop per building (earcut + walls appended per edge), and ``pv.PolyData.extrude`` per building
   merged at the end.
"""

from __future__ import annotations

import argparse
import pathlib
import resource
import sys
import time

import numpy as np
import shapely

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from twin.geometry import extrude_footprints, polygon_rings  # noqa: E402
from twin.geometry.triangulate import convex_simple_polygons, triangulate_rings  # noqa: E402

E0, N0 = 200_000.0, 550_000.0


def footprints(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """``n`` footprints on a street grid (EPSG:5186-like coordinates) and their heights."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.divmod(np.arange(n), side)
    cx, cy = E0 + gx * 40.0, N0 + gy * 40.0
    w, d = rng.uniform(8, 28, n), rng.uniform(8, 24, n)
    kind = rng.choice(4, n, p=[0.75, 0.15, 0.05, 0.05])
    boxes = shapely.box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2)
    geoms = boxes.copy()
    ell = kind == 1
    geoms[ell] = shapely.difference(boxes[ell], shapely.box(cx[ell], cy[ell], cx[ell] + w[ell], cy[ell] + d[ell]))
    notch = kind == 2
    cut = np.minimum(w, d)[notch] * 0.2
    corner = shapely.box(cx[notch] + w[notch] / 2 - cut, cy[notch] + d[notch] / 2 - cut,
                         cx[notch] + w[notch], cy[notch] + d[notch])
    geoms[notch] = shapely.difference(boxes[notch], corner)
    court = kind == 3
    geoms[court] = shapely.difference(boxes[court], shapely.box(cx[court] - w[court] / 5, cy[court] - d[court] / 5,
                                                                cx[court] + w[court] / 5, cy[court] + d[court] / 5))
    angle = np.radians(rng.uniform(-20, 20, n))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    dx, dy = coords[:, 0] - cx[owner], coords[:, 1] - cy[owner]
    c, s = np.cos(angle[owner]), np.sin(angle[owner])
    turned = np.column_stack([cx[owner] + c * dx - s * dy, cy[owner] + s * dx + c * dy])
    return shapely.set_coordinates(geoms.copy(), turned), rng.uniform(3, 90, n)


def naive_loop(geoms: np.ndarray, heights: np.ndarray) -> int:
    """One building at a time in Python: earcut the roof, append floor, roof and each wall quad."""
    import mapbox_earcut

    triangles = 0
    all_vertices, all_faces = [], []
    for geom, h in zip(geoms, heights):
        for poly in getattr(geom, "geoms", [geom]):
            rings = [np.asarray(poly.exterior.coords)[:-1, :2]] + [np.asarray(r.coords)[:-1, :2] for r in poly.interiors]
            flat = np.concatenate(rings)
            ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
            cap = mapbox_earcut.triangulate_float64(flat, ends).reshape(-1, 3)
            vertices = [(x, y, 0.0) for x, y in flat] + [(x, y, float(h)) for x, y in flat]
            n = len(flat)
            faces = [tuple(t[::-1]) for t in cap] + [tuple(t + n) for t in cap]
            start = 0
            for ring in rings:
                for k in range(len(ring)):
                    a, b = start + k, start + (k + 1) % len(ring)
                    faces += [(a, b, b + n), (a, b + n, a + n)]
                start += len(ring)
            all_vertices.append(vertices)
            all_faces.append(faces)
            triangles += len(faces)
    return triangles


def naive_pyvista(geoms: np.ndarray, heights: np.ndarray) -> int:
    """``pv.PolyData.extrude`` per building (triangulated footprint), merged at the end."""
    import pyvista as pv

    meshes = []
    for geom, h in zip(geoms, heights):
        for poly in getattr(geom, "geoms", [geom]):
            coords = np.asarray(poly.exterior.coords)[:-1]
            face = pv.PolyData(np.column_stack([coords[:, :2], np.zeros(len(coords))]),
                               faces=np.concatenate([[len(coords)], np.arange(len(coords))]))
            meshes.append(face.triangulate().extrude((0, 0, float(h)), capping=True))
    merged = pv.merge(meshes)
    return merged.n_cells


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=2_000, help="subset size for the naive loops")
    args = parser.parse_args()
    n = args.buildings
    t_gen, (geoms, heights) = timed(footprints, n)
    print(f"footprints: {n:,} generated in {t_gen:.2f} s")
    t_ours, extrusion = timed(extrude_footprints, geoms, heights)
    mesh = extrusion.mesh
    print(f"extrude_footprints: {t_ours:.3f} s for {n:,} buildings ({n / t_ours:,.0f} buildings/s), "
          f"{len(mesh.vertices):,} vertices, {len(mesh.triangles):,} triangles")
    rings = polygon_rings(geoms)
    convex = convex_simple_polygons(rings)
    t_tri, _ = timed(triangulate_rings, rings)
    hard = np.flatnonzero(~convex)
    print(f"  roofs: {len(convex):,} polygons, {int(convex.sum()):,} fanned in numpy, {len(hard):,} through earcut; "
          f"triangulation {t_tri:.3f} s")
    parts = shapely.get_parts(geoms)
    concave = parts[np.isin(np.arange(len(parts)), hard)]
    t_cdt, _ = timed(shapely.constrained_delaunay_triangles, concave)
    sub_rings = polygon_rings(concave)
    t_ear, _ = timed(triangulate_rings, sub_rings)
    print(f"  concave/holed polygons only ({len(concave):,}): earcut path {t_ear:.3f} s, "
          f"shapely.constrained_delaunay_triangles {t_cdt:.3f} s (before mapping triangles back to vertices) "
          f"-> earcut kept ({t_cdt / t_ear:.1f}x)")
    k = min(args.naive, n)
    scale = n / k
    t_loop, tris = timed(naive_loop, geoms[:k], heights[:k])
    print(f"naive Python loop per building: {t_loop:.3f} s for {k:,} -> {t_loop * scale:.1f} s for {n:,} "
          f"(extrapolated), ratio {t_loop * scale / t_ours:.0f}x slower")
    t_pv, cells = timed(naive_pyvista, geoms[:k], heights[:k])
    print(f"naive pv.PolyData.extrude per building + merge: {t_pv:.3f} s for {k:,} -> {t_pv * scale:.1f} s for "
          f"{n:,} (extrapolated; outer rings only), ratio {t_pv * scale / t_ours:.0f}x slower")
    print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
