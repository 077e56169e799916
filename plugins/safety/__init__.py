"""Built-in stage plugin twin-safety (stages 2-3, service ``safety``): CCTV cameras and emergency calls."""
