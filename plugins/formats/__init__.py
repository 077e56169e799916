"""Built-in file formats, registered through the ``twin.plugins`` entry point like any plugin.

Keep this module empty: reading the manifest imports it, and code must load only on first use.
"""
