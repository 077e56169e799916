"""Time in the twin, Qt-free: time ranges, the timeline, temporal properties -> SQL, date parsing,
track layers (moving objects, events, sensor and segment readings) and their slicing at a time.

See docs/timeline.md.
"""
