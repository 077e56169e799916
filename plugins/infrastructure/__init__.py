"""Built-in stage plugin twin-infrastructure (stage 1 national GIS, service ``infrastructure``): underground utilities."""
