"""Built-in stage plugin twin-traffic (stage 2, service ``traffic``): SUMO road networks and floating car data."""
