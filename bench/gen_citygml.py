"""Generate a synthetic CityGML 2.0 file of N LoD2 buildings, shaped like PLATEAU tiles.

Each building: a rectangular footprint (random size and orientation) with a gabled roof; boundary
surfaces (GroundSurface, 4 WallSurfaces, 2 RoofSurfaces) carry ``lod2MultiSurface`` polygons with
``gml:id``s, and the ``lod2Solid`` points to them by ``xlink:href`` (as PLATEAU does); generic
attributes with Japanese names, ``measuredHeight``, an xAL address and an ADE (``uro:``) element.
Coordinates in EPSG:6697 (latitude, longitude, height) around Tokyo Station.

    .venv/bin/python bench/gen_citygml.py bench/out/city_20k.gml --buildings 20000
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:bldg="http://www.opengis.net/citygml/building/2.0"
 xmlns:gen="http://www.opengis.net/citygml/generics/2.0" xmlns:gml="http://www.opengis.net/gml"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xAL="urn:oasis:names:tc:ciq:xsdschema:xAL:2.0"
 xmlns:uro="https://www.chisou.go.jp/tiiki/toshisaisei/itoshisaisei/iur/uro/1.5">
 <gml:boundedBy><gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/6697" srsDimension="3">
  <gml:lowerCorner>{lat0} {lon0} 0</gml:lowerCorner><gml:upperCorner>{lat1} {lon1} 100</gml:upperCorner>
 </gml:Envelope></gml:boundedBy>
"""
LAT0, LON0 = 35.6812, 139.7671
M_PER_DEG_LAT, M_PER_DEG_LON = 110_950.0, 90_400.0


def _ring(points: np.ndarray) -> str:
    """posList text of a closed ring of (x m, y m, z m) points, written as lat lon h."""
    closed = np.vstack([points, points[:1]])
    lat = LAT0 + closed[:, 1] / M_PER_DEG_LAT
    lon = LON0 + closed[:, 0] / M_PER_DEG_LON
    return " ".join(f"{a:.9f} {o:.9f} {h:.3f}" for a, o, h in zip(lat, lon, closed[:, 2]))


def _polygon(pid: str, points: np.ndarray) -> str:
    return (f'<gml:surfaceMember><gml:Polygon gml:id="{pid}"><gml:exterior><gml:LinearRing><gml:posList>'
            f'{_ring(points)}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>')


def building(i: int, rng: np.random.Generator, cx: float, cy: float) -> str:
    w, d = rng.uniform(8, 25), rng.uniform(8, 18)
    eave, ridge = rng.uniform(4, 30), rng.uniform(1.5, 4)
    angle = rng.uniform(0, np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    base = np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]]) @ rot.T + [cx, cy]
    mid = np.array([[-w / 2, 0], [w / 2, 0]]) @ rot.T + [cx, cy]
    z0 = 0.0
    g = lambda p, z: np.column_stack([p, np.full(len(p), z)])  # noqa: E731
    b, t = g(base, z0), g(base, z0 + eave)
    r = g(mid, z0 + eave + ridge)
    faces = {
        "ground": ("GroundSurface", b[::-1]),
        "wall0": ("WallSurface", np.vstack([b[0], b[1], t[1], t[0]])),
        "wall1": ("WallSurface", np.vstack([b[1], b[2], t[2], r[1], t[1]])),
        "wall2": ("WallSurface", np.vstack([b[2], b[3], t[3], t[2]])),
        "wall3": ("WallSurface", np.vstack([b[3], b[0], t[0], r[0], t[3]])),
        "roof0": ("RoofSurface", np.vstack([t[0], t[1], r[1], r[0]])),
        "roof1": ("RoofSurface", np.vstack([t[2], t[3], r[0], r[1]])),
    }
    bid = f"bldg_{i}"
    surfaces = "".join(
        f'<bldg:boundedBy><bldg:{kind} gml:id="{bid}_{name}_s"><bldg:lod2MultiSurface><gml:MultiSurface>'
        f'{_polygon(f"{bid}_{name}", pts)}</gml:MultiSurface></bldg:lod2MultiSurface></bldg:{kind}></bldg:boundedBy>\n'
        for name, (kind, pts) in faces.items())
    refs = "".join(f'<gml:surfaceMember xlink:href="#{bid}_{name}"/>' for name in faces)
    return f"""<core:cityObjectMember><bldg:Building gml:id="{bid}">
<gen:stringAttribute name="建物ID"><gen:value>13101-bldg-{i}</gen:value></gen:stringAttribute>
<gen:intAttribute name="地上階数"><gen:value>{max(1, int(eave // 3))}</gen:value></gen:intAttribute>
<bldg:measuredHeight uom="m">{eave + ridge:.2f}</bldg:measuredHeight>
<bldg:lod2Solid><gml:Solid><gml:exterior><gml:CompositeSurface>{refs}</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod2Solid>
{surfaces}<bldg:address><core:Address><core:xalAddress><xAL:AddressDetails><xAL:Country><xAL:CountryName>日本</xAL:CountryName>
<xAL:Locality><xAL:LocalityName>東京都千代田区丸の内</xAL:LocalityName></xAL:Locality></xAL:Country></xAL:AddressDetails></core:xalAddress></core:Address></bldg:address>
<uro:buildingDetails><uro:BuildingDetails><uro:surveyYear>2020</uro:surveyYear></uro:BuildingDetails></uro:buildingDetails>
</bldg:Building></core:cityObjectMember>
"""


def generate(path: pathlib.Path, n: int, *, seed: int = 12) -> pathlib.Path:
    """Write ``n`` buildings on a 30 m grid into ``path``."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    extent = side * 30.0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEAD.format(lat0=LAT0, lon0=LON0, lat1=LAT0 + extent / M_PER_DEG_LAT, lon1=LON0 + extent / M_PER_DEG_LON))
        for i in range(n):
            fh.write(building(i, rng, (i % side) * 30.0 + 15, (i // side) * 30.0 + 15))
        fh.write("</core:CityModel>\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--buildings", type=int, default=20_000)
    args = parser.parse_args()
    generate(args.out, args.buildings)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {args.buildings} buildings)")


if __name__ == "__main__":
    main()
