"""Where the project keeps things; every location can be overridden by environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_ROOT / "seeds"
REFERENCE_DIR = SEEDS_DIR / "reference"
DEFAULT_DELIVERY_DIR = SEEDS_DIR / "2023-03"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def warehouse_path() -> Path:
    """The published DuckDB file readers open (KUNTASEURANTA_WAREHOUSE)."""
    return Path(
        os.environ.get("KUNTASEURANTA_WAREHOUSE", PROJECT_ROOT / "warehouse" / "warehouse.duckdb")
    )


def working_path() -> Path:
    """The file a run builds and audits before it is published (KUNTASEURANTA_WORKING)."""
    default = warehouse_path().parent / ".build" / warehouse_path().name
    return Path(os.environ.get("KUNTASEURANTA_WORKING", default))


def evidence_dir() -> Path:
    """Validation results and data docs, one folder per run."""
    return warehouse_path().parent / "validation"


def inbox_dir() -> Path:
    """Where deliveries land, one folder per reporting period (KUNTASEURANTA_INBOX)."""
    return Path(os.environ.get("KUNTASEURANTA_INBOX", PROJECT_ROOT / "inbox"))


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the pipeline's connections and dbt's
    (KUNTASEURANTA_DUCKDB_MEMORY_LIMIT). DuckDB spills to disk beyond it, so the whole run
    (Dagster, dbt and DuckDB) stays within about 1 GB at 10 million ledger rows."""
    return os.environ.get("KUNTASEURANTA_DUCKDB_MEMORY_LIMIT", "400MB")
