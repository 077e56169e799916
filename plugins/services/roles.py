"""Which layer plays which part in a story of services: the incidents, the cameras, the 112 and 119 stations...

A layer's ``properties["role"]`` (set by whoever made the project, e.g. ``twin demo``) decides; otherwise
the rules below look at the layer's kind, its name and its properties, as a planner would.
"""

from __future__ import annotations

import fnmatch

#: role -> (kinds, name globs (lower case), property keys): a layer plays the role when its kind is one of
#: ``kinds`` and its name matches a glob (no globs: any name) or it carries one of the properties
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "incidents": (("events",), ("*incident*", "*사건*", "*신고*", "*출동*", "*emergenc*"), ("incident",)),
    "cctv": (("cctv", "points"), ("*cctv*", "*씨씨티비*", "*방범카메라*", "*camera*"), ("camera",)),
    "police_stations": (("points",), ("*112*", "*police*", "*경찰*", "*지구대*", "*파출소*"), ()),
    "fire_stations": (("points",), ("*119*", "*fire*", "*소방*", "*안전센터*"), ()),
    "stations": (("points",), ("*station*", "*기관*", "*112*119*"), ()),
    "roads": (("lines", "roads"), ("*road*", "*도로*", "*street*", "*network*", "*도로망*"), ()),
    "link_speeds": (("segments",), (), ()),
    "its": (("points",), ("*its*", "*detector*", "*검지기*", "*signal*", "*신호*", "*vms*", "*전광판*"), ()),
    "operation_centre": (("points",), ("*operation*", "*통합운영*", "*ioc*", "*관제*", "*control*centre*"), ()),
    "excavations": (("events",), ("*excavat*", "*굴착*", "*공사*", "*works*"), ()),
    "utilities": (("utilities", "lines"), ("*utilit*", "*지하시설*", "*관로*", "*pipe*", "*매설*"), ("utility",)),
    "buildings": (("buildings",), (), ()),
    "districts": (("polygons",), ("*district*", "*행정동*", "*생활권*", "*구역*"), ()),
}


def plays(layer, role: str) -> bool:
    """True when ``layer`` (a LayerInfo) plays ``role``."""
    declared = (layer.properties or {}).get("role")
    if declared:
        return declared == role
    kinds, names, props = RULES[role]
    if layer.kind not in kinds:
        return False
    name = layer.name.lower()
    if not names and not props:
        return True
    return any(fnmatch.fnmatch(name, glob) for glob in names) or any(key in (layer.properties or {}) for key in props)


def layers_for(project, role: str) -> list:
    """Every layer of ``project`` (a ProjectReader) that plays ``role``, in display order."""
    return [layer for layer in project.layers() if plays(layer, role)]


def layer_for(project, role: str):
    """The first layer playing ``role``, or None."""
    found = layers_for(project, role)
    return found[0] if found else None
