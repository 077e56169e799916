"""SUMO road networks (``*.net.xml``) as a lines layer: one feature per edge, georeferenced by ``<location>``.

- **Edges**: every ``<edge>`` except SUMO's internal ones (``function="internal"``, and the ids starting with
  ``:`` that junction-internal, crossing and walking-area edges have). Columns: ``edge_id``, ``name`` (when
  netconvert kept street names), ``from``/``to`` (node ids), ``type``, ``priority``, ``lanes`` (its
  ``<lane>`` children), ``speed_ms`` and ``speed_kmh`` (of lane 0, as sumolib's ``Edge.getSpeed``),
  ``length_m`` (of lane 0), ``oneway`` (no other edge runs between the same two nodes the other way),
  ``function`` (empty for normal edges).
- **Geometry**: the edge's ``shape`` when it has one, else the straight line between its two junctions (as
  sumolib's ``Edge.getRawShape``); ``x,y,z`` shapes keep their z.
- **Georeferencing**: network x/y = projected x/y + ``netOffset``, so the offset is subtracted and the
  ``projParameter`` proj string names the CRS (pyproj, through ``twin.api.normalize_crs``). A network
  without a projection (``projParameter="!"``) needs ``--crs`` (``options.crs``): the CRS its x/y are in after
  removing the offset; without it the import stops with an error naming the file.
- **Parsing**: a streaming expat parse in 1 MB blocks (no tree in memory); XML entity declarations are
  refused (no entity is ever expanded or fetched). Per element only the attributes are kept; geometries and
  columns are then built with numpy, pandas and shapely over all edges at once.
"""

from __future__ import annotations

import dataclasses
import pathlib
import xml.parsers.expat as expat

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from twin.api import ImportOptions, ImportReport, InputError, LayerData, normalize_crs

CHUNK = 1 << 20
#: edge functions that are not roads of their own (inside junctions, pedestrian crossings and walking areas)
NOT_ROADS = ("internal", "crossing", "walkingarea")


class _Refused(Exception):
    """An XML entity declaration: refused, never expanded."""


@dataclasses.dataclass
class Location:
    """A network's ``<location>``: the offset added to projected x/y and the proj string (``!`` for none)."""

    offset_x: float
    offset_y: float
    proj: str

    @property
    def georeferenced(self) -> bool:
        return self.proj.strip() not in ("", "!")


@dataclasses.dataclass
class _Net:
    location: Location | None = None
    edges: dict[str, list] = dataclasses.field(default_factory=lambda: {k: [] for k in (
        "edge_id", "name", "from", "to", "type", "priority", "function", "shape", "lanes", "speed_ms", "length_m")})
    junctions: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    root: str | None = None
    internal: int = 0


def sniff(path: pathlib.Path) -> bool:
    """True for a SUMO network: a ``<net`` root in the first 8 kB (comments and the XML declaration skipped)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192).decode("utf-8", errors="replace")
    except OSError:
        return False
    return "<net " in head or "<net>" in head


def _parser(net: _Net) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args) -> None:
        raise _Refused()

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    edges = net.edges
    current = {"road": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if net.root is None:
            net.root = tag
        if tag == "lane":
            if current["road"]:
                edges["lanes"][-1] += 1
                if attrs.get("index", "0") == "0":
                    edges["speed_ms"][-1] = attrs.get("speed")
                    edges["length_m"][-1] = attrs.get("length")
            return
        if tag == "edge":
            edge_id = attrs.get("id", "")
            function = attrs.get("function", "")
            if edge_id.startswith(":") or function in NOT_ROADS:
                current["road"] = False
                net.internal += 1
                return
            current["road"] = True
            for key, name in (("edge_id", "id"), ("name", "name"), ("from", "from"), ("to", "to"), ("type", "type"),
                              ("priority", "priority"), ("function", "function"), ("shape", "shape")):
                edges[key].append(attrs.get(name))
            edges["lanes"].append(0)
            edges["speed_ms"].append(None)
            edges["length_m"].append(None)
        elif tag == "junction":
            junction_id = attrs.get("id", "")
            if not junction_id.startswith(":"):
                net.junctions[junction_id] = (attrs.get("x"), attrs.get("y"))
        elif tag == "location" and net.location is None:
            offset = attrs.get("netOffset", "0,0").split(",")
            try:
                dx, dy = float(offset[0]), float(offset[1])
            except (ValueError, IndexError):
                raise ValueError(f"netOffset {attrs.get('netOffset')!r} is not 'x,y'") from None
            net.location = Location(dx, dy, attrs.get("projParameter", "!"))

    def end(tag: str) -> None:
        if tag == "edge":
            current["road"] = False

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return parser


def parse_net(path: pathlib.Path, options: ImportOptions | None = None, *, location_only: bool = False) -> _Net:
    """Stream a network file into plain lists (see the module docstring); InputError for bad XML."""
    path = pathlib.Path(path)
    net = _Net()
    parser = _parser(net)
    size = max(path.stat().st_size, 1)
    try:
        with open(path, "rb") as fh:
            while block := fh.read(CHUNK):
                parser.Parse(block, False)
                if net.root is not None and net.root != "net":
                    raise InputError(path, f"not a SUMO network: the root element is <{net.root}>, not <net>")
                if location_only and net.location is not None:
                    return net
                if options is not None:
                    options.report_progress(0.05 + 0.6 * fh.tell() / size, "reading the network")
            parser.Parse(b"", True)
    except _Refused:
        raise InputError(path, "the XML declares entities, which are refused (a SUMO network has none)",
                         where=f"line {parser.CurrentLineNumber}") from None
    except expat.ExpatError as exc:
        raise InputError(path, f"not well-formed XML ({expat.ErrorString(exc.code)})", where=f"line {exc.lineno}") from None
    except ValueError as exc:
        raise InputError(path, f"cannot read the network's <location>: {exc}",
                         where=f"line {parser.CurrentLineNumber}") from None
    if net.root != "net":
        raise InputError(path, "not a SUMO network: no <net> root element")
    return net


def read_location(net: pathlib.Path) -> tuple[float, float, str]:
    """``(offset_x, offset_y, projParameter)`` of a SUMO network's ``<location>`` (read without the rest)."""
    net = pathlib.Path(net)
    if not net.exists():
        raise InputError(net, "no such SUMO network file (--net)")
    location = parse_net(net, location_only=True).location
    if location is None:
        raise InputError(net, "the network has no <location> element to georeference x/y")
    return location.offset_x, location.offset_y, location.proj


def network_crs(path: pathlib.Path, location: Location, options: ImportOptions) -> tuple[str, str]:
    """The CRS of the network's x/y once the offset is removed, and where it came from."""
    if location.georeferenced:
        try:
            return normalize_crs(location.proj), f"projParameter {location.proj}"
        except ValueError as exc:
            raise InputError(path, f"projParameter {location.proj!r} is not a CRS pyproj knows ({exc})") from None
    if not options.crs:
        raise InputError(path, "the network is not georeferenced (projParameter '!'): give the CRS of its x/y "
                               "with --crs EPSG:NNNN")
    try:
        crs = normalize_crs(options.crs)
        return crs, f"{crs} (given with --crs: the network has no projection)"
    except ValueError as exc:
        raise InputError(path, f"--crs: {exc}") from None


def read_net(path: pathlib.Path, options: ImportOptions) -> LayerData:
    """Read a SUMO network's edges into a ``lines`` layer (see the module docstring)."""
    path = pathlib.Path(path)
    options.report_progress(0.02, "reading the network")
    net = parse_net(path, options)
    if net.location is None:
        raise InputError(path, "the network has no <location> element: its x/y cannot be georeferenced")
    crs, how = network_crs(path, net.location, options)
    edges = net.edges
    count = len(edges["edge_id"])
    if not count:
        raise InputError(path, f"the network has no edges other than {net.internal} internal one(s)")
    report = ImportReport(str(path))
    options.report_progress(0.7, "building edge geometries")
    geometries, skipped = _geometries(edges, net.junctions, net.location)
    for row in np.flatnonzero(skipped):
        report.skip(f"edge {edges['edge_id'][row]}", "no shape and no position of its junctions")
    keep = ~skipped
    if not keep.any():
        raise InputError(path, "no edge has a shape or junction positions")
    columns = _columns(edges, keep)
    features = pa.table({**columns, "geometry": pa.array(shapely.to_wkb(geometries[keep]), type=pa.binary())})
    report.imported = int(keep.sum())
    report.detected.update({
        "format": "SUMO network", "edges": f"{int(keep.sum())} (+{net.internal} internal, not imported)",
        "junctions": len(net.junctions), "crs": how,
        "offset": f"{net.location.offset_x:.2f},{net.location.offset_y:.2f} (subtracted)",
        "oneway edges": int(np.asarray(columns["oneway"]).sum()),
    })
    return LayerData(kind="lines", features=features, crs=crs, report=report,
                     properties={"source_format": "sumo-net", "id_column": "edge_id",
                                 "net_offset": [net.location.offset_x, net.location.offset_y],
                                 "proj": net.location.proj})


def _geometries(edges: dict[str, list], junctions: dict[str, tuple[str, str]], location: Location):
    """Line geometries of all edges (projected: offset removed) and a mask of edges without any."""
    shapes = pd.Series(edges["shape"], dtype=object)
    ends = pd.DataFrame({"from": edges["from"], "to": edges["to"]})
    nodes = pd.DataFrame.from_dict(junctions, orient="index", columns=["x", "y"])
    fallback = nodes["x"].astype(str) + "," + nodes["y"].astype(str)
    straight = ends["from"].map(fallback) + " " + ends["to"].map(fallback)
    text = shapes.where(shapes.notna() & (shapes.str.strip() != ""), straight).str.strip()
    missing = text.isna().to_numpy()
    text = text[~missing]
    vertex_text = text.str.split().explode()
    xyz = vertex_text.str.split(",", expand=True).apply(pd.to_numeric, errors="coerce")
    while xyz.shape[1] < 3:
        xyz[xyz.shape[1]] = np.nan
    coords = xyz.iloc[:, :3].to_numpy(dtype=np.float64)
    coords[:, 0] -= location.offset_x
    coords[:, 1] -= location.offset_y
    index = vertex_text.index.to_numpy()
    bad_vertex = ~np.isfinite(coords[:, :2]).all(axis=1)
    per_edge = np.bincount(index, minlength=len(missing))
    bad_edge = np.bincount(index, weights=bad_vertex, minlength=len(missing)) > 0
    invalid = missing | bad_edge | (per_edge < 2)
    ok_vertex = ~invalid[index]
    has_z = np.isfinite(coords[ok_vertex, 2]).any()
    geometries = np.full(len(missing), None, dtype=object)
    rows = np.flatnonzero(~invalid)
    if rows.size:
        parts = coords[ok_vertex] if has_z else coords[ok_vertex, :2]
        lines = shapely.linestrings(np.nan_to_num(parts), indices=np.searchsorted(rows, index[ok_vertex]))
        geometries[rows] = lines
    return geometries, invalid


def _columns(edges: dict[str, list], keep: np.ndarray) -> dict[str, pa.Array]:
    frame = pd.DataFrame({k: edges[k] for k in edges if k != "shape"})
    pairs = frame.groupby(["from", "to"], dropna=False).size()
    reverse = pd.MultiIndex.from_arrays([frame["to"], frame["from"]])
    reverse_count = pairs.reindex(reverse).fillna(0).to_numpy() - (frame["from"] == frame["to"]).to_numpy()
    frame["oneway"] = reverse_count <= 0
    speed = pd.to_numeric(frame["speed_ms"], errors="coerce")
    frame = frame[keep]
    speed = speed[keep]
    return {
        "edge_id": pa.array(frame["edge_id"], type=pa.string()),
        "name": pa.array(frame["name"], type=pa.string()),
        "from": pa.array(frame["from"], type=pa.string()),
        "to": pa.array(frame["to"], type=pa.string()),
        "type": pa.array(frame["type"], type=pa.string()),
        "priority": pa.array(pd.to_numeric(frame["priority"], errors="coerce").astype("Int64"), type=pa.int64()),
        "lanes": pa.array(frame["lanes"].astype(np.int64), type=pa.int64()),
        "speed_ms": pa.array(speed, type=pa.float64(), from_pandas=True),
        "speed_kmh": pa.array((speed * 3.6).round(2), type=pa.float64(), from_pandas=True),
        "length_m": pa.array(pd.to_numeric(frame["length_m"], errors="coerce"), type=pa.float64(), from_pandas=True),
        "oneway": pa.array(frame["oneway"].to_numpy(dtype=bool)),
        "function": pa.array(frame["function"].fillna(""), type=pa.string()),
    }
