"""Everything that writes a run folder: tables, manifest and the explorer page."""
