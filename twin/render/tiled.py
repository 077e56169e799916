"""Large building layers drawn tile by tile: frustum culling, levels of detail, background loading.

A buildings layer of more than :data:`TILED_MIN` features (or one that lives in an external dataset) is drawn
by :class:`TiledBuildingVisual` instead of one merged mesh. Before every frame (``set_scale``) it chooses per
tile (:mod:`twin.scene.tiling`): culled, full (the tile's own mesh rows, one actor per tile, nearest first up to
:data:`FULL_BUDGET` triangles) or merged blocks at a grid fine enough for the tile's size on screen; every
block tile goes into one "far" mesh, rebuilt only when the choice changes. The first frame draws the coarse
blocks of the whole layer; full tiles load on a worker thread (:class:`twin.scene.tileloader.TileLoader`, the
newest view winning) and are kept in an LRU of :data:`CACHE_TRIANGLES`. The window registers how to run code
on its main thread with :func:`set_main_thread`; without it (``twin render``) the tiles a frame needs are
loaded before it is drawn.

Picking (:meth:`TiledBuildingVisual._intersect`) tests the ray against every feature's box in the tiles it
crosses and then the exact triangles of the nearest candidates, read from the store: the feature under the
pixel is found whatever level its tile is drawn at. A selected feature is highlighted from its own mesh rows.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from twin.layerdata import SURFACE_CODES
from twin.render.visual import Part
from twin.render.visuals import BuildingVisual
from twin.scene.colors import Coloring, style_coloring
from twin.scene.meshes import FID, SURFACE, has_mesh, rows_to_polydata, solids_first, take_cells
from twin.scene.picking import PickTarget, box_slabs, ray_triangles
from twin.scene.tileloader import LRU, TileLoader
from twin.scene.tilesource import tile_source
from twin.scene.tiling import BLOCK_GRIDS, CULLED, FULL, Blocks, ViewState, box_mesh, choose_levels

#: layers with more features than this are drawn tiled
TILED_MIN = 50_000
#: triangles drawn from full tiles in one frame (the rest are blocks)
FULL_BUDGET = 600_000
#: triangles of loaded tiles kept in memory (least recently used dropped beyond)
CACHE_TRIANGLES = 4_000_000
#: features whose exact triangles are read per step of a pick
PICK_BATCH = 32
MATERIAL = (0.55, 0.6, 0.02)
#: field of a tile mesh: how many of its first triangles belong to outward-wound solids
SOLID_CELLS = "solid_cells"
#: suffix of the part holding a tile's other triangles (drawn with their back faces)
OPEN = "~open"

_MAIN_THREAD: "weakref.WeakKeyDictionary[object, Callable]" = weakref.WeakKeyDictionary()


def set_main_thread(plotter, post: Callable[[Callable[[], None]], None] | None) -> None:
    """How tiled visuals on ``plotter`` hand loaded tiles to the main thread: ``post(fn)`` runs ``fn`` there
    soon and then repaints (the window: a queued Qt signal). None: load synchronously (off-screen)."""
    if post is None:
        _MAIN_THREAD.pop(plotter, None)
    else:
        _MAIN_THREAD[plotter] = post


def wants_tiles(project, layer) -> bool:
    """True for a layer drawn tiled: an external dataset, or a mesh table of more than :data:`TILED_MIN` features."""
    if isinstance(layer.properties.get("dataset"), dict):
        return True
    return int(layer.feature_count or 0) > TILED_MIN and has_mesh(project, layer)


class TiledBuildingVisual(BuildingVisual):
    """A large buildings layer, tile by tile (see the module docstring)."""

    def __init__(self, project, layer, origin, *, style=None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.source = None
        self.blocks: Blocks | None = None
        self.cache = LRU(CACHE_TRIANGLES, lambda mesh: int(mesh.n_cells))
        self.loader: TileLoader | None = None
        self.levels = np.empty(0, dtype=np.int64)
        self.drawn: list[str] = []  # keys of the tiles drawn full
        self._state: tuple | None = None
        self._requested: tuple = ()
        self._epoch = 0
        self._surfaces = np.empty(0, dtype=np.uint8)

    # ----- building ----------------------------------------------------------------------------
    def build(self) -> dict[str, Part]:
        self._epoch += 1
        self.cache.clear()
        self.drawn, self._state, self._requested = [], None, ()
        source = self.source = tile_source(self.project, self.layer)
        tiles = source.tiles()
        self.keys = [t.key for t in tiles]
        self._index_of = {k: i for i, k in enumerate(self.keys)}
        box = np.array([t.bbox for t in tiles], dtype=np.float64).reshape(-1, 6)
        xyz = self.origin.xyz
        self.tile_lo, self.tile_hi = box[:, :3] - xyz, box[:, 3:] - xyz
        self.counts = np.array([t.count for t in tiles], dtype=np.int64)
        boxes = source.boxes() if hasattr(source, "boxes") else None
        if boxes is not None and "tile_index" in boxes:  # each feature's tile as its place in tiles()
            tile_index = np.asarray(boxes["tile_index"], dtype=np.int64)
        elif boxes is not None:
            names, inverse = np.unique(boxes["tile"], return_inverse=True)  # tile keys (numbers or text)
            numeric = np.issubdtype(names.dtype, np.integer)
            tile_index = np.array([self._index_of.get(str(int(k)) if numeric else str(k), 0) for k in names],
                                  dtype=np.int64)[inverse]
        if boxes is not None:
            lo = np.column_stack([boxes[c] for c in ("xmin", "ymin", "zmin")]) - xyz
            hi = np.column_stack([boxes[c] for c in ("xmax", "ymax", "zmax")]) - xyz
            self.blocks = Blocks(boxes["fid"], tile_index, lo, hi, self.tile_lo, self.tile_hi)
        else:  # a source without per-feature boxes: one block per tile, picked through its rows
            self.blocks = Blocks(np.full(len(tiles), -1), np.arange(len(tiles)), self.tile_lo, self.tile_hi,
                                 self.tile_lo, self.tile_hi)
        self.per_feature = 12.0
        if len(tiles):  # one tile now: the triangles per feature (the budget) and the surface types (the legend)
            first = int(np.argmax(self.counts))
            mesh = self._load((self._epoch, self.keys[first]))
            self.cache.put(self.keys[first], mesh)
            self.per_feature = max(mesh.n_cells / max(self.counts[first], 1), 1.0)
            blocks = [SURFACE_CODES["RoofSurface"], SURFACE_CODES["WallSurface"]]  # what the far blocks show
            self._surfaces = np.union1d(np.unique(mesh.cell_data[SURFACE]), blocks).astype(np.uint8)
        self.levels = np.full(len(tiles), len(BLOCK_GRIDS), dtype=np.int64)
        return {"far": Part(self._far_mesh(self.levels), material=MATERIAL, cull_back=True)}

    def _load(self, item: tuple) -> object:
        """A tile's mesh, its outward-wound solids first (their count in ``field_data``: back faces culled)."""
        epoch, key = item
        mesh, solid = solids_first(rows_to_polydata(self.source.mesh_rows([key], lod=self.style.lod), self.origin))
        mesh.field_data[SOLID_CELLS] = np.array([solid], dtype=np.int64)
        return mesh

    def _tile_parts(self, key: str) -> dict[str, Part]:
        """The parts of a full tile: its solids with back faces culled, the rest (open or inward surfaces) not."""
        mesh = self.cache.get(key)
        solid = int(mesh.field_data[SOLID_CELLS][0]) if SOLID_CELLS in mesh.field_data else 0
        if solid == mesh.n_cells:
            return {f"t{key}": Part(mesh, material=MATERIAL, cull_back=True)}
        if solid == 0:
            return {f"t{key}": Part(mesh, material=MATERIAL)}
        return {f"t{key}": Part(take_cells(mesh, slice(0, solid)), material=MATERIAL, cull_back=True),
                f"t{key}{OPEN}": Part(take_cells(mesh, slice(solid, None)), material=MATERIAL)}

    def _loaded(self, item: tuple, mesh) -> None:
        epoch, key = item
        if epoch == self._epoch and mesh is not None:
            self.cache.put(key, mesh, pinned=set(self.drawn))

    def _far_mesh(self, levels: np.ndarray):
        """The blocks of every tile drawn as blocks (levels 1..), as one mesh."""
        pieces = []
        for level in range(1, len(BLOCK_GRIDS) + 1):
            if not (levels == level).any():
                continue
            tile, lo, hi, fid = self.blocks.level(level)
            keep = levels[tile] == level
            pieces.append((lo[keep], hi[keep], fid[keep]))
        if not pieces:
            return box_mesh(np.empty((0, 3)), np.empty((0, 3)), np.empty(0))
        return box_mesh(*(np.concatenate([p[i] for p in pieces]) for i in range(3)))

    # ----- every frame -------------------------------------------------------------------------
    def add_to(self, plotter) -> None:
        post = _MAIN_THREAD.get(plotter)
        if self.loader is not None:
            self.loader.close()
        self.loader = TileLoader(self._load, self._loaded, deliver=post)
        super().add_to(plotter)
        self.update_tiles()

    def remove_from(self, plotter) -> None:
        if self.loader is not None:
            self.loader.close()
            self.loader = None
        super().remove_from(plotter)

    def set_scale(self, metres_per_pixel: float) -> bool:
        super().set_scale(metres_per_pixel)
        return self.update_tiles()

    def update_tiles(self) -> bool:
        """Choose the tiles' levels for the plotter's camera, load what is missing, redraw what changed."""
        if self.plotter is None or not (self.visible and self.style.visible) or self.parts is None:
            return False
        width, height = self.plotter.window_size
        view = ViewState.of(self.plotter.renderer.GetActiveCamera(), width, height)
        levels = choose_levels(view, self.tile_lo, self.tile_hi, self.counts, self.counts * self.per_feature,
                               budget=FULL_BUDGET)
        full = np.flatnonzero(levels == FULL)
        missing = [(self._epoch, self.keys[i]) for i in full if self.keys[i] not in self.cache]
        if missing and tuple(missing) != self._requested:
            self._requested = tuple(missing)
            self.loader.request(missing)
        drawn = [self.keys[i] for i in full if self.keys[i] in self.cache]
        shown = levels.copy()
        shown[[i for i in full if self.keys[i] not in self.cache]] = 1  # until loaded: the finest blocks
        self.levels = shown
        state = (tuple(drawn), shown.tobytes())
        if state == self._state:
            return False
        self._state = state
        self._redraw(shown, drawn)
        return True

    def _redraw(self, levels: np.ndarray, drawn: list[str]) -> None:
        coloring = self._coloring()
        old = set(self.drawn)
        for key in old - set(drawn):
            self._remove_part(f"t{key}")
            self._remove_part(f"t{key}{OPEN}")
        self._remove_part("far")
        # boxes wound outwards, seen only from above the ground: their back faces are never seen
        self.parts["far"] = Part(self._far_mesh(levels), material=MATERIAL, cull_back=True)
        self._draw_part("far", self.parts["far"], coloring)
        for key in drawn:
            if key not in old:
                for name, part in self._tile_parts(key).items():
                    self.parts[name] = part
                    self._draw_part(name, part, coloring)
            else:
                self.cache.get(key)  # recently used
        self.drawn = drawn
        self.set_visible(self.visible)

    def _remove_part(self, key: str) -> None:
        if key != "far":
            self.parts.pop(key, None)
        for name in (key, key + "~context"):
            actor = self.actors.pop(name, None)
            if actor is not None:
                self.plotter.remove_actor(actor, render=False)

    def _coloring(self) -> Coloring:
        if self.coloring is None:
            self.coloring = style_coloring(self.style, project=self.project, layer=self.layer,
                                           surfaces=self._surfaces, flat_roofs=self.flat_roofs())
        return self.coloring

    # ----- features ----------------------------------------------------------------------------
    @property
    def feature_ids(self) -> np.ndarray:
        self.ensure_built()
        return np.unique(self.blocks.fid[self.blocks.fid >= 0])

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        self.ensure_built()
        if fid is None:
            lo, hi = self.tile_lo, self.tile_hi
        else:
            rows = np.isin(self.blocks.fid, self.with_parts([fid]))
            lo, hi = self.blocks.lo[rows], self.blocks.hi[rows]
        if not len(lo):
            return None
        lo, hi = lo.min(axis=0), hi.max(axis=0)
        return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])

    def _rows_mesh(self, fids: np.ndarray):
        if hasattr(self.source, "feature_rows"):
            return rows_to_polydata(self.source.feature_rows(fids.tolist(), lod=self.style.lod), self.origin)
        return None

    def _highlight_pieces(self, wanted: np.ndarray) -> list:
        mesh = self._rows_mesh(np.asarray(wanted, dtype=np.int64))
        return [mesh] if mesh is not None and mesh.n_cells else super()._highlight_pieces(wanted)

    # ----- picking -----------------------------------------------------------------------------
    def pick_targets(self) -> list[PickTarget]:
        return [PickTarget(self.name, self.actors.get("far"), intersect=self._intersect)]

    def _intersect(self, origin: np.ndarray, direction: np.ndarray) -> tuple[float, int] | None:
        """(t, fid) of the nearest feature the ray hits, among the tiles drawn (full or blocks)."""
        if not (self.visible and self.style.visible) or self.blocks is None:
            return None
        near, far = box_slabs(self.tile_lo.T, self.tile_hi.T, origin, direction)
        crossed = np.flatnonzero((far >= near) & (far >= 0) & (self.levels != CULLED))
        if not crossed.size:
            return None
        if self.blocks.fid.size and self.blocks.fid[0] < 0:  # no feature boxes: test the tiles' own rows
            return self._intersect_tiles(crossed[np.argsort(near[crossed])], origin, direction)
        rows = np.flatnonzero(np.isin(self.blocks.tile, crossed))
        fids = self.blocks.fid[rows]
        near, far = box_slabs(self.blocks.lo[rows].T, self.blocks.hi[rows].T, origin, direction)
        hit = np.flatnonzero((far >= near) & (far >= 0))
        if self._view is not None and not self._view[0] and self._view[1].size:
            hit = hit[~np.isin(fids[hit], self._view[1])]  # hidden by the stage lens
        hit = hit[np.argsort(near[hit], kind="stable")]
        best: tuple[float, int] | None = None
        for start in range(0, len(hit), PICK_BATCH):
            batch = hit[start:start + PICK_BATCH]
            if best is not None and best[0] < near[batch[0]]:
                break
            found = self._exact_features(fids[batch], self.blocks.tile[rows[batch]], origin, direction)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best

    def _exact_features(self, fids: np.ndarray, tiles: np.ndarray, origin, direction) -> tuple[float, int] | None:
        """The nearest hit on these features' triangles: from the loaded tiles in memory, else from the store."""
        best, stored = None, np.ones(len(fids), dtype=bool)
        for tile in np.unique(tiles):  # a few tiles per batch
            mesh = self.cache.items.get(self.keys[int(tile)])
            if mesh is None:
                continue
            mine = tiles == tile
            stored &= ~mine
            cells = np.flatnonzero(np.isin(mesh.cell_data[FID], fids[mine]))
            found = self._exact(mesh, origin, direction, cells)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        if stored.any():
            found = self._exact(self._rows_mesh(fids[stored]), origin, direction)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best

    def _intersect_tiles(self, order: np.ndarray, origin, direction) -> tuple[float, int] | None:
        for i in order[:8]:
            found = self._exact(self.cache.get(self.keys[i]) or self._load((self._epoch, self.keys[i])), origin, direction)
            if found is not None:
                return found
        return None

    @staticmethod
    def _exact(mesh, origin, direction, cells: np.ndarray | None = None) -> tuple[float, int] | None:
        """(t, fid) of the nearest of a mesh's triangles (or of some ``cells``) the ray hits, or None."""
        if mesh is None or not mesh.n_cells or (cells is not None and not cells.size):
            return None
        faces = mesh.regular_faces if cells is None else mesh.regular_faces[cells]
        t = ray_triangles(origin, direction, np.asarray(mesh.points, dtype=np.float64)[faces])
        k = int(np.argmin(t))
        cell = k if cells is None else int(cells[k])
        return (float(t[k]), int(mesh.cell_data[FID][cell])) if np.isfinite(t[k]) else None
