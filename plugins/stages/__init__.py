"""Built-in smart-city stages and services of Korea, declared as data in ``twin.toml``.

This plugin has no code: the core reads its manifest sections ``stages``, ``services`` and
``suggestions`` through :mod:`twin.stages`. Keep this module empty.
"""
