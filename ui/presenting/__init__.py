"""Presenting: the bookmark and tour lists, tour playback and the full-screen presentation."""
