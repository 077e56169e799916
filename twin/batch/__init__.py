"""`twin batch`: heavy preprocessing on Dask, into partitioned GeoParquet datasets (docs/batch.md).

- :mod:`twin.batch.cluster`: a ``distributed`` client on a local cluster or an existing scheduler.
- :mod:`twin.batch.sources`: sources cut into chunks of rows, each read by the project's own importer.
- :mod:`twin.batch.buildings`: footprints -> LoD1 rows -> tiles (``twin batch buildings``).
- :mod:`twin.batch.tracks`: GPS / FCD tracks -> samples by UTC day (``twin batch tracks``).
- :mod:`twin.batch.dataset`: the files and the manifest of the dataset format (shared with ``twin import``).

No Qt here; the work functions run on Dask workers and return Arrow tables or plain dicts.
"""
