"""``twin import PROJECT DATASET_DIR``: reference a partitioned dataset as one layer (docs/datasets.md).

:func:`plan_dataset` reads and checks the dataset with the project closed (the manifest, every partition
file present with the rows the manifest says, the schema of the first file; for tracks, one row per object),
through a connection that reaches only that folder. :func:`write_dataset` then writes, in one transaction,
the catalogue row, ``lyr_<id>_partitions`` and (tracks) the per-object table ``lyr_<id>``, with the
provenance (the manifest's sha256, its sources) in ``imports``. No building row or track sample is copied.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from twin.crs import same_crs
from twin.errors import InputError, ProjectError
from twin.io.placement import check_placement, project_extent
from twin.layerdata import ImportReport, LayerData
from twin.store.dataset_manifest import MANIFEST, Manifest, is_dataset_folder, read_manifest
from twin.store.datasets import PARTITIONS, partition_table
from twin.store.identifiers import table_ref
from twin.store.project import LayerInfo, Project
from twin.store.spatial import lock_down
from twin.time.temporal import TemporalProperties
from twin.time.tracks import DEFAULT_SPLIT_GAP_S

#: partitions of a track dataset sampled for the longest gap between two samples of an object
GAP_SAMPLE_PARTITIONS = 3


@dataclasses.dataclass
class DatasetPlan:
    """A dataset read and checked, ready to be referenced (nothing is in the project yet)."""

    manifest: Manifest
    report: ImportReport
    objects: pa.Table | None  # moving: fid, object_id, t_start, t_end, x, y (first position)
    max_gap_s: float = 0.0

    @property
    def folder(self) -> pathlib.Path:
        return self.manifest.folder


def dataset_folder(path: str | pathlib.Path) -> pathlib.Path | None:
    """The dataset folder ``path`` names (the folder itself, or its ``twin-dataset.json``), else None."""
    path = pathlib.Path(path)
    if path.name == MANIFEST and path.is_file():
        path = path.parent
    return path if is_dataset_folder(path) else None


def plan_dataset(folder: str | pathlib.Path) -> DatasetPlan:
    """Read and check the dataset in ``folder`` (InputError naming the file and the field)."""
    manifest = read_manifest(folder)
    files = manifest.files()
    for i, file in enumerate(files):
        if not pathlib.Path(file).is_file():
            raise InputError(manifest.path, f"partitions[{i}].path {manifest.partitions[i].path!r}: no such file")
    con = _reader(manifest.folder)
    try:
        _check_files(con, manifest, files)
        objects, gap = (_objects(con, manifest, files) if manifest.kind == "moving" else (None, 0.0))
    finally:
        con.close()
    count = manifest.feature_count if manifest.kind == "buildings" else manifest.sample_count
    report = ImportReport(source=str(manifest.folder), imported=count,
                          counted="building(s)" if manifest.kind == "buildings"
                          else f"sample(s) of {manifest.feature_count} object(s)")
    report.detected.update({"format": "partitioned dataset (twin-dataset.json)", "kind": manifest.kind,
                            "crs": manifest.crs, "partitions": len(files), "created_by": manifest.created_by})
    report.note(f"the layer references the dataset in place ({len(files)} partitions); no rows are copied "
                "into the project")
    return DatasetPlan(manifest=manifest, report=report, objects=objects, max_gap_s=gap)


def _reader(folder: pathlib.Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB (no spatial extension needed: Parquet only) that reaches ``folder`` and nothing else."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")
    lock_down(con, [folder])
    return con


def _check_files(con, manifest: Manifest, files: list[str]) -> None:
    """Every file holds the rows the manifest says; the first file has the manifest's columns."""
    if not files:
        raise InputError(manifest.path, "partitions: empty (nothing to import)")
    try:
        found = dict(con.execute("SELECT file_name, num_rows FROM parquet_file_metadata(?)", [files]).fetchall())
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)",
                                           [files[:1]]).fetchall()]
    except Exception as exc:  # noqa: BLE001 - a damaged file is one line naming the manifest
        raise InputError(manifest.path, f"a partition is not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    for i, (file, part) in enumerate(zip(files, manifest.partitions)):
        if found.get(file) != part.rows:
            raise InputError(manifest.path, f"partitions[{i}].rows {part.rows:,}: the file {part.path} holds "
                                            f"{found.get(file, 0):,} rows")
    if set(names) != set(manifest.columns):
        extra = sorted(set(names) ^ set(manifest.columns))
        raise InputError(manifest.path, f"columns: the files' columns differ from the manifest's ({', '.join(extra)})")


def _objects(con, manifest: Manifest, files: list[str]) -> tuple[pa.Table, float]:
    """One row per object of a track dataset (its id, first position, time span) and the longest gap."""
    oid = "min(object_id)" if "object_id" in manifest.columns else "CAST(fid AS VARCHAR)"
    objects = con.execute(
        f"SELECT fid::BIGINT AS fid, {oid} AS object_id, min(t) AS t_start, max(t) AS t_end, "
        "arg_min(x, t) AS x, arg_min(y, t) AS y FROM read_parquet(?, hive_partitioning = false) "
        "GROUP BY fid ORDER BY fid", [files]).to_arrow_table()
    fid = objects.column("fid").to_numpy()
    if len(fid) != manifest.feature_count or not np.array_equal(fid, np.arange(len(fid))):
        raise InputError(manifest.path, f"feature_count {manifest.feature_count:,}: the samples hold "
                                        f"{len(fid):,} objects (fid 0..n-1 expected)")
    picks = sorted({0, len(files) // 2, len(files) - 1})[:GAP_SAMPLE_PARTITIONS]
    split_us = int(DEFAULT_SPLIT_GAP_S * 1e6)
    gap = con.execute(
        "SELECT max(d) FROM (SELECT epoch_us(t) - lag(epoch_us(t)) OVER (PARTITION BY fid ORDER BY t) AS d "
        "FROM read_parquet(?, hive_partitioning = false)) WHERE d <= ?", [[files[i] for i in picks], split_us],
    ).fetchone()[0]
    return objects, float(gap or 0) / 1e6


def write_dataset(project: Project, plan: DatasetPlan, *, name: str | None = None, stage: int | None = None,
                  service: str | None = None, force: bool = False) -> LayerInfo:
    """Reference ``plan``'s dataset as one new layer of ``project``, in one transaction; the open project can
    read it right after (its connection reaches the folder)."""
    m = plan.manifest
    if stage is not None and not 1 <= int(stage) <= 4:
        raise ProjectError(f"stage must be 1, 2, 3 or 4, not {stage}")
    if project.crs and not same_crs(project.crs, m.crs):
        raise InputError(m.folder, f"the dataset is in {m.crs}, the project in {project.crs}: a dataset is read as "
                                   f"it is stored, without reprojection; write it in {project.crs} or import it "
                                   f"into a project in {m.crs}")
    check_placement(m.folder, [_centres(m)], project.crs, project_extent(project.layers()), force=force)
    if name and project.has_layer(name):
        raise ProjectError(f"a layer named {name!r} already exists; choose another --layer name")
    name = name or project.unique_layer_name(m.folder.name)
    now = dt.datetime.now(dt.timezone.utc)
    with project.transaction() as con:
        if not project.crs:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('crs', ?)", [m.crs])
        layer_id = con.execute("SELECT nextval('layer_ids')").fetchone()[0]
        table = f"lyr_{layer_id}"
        con.register("_twin_incoming", partition_table(m))
        con.execute(f"CREATE TABLE {table_ref(f'{table}_{PARTITIONS}')} AS SELECT * FROM _twin_incoming")
        con.unregister("_twin_incoming")
        if plan.objects is not None:
            con.register("_twin_incoming", plan.objects)
            con.execute(f"CREATE TABLE {table_ref(table)} AS SELECT fid, object_id, t_start, t_end, "
                        "ST_Point(x, y) AS geom FROM _twin_incoming ORDER BY fid")
            con.unregister("_twin_incoming")
        position = con.execute("SELECT coalesce(max(position), 0) + 1 FROM layers").fetchone()[0]
        t0, t1 = m.time_span or (None, None)
        con.execute(
            "INSERT INTO layers (id, name, kind, stage, service, source_file, source_sha256, source_crs, imported_at, "
            "feature_count, xmin, ymin, xmax, ymax, zmin, zmax, t_start, t_end, table_name, properties, position) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [layer_id, name, m.kind, stage, service or None, str(m.folder), m.sha256, m.crs, now, m.feature_count,
             *m.bbox, *(m.zrange or (None, None)), t0, t1, table,
             json.dumps(_properties(plan), ensure_ascii=False), position])
        report = {**plan.report.to_dict(), "dataset": {"manifest": str(m.path), "manifest_sha256": m.sha256,
                                                       "sources": m.sources, "created_by": m.created_by,
                                                       "created_at": m.created_at}}
        con.execute("INSERT INTO imports VALUES (nextval('import_ids'), ?, ?, ?, ?, ?, ?)",
                    [now, name, str(m.folder), m.sha256, m.crs, json.dumps(report, ensure_ascii=False)])
    project.save()
    project.reach_datasets()
    return project.layer(name)


def _properties(plan: DatasetPlan) -> dict:
    m = plan.manifest
    props: dict = {"dataset": {"path": str(m.folder), "format_version": 1, "kind": m.kind,
                               "partitioning": m.partitioning, "partitions": len(m.partitions), "crs": m.crs,
                               "manifest_sha256": m.sha256, "tile_size_m": m.tile_size_m,
                               "feature_count": m.feature_count, "sample_count": m.sample_count}}
    if m.kind == "buildings":
        props["lod"] = "1"
    else:
        props["temporal"] = TemporalProperties.range("t_start", "t_end").to_dict()
        props["track"] = {"table": "track", "max_gap_s": plan.max_gap_s, "split_gap_s": DEFAULT_SPLIT_GAP_S,
                          "samples": m.sample_count}
    return props


def _centres(m: Manifest) -> LayerData:
    """The partitions' centres as points, for the placement check (one city per project)."""
    boxes = np.array([p.bbox for p in m.partitions if p.bbox is not None] or [m.bbox], dtype=float)
    points = shapely.points((boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2)
    features = pa.table({"geometry": pa.array(shapely.to_wkb(points), type=pa.binary())})
    return LayerData(kind=m.kind, features=features, crs=m.crs, report=ImportReport(source=str(m.folder)))
