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


PROFILES_VARIABLE = "KUNTASEURANTA_PROFILES"


def profiles_dir() -> Path:
    """The profile library (KUNTASEURANTA_PROFILES): the shipped profiles by default."""
    return Path(os.environ.get(PROFILES_VARIABLE, PROJECT_ROOT / "profiles"))


def evidence_dir() -> Path:
    """Validation results and data docs, one folder per run."""
    return warehouse_path().parent / "validation"


def inbox_dir() -> Path:
    """Where deliveries land, one folder per reporting period (KUNTASEURANTA_INBOX):
    `inbox/2023-03/`, or grouped by who delivers, `inbox/welfare/2023-03/` or
    `inbox/heinola/welfare/2023-03/`."""
    return Path(os.environ.get("KUNTASEURANTA_INBOX", PROJECT_ROOT / "inbox"))


INBOX_DEPTH = 3  # inbox/<municipality>/<department>/<YYYY-MM>


def inbox_deliveries(period: str | None = None) -> list[Path]:
    """Delivery folders in the inbox (named YYYY-MM at most INBOX_DEPTH levels down),
    optionally only those of one period, in path order."""
    import re

    inbox = inbox_dir()
    if not inbox.is_dir():
        return []
    found = []
    for depth in range(1, INBOX_DEPTH + 1):
        for folder in inbox.glob("/".join(["*"] * depth)):
            name = folder.name
            wanted = period is None or name == period
            if wanted and re.fullmatch(r"\d{4}-\d{2}", name) and folder.is_dir():
                found.append(folder)
    return sorted(found)


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the pipeline's connections and dbt's
    (KUNTASEURANTA_DUCKDB_MEMORY_LIMIT). DuckDB spills to disk beyond it, so the whole run
    (Dagster, dbt and DuckDB) stays within about 1 GB at 10 million ledger rows."""
    return os.environ.get("KUNTASEURANTA_DUCKDB_MEMORY_LIMIT", "400MB")
