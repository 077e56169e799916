"""The scene of a whole project on one plotter: visuals, ground, lights, legend, scale, picking, camera.

``SceneView(project, plotter)`` works the same on an off-screen ``pyvista.Plotter`` (``twin render``,
tests) and on the Qt window's ``pyvistaqt.QtInteractor``. Call it from the GUI thread only; after the
project changed (import, removal, restyle) call :meth:`SceneView.sync`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable

import numpy as np

from twin.errors import ProjectError, TwinError
from twin.plugins.registry import PluginError, PluginRegistry
from twin.render.overlay import Overlay
from twin.render.registry import create_visual
from twin.render.visual import Visual
from twin.scene.camera import CameraPose, direction, fit_pose, preset_direction
from twin.scene.ground import ground_grid, ground_plane
from twin.scene.origin import LocalOrigin, project_origin
from twin.scene.picking import Pick, Picker
from twin.scene.style import Style, distinct_color

log = logging.getLogger(__name__)

#: the ground is drawn unlit in the colour of the bottom of the sky gradient: its far edge melts into a haze
GROUND_COLOR = "#d9ddd6"
GRID_COLOR = "#c9cec6"
BACKGROUND_BOTTOM = GROUND_COLOR
BACKGROUND_TOP = "#b7cadc"
#: ground opacity when some layer lies below it (pipes, tunnels)
GROUND_SEE_THROUGH = 0.45
#: nearest clipping plane as a part of the farthest: small, so that close-ups over a wide ground are not cut
NEAR_PLANE_TOLERANCE = 0.0002
SUN_AZIMUTH, SUN_ELEVATION, SUN_INTENSITY = 235.0, 50.0, 0.8
HEADLIGHT_INTENSITY = 0.15


class SceneView:
    """All layers of a project drawn on one plotter, with picking, selection and camera presets."""

    def __init__(
        self,
        project,
        plotter,
        *,
        origin: LocalOrigin | None = None,
        plugins: PluginRegistry | None = None,
        overlays: bool = True,
    ) -> None:
        self.project = project
        self.plotter = plotter
        self.origin = origin or project_origin(project)
        self.plugins = plugins
        self.visuals: dict[str, Visual] = {}
        #: layers that could not be drawn, with the reason
        self.problems: dict[str, str] = {}
        self.picker = Picker()
        self.selection: frozenset[tuple[str, int]] = frozenset()
        self.overlay = Overlay(plotter.renderer) if overlays else None
        self._ground = None
        self._grid = None
        self._styles: dict[str, str] = {}
        self._layout_size: tuple[int, int] | None = None
        self._observer = None

    # ----- building --------------------------------------------------------------------------
    def load(self, *, layers: Iterable[str] | None = None, camera: str = "iso") -> "SceneView":
        """Draw the project's layers (all, or the named ones), the ground and overlays; set the camera."""
        plotter = self.plotter
        plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
        plotter.renderer.SetNearClippingPlaneTolerance(NEAR_PLANE_TOLERANCE)
        set_lights(plotter)
        wanted = None if layers is None else list(layers)
        catalogue = self.project.layers()
        if wanted is not None:
            known = {layer.name for layer in catalogue}
            for name in wanted:
                if name not in known:
                    self.project.layer(name)  # raises the one-line error naming the known layers
            catalogue = [layer for layer in catalogue if layer.name in wanted]
        for layer in catalogue:
            self._add_layer(layer)
        self._update_ground()
        self.update_overlays()
        if self._observer is None:
            self._observer = plotter.renderer.AddObserver("StartEvent", self._before_render)
        self.view(camera)
        return self

    def _add_layer(self, layer) -> None:
        try:
            visual = create_visual(self.project, layer, self.origin, plugins=self.plugins)
            if visual is None:
                self.problems[layer.name] = f"nothing to draw for a layer of kind {layer.kind!r}"
                return
            visual.style = self._distinct(layer, visual.style)
            visual.add_to(self.plotter)
        except (TwinError, PluginError, ValueError) as exc:
            self.problems[layer.name] = str(exc)
            log.warning("layer %s not drawn: %s", layer.name, exc)
            return
        self.visuals[layer.name] = visual
        self._styles[layer.name] = _stored(layer.style)
        self.picker.prepare(visual.pick_targets())

    def sync(self) -> None:
        """Bring the scene in line with the project: new layers drawn, removed ones dropped, restyled ones redrawn."""
        catalogue = {layer.name: layer for layer in self.project.layers()}
        for name in [n for n in self.visuals if n not in catalogue]:
            self.visuals.pop(name).remove_from(self.plotter)
            self._styles.pop(name, None)
        for name, layer in catalogue.items():
            visual = self.visuals.get(name)
            if visual is None and name not in self.problems:
                self._add_layer(layer)
            elif visual is not None and _stored(layer.style) != self._styles.get(name):
                visual.layer = layer
                self.set_style(name, self._distinct(layer, visual.style_from(layer.style)), save=False)
        self.problems = {k: v for k, v in self.problems.items() if k in catalogue}
        self._update_ground()
        self.update_overlays()

    def _distinct(self, layer, style: Style) -> Style:
        """A layer without a colour of its own gets one that no other drawn layer shows."""
        if "color" in (layer.style or {}):
            return style
        taken = {v.style.color.lower() for name, v in self.visuals.items() if name != layer.name}
        return style if style.color.lower() not in taken else style.replace(color=distinct_color(taken))

    # ----- layers ----------------------------------------------------------------------------
    def visual(self, name: str) -> Visual:
        """The visual of a drawn layer; ProjectError naming the drawn layers otherwise."""
        if name not in self.visuals:
            self.project.layer(name)
            reason = self.problems.get(name, "it is not drawn")
            raise ProjectError(f"layer {name!r} is not in the scene: {reason}")
        return self.visuals[name]

    def set_style(self, name: str, style: Style, *, save: bool = True) -> None:
        """Restyle a layer (and store the style in the project unless ``save`` is False)."""
        visual = self.visual(name)
        style.validate(layer=repr(name))
        if save:
            self.project.set_style(name, style.to_dict())
        visual.apply_style(style)
        self._styles[name] = _stored(style.to_dict() if save else self.project.layer(name).style)
        self.update_overlays()

    def set_visible(self, name: str, flag: bool) -> None:
        """Show or hide a layer for this view only (the stored style is unchanged)."""
        self.visual(name).set_visible(flag)
        self.update_overlays()

    def set_time(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        """Pass a time range to every visual; True when any of them changed (render again)."""
        changed = False
        for visual in self.visuals.values():
            changed = bool(visual.set_time(start, end)) or changed
        return changed

    # ----- picking and selection -------------------------------------------------------------
    def pick(self, x: float, y: float) -> Pick | None:
        """The layer and feature under pixel (x, y), counted from the window's top-left corner."""
        targets = [t for v in self.visuals.values() for t in v.pick_targets()]
        return self.picker.pick(self.plotter.renderer, x, y, targets, self.origin)

    def select(self, items: Iterable[tuple[str, int]]) -> None:
        """Highlight a selection of (layer, fid); an empty selection clears it."""
        self.selection = frozenset((str(layer), int(fid)) for layer, fid in items)
        for name, visual in self.visuals.items():
            visual.highlight({fid for layer, fid in self.selection if layer == name})

    # ----- camera ----------------------------------------------------------------------------
    def scene_bounds(self, layers: Iterable[str] | None = None) -> tuple[float, ...] | None:
        """Local bounds of the drawn (or named) layers."""
        names = list(layers) if layers is not None else list(self.visuals)
        boxes = [b for b in (self.visual(n).bounds() for n in names) if b is not None]
        if not boxes:
            return None
        b = np.array(boxes)
        return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), b[:, 4].min(), b[:, 5].max())

    def view(self, target: str = "iso", *, fid: int | None = None) -> CameraPose:
        """Point the camera: a preset (``iso``, ``top``, ``north``...) over the whole scene, a layer
        name (iso over that layer), or one feature of a layer (``fid``)."""
        try:
            azimuth, elevation = preset_direction(target)
            bounds, margin = self.scene_bounds(), 1.02
        except ValueError:
            azimuth, elevation = preset_direction("iso")
            visual = self.visual(target)
            bounds = visual.bounds(fid)
            margin = 1.15 if fid is None else 1.6
            if bounds is None:
                what = f"feature {fid} of layer {target!r}" if fid is not None else f"layer {target!r}"
                raise ProjectError(f"{what} has nothing drawn to look at")
        if bounds is None:
            bounds = (-100.0, 100.0, -100.0, 100.0, 0.0, 10.0)
        width, height = self.plotter.window_size
        reserved = min(self.overlay.width, width // 3) if self.overlay is not None else 0  # keep clear of the legend
        usable = max(width - reserved, 1)
        pose = fit_pose(bounds, azimuth=azimuth, elevation=elevation, aspect=usable / max(height, 1), margin=margin)
        if reserved:
            pose = pose.panned(reserved / 2.0, 0.0, height)
        renderer = self.plotter.renderer
        renderer.camera_set = True  # tells pyvista not to reset it at the first render
        pose.apply(renderer.GetActiveCamera())
        renderer.ResetCameraClippingRange()
        return pose

    # ----- ground and overlays ---------------------------------------------------------------
    def _update_ground(self) -> None:
        """The ground plane and its grid around the drawn layers (see-through when something lies below it)."""
        bounds = self.scene_bounds()
        if bounds is None:
            return
        under = any(getattr(v, "underground", False) for v in self.visuals.values())
        common = dict(pickable=False, reset_camera=False, render=False, lighting=False)
        self._ground = self.plotter.add_mesh(ground_plane(bounds), color=GROUND_COLOR, name="twin:ground",
                                             opacity=GROUND_SEE_THROUGH if under else 1.0, **common)
        mapper = self._ground.GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(2.0, 2.0)  # behind what lies on it
        grid, _ = ground_grid(bounds, self.origin)
        self._grid = self.plotter.add_mesh(grid, color=GRID_COLOR, line_width=1.0, name="twin:grid",
                                           opacity=0.6 if under else 1.0, **common)

    def update_overlays(self) -> None:
        """Lay out the legend (visible layers, display order) and the scale hint again."""
        if self.overlay is None:
            return
        blocks = []
        for visual in self.visuals.values():
            if visual.visible and visual.style.visible and visual.bounds() is not None:  # drawn, not empty
                block = visual.legend()
                if block is not None:
                    blocks.append(block)
        self.overlay.set_legend(blocks)
        self._layout_size = tuple(self.plotter.window_size)
        self._update_scale()

    def _update_scale(self) -> None:
        self.overlay.update_scale(CameraPose.of(self.plotter.renderer.GetActiveCamera()))

    def _before_render(self, *_args) -> None:
        if self.overlay is None:
            return
        if tuple(self.plotter.window_size) != self._layout_size:
            self.update_overlays()
        else:
            self._update_scale()

    # ----- output ----------------------------------------------------------------------------
    def screenshot(self, path=None) -> np.ndarray:
        """Render and return the image (and write it to ``path`` when given)."""
        self.plotter.renderer.ResetCameraClippingRange()
        self.plotter.render()  # pyvista renders by itself only the first time
        return self.plotter.screenshot(path, return_img=True)

    def close(self) -> None:
        """Remove the scene's actors and observers from the plotter."""
        if self._observer is not None:
            self.plotter.renderer.RemoveObserver(self._observer)
            self._observer = None
        for visual in self.visuals.values():
            visual.remove_from(self.plotter)
        self.visuals.clear()
        if self.overlay is not None:
            self.overlay.clear()


def set_lights(plotter) -> None:
    """A sun from the south-west (fixed in the scene, so walls facing it are bright) and a soft headlight."""
    import pyvista as pv

    plotter.remove_all_lights()
    sun = pv.Light(light_type="scene light", intensity=SUN_INTENSITY)
    sun.positional = False
    sun.position = tuple(direction(SUN_AZIMUTH, SUN_ELEVATION) * 1000.0)
    sun.focal_point = (0.0, 0.0, 0.0)
    plotter.add_light(sun)
    plotter.add_light(pv.Light(light_type="headlight", intensity=HEADLIGHT_INTENSITY))


def _stored(style: dict) -> str:
    return json.dumps(style or {}, sort_keys=True, ensure_ascii=False)
