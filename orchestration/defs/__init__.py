"""Dagster wiring only, one folder per stage: load_from_defs_folder loads it."""
