"""Namespaces and element tables of CityGML 1.0/2.0/3.0 and GML 3.1.1/3.2 that the importer knows."""

from __future__ import annotations

import re

from twin.api import SURFACE_CODES

GML_NAMESPACES = ("http://www.opengis.net/gml", "http://www.opengis.net/gml/3.2")
CITYGML_PREFIX = "http://www.opengis.net/citygml/"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
GML_IDS = tuple(f"{{{ns}}}id" for ns in GML_NAMESPACES)
#: namespaces that are part of the standard (everything else inside a city object is an ADE)
STANDARD_PREFIXES = (CITYGML_PREFIX, "http://www.opengis.net/gml", "urn:oasis:names:tc:ciq:",
                     "http://www.w3.org/1999/xlink", "http://www.w3.org/2001/SMIL20")

#: root element namespaces: CityGML version of each
VERSIONS = {
    "http://www.opengis.net/citygml/1.0": "1.0",
    "http://www.opengis.net/citygml/2.0": "2.0",
    "http://www.opengis.net/citygml/3.0": "3.0",
}

#: city-object members of the CityModel (2.0 core, 3.0 core; a GML featureMember too)
MEMBER_LOCALS = ("cityObjectMember", "featureMember")
APPEARANCE_LOCALS = ("appearanceMember",)

#: semantic (thematic, boundary) surfaces and their SURFACE_CODES (2.0 names and 3.0 names)
SEMANTIC = {
    "GroundSurface": "GroundSurface", "WallSurface": "WallSurface", "RoofSurface": "RoofSurface",
    "ClosureSurface": "ClosureSurface", "OuterCeilingSurface": "OuterCeilingSurface",
    "OuterFloorSurface": "OuterFloorSurface", "Window": "Window", "Door": "Door",
    "WindowSurface": "Window", "DoorSurface": "Door", "WaterSurface": "WaterSurface",
    "WaterGroundSurface": "GroundSurface", "WaterClosureSurface": "ClosureSurface",
    "TrafficArea": "TrafficArea", "AuxiliaryTrafficArea": "AuxiliaryTrafficArea",
    "FloorSurface": "", "CeilingSurface": "", "InteriorWallSurface": "", "Marking": "",
    "HoleSurface": "", "LandUse": "",
}
SEMANTIC_CODES = {name: SURFACE_CODES.get(kind, 0) for name, kind in SEMANTIC.items()}

#: nested city objects that become rows of their own, with a parent (the rest merges into its object)
CHILD_OBJECTS = frozenset({
    "BuildingPart", "BuildingInstallation", "BuildingConstructiveElement", "BuildingFurniture",
    "BridgePart", "BridgeInstallation", "BridgeConstructionElement", "BridgeConstructiveElement",
    "TunnelPart", "TunnelInstallation", "TunnelConstructiveElement",
})

#: GML polygon-like surfaces read as rings
POLYGONS = frozenset({"Polygon", "Triangle", "Rectangle"})
#: GML surface aggregates whose gml:id an xlink may name (all their polygons)
AGGREGATES = frozenset({"MultiSurface", "CompositeSurface", "Shell", "Solid", "Surface", "OrientableSurface",
                        "TriangulatedSurface", "Tin", "PolyhedralSurface", "CompositeSolid", "MultiSolid"})
SOLIDS = frozenset({"Solid", "CompositeSolid", "MultiSolid"})
#: GML properties that may point to a geometry with xlink:href
GEOMETRY_MEMBERS = frozenset({"surfaceMember", "surfaceMembers", "baseSurface", "exterior", "interior",
                              "solidMember", "solidMembers", "geometryMember", "patches", "trianglePatches"})
#: LoD geometry properties: lod0FootPrint, lod2Solid, lod3MultiSurface (3.0: core:lod2Solid ...)
LOD_PROPERTY = re.compile(r"^lod([0-4])")
#: LoD properties that carry no surfaces (curves, points, terrain intersections)
NOT_SURFACE = re.compile(r"(MultiCurve|Curve|Point|TerrainIntersection|Network|Centerline)", re.I)
IMPLICIT = re.compile(r"ImplicitRepresentation$")


def split(tag: str) -> tuple[str, str]:
    """('{ns}local') -> (ns, local); a tag without namespace -> ('', tag)."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def is_standard(ns: str) -> bool:
    """True for CityGML, GML, xAL, xlink and SMIL namespaces; False for an ADE's namespace."""
    return ns.startswith(STANDARD_PREFIXES)


def module_of(ns: str) -> str:
    """'http://www.opengis.net/citygml/building/2.0' -> 'building'; the core -> 'core'."""
    rest = ns[len(CITYGML_PREFIX):] if ns.startswith(CITYGML_PREFIX) else ns
    parts = rest.strip("/").split("/")
    return "core" if len(parts) <= 1 else parts[0]


_TAGS: dict[str, tuple[str, str, bool]] = {}


def tag_info(tag: str) -> tuple[str, str, bool]:
    """(namespace, local name, standard?) of a tag, cached (the walk asks for every element)."""
    found = _TAGS.get(tag)
    if found is None:
        ns, local = split(tag)
        found = _TAGS[tag] = (ns, local, is_standard(ns))
    return found


POSLISTS = tuple(f"{{{ns}}}posList" for ns in GML_NAMESPACES)
