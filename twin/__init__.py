"""Smart City Twin: the Qt-free core (store, importers, scene, time, plugins)."""

__version__ = "0.1.0"
