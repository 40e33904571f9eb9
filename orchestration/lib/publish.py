"""Build in a working file, publish by atomically replacing the readers' file.

Readers (analysts, BI tools) open the published file read-only. A run never writes it:
it copies the published file to its working file, loads and builds there, and only when
every blocking check has passed replaces the published file with os.replace. Open
readers keep the snapshot they have; new connections see the new warehouse; a run that
fails or is killed leaves the published file as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


# BI tools bundle their own, often older, DuckDB: the warehouse is written in a storage
# format DuckDB 1.5 and newer can open. The format is fixed when a file is created.
STORAGE_COMPATIBILITY_VERSION = "v1.5.0"


def start_working_copy(published: Path, working: Path) -> None:
    """Begin a run from the published warehouse, or from a new, compatible file."""
    working.parent.mkdir(parents=True, exist_ok=True)
    _remove(working)
    if published.exists():
        shutil.copyfile(published, working)
    else:
        config = {"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION}
        duckdb.connect(str(working), config=config).close()


def export_marts(working: Path, parquet_dir: Path) -> list[Path]:
    """Every mart as a Parquet file, for tools without a (recent enough) DuckDB driver.

    Each file is written beside its target and moved into place with os.replace.
    """
    parquet_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(working), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for table in tables:
            target = parquet_dir / f"{table}.parquet"
            staged = parquet_dir / f".{table}.parquet.writing"
            con.execute(f"copy marts.{table} to '{staged}' (format parquet)")
            os.replace(staged, target)
            written.append(target)
    for stale in set(parquet_dir.glob("*.parquet")) - set(written):
        stale.unlink()  # a mart that no longer exists
    return written


def publish(working: Path, published: Path) -> None:
    """Replace the published file with the audited working file in one step."""
    with duckdb.connect(str(working)) as con:
        con.execute("CHECKPOINT")  # everything in the main file, nothing left in the WAL
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = published.with_name(f".{published.name}.publishing")
    shutil.copyfile(working, staged)
    with staged.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(staged, published)
