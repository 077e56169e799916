"""OGC 3D Tiles 1.1 export (twin.io.tiles3d, docs/export.md): the tileset's tree, its placement on the Earth,
feature ids and metadata in the glb files, the atomic write, the CLI, the Khronos glTF validator and CesiumJS in
headless Chromium (tests/web)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import threading

import numpy as np
import pyarrow as pa
import pygltflib
import pyproj
import pytest
import shapely

from twin.cli.main import main
from twin.errors import ProjectError, TwinError
from twin.geometry.extrude import extrude_footprints
from twin.io.tiles3d import export_3dtiles
from twin.layerdata import ImportReport, LayerData
from twin.store.project import Project
from twin.store.writer import write_layer

WEB = pathlib.Path(__file__).resolve().parent / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
Y_UP_TO_Z_UP = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)  # 3D Tiles 1.1: glTF (x, y, z) -> (x, -z, y)


def add_city(project: Project, n: int = 300, *, seed: int = 5, name: str = "건물") -> None:
    """``n`` LoD1 blocks on a grid in EPSG:5186 with attributes of every type (Korean names, nulls, booleans)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 226000.0 + (i % side) * 30.0 + rng.uniform(0, 5, n)
    y0 = 435000.0 + (i // side) * 30.0 + rng.uniform(0, 5, n)
    w, d = rng.uniform(8, 20, n), rng.uniform(8, 20, n)
    footprints = shapely.box(x0, y0, x0 + w, y0 + d)
    heights = rng.uniform(3, 60, n)
    heights[0] = 150.0  # one tower: the parents' boxes must keep it
    mesh = extrude_footprints(footprints, heights).mesh
    names = [f"동 {k}" if k % 7 else None for k in range(n)]
    features = pa.table({
        "geometry": pa.array(shapely.to_wkb(footprints), pa.binary()),
        "이름": pa.array(names, pa.string()),
        "높이": pa.array(heights),
        "층수": pa.array((heights // 3).astype(np.int64)),
        "공공": pa.array(i % 3 == 0),
        "big": pa.array(i.astype(np.int64) * 10**10),
    })
    write_layer(project, LayerData("buildings", features, "EPSG:5186", ImportReport("city"), mesh=mesh), name=name)


@pytest.fixture
def city(tmp_path) -> pathlib.Path:
    path = tmp_path / "city.twin.duckdb"
    with Project.open(path, create=True) as project:
        add_city(project)
    return path


def read_glb(path: pathlib.Path) -> tuple[pygltflib.GLTF2, bytes]:
    gltf = pygltflib.GLTF2().load_binary(str(path))
    return gltf, gltf.binary_blob()


def view_bytes(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> bytes:
    view = gltf.bufferViews[index]
    return blob[view.byteOffset:view.byteOffset + view.byteLength]


def accessor_array(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    dtype = {5126: np.float32, 5121: np.uint8}[acc.componentType]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc.type]
    return np.frombuffer(view_bytes(gltf, blob, acc.bufferView), dtype=dtype).reshape(acc.count, width)


def walk(tile: dict):
    yield tile
    for child in tile.get("children", []):
        yield from walk(child)


def local_to_ecef(tileset: dict, gltf_positions: np.ndarray) -> np.ndarray:
    matrix = np.array(tileset["root"]["transform"]).reshape(4, 4).T  # column-major
    enu = gltf_positions.astype(np.float64) @ Y_UP_TO_Z_UP.T
    return enu @ matrix[:3, :3].T + matrix[:3, 3]


def test_tileset_tree_holds_every_feature_once_with_errors_per_level(city, tmp_path):
    out = tmp_path / "tiles"
    with Project.open(city, read_only=True) as project:
        report = export_3dtiles(project, out, max_features=40)
    tileset = json.loads((out / "tileset.json").read_text(encoding="utf-8"))
    assert tileset["asset"]["version"] == "1.1"
    tiles = list(walk(tileset["root"]))
    assert report.tiles == len(tiles) and report.depth >= 3 and report.features == 300
    leaf_fids: list[int] = []
    for tile in tiles:
        for child in tile.get("children", []):
            assert child["geometricError"] <= tile["geometricError"]
        if "content" not in tile:
            continue
        gltf, blob = read_glb(out / tile["content"]["uri"])
        table = gltf.extensions["EXT_structural_metadata"]["propertyTables"][0]
        fids = np.frombuffer(view_bytes(gltf, blob, table["properties"]["fid"]["values"]), dtype=np.int32)
        assert len(fids) == table["count"]
        if not tile.get("children"):
            assert tile["geometricError"] == 0
            leaf_fids.extend(fids.tolist())
        else:
            assert tile["geometricError"] > 0 and len(fids) <= 40  # a parent: boxes of its largest features
    assert sorted(leaf_fids) == list(range(300))
    root_child = tileset["root"]["children"][0]
    gltf, blob = read_glb(out / root_child["content"]["uri"])
    table = gltf.extensions["EXT_structural_metadata"]["propertyTables"][0]
    assert 0 in np.frombuffer(view_bytes(gltf, blob, table["properties"]["fid"]["values"]), dtype=np.int32)  # the tower


def test_vertices_land_where_the_project_says_upright_on_the_ellipsoid(city, tmp_path):
    out = tmp_path / "tiles"
    with Project.open(city, read_only=True) as project:
        export_3dtiles(project, out, max_features=1000)
        layer = project.layer("건물")
        fid0 = project.query(f"SELECT vertices FROM {layer.ref('mesh')} WHERE fid = 0").column("vertices")[0].as_py()
    tileset = json.loads((out / "tileset.json").read_text(encoding="utf-8"))
    tile = tileset["root"]["children"][0]
    gltf, blob = read_glb(out / tile["content"]["uri"])
    attrs = gltf.meshes[0].primitives[0].attributes
    positions = accessor_array(gltf, blob, attrs.POSITION)
    owner = accessor_array(gltf, blob, attrs._FEATURE_ID_0)[:, 0].astype(int)
    assert np.abs(positions).max() < 1000  # local offsets, not ECEF
    ecef = local_to_ecef(tileset, positions[owner == 0])  # fid 0 is feature 0 of the only tile
    lon, lat, h = pyproj.Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*ecef.T)
    expected = np.array(fid0).reshape(-1, 3)
    ex_lon, ex_lat = pyproj.Transformer.from_crs("EPSG:5186", "EPSG:4326", always_xy=True).transform(expected[:, 0], expected[:, 1])
    got = {(round(a, 7), round(b, 7), round(c, 2)) for a, b, c in zip(lon, lat, h)}
    want = {(round(a, 7), round(b, 7), round(c, 2)) for a, b, c in zip(ex_lon, ex_lat, expected[:, 2])}
    assert got == want  # every corner within ~1 cm: north is north, up is up, ground at height 0
    normals = accessor_array(gltf, blob, attrs.NORMAL)[owner == 0] @ Y_UP_TO_Z_UP.T
    colours = accessor_array(gltf, blob, attrs.COLOR_0)[owner == 0]
    roof = (colours[:, :3] == [178, 92, 76]).all(axis=1)
    assert roof.any() and np.allclose(normals[roof], [0, 0, 1], atol=1e-3)  # roofs face up (ENU z)
    box = np.array(tile["boundingVolume"]["box"])
    enu = positions.astype(np.float64) @ Y_UP_TO_Z_UP.T
    assert (np.abs(enu - box[:3]) <= np.abs(box[[3, 7, 11]]) + 1e-3).all()


def test_feature_ids_and_metadata_follow_ext_mesh_features_and_structural_metadata(city, tmp_path):
    out = tmp_path / "tiles"
    with Project.open(city, read_only=True) as project:
        export_3dtiles(project, out, max_features=1000)
        expected = project.query(f'SELECT fid, "이름", "층수", "공공", big FROM {project.layer("건물").ref()} ORDER BY fid').to_pydict()
    tileset = json.loads((out / "tileset.json").read_text(encoding="utf-8"))
    gltf, blob = read_glb(out / tileset["root"]["children"][0]["content"]["uri"])
    assert set(gltf.extensionsUsed) == {"EXT_mesh_features", "EXT_structural_metadata"}
    primitive = gltf.meshes[0].primitives[0]
    ids = primitive.extensions["EXT_mesh_features"]["featureIds"][0]
    assert ids == {"featureCount": 300, "attribute": 0, "propertyTable": 0}
    owner = accessor_array(gltf, blob, primitive.attributes._FEATURE_ID_0)[:, 0]
    assert set(np.unique(owner).astype(int)) == set(range(300))
    meta = gltf.extensions["EXT_structural_metadata"]
    cls = next(iter(meta["schema"]["classes"].values()))
    by_name = {p["name"]: (pid, p) for pid, p in cls["properties"].items()}
    assert cls["name"] == "건물" and by_name["층수"][1]["componentType"] == "INT32"
    assert by_name["big"][1]["componentType"] == "INT64" and by_name["공공"][1]["type"] == "BOOLEAN"
    name_id, name_prop = by_name["이름"]
    assert name_prop["type"] == "STRING" and name_prop["noData"] == ""
    for view in gltf.bufferViews:
        assert view.byteOffset % 8 == 0 and view.byteLength > 0
    props = meta["propertyTables"][0]["properties"]
    offsets = np.frombuffer(view_bytes(gltf, blob, props[name_id]["stringOffsets"]), dtype=np.uint32)
    text = view_bytes(gltf, blob, props[name_id]["values"])
    names = [text[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
    assert names == [v or "" for v in expected["이름"]]
    storeys = np.frombuffer(view_bytes(gltf, blob, props[by_name["층수"][0]]["values"]), dtype=np.int32)
    assert storeys.tolist() == expected["층수"]
    big = np.frombuffer(view_bytes(gltf, blob, props["big"]["values"]), dtype=np.int64)
    assert big.tolist() == expected["big"]
    bits = np.unpackbits(np.frombuffer(view_bytes(gltf, blob, props[by_name["공공"][0]]["values"]), np.uint8), bitorder="little")
    assert bits[:300].astype(bool).tolist() == expected["공공"]


def test_a_failed_export_leaves_the_folder_as_it_was(city, tmp_path, monkeypatch):
    from twin.io.tiles3d import glb

    out = tmp_path / "tiles"
    with Project.open(city, read_only=False) as project:
        export_3dtiles(project, out, max_features=1000)
        before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        calls = []
        real = glb.tile_glb

        def failing(*args, **kwargs):  # the disk fills up after the first tile
            calls.append(1)
            if len(calls) > 1:
                raise OSError("No space left on device")
            return real(*args, **kwargs)

        monkeypatch.setattr(glb, "tile_glb", failing)
        with pytest.raises(OSError, match="No space"):
            export_3dtiles(project, out, max_features=40)
        monkeypatch.undo()
        project.query(f"UPDATE {project.layer('건물').ref('mesh')} SET triangles = list_transform(triangles, t -> t + 1000) WHERE fid = 5")
        with pytest.raises(ProjectError, match="feature 5 has triangle indices outside its vertices"):
            export_3dtiles(project, out)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with Project.open(city, read_only=True) as project, pytest.raises(TwinError, match="holds no tileset.json"):
        export_3dtiles(project, other)
    assert [p.name for p in other.iterdir()] == ["keep.txt"]


def test_cli_writes_a_tileset_and_refuses_layers_without_3d_objects(city, tmp_path, capsys):
    with Project.open(city) as project:
        extra = pa.table({"geometry": pa.array(shapely.to_wkb(shapely.points([226000.0], [435000.0])), pa.binary())})
        write_layer(project, LayerData("points", extra, "EPSG:5186", ImportReport("p")), name="points")
    out = tmp_path / "web" / "tiles"
    assert main(["export", str(city), "--3dtiles", str(out), "--layer", "건물", "--max-features", "100"]) == 0
    assert "wrote 300 features of '건물'" in capsys.readouterr().err
    assert (out / "tileset.json").is_file() and len(list(out.rglob("*.glb"))) >= 5
    assert main(["export", str(city), "--3dtiles", str(tmp_path / "p"), "--layer", "points"]) == 1
    assert "layer 'points' has no 3D objects" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
    assert main(["export", str(city), "--3dtiles", str(tmp_path / "q")]) == 0  # default: the layers with meshes
    assert main(["export", str(city), "건물"]) == 1


def _node_tool(*packages: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (./setup.sh test installs nodejs)")
    for package in packages:
        if not (WEB / "node_modules" / package / "package.json").is_file():
            pytest.skip(f"tests/web/node_modules/{package} is missing: run ./setup.sh test (npm ci in tests/web)")


def test_glb_files_pass_the_khronos_gltf_validator(city, tmp_path):
    _node_tool("gltf-validator")
    out = tmp_path / "tiles"
    with Project.open(city, read_only=True) as project:
        export_3dtiles(project, out, max_features=60)
    done = subprocess.run(["node", str(WEB / "validate_glb.mjs"), str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == len(list(out.rglob("*.glb"))) > 4
    for name, result in results.items():
        problems = [m for m in result["messages"] if not m.startswith(("2 ", "3 "))]  # 0 errors, 1 warnings
        assert result["errors"] == 0 and result["warnings"] == 0, (name, problems)


@pytest.fixture(scope="module")
def demo_tileset(tmp_path_factory, demo_town) -> tuple[pathlib.Path, pathlib.Path]:
    root = tmp_path_factory.mktemp("demo3dtiles")
    path = demo_town[0]  # built once per session (tests/conftest.py)
    with Project.open(path, read_only=True) as project:
        export_3dtiles(project, root / "site" / "tiles")
    return path, root / "site"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_cesium_loads_the_demo_town_in_headless_chromium(demo_tileset, tmp_path):
    if not pathlib.Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (./setup.sh test installs Debian's chromium)")
    _node_tool("cesium", "playwright-core")
    project_path, site = demo_tileset
    for name in ("index.html", "view_tileset.js"):
        shutil.copy(WEB / name, site / name)
    if not (site / "Cesium").exists():
        (site / "Cesium").symlink_to(WEB / "node_modules" / "cesium" / "Build" / "Cesium")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shot, blank = tmp_path / "cesium.png", tmp_path / "blank.png"
    try:
        url = f"http://127.0.0.1:{server.server_port}/index.html"
        done = subprocess.run(["node", str(WEB / "cesium_3dtiles.mjs"), url, str(shot), str(blank)],
                              capture_output=True, text=True, timeout=480, env={**os.environ, "CHROMIUM": CHROMIUM})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    page = report["page"]
    assert page["error"] is None and page["failed"] == [], page
    requested = [u for u in report["requests"] if not u.startswith(("blob:", "data:"))]
    assert all(u.startswith(f"http://127.0.0.1:{server.server_port}/") for u in requested), requested  # no downloads
    tileset = json.loads((site / "tiles" / "tileset.json").read_text(encoding="utf-8"))
    uris = {t["content"]["uri"] for t in walk(tileset["root"]) if "content" in t}
    glbs = {u.split("/tiles/", 1)[1] for u in requested if u.endswith(".glb")}
    assert any(u.endswith("/tiles/tileset.json") for u in requested) and glbs and glbs <= uris
    leaves = {t["content"]["uri"] for t in walk(tileset["root"]) if "content" in t and not t.get("children")}
    assert glbs & leaves, "the view of the whole town should open the leaf tiles"
    lon, lat, _ = page["centre"]
    assert 127.2 < lon < 127.4 and 36.4 < lat < 36.6  # beside Sejong, not in the sea
    picked = page["picked"]
    assert picked is not None, "no building could be picked in the view"
    with Project.open(project_path, read_only=True) as project:
        layer = project.layer("건물 buildings")
        height = project.query(f"SELECT height FROM {layer.ref()} WHERE fid = ?", [picked["properties"]["fid"]]).column(0)[0].as_py()
    assert picked["properties"]["height"] == pytest.approx(height)  # metadata read back by the client
    from PIL import Image

    with_city = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
    without = np.asarray(Image.open(blank).convert("L"), dtype=np.float64)
    h, w = with_city.shape
    area = (slice(h // 4, 3 * h // 4), slice(w // 4, 3 * w // 4))  # where the town stands in the view
    assert without[area].var() < 5.0  # the same view without the tileset: an empty ground
    covered = (np.abs(with_city[area] - without[area]) > 8.0).mean()
    assert covered > 0.15, f"only {covered:.0%} of the view shows the town"  # about 30% measured; blank is 0%


def test_quadtree_stops_on_coincident_centroids_and_keeps_every_feature():
    from twin.io.tiles3d.quadtree import MAX_LEVEL, build_quadtree

    centres = np.vstack([np.zeros((50, 2)), np.array([[100.0, 100.0]])])
    root = build_quadtree(centres, np.ones(51), max_features=10)
    leaves = [t for t in root.walk() if not t.children]
    assert sorted(np.concatenate([t.content for t in leaves]).tolist()) == list(range(51))
    assert max(t.level for t in leaves) == MAX_LEVEL  # the 50 stacked features stay together at the deepest level
    assert all(t.geometric_error > 0 for t in root.walk() if t.children)


def test_two_layers_share_one_frame_with_a_class_each(tmp_path):
    path = tmp_path / "two.twin.duckdb"
    with Project.open(path, create=True) as project:
        add_city(project, 50, name="north")
        add_city(project, 30, seed=9, name="south")
        report = export_3dtiles(project, tmp_path / "tiles")
        ids = {layer.name: layer.id for layer in project.layers()}
    assert report.features == 80 and report.layers == ["north", "south"]
    tileset = json.loads((tmp_path / "tiles" / "tileset.json").read_text(encoding="utf-8"))
    children = tileset["root"]["children"]
    assert [c["content"]["uri"] for c in children] == [f"content/{ids['north']}/0_0_0.glb", f"content/{ids['south']}/0_0_0.glb"]
    for child, name in zip(children, ("north", "south")):
        gltf, _ = read_glb(tmp_path / "tiles" / child["content"]["uri"])
        classes = gltf.extensions["EXT_structural_metadata"]["schema"]["classes"]
        assert [c["name"] for c in classes.values()] == [name]
