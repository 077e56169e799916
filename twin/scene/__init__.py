"""The 3D scene, Qt-free: meshes built from the store, styles, colouring, picking and camera presets.

Everything here works on any ``pyvista`` plotter (off-screen or the Qt interactor); see docs/scene.md.
"""
