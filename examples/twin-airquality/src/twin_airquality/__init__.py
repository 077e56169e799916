"""twin-airquality: an example Smart City Twin plugin (hourly air-quality CSVs, a WHO-guideline analysis, a panel).

Keep this module empty: Smart City Twin reads ``twin.toml`` beside it without importing anything,
and imports the modules the manifest names only when they are first used.
"""
