"""The 3D view: the model drawn by the core's SceneView inside a pyvistaqt QtInteractor."""
