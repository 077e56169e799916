"""The scene of a model on one plotter: visuals, ground, lights, legend, scale, caption, picking, camera.

``SceneView(model, plotter)`` draws a :class:`twin.model.twin.TwinModel` and follows its events: layers
added, removed, restyled, shown or hidden (check box or stage lens), the selection, the camera pose and
framing requests, the time range and the caption. It works the same on an off-screen ``pyvista.Plotter``
(``twin render``, ``twin movie``, tests) and on the window's ``pyvistaqt.QtInteractor``, so what the app
shows and what the CLI renders come from the same code and the same state. Use it from the GUI thread.

Hooks for an interactive host (all optional):

- ``changed()`` is called after every model event that altered the picture (the Qt view schedules a repaint);
- ``deferred(name)`` builds the visual of a layer added later (an import) elsewhere, e.g. on a worker thread,
  and hands it to :meth:`adopt`;
- ``schedule(fn)`` runs ``fn`` soon (the Qt view: on the next event-loop turn): time ranges that arrive faster
  than they can be drawn (a dragged slider) are then merged and only the newest is applied;
- ``drawn(name)`` is called after a layer's visual was drawn or restyled (its legend may have changed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable

import numpy as np

from twin.errors import ProjectError, TwinError
from twin.model.layers import LayerState
from twin.model.twin import TwinModel
from twin.plugins.registry import PluginError
from twin.present.camera import capture_camera, restore_camera
from twin.render.caption import CaptionOverlay
from twin.render.links import LinkOverlay, links_legend
from twin.render.overlay import LegendBlock, Overlay
from twin.render.registry import create_visual
from twin.render.visual import GHOST_COLOR, Visual
from twin.render.backdrop import Backdrop, set_lights
from twin.scene.camera import CameraPose, fit_pose, preset_direction
from twin.scene.origin import LocalOrigin, project_origin
from twin.scene.picking import Pick, Picker
from twin.scene.style import Style, distinct_color
from twin.time.range import format_time

log = logging.getLogger(__name__)

#: nearest clipping plane as a part of the farthest: small, so that close-ups over a wide ground are not cut
NEAR_PLANE_TOLERANCE = 0.0002
SELECTION_COLOR = "#ffb300"


class SceneView:
    """The layers of a model drawn on one plotter, following the model (see the module docstring)."""

    def __init__(self, model: TwinModel, plotter, *, overlays: bool = True,
                 changed: Callable[[], None] | None = None, deferred: Callable[[str], None] | None = None,
                 schedule: Callable[[Callable[[], None]], None] | None = None,
                 drawn: Callable[[str], None] | None = None) -> None:
        self.model = model
        self.plotter = plotter
        self.overlays = overlays
        self.changed = changed
        self.deferred = deferred
        self.schedule = schedule
        self.drawn = drawn
        self._time_pending = False
        #: how many time ranges were applied to the visuals (a merged burst counts once), and the last one
        self.time_updates = 0
        self.time_range = None
        self.origin = LocalOrigin()
        self.visuals: dict[str, Visual] = {}
        #: layers that could not be drawn, with the reason
        self.problems: dict[str, str] = {}
        self.picker = Picker()
        self.selection: frozenset[tuple[str, int]] = frozenset()
        self.overlay = Overlay(plotter.renderer) if overlays else None
        self.captions = CaptionOverlay(plotter.renderer) if overlays else None
        self.link_overlay = LinkOverlay(plotter)
        self._links_key: tuple | None = None
        #: the links drawn now: the selection's, active at the model's time, between shown layers
        self.drawn_links: list = []
        self.backdrop = Backdrop(plotter)
        self._geometries = None
        self._styles: dict[str, str] = {}
        self._layer_slots: dict[str, list] = {}
        self._layout_size: tuple[int, int] | None = None
        self._observer = None
        self._placing_camera = False
        self._connections = [
            (model.events.project, self._on_project),
            (model.layers.events.inserted, self._on_inserted),
            (model.layers.events.removed, self._on_removed),
            (model.layers.events.moved, lambda *_: self._refresh_overlays()),
            (model.lens.events.changed, lambda _lens: self._show_all()),
            (model.selection.events.changed, lambda _s: self._show_selection()),
            (model.camera.events.pose, self._on_pose),
            (model.camera.events.look, self._on_look),
            (model.time.events.range, lambda _r: self._time_changed()),
            (model.caption.events.changed, lambda _c: self._show_caption()),
            (model.links.events.changed, lambda _l: self._show_links()),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._prepare_plotter()
        self.rebuild()

    # ----- building ------------------------------------------------------------------------------
    def _prepare_plotter(self) -> None:
        plotter = self.plotter
        self.backdrop.paint_sky()
        plotter.renderer.SetNearClippingPlaneTolerance(NEAR_PLANE_TOLERANCE)
        set_lights(plotter)
        if self._observer is None:
            self._observer = plotter.renderer.AddObserver("StartEvent", self._before_render)

    def rebuild(self) -> None:
        """Draw every layer of the model again (a project was opened), then the camera, time and selection."""
        self._clear_visuals()
        project = self.model.project
        infos = [layer.info for layer in self.model.layers]
        self.origin = project_origin(project, infos) if infos else LocalOrigin()
        for layer in self.model.layers:
            self._add(layer, self._build(layer.name), timed=False)  # the time once for all, below
        self._update_ground()
        self._refresh_overlays()
        if self.model.camera.pose is not None:
            self._on_pose(self.model.camera.pose)
        else:
            self.view("iso")
        self._apply_time(notify=False)
        self._show_selection(notify=False)
        self._show_caption(notify=False)
        self._show_links(notify=False)
        self._notify()

    def _build(self, name: str) -> Visual | None:
        """The visual of a layer with its meshes built (no drawing: safe on a worker thread); None when the
        layer has nothing to draw. Errors are kept in :attr:`problems`."""
        try:
            visual = self.prepare(name)
        except (TwinError, PluginError, ValueError) as exc:
            self.problems[name] = str(exc)
            log.warning("layer %s not drawn: %s", name, exc)
            return None
        if visual is None:
            self.problems[name] = f"nothing to draw for a layer of kind {self.model.layers[name].kind!r}"
        return visual

    def prepare(self, name: str) -> Visual | None:
        """Worker side: the visual of layer ``name`` with its geometry built and indexed for picking."""
        layer = self.model.layers[name]
        visual = create_visual(self.model.project, layer.info, self.origin, plugins=self.model.registry)
        if visual is None:
            return None
        if hasattr(visual, "ensure_built"):
            parts = visual.ensure_built()  # geometry only: the colours depend on the style given on adopt
            for part in parts.values():
                if part.pickable and part.mesh.n_cells:
                    self.picker.index(part.mesh)
        return visual

    def adopt(self, name: str, visual: Visual | None, error: BaseException | None = None) -> bool:
        """GUI side: draw a visual built by :meth:`prepare` (or record why it could not be); False if not drawn."""
        layer = self.model.layers.get(name)
        if layer is None or name in self.visuals:
            return name in self.visuals
        if error is not None:
            self.problems[name] = str(error)
            return False
        if visual is None:
            self.problems[name] = f"nothing to draw for a layer of kind {layer.kind!r}"
            return False
        first = not self.visuals
        drawn = self._add(layer, visual)
        self._update_ground()
        self._refresh_overlays()
        if first and drawn and self.model.camera.last_look is None:
            self.view("iso")
        self._notify()
        return drawn

    def _add(self, layer: LayerState, visual: Visual | None, *, timed: bool = True) -> bool:
        if visual is None:
            return False
        try:
            visual.layer = layer.info
            visual.style = self._distinct(layer, visual.style_from(layer.stored))
            visual.visible = self.model.shown(layer)  # shown or hidden from its first frame (stage lens)
            visual.set_features(self.model.feature_view(layer))
            visual.add_to(self.plotter)
        except (TwinError, PluginError, ValueError) as exc:
            self.problems[layer.name] = str(exc)
            log.warning("layer %s not drawn: %s", layer.name, exc)
            return False
        self.problems.pop(layer.name, None)
        self.visuals[layer.name] = visual
        self._styles[layer.name] = _stored(layer.stored)
        self.picker.prepare(visual.pick_targets())
        self._watch(layer)
        if timed and self.model.time.range is not None:
            visual.set_time(self.model.time.range.start, self.model.time.range.end)
        fids = {fid for name, fid in self.selection if name == layer.name}
        if fids:
            visual.highlight(fids)
        if self.drawn is not None:
            self.drawn(layer.name)
        return True

    def _distinct(self, layer: LayerState, style: Style) -> Style:
        """A layer without a colour of its own gets one that no other drawn layer shows."""
        if "color" in layer.stored:
            return style
        taken = {v.style.color.lower() for name, v in self.visuals.items() if name != layer.name}
        return style if style.color.lower() not in taken else style.replace(color=distinct_color(taken))

    # ----- following the layers ------------------------------------------------------------------
    def _watch(self, layer: LayerState) -> None:
        self._unwatch(layer.name)
        slots = [(layer.events.style, lambda _s, layer=layer: self._restyle(layer)),
                 (layer.events.name, self._on_renamed),
                 (layer.events.info, lambda _i, layer=layer: self._show(layer))]
        for signal, slot in slots:
            signal.connect(slot)
        self._layer_slots[layer.name] = slots

    def _unwatch(self, name: str) -> None:
        for signal, slot in self._layer_slots.pop(name, []):
            signal.disconnect(slot)

    def _on_project(self, _project) -> None:
        self.rebuild()

    def _on_inserted(self, _index: int, layer: LayerState) -> None:
        if self.deferred is not None:
            self.deferred(layer.name)
        else:
            self.adopt(layer.name, self._build(layer.name))

    def _on_removed(self, _index: int, layer: LayerState) -> None:
        self._unwatch(layer.name)
        visual = self.visuals.pop(layer.name, None)
        self._styles.pop(layer.name, None)
        self.problems.pop(layer.name, None)
        if visual is not None:
            visual.remove_from(self.plotter)
        self.selection = frozenset(item for item in self.selection if item[0] != layer.name)
        self._update_ground()
        self._refresh_overlays()
        self._notify()

    def _on_renamed(self, old: str, new: str) -> None:
        if old in self.visuals:
            self.visuals[new] = self.visuals.pop(old)
            self.visuals[new].layer = self.model.layers[new].info
            self._styles[new] = self._styles.pop(old, "")
            self._layer_slots[new] = self._layer_slots.pop(old, [])
        if old in self.problems:
            self.problems[new] = self.problems.pop(old)
        self.selection = frozenset((new if name == old else name, fid) for name, fid in self.selection)
        self._refresh_overlays()
        if self.drawn is not None and new in self.visuals:
            self.drawn(new)
        self._notify()

    def _restyle(self, layer: LayerState) -> None:
        visual = self.visuals.get(layer.name)
        if visual is None:
            return
        key = _stored(layer.stored)
        if key != self._styles.get(layer.name):
            visual.layer = layer.info
            try:
                visual.apply_style(self._distinct(layer, visual.style_from(layer.stored)))
            except TwinError as exc:
                self.model.events.error.emit(str(exc))
            self._styles[layer.name] = key
            if self.drawn is not None:
                self.drawn(layer.name)
        self._show(layer, notify=False)
        self._refresh_overlays()
        self._notify()

    def _show(self, layer: LayerState, *, notify: bool = True) -> None:
        visual = self.visuals.get(layer.name)
        if visual is not None:
            visual.layer = layer.info
            visual.set_visible(self.model.shown(layer))
            try:
                if visual.visible:
                    visual.set_features(self.model.feature_view(layer))
            except (TwinError, ValueError) as exc:
                self.problems[layer.name] = f"stage lens: {exc}"
        self._show_links(notify=False)
        if notify:
            self._refresh_overlays()
            self._notify()

    def _show_all(self) -> None:
        for layer in self.model.layers:
            self._show(layer, notify=False)
        self._refresh_overlays()
        self._notify()

    # ----- layers for callers --------------------------------------------------------------------
    def visual(self, name: str) -> Visual:
        """The visual of a drawn layer; ProjectError naming why it is not drawn otherwise."""
        if name not in self.visuals:
            self.model.layers[name]  # raises the one-line error naming the known layers
            reason = self.problems.get(name, "it is not drawn")
            raise ProjectError(f"layer {name!r} is not in the scene: {reason}")
        return self.visuals[name]

    def set_time(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        """Pass a time range to every visual; True when any of them changed. (Views normally follow
        ``model.time``; this is for code that drives visuals directly.)"""
        changed = False
        for visual in self.visuals.values():
            changed = bool(visual.set_time(start, end)) or changed
        return changed

    def _time_changed(self) -> None:
        if self.schedule is None:
            self._apply_time()
        elif not self._time_pending:
            self._time_pending = True
            self.schedule(self._apply_time)

    def _apply_time(self, *, notify: bool = True) -> bool:
        self._time_pending = False
        self.time_updates += 1
        value = self.time_range = self.model.time.range
        start, end = (value.start, value.end) if value is not None else (None, None)
        changed = False
        for name, visual in self.visuals.items():
            try:
                changed = bool(visual.set_time(start, end)) or changed
            except Exception as exc:  # noqa: BLE001 - a broken temporal layer must not stop the replay
                self.problems[name] = f"time {value}: {exc}"
                self.model.events.message.emit(f"Layer {name!r} at {value}: {exc}")
        self._show_caption(notify=False)
        links_changed = self._show_links(notify=False)
        if notify and (changed or links_changed or self.model.caption.clock):
            self._notify()
        return changed

    # ----- picking and selection -------------------------------------------------------------------
    def pick(self, x: float, y: float) -> Pick | None:
        """The layer and feature under pixel (x, y), counted from the window's top-left corner."""
        targets = [t for v in self.visuals.values() for t in v.pick_targets()]
        return self.picker.pick(self.plotter.renderer, x, y, targets, self.origin)

    def _show_selection(self, *, notify: bool = True) -> None:
        selection = self.model.selection
        self.selection = frozenset((name, fid) for name, fid in selection.items if name in self.visuals)
        for name, visual in self.visuals.items():
            visual.highlight(selection.of(name))
        self._draw_geometries(selection.geometries)
        if notify:
            self._notify()

    def _show_links(self, *, notify: bool = True) -> bool:
        """Draw the selection's links active at the model's time between layers that are shown (a link to a
        hidden layer is hidden with it); True when what is drawn changed."""
        shown = set(self.model.shown_layers())
        active = self.drawn_links = [k for k in self.model.links.active()
                                     if k.from_layer in shown and k.to_layer in shown]
        key = tuple((k.relation, k.from_layer, k.from_fid, k.to_layer, k.to_fid) for k in active)
        if key == self._links_key:
            return False
        self._links_key = key
        self.link_overlay.draw(active, self.origin)
        self._refresh_overlays()
        if notify:
            self._notify()
        return True

    def _draw_geometries(self, geometries) -> None:
        from twin.render.geometries import geometry_overlay

        if self._geometries is not None:
            self.plotter.remove_actor(self._geometries, render=False)
            self._geometries = None
        mesh = geometry_overlay(np.asarray(geometries, dtype=object), self.origin) if len(geometries) else None
        if mesh is not None:
            self._geometries = self.plotter.add_mesh(
                mesh, color=SELECTION_COLOR, line_width=4, point_size=12, render_points_as_spheres=True,
                pickable=False, reset_camera=False, render=False, name="twin:selected-geometries")

    # ----- camera ----------------------------------------------------------------------------------
    def scene_bounds(self, layers: Iterable[str] | None = None) -> tuple[float, ...] | None:
        """Local bounds of the named layers, else of the shown ones (else of every drawn one)."""
        if layers is not None:
            names = list(layers)
        else:
            names = [n for n, v in self.visuals.items() if v.visible and v.bounds() is not None] or list(self.visuals)
        boxes = [b for b in (self.visual(n).bounds() for n in names) if b is not None]
        if not boxes:
            return None
        b = np.array(boxes)
        return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), b[:, 4].min(), b[:, 5].max())

    def view(self, target: str = "iso", *, fid: int | None = None) -> CameraPose:
        """Point the camera: a preset (``iso``, ``top``, ``north``...) over the whole scene, a layer name (iso
        over that layer) or one feature of a layer (``fid``); the model's camera takes the new pose."""
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
        self.camera_moved()
        return pose

    def camera_moved(self) -> None:
        """The plotter's camera moved (a framing, the user's mouse): the model's camera takes its pose."""
        self._placing_camera = True
        try:
            self.model.camera.pose = capture_camera(self.plotter, self.origin)
        except ValueError:
            pass  # a degenerate VTK camera (a zero-size window): keep the last good pose
        finally:
            self._placing_camera = False

    @property
    def placing_camera(self) -> bool:
        """True while the scene itself writes a pose into the model (a framing, the user's mouse)."""
        return self._placing_camera

    def _on_pose(self, pose: CameraPose | None) -> None:
        if self._placing_camera or pose is None:
            return
        restore_camera(self.plotter, pose, self.origin)
        self._notify()

    def _on_look(self, target: str, fid: int | None) -> None:
        try:
            self.view(target, fid=fid)
        except TwinError as exc:
            self.model.events.message.emit(str(exc))
            return
        self._notify()

    # ----- ground, legend, caption -------------------------------------------------------------------
    def _update_ground(self) -> None:
        """The ground plane and its grid around the drawn layers (see-through when something lies below it)."""
        under = any(getattr(v, "underground", False) for v in self.visuals.values())
        self.backdrop.update(self.scene_bounds(list(self.visuals)), self.origin, see_through=under)

    def _refresh_overlays(self) -> None:
        """Lay out the legend (shown layers, in draw order) and the scale hint again."""
        if self.overlay is None:
            return
        blocks = []
        for name in self.model.layers.names():
            visual = self.visuals.get(name)
            if visual is not None and visual.visible and visual.style.visible and visual.bounds() is not None:
                block = visual.legend()
                if block is not None:  # grouped under its layer's stage (twin.render.overlay)
                    blocks.append(dataclasses.replace(block, stage=visual.layer.stage) if block.stage is None else block)
        lens = self.model.lens
        if lens.changes:
            first, last = lens.period()
            years = f" ({first or ''}-{last or ''})" if first or last else ""
            added = lens.colors.get(lens.stage, "#ffffff")
            blocks.append(LegendBlock(f"What changed at stage {lens.stage}{years}",
                                      [("built in the stage", added), ("built before", GHOST_COLOR)],
                                      subtitle="later: hidden"))
        links = links_legend(self.drawn_links) if self.link_overlay.shown else None
        if links is not None:
            blocks.append(links)
        self.overlay.reserved_bottom = self.captions.band_top() if self.captions is not None else 0
        self.overlay.set_legend(blocks)
        if self.captions is not None:
            self.captions.raise_()
        self._layout_size = tuple(self.plotter.window_size)
        self.overlay.update_scale(CameraPose.of(self.plotter.renderer.GetActiveCamera()))

    update_overlays = _refresh_overlays

    def _show_caption(self, *, notify: bool = True) -> None:
        if self.captions is None:
            return
        caption = self.model.caption
        before = self.captions.band_top()
        self.captions.show(caption.text, caption.opacity)
        if self.overlay is not None and self.captions.band_top() != before:
            self._refresh_overlays()  # the legend keeps clear of the caption band
        value = self.model.time.range
        clock = format_time(value.end, self.model.timezone) if caption.clock and value is not None else ""
        self.captions.show_clock(clock)
        if notify:
            self._notify()

    def _before_render(self, *_args) -> None:
        height = max(int(self.plotter.window_size[1]), 1)
        metres_per_pixel = CameraPose.of(self.plotter.renderer.GetActiveCamera()).metres_per_pixel(height)
        for visual in self.visuals.values():  # glyphs sized in pixels follow the zoom
            scale = getattr(visual, "set_scale", None)
            if scale is not None:
                scale(metres_per_pixel)
        if self.overlay is None:
            return
        if tuple(self.plotter.window_size) != self._layout_size:
            self._refresh_overlays()
            self._show_caption(notify=False)
        else:
            self.overlay.update_scale(CameraPose.of(self.plotter.renderer.GetActiveCamera()))

    def _notify(self) -> None:
        if self.changed is not None:
            self.changed()

    # ----- output ----------------------------------------------------------------------------------
    def screenshot(self, path=None) -> np.ndarray:
        """Render and return the image (and write it to ``path`` when given)."""
        self.plotter.renderer.ResetCameraClippingRange()
        self.plotter.render()  # pyvista renders by itself only the first time
        return self.plotter.screenshot(path, return_img=True)

    def _clear_visuals(self) -> None:
        for name in list(self._layer_slots):
            self._unwatch(name)
        for visual in self.visuals.values():
            visual.remove_from(self.plotter)
        self.visuals.clear()
        self._styles.clear()
        self.problems.clear()
        self.selection = frozenset()
        self.picker = Picker()

    def close(self) -> None:
        """Stop following the model and remove the scene's actors and observers from the plotter."""
        self.schedule = self.changed = self.deferred = self.drawn = None
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        if self._observer is not None:
            self.plotter.renderer.RemoveObserver(self._observer)
            self._observer = None
        self._clear_visuals()
        self.backdrop.remove()
        if self._geometries is not None:
            self.plotter.remove_actor(self._geometries, render=False)
        self._geometries = None
        self.link_overlay.clear()
        if self.overlay is not None:
            self.overlay.clear()
        if self.captions is not None:
            self.captions.remove()
            self.captions = None


def _stored(style: dict) -> str:
    return json.dumps(style or {}, sort_keys=True, ensure_ascii=False)
