"""Exports: CSV, JSON and GraphML files, Atom feeds, and JSON Lines import and export."""
