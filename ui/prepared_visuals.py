"""Build a new layer's meshes on a worker thread, then hand the visual to the scene on the GUI thread.

Reading a large layer from the store and building its merged mesh (15k glyphs: about 100 ms) would
otherwise stall the GUI right after an import. :func:`prepare_visual` does that part off the GUI
thread (VTK data objects may be built on any thread; only drawing needs the GUI thread), and
:func:`adopt_visual` puts the built visual into a :class:`twin.render.view.SceneView`.

``adopt_visual`` mirrors ``SceneView._add_layer`` for a visual that already exists, because SceneView
has no public way to take one yet; replace it with that API once :mod:`twin.render.view` offers it.
"""

from __future__ import annotations

from twin.errors import TwinError
from twin.store.project import Project


def prepare_visual(task, project: Project, name: str, origin, *, picker=None):
    """Worker side: the layer's visual with its meshes built (``None`` when it has nothing to draw),
    and, with the scene's ``picker``, the pick index of each pickable mesh."""
    from twin.render.registry import create_visual

    layer = project.layer(name)
    visual = create_visual(project, layer, origin)
    if visual is None:
        return name, None
    if hasattr(visual, "ensure_built"):
        parts = visual.ensure_built()  # geometry only: colours depend on the style the scene assigns
        if picker is not None:
            for part in parts.values():
                if part.pickable and part.mesh.n_cells:
                    picker.index(part.mesh)  # keyed by the mesh the actor will draw
    return name, visual


def adopt_visual(scene, name: str, visual, *, visible: bool = True) -> bool:
    """GUI side: draw a prepared visual in ``scene`` as ``SceneView._add_layer`` would; False if not drawn."""
    from twin.render.view import _stored

    if name in scene.visuals:
        return True
    try:
        layer = scene.project.layer(name)
        visual.layer = layer
        visual.style = scene._distinct(layer, visual.style)
        visual.visible = bool(visible)  # shown or hidden from its first frame (stage filter)
        visual.add_to(scene.plotter)
    except (TwinError, ValueError) as exc:
        scene.problems[name] = str(exc)
        return False
    scene.visuals[name] = visual
    scene._styles[name] = _stored(layer.style)
    scene.picker.prepare(visual.pick_targets())
    scene._update_ground()
    scene.update_overlays()
    return True
