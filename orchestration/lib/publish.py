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


def start_working_copy(published: Path, working: Path) -> None:
    """Begin a run from the published warehouse (or from nothing)."""
    working.parent.mkdir(parents=True, exist_ok=True)
    _remove(working)
    if published.exists():
        shutil.copyfile(published, working)


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
