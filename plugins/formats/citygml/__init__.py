"""CityGML 2.0 and 3.0 importer (see docs/citygml.md).

Modules: ``names`` (namespaces and element tables), ``source`` (safe streaming parse with lxml
iterparse), ``walk`` (one city object member into flat arrays), ``collected`` (the arrays of the whole
file, shaped for the CityJSON layer builder), ``srs`` (srsName notations, axis order, reprojection),
``attributes`` (generic attributes, addresses, simple properties) and ``reader`` (the entry points
named in ``twin.toml``).
"""
