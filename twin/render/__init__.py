"""Visuals that draw layers on any ``pyvista.BasePlotter`` (off-screen or the Qt interactor).

``twin.render.view.SceneView`` draws a whole project; ``twin.render.registry`` maps layer kinds to
visual classes; ``twin.render.offscreen`` renders without a display. See docs/scene.md.
"""
