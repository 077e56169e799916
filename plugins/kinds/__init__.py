"""The built-in layer kinds (buildings, points, lines, polygons): data only, in ``twin.toml``."""
