"""The ``twin`` command line: import, info, query, export, render, plugins."""
