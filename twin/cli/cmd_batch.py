"""``twin batch buildings|tracks SRC... --out DATASET``: heavy preprocessing on Dask (docs/batch.md)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("batch", help="preprocess big sources on Dask into a partitioned GeoParquet dataset",
                       description="Heavy preprocessing on a Dask cluster (a local one by default): footprints to "
                                   "LoD1 tiles, or tracks to days, as a dataset `twin import PROJECT DATASET` reads.")
    what = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    b = what.add_parser("buildings", help="footprints with heights or storeys -> LoD1 buildings by tile")
    _common(b)
    b.add_argument("--tile-size", type=float, default=1000.0, help="tile side in metres, at most 1000 (default 1000)")
    b.add_argument("--chunk-rows", type=int, default=50_000, help="features per task (default 50000)")
    b.add_argument("--storey-height", type=float, default=3.0, help="metres per storey (default 3)")
    b.add_argument("--default-height", type=float, default=10.0, help="metres with neither height nor storeys (default 10)")
    b.add_argument("--height-column", metavar="COL", help="footprint height column in metres instead of detection")
    b.add_argument("--storeys-column", metavar="COL", help="footprint storeys column instead of detection")
    b.add_argument("--encoding", help="text encoding of the sources instead of detection (utf-8, cp949, ...)")
    t = what.add_parser("tracks", help="GPS CSV tracks or SUMO FCD -> samples sorted by (t, fid), one folder per UTC day")
    _common(t)
    t.add_argument("--tz", default="Asia/Seoul", help="time zone of source times without offset (default Asia/Seoul)")
    t.add_argument("--net", help="SUMO network (.net.xml) that georeferences FCD x/y")
    t.add_argument("--start", help="start time of SUMO FCD seconds (ISO 8601)")
    t.add_argument("--max-rows-per-file", type=int, default=1_000_000, help="samples per part file (default 1000000)")
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SRC", help="source files (any footprint/track file `twin import` reads)")
    p.add_argument("--out", required=True, metavar="DATASET", help="dataset folder to write (replaced whole on success)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    p.add_argument("--memory-limit", help="memory limit per local worker, e.g. 4GB (default: Dask's share of RAM)")
    p.add_argument("--crs", help="dataset CRS, projected in metres (default: EPSG:5186 in Korea, else UTM)")
    p.add_argument("--source-crs", help="CRS of source files that declare none, e.g. EPSG:5181")


def run(args: argparse.Namespace) -> int:
    from twin.batch.cluster import open_client, stderr_progress
    from twin.errors import TwinError
    from twin.io.options import ImportOptions

    if args.workers < 1:
        raise TwinError("--workers must be at least 1")
    where = args.scheduler or f"a local cluster of {args.workers} worker process(es)"
    stderr_progress(f"{args.what} on {where}")
    with open_client(scheduler=args.scheduler, workers=args.workers, memory_limit=args.memory_limit) as client:
        if args.what == "buildings":
            from twin.batch.buildings import batch_buildings

            options = ImportOptions(crs=args.source_crs, storey_height=args.storey_height,
                                    default_height=args.default_height, encoding=args.encoding,
                                    height_column=args.height_column, storeys_column=args.storeys_column)
            result = batch_buildings(client, args.sources, args.out, crs=args.crs, options=options,
                                     tile_size=args.tile_size, chunk_rows=args.chunk_rows, progress=stderr_progress)
        else:
            from twin.batch.tracks import batch_tracks

            extra = {k: getattr(args, k) for k in ("net", "start") if getattr(args, k)}
            options = ImportOptions(crs=args.source_crs, timezone=args.tz, extra=extra)
            result = batch_tracks(client, args.sources, args.out, crs=args.crs, options=options,
                                  max_rows_per_file=args.max_rows_per_file, progress=stderr_progress)
    print(result.summary(), file=sys.stderr)
    return 0
