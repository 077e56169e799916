"""The visual contract: one object draws one layer on any ``pyvista.BasePlotter``.

``Visual(project, layer, origin)`` builds its meshes from the store (lazily, on ``add_to``) and
offers ``add_to(plotter)``, ``remove_from(plotter)``, ``apply_style(style)``,
``set_visible(flag)``, ``set_time(start, end) -> bool`` and ``feature_ids``. :class:`MeshVisual`
implements all of it for visuals made of a few merged meshes with a ``fid`` cell array: a
subclass only writes :meth:`MeshVisual.build`. See docs/scene.md for writing one.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from typing import Any

import numpy as np

from twin.render.overlay import LegendBlock
from twin.scene.colors import Coloring, lookup, style_coloring
from twin.scene.meshes import FID, SURFACE, cells_subset, point_fids
from twin.scene.origin import LocalOrigin
from twin.scene.picking import PickTarget
from twin.scene.style import Style, to_rgb
from twin.store.project import LayerInfo, Project

HIGHLIGHT_COLOR = "#ffb300"
#: what stood before a stage, in the stage lens's "what changed" view: a pale massing model
GHOST_COLOR = "#f1f1ec"
GHOST_EDGE_COLOR = "#c9c9c2"
_COLORS = "_twin_rgb"
_GHOST = "~context"


@dataclasses.dataclass
class Part:
    """One merged mesh of a visual and how it is drawn."""

    mesh: Any  # pv.PolyData with a ``fid`` cell array
    pickable: bool = True
    #: coloured by the style (else drawn in ``color``, by default a darker shade of the style colour)
    styled: bool = True
    color: str | None = None
    line_width: float = 1.0
    opacity: float | None = None
    #: material: ambient, diffuse, specular
    material: tuple[float, float, float] = (0.28, 0.75, 0.05)
    #: sized on screen: the mesh is moved to the view's scale before each frame (``twin.scene.screen``)
    screen: Any = None
    #: closed solids wound outwards (``twin.scene.winding``): their back faces are never seen, so not drawn
    cull_back: bool = False


def darker(color: str, factor: float = 0.6) -> str:
    """A darker shade of a colour (outlines)."""
    r, g, b = (c * factor for c in to_rgb(color))
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


class Visual:
    """Base class of layer visuals. Subclasses override what they need; static layers keep ``set_time``."""

    def __init__(self, project: Project, layer: LayerInfo, origin: LocalOrigin, *, style: Style | None = None) -> None:
        self.project = project
        self.layer = layer
        self.origin = origin
        self.style = style if style is not None else self.style_from(layer.style)
        self.plotter = None
        self.visible = True

    def suggested_color(self) -> str | None:
        """A colour for this layer when its stored style names none (e.g. blue for water pipes)."""
        return None

    def style_from(self, stored: dict[str, Any] | None) -> Style:
        """The style to draw with for a stored style dict: validated, with the kind's defaults."""
        style = Style.from_dict(stored, kind=self.layer.kind, layer=repr(self.layer.name))
        suggestion = None if "color" in (stored or {}) else self.suggested_color()
        return style.replace(color=suggestion) if suggestion else style

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def feature_ids(self) -> np.ndarray:
        """The feature ids this visual draws (sorted, unique)."""
        return np.empty(0, dtype=np.int64)

    def add_to(self, plotter) -> None:
        """Draw the layer on ``plotter`` (a ``pyvista.Plotter`` or ``pyvistaqt.QtInteractor``)."""
        self.plotter = plotter

    def remove_from(self, plotter) -> None:
        """Take every actor of the layer off ``plotter``."""
        self.plotter = None

    def apply_style(self, style: Style) -> None:
        """Redraw with a new style (colours, opacity, visibility, size...)."""
        self.style = style

    def set_visible(self, flag: bool) -> None:
        """Show or hide the layer without forgetting its style."""
        self.visible = bool(flag)

    def set_time(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        """Show the layer for the time range [start, end] (timezone-aware, or None for no time).

        Returns True when the visual changed and the view must be re-rendered; static layers return False.
        """
        return False

    def pick_targets(self) -> list[PickTarget]:
        """Actors whose cells carry feature ids for picking."""
        return []

    def set_features(self, view) -> bool:
        """Hide some features and draw others as grey context (a :class:`twin.model.lens.FeatureView`, or None
        for all); True when the picture changed. Visuals that cannot filter features ignore it."""
        return False

    def highlight(self, fids: set[int] | frozenset[int]) -> None:
        """Draw these features as selected (an empty set clears the selection)."""

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        """Local bounds (xmin, xmax, ymin, ymax, zmin, zmax) of the layer, or of one feature."""
        return None

    def legend(self) -> LegendBlock | None:
        """What this layer shows in the legend."""
        return None


class MeshVisual(Visual, abc.ABC):
    """A visual made of merged meshes (:class:`Part`) with a ``fid`` cell array on each."""

    def __init__(self, project: Project, layer: LayerInfo, origin: LocalOrigin, *, style: Style | None = None) -> None:
        super().__init__(project, layer, origin, style=style)
        self.parts: dict[str, Part] | None = None
        self.actors: dict[str, Any] = {}
        self.coloring: Coloring | None = None
        self._geometry_key: tuple | None = None
        self._highlighted: frozenset[int] = frozenset()
        self._highlight_actor = None
        self._children: tuple[np.ndarray, np.ndarray] | None = None
        self._view = None  # FeatureView of the stage lens, None: every feature as styled
        self._view_key: tuple | None = None

    # ----- to override -------------------------------------------------------------------------
    @abc.abstractmethod
    def build(self) -> dict[str, Part]:
        """The meshes of the layer for the current style (local coordinates)."""

    def geometry_key(self, style: Style) -> tuple:
        """The style fields that change the meshes (others only recolour)."""
        return (style.size, style.size_units, style.extrude, style.lod)

    def set_scale(self, metres_per_pixel: float) -> bool:
        """The view's scale (before each frame): parts sized on screen follow it; True when they moved."""
        moved = False
        for part in (self.parts or {}).values():
            if part.screen is not None and part.mesh.n_points == len(part.screen.anchors):
                moved = part.screen.resize(part.mesh, metres_per_pixel) or moved
        if moved and self.plotter is not None:
            if self._view is not None:
                self._draw()  # the lens's pieces are copies of the parts
            elif self._highlighted:
                self._draw_highlight()
        return moved

    def flat_roofs(self) -> bool:
        """True when roofs should be drawn like a massing model (LoD1) rather than in roof colours."""
        return False

    # ----- the contract ------------------------------------------------------------------------
    def ensure_built(self) -> dict[str, Part]:
        key = self.geometry_key(self.style)
        if self.parts is None or key != self._geometry_key:
            self.parts = self.build()
            self._geometry_key = key
            self.coloring = None
        return self.parts

    @property
    def feature_ids(self) -> np.ndarray:
        parts = self.ensure_built()
        arrays = [p.mesh.cell_data[FID] for p in parts.values() if p.pickable and p.mesh.n_cells]
        return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.int64)

    def add_to(self, plotter) -> None:
        self.plotter = plotter
        self._draw()

    def remove_from(self, plotter) -> None:
        for actor in self.actors.values():
            plotter.remove_actor(actor, render=False)
        if self._highlight_actor is not None:
            plotter.remove_actor(self._highlight_actor, render=False)
            self._highlight_actor = None
        self.actors.clear()
        self.plotter = None

    def apply_style(self, style: Style) -> None:
        self.style = style
        self.coloring = None
        if self.plotter is not None:
            self._draw()

    def set_visible(self, flag: bool) -> None:
        self.visible = bool(flag)
        shown = self.visible and self.style.visible
        for actor in self.actors.values():
            actor.SetVisibility(shown)
        if self._highlight_actor is not None:
            self._highlight_actor.SetVisibility(shown)

    def pick_targets(self) -> list[PickTarget]:
        parts = self.parts or {}
        return [PickTarget(self.name, actor) for key, actor in self.actors.items()
                if key.split(_GHOST)[0] in parts and parts[key.split(_GHOST)[0]].pickable]

    def set_features(self, view) -> bool:
        plain = view is None or not (view.all_ghosted or view.hidden.size or view.ghosted.size or view.accent)
        key = None if plain else view.key
        if key == self._view_key:
            return False
        if key is None:
            self._view = None
        else:
            self._view = (True, None, None, None) if view.all_ghosted else (
                False, self.with_parts(view.hidden) if view.hidden.size else view.hidden,
                self.with_parts(view.ghosted) if view.ghosted.size else view.ghosted, view.accent)
        self._view_key = key
        if self.plotter is not None:
            self._draw()
        return True

    def _split(self, mesh):
        """(drawn as styled, drawn as context) pieces of a part's mesh under the lens's feature view."""
        if self._view is None or FID not in mesh.cell_data:
            return mesh, None
        all_ghosted, hidden, ghosted, _accent = self._view
        if all_ghosted:
            return None, mesh
        fids = np.asarray(mesh.cell_data[FID])
        hide = np.isin(fids, hidden) if hidden.size else np.zeros(fids.size, bool)
        ghost = np.isin(fids, ghosted) if ghosted.size else np.zeros(fids.size, bool)
        if not hide.any() and not ghost.any():
            return mesh, None
        keep = ~hide & ~ghost
        return (cells_subset(mesh, np.flatnonzero(keep)) if keep.any() else None,
                cells_subset(mesh, np.flatnonzero(ghost)) if ghost.any() else None)

    def with_parts(self, fids) -> np.ndarray:
        """The given features and their parts (a CityJSON Building is drawn by its BuildingParts)."""
        wanted = np.fromiter((int(f) for f in fids), dtype=np.int64)
        if self._children is None:
            self._children = _child_links(self.project, self.layer)
        parents, children = self._children
        return np.union1d(wanted, children[np.isin(parents, wanted)]) if parents.size else wanted

    def bounds(self, fid: int | None = None) -> tuple[float, ...] | None:
        meshes = [p.mesh for p in self.ensure_built().values() if p.mesh.n_cells]
        if fid is not None:
            family = self.with_parts([fid])
            meshes = [cells_subset(m, np.flatnonzero(np.isin(m.cell_data[FID], family))) for m in meshes if FID in m.cell_data]
            meshes = [m for m in meshes if m.n_cells]
        if not meshes:
            return None
        b = np.array([m.bounds for m in meshes], dtype=np.float64)
        return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), b[:, 4].min(), b[:, 5].max())

    def legend(self) -> LegendBlock | None:
        coloring = self._coloring()
        if coloring.mode == "constant":
            return LegendBlock(self.name, [(self.name, coloring.color)])
        if coloring.mode == "scalars":
            return LegendBlock(self.name, colormap=coloring.colormap, clim=coloring.clim, subtitle=coloring.title)
        subtitle = "" if coloring.title == "surface" else coloring.title
        return LegendBlock(self.name, list(coloring.legend), subtitle=subtitle)

    def highlight(self, fids) -> None:
        self._highlighted = frozenset(int(f) for f in fids)
        if self.plotter is not None:
            self._draw_highlight()

    # ----- drawing ----------------------------------------------------------------------------
    def _coloring(self) -> Coloring:
        if self.coloring is None:
            styled = [p.mesh for p in self.ensure_built().values() if p.styled and p.mesh.n_cells]
            surfaces = None
            if styled and all(SURFACE in m.cell_data for m in styled):
                surfaces = np.unique(np.concatenate([np.unique(m.cell_data[SURFACE]) for m in styled]))
            self.coloring = style_coloring(self.style, project=self.project, layer=self.layer, surfaces=surfaces,
                                           flat_roofs=self.flat_roofs())
        return self.coloring

    def _color_arrays(self, mesh, coloring: Coloring) -> dict[str, Any]:
        """Put the colouring on a mesh (per point for per-feature colours, else per cell); add_mesh arguments."""
        name = _COLORS if coloring.mode == "rgb" else (coloring.title or "value")
        where = "point"
        keys = point_fids(mesh) if coloring.key == FID else None
        if keys is None:
            keys, where = mesh.cell_data[coloring.key], "cell"
        values = lookup(coloring, keys, layer=repr(self.name))
        (mesh.point_data if where == "point" else mesh.cell_data)[name] = values
        if coloring.mode == "rgb":
            return dict(scalars=name, rgb=True, preference=where)
        return dict(scalars=name, cmap=coloring.colormap, clim=coloring.clim, nan_color="#b0b0b0", preference=where)

    def _draw(self) -> None:
        plotter = self.plotter
        parts = self.ensure_built()
        coloring = self._coloring()
        for actor in self.actors.values():
            plotter.remove_actor(actor, render=False)
        self.actors.clear()
        for key, part in parts.items():
            self._draw_part(key, part, coloring)
        self.set_visible(self.visible)
        self._draw_highlight()

    def _draw_part(self, key: str, part: Part, coloring: Coloring) -> None:
        """Add the actors of one part (its styled piece and its stage-lens context) to the plotter."""
        plotter = self.plotter
        if not part.mesh.n_cells:
            return
        mesh, ghost = self._split(part.mesh)
        common: dict[str, Any] = dict(
            ambient=part.material[0], diffuse=part.material[1], specular=part.material[2],
            line_width=part.line_width, smooth_shading=False, show_scalar_bar=False,
            pickable=part.pickable, reset_camera=False, render=False)
        if mesh is not None and mesh.n_cells:
            kwargs = dict(common, name=f"{self.layer.id}:{key}",
                          opacity=part.opacity if part.opacity is not None else float(self.style.opacity))
            accent = self._view[3] if self._view is not None else None
            if part.styled and accent:  # what the stage added, in the stage's colour
                kwargs.update(color=accent)
            elif part.styled and coloring.mode != "constant":
                kwargs.update(self._color_arrays(mesh, coloring))
            elif part.styled:
                kwargs.update(color=coloring.color)
            else:
                kwargs.update(color=part.color or darker(self.style.color))
            self.actors[key] = plotter.add_mesh(mesh, **kwargs)
            if part.cull_back:
                self.actors[key].GetProperty().BackfaceCullingOn()
        if ghost is not None and ghost.n_cells:
            self.actors[key + _GHOST] = plotter.add_mesh(
                ghost, color=GHOST_COLOR if part.styled else GHOST_EDGE_COLOR, name=f"{self.layer.id}:{key}{_GHOST}",
                opacity=min(float(self.style.opacity), part.opacity or 1.0), **common)

    def _draw_highlight(self) -> None:
        plotter = self.plotter
        if self._highlight_actor is not None:
            plotter.remove_actor(self._highlight_actor, render=False)
            self._highlight_actor = None
        if not self._highlighted:
            return
        wanted = self.with_parts(self._highlighted)
        if self._view is not None and not self._view[0] and self._view[1].size:
            wanted = np.setdiff1d(wanted, self._view[1])  # hidden by the stage lens
        pieces = self._highlight_pieces(wanted)
        if not pieces:
            return
        selected = pieces[0].merge(pieces[1:]) if len(pieces) > 1 else pieces[0]
        actor = plotter.add_mesh(selected, color=HIGHLIGHT_COLOR, ambient=0.45, diffuse=0.6, specular=0.0,
                                 pickable=False, reset_camera=False, render=False, name=f"{self.layer.id}:highlight")
        mapper = actor.GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-2.0, -4.0)
        mapper.SetRelativeCoincidentTopologyLineOffsetParameters(-2.0, -4.0)
        actor.SetVisibility(self.visible and self.style.visible)
        self._highlight_actor = actor

    def _highlight_pieces(self, wanted: np.ndarray) -> list:
        """The meshes of the wanted features (drawn over them in the highlight colour)."""
        pieces = []
        for part in self.ensure_built().values():
            if part.pickable and part.mesh.n_cells:
                cells = np.flatnonzero(np.isin(part.mesh.cell_data[FID], wanted))
                if cells.size:
                    pieces.append(cells_subset(part.mesh, cells))
        return pieces


def _child_links(project: Project, layer: LayerInfo) -> tuple[np.ndarray, np.ndarray]:
    """(parent fid, child fid) arrays of a layer with a ``parent_fid`` column (two levels deep)."""
    columns = project.query(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND column_name = 'parent_fid'", [layer.table_name]
    )
    if columns.num_rows == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    links = project.query(
        f"SELECT c.parent_fid::BIGINT AS parent, c.fid AS child FROM {layer.ref()} c WHERE c.parent_fid IS NOT NULL "
        f"UNION ALL SELECT g.parent_fid::BIGINT, c.fid FROM {layer.ref()} c "
        f"JOIN {layer.ref()} g ON c.parent_fid = g.fid WHERE g.parent_fid IS NOT NULL"
    )
    return (links.column("parent").to_numpy().astype(np.int64), links.column("child").to_numpy().astype(np.int64))
