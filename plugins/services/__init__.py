"""Interconnected services: the links between the stages' features (an incident and its cameras, stations,
route and detectors; an excavation and the pipes it endangers), and the analyses and panels built on them."""
