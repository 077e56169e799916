"""Built-in stage plugin twin-pilot (stage 4 national pilot cities, service ``environment``): IoT sensor readings."""
