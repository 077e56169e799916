"""CityJSON 1.0/1.1/2.0 and CityJSONSeq importers (see docs/cityjson.md).

Modules: ``source`` (parsing with simdjson, header, errors), ``lift`` (boundaries cut out of the
text and read with simdjson + numpy), ``collect`` (city objects into flat
arrays), ``templates`` (GeometryInstance), ``triangulate`` (numpy fans + earcut), ``mesh`` (parts,
footprints, heights), ``attributes`` (Arrow columns), ``layers`` (themes into LayerData) and
``reader`` (the entry points named in ``twin.toml``).
"""
