"""Links between features across layers: an incident and the cameras that see it, the stations that answer
it by road, the detectors on the route; an excavation and the pipes at risk (docs/links.md)."""
