"""The docks of the main window, each bound to a part of the model: layers, selection, SQL, timeline, lens, status, plugin panels."""
