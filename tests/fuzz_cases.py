"""Hypothesis strategies for malformed input files and the check every fuzzed import must pass.

Used by ``tests/test_fuzz_importers.py`` (a few hundred cases) and ``bench/fuzz_importers.py``
(10,000+). Each strategy draws the bytes of one file: a valid base document of the format with a few
parts replaced by arbitrary JSON values, odd numbers, broken text or truncation, so most cases get
past the first checks and reach the deeper code.

The check (:func:`run_case`): the import either succeeds or raises a clean one-line
:class:`~twin.errors.TwinError`; any other exception is a bug; after a failure the project's
catalogue and row counts are unchanged.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
import zipfile
from typing import Any, Callable

from hypothesis import strategies as st

# ----- values ------------------------------------------------------------------------------------
ODD_INTS = st.sampled_from([0, -1, 1, 7, 8, 99, 2**31, 2**31 - 1, -2**31, 2**53 + 1, 10**20, -10**20])
ODD_FLOATS = st.sampled_from([0.0, -0.0, 1.5, 1e-320, 1e308, -1e308, 3.4e38, 500.0, 900.0, -200.0])
TEXT = st.text(alphabet=st.sampled_from(list("ab경도위도\"',;\r\n\t\\{}[] 0123456789.-e\x00\u200b")), max_size=12)
SCALARS = st.one_of(st.none(), st.booleans(), ODD_INTS, st.integers(-10, 10), ODD_FLOATS,
                    st.floats(allow_nan=False, allow_infinity=False, width=32), TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)


def deep(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


NESTED = st.one_of(JSON, st.integers(2, 900).map(deep), st.lists(st.lists(st.lists(ODD_INTS, max_size=5),
                                                                          max_size=3), max_size=3))


def _set(doc: Any, path: tuple, value: Any) -> None:
    """Replace ``doc[path...]`` (missing containers are made; indices out of range append)."""
    target = doc
    for key in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(key, {})
        elif isinstance(target, list) and target and isinstance(key, int):
            target = target[key % len(target)]
        else:
            return
    last = path[-1]
    if isinstance(target, dict):
        target[last] = value
    elif isinstance(target, list) and isinstance(last, int):
        if target:
            target[last % len(target)] = value
        else:
            target.append(value)


def _delete(doc: Any, path: tuple) -> None:
    target = doc
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and target and isinstance(key, int):
            target = target[key % len(target)]
        else:
            return
    if isinstance(target, dict):
        target.pop(path[-1], None)
    elif isinstance(target, list) and target and isinstance(path[-1], int):
        del target[path[-1] % len(target)]


@st.composite
def mutated(draw, base: Callable[[], Any], paths: list[tuple]) -> Any:
    """``base()`` with 1-3 of ``paths`` replaced by odd values or deleted."""
    doc = base()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        if draw(st.integers(0, 5)) == 0:
            _delete(doc, path)
        else:
            _set(doc, path, draw(NESTED))
    return doc


@st.composite
def damaged_bytes(draw, data: bytes) -> bytes:
    """Sometimes truncate the bytes or overwrite a few of them."""
    choice = draw(st.integers(0, 9))
    if choice == 0 and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if choice == 1 and data:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    return data


# ----- CityJSON and CityJSONSeq ----------------------------------------------------------------
CUBE = [[[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]]
VERTICES = [[0, 0, 0], [10000, 0, 0], [10000, 10000, 0], [0, 10000, 0],
            [0, 0, 5000], [10000, 0, 5000], [10000, 10000, 5000], [0, 10000, 5000]]


def cityjson_base() -> dict:
    return {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [200000.0, 544000.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/5186"},
        "CityObjects": {
            "b1": {"type": "Building", "attributes": {"name": "a", "height": 5},
                   "geometry": [{"type": "Solid", "lod": "1", "boundaries": json.loads(json.dumps(CUBE)),
                                 "semantics": {"surfaces": [{"type": "GroundSurface"}, {"type": "RoofSurface"},
                                                            {"type": "WallSurface"}],
                                               "values": [[0, 1, 2, 2, 2, 2]]}}],
                   "children": ["p1"]},
            "p1": {"type": "BuildingPart", "parents": ["b1"],
                   "geometry": [{"type": "MultiSurface", "lod": 2, "boundaries": [[[0, 1, 2, 3]], [[4, 5, 6, 7]]]}]},
            "t1": {"type": "SolitaryVegetationObject", "geometry": [
                {"type": "GeometryInstance", "template": 0, "boundaries": [0],
                 "transformationMatrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]}]},
        },
        "geometry-templates": {"templates": [{"type": "MultiSurface", "lod": "1",
                                              "boundaries": [[[0, 1, 2]]]}],
                               "vertices-templates": [[0, 0, 0], [1, 0, 0], [0, 1, 0]]},
        "vertices": json.loads(json.dumps(VERTICES)),
    }


B1 = ("CityObjects", "b1")
G1 = B1 + ("geometry", 0)
CITYJSON_PATHS = [
    ("type",), ("version",), ("transform",), ("transform", "scale"), ("transform", "scale", 0),
    ("transform", "translate"), ("metadata",), ("metadata", "referenceSystem"), ("vertices",), ("vertices", 3),
    ("vertices", 3, 1), ("CityObjects",), B1, B1 + ("type",), B1 + ("attributes",), B1 + ("children",),
    B1 + ("parents",), B1 + ("geometry",), G1, G1 + ("type",), G1 + ("lod",), G1 + ("boundaries",),
    G1 + ("boundaries", 0), G1 + ("boundaries", 0, 1), G1 + ("boundaries", 0, 1, 0), G1 + ("boundaries", 0, 1, 0, 2),
    G1 + ("semantics",), G1 + ("semantics", "values"), G1 + ("semantics", "surfaces"),
    G1 + ("semantics", "values", 0, 3), ("CityObjects", "p1", "parents"), ("CityObjects", "p1", "geometry", 0, "lod"),
    ("CityObjects", "p1", "geometry", 0, "boundaries", 1), ("CityObjects", "t1", "geometry", 0, "template"),
    ("CityObjects", "t1", "geometry", 0, "boundaries"), ("CityObjects", "t1", "geometry", 0, "transformationMatrix"),
    ("geometry-templates",), ("geometry-templates", "templates"), ("geometry-templates", "vertices-templates"),
    ("geometry-templates", "templates", 0, "boundaries"),
]


def encode_json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, allow_nan=True).encode("utf-8")


CITYJSON = mutated(cityjson_base, CITYJSON_PATHS).map(encode_json).flatmap(damaged_bytes)


def cityjsonseq_header() -> dict:
    doc = cityjson_base()
    doc["CityObjects"], doc["vertices"] = {}, []
    return doc


def cityjsonseq_feature() -> dict:
    doc = cityjson_base()
    return {"type": "CityJSONFeature", "id": "b1",
            "CityObjects": {k: doc["CityObjects"][k] for k in ("b1", "p1")}, "vertices": doc["vertices"]}


FEATURE_PATHS = [("type",), ("id",), ("vertices",), ("vertices", 2), ("CityObjects",)] + [
    p for p in CITYJSON_PATHS if p[:1] == ("CityObjects",) and p[1:2] in (("b1",), ("p1",))]


@st.composite
def cityjsonseq(draw) -> bytes:
    header = draw(st.one_of(st.just(cityjsonseq_header()), mutated(cityjsonseq_header, CITYJSON_PATHS[:8])))
    lines = [encode_json(header)]
    for _ in range(draw(st.integers(0, 3))):
        feature = draw(st.one_of(st.just(cityjsonseq_feature()), mutated(cityjsonseq_feature, FEATURE_PATHS)))
        lines.append(encode_json(feature))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from([b"", b"{", b"[]", b"null", b"\xff\xfe"])))
    return draw(damaged_bytes(b"\n".join(lines) + b"\n"))


# ----- GeoJSON -----------------------------------------------------------------------------------
COORD = st.one_of(st.floats(126.9, 127.1), st.floats(37.4, 37.6), ODD_FLOATS, st.integers(-1000, 1000))
POSITION = st.lists(COORD, min_size=0, max_size=4)
RING = st.lists(POSITION, min_size=0, max_size=6)
GEOMETRY = st.one_of(
    st.builds(lambda c: {"type": "Point", "coordinates": c}, POSITION),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, RING),
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, st.lists(RING, max_size=2)),
    st.builds(lambda c: {"type": "MultiPolygon", "coordinates": c}, st.lists(st.lists(RING, max_size=2), max_size=2)),
    st.builds(lambda t, c: {"type": t, "coordinates": c}, TEXT, JSON),
    st.none(), JSON,
)
BOWTIE = {"type": "Polygon", "coordinates": [[[127.0, 37.5], [127.01, 37.51], [127.01, 37.5], [127.0, 37.51],
                                              [127.0, 37.5]]]}
PROPERTIES = st.one_of(st.just({}), st.none(), st.dictionaries(st.sampled_from(["name", "height", "층수", "fid", "geom",
                                                                                "이름", ""]), SCALARS, max_size=4))


@st.composite
def geojson(draw) -> bytes:
    features = draw(st.lists(st.fixed_dictionaries({"type": st.just("Feature"), "properties": PROPERTIES,
                                                    "geometry": st.one_of(GEOMETRY, st.just(BOWTIE))}),
                             min_size=0, max_size=5))
    doc: dict = {"type": "FeatureCollection", "features": features}
    if draw(st.booleans()):
        doc["crs"] = {"type": "name", "properties": {"name": draw(st.sampled_from(
            ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:5186", "urn:ogc:def:crs:EPSG::3946", "nonsense"]))}}
    return draw(damaged_bytes(encode_json(doc)))


# ----- CSV ---------------------------------------------------------------------------------------
HEADER_NAMES = ["이름", "경도", "위도", "lat", "lon", "x", "y", "X좌표", "Y좌표", "geometry", "wkt", "name", "", "lat"]
CELL = st.one_of(st.floats(126.9, 127.1).map(str), st.floats(37.4, 37.6).map(str), ODD_FLOATS.map(str),
                 TEXT, st.sampled_from(["", "POINT (127 37.5)", '{"type":"Point","coordinates":[127,37.5]}',
                                        "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))", "nan", "inf", "-", "\"", "1,5"]))


@st.composite
def csv_file(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(HEADER_NAMES), min_size=1, max_size=5))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "\r\r\n"]))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 1), max_size=6))
    text = newline.join([delimiter.join(header)] + [delimiter.join(r) for r in rows]) + newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return draw(damaged_bytes(data))


# ----- SUMO FCD ----------------------------------------------------------------------------------
FCD_VALUE = st.one_of(st.floats(-100, 5000).map(lambda v: f"{v:.2f}"), ODD_FLOATS.map(str), TEXT,
                      st.sampled_from(["", "nan", "inf", "-1e400", "1e400"]))


def _xml_attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\x00", "").replace("\r", "&#13;"))


@st.composite
def fcd_xml(draw) -> bytes:
    steps = []
    for _ in range(draw(st.integers(0, 4))):
        vehicles = []
        for _ in range(draw(st.integers(0, 3))):
            attrs = {"id": draw(st.one_of(st.sampled_from(["veh0", "veh1", "p0"]), TEXT)),
                     "x": draw(FCD_VALUE), "y": draw(FCD_VALUE), "angle": draw(FCD_VALUE), "speed": draw(FCD_VALUE)}
            attrs = {k: v for k, v in attrs.items() if draw(st.integers(0, 7))}
            tag = draw(st.sampled_from(["vehicle", "vehicle", "person", "container", "other"]))
            vehicles.append(f"<{tag} " + " ".join(f'{k}="{_xml_attr(v)}"' for k, v in attrs.items()) + "/>")
        steps.append(f'<timestep time="{_xml_attr(draw(FCD_VALUE))}">' + "".join(vehicles) + "</timestep>")
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<fcd-export>' + "".join(steps) + "</fcd-export>\n"
    return draw(damaged_bytes(text.encode("utf-8")))


# ----- GTFS --------------------------------------------------------------------------------------
GTFS_BASE = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\na,Bus,http://x,Asia/Seoul\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\ns1,One,37.50,127.00\ns2,Two,37.51,127.01\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nr1,a,1,3\n",
    "trips.txt": "route_id,service_id,trip_id\nr1,wk,t1\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                      "t1,08:00:00,08:00:00,s1,1\nt1,08:10:00,08:10:00,s2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "wk,1,1,1,1,1,1,1,20240101,20241231\n",
}
GTFS_CELL = st.one_of(TEXT, st.sampled_from(["", "25:61:00", "8:00", "-1", "99999999", "37.5", "127", "1e400",
                                             "nan", "s1", "t1", "wk", "20240230", "abc"]))


@st.composite
def gtfs_zip(draw) -> bytes:
    files = dict(GTFS_BASE)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        action = draw(st.integers(0, 4))
        lines = files[name].splitlines()
        if action == 0:
            files.pop(name)
        elif action == 1:
            files[name] = lines[0] + "\n"
        else:
            row = draw(st.integers(1, max(1, len(lines) - 1))) if len(lines) > 1 else 0
            cells = lines[row].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(GTFS_CELL).replace("\n", " ").replace(",", ";")
            lines[row] = ",".join(cells)
            files[name] = "\n".join(lines) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return draw(damaged_bytes(buffer.getvalue()))


#: importer id -> (file name, strategy)
FORMATS: dict[str, tuple[str, st.SearchStrategy[bytes]]] = {
    "cityjson": ("fuzz.city.json", CITYJSON),
    "cityjsonseq": ("fuzz.city.jsonl", cityjsonseq()),
    "vector": ("fuzz.geojson", geojson()),
    "csv-points": ("fuzz.csv", csv_file()),
    "sumo-fcd": ("fuzz.fcd.xml", fcd_xml()),
    "gtfs": ("fuzz_gtfs.zip", gtfs_zip()),
}


# ----- the check -------------------------------------------------------------------------------
@dataclasses.dataclass
class Outcome:
    """What one fuzzed file did: ``"imported"``, ``"clean error"`` or ``"uncaught"`` (with the text)."""

    result: str
    text: str = ""


def fingerprint(project) -> tuple:
    """The catalogue and the row count of every table: what a failed import must leave unchanged."""
    tables = sorted(project.query("SELECT table_name FROM information_schema.tables").column(0).to_pylist())
    counts = tuple(project.query(f'SELECT count(*) FROM "{t}"').column(0)[0].as_py() for t in tables)
    layers = project.query("SELECT * EXCLUDE (imported_at) FROM layers ORDER BY id").to_pylist()
    meta = project.query("SELECT * FROM meta ORDER BY key").to_pylist()
    return tuple(tables), counts, json.dumps(layers, default=str), json.dumps(meta, default=str)


def run_case(project, folder: pathlib.Path, importer: str, data: bytes) -> Outcome:
    """Import ``data`` (the bytes of a file for ``importer``) into ``project`` and classify what happened."""
    from twin.errors import TwinError
    from twin.io.options import ImportOptions
    from twin.io.service import import_file

    name = FORMATS[importer][0]
    path = folder / name
    path.write_bytes(data)
    before = fingerprint(project)
    try:
        import_file(project, path, ImportOptions(timezone="Asia/Seoul", extra={"start": "2024-05-01T00:00"}),
                    importer=importer)
    except TwinError as exc:
        text = str(exc)
        after = fingerprint(project)
        if after != before:
            return Outcome("uncaught", f"project changed after a failed import: {text}")
        if not text or "\n" in text.strip() or "Traceback" in text:
            return Outcome("uncaught", f"not a one-line message: {text!r}")
        if text.startswith("plugin "):  # a PluginError: the importer raised something other than TwinError
            return Outcome("uncaught", text)
        return Outcome("clean error", text)
    except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
        return Outcome("uncaught", f"{type(exc).__name__}: {exc}")
    return Outcome("imported")
