"""Helpers without Dagster objects, shared by the CLI and the processes a run starts."""
