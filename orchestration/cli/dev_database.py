"""`warehouse dev-database`: a copy of the published warehouse for dbt run by hand."""

from __future__ import annotations

import argparse
import os
import shutil

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, shown
from orchestration.warehouse.paths import warehouse_path


def cmd_dev_database(args: argparse.Namespace) -> int:
    """A development copy of the published warehouse for dbt run by hand."""
    from orchestration.warehouse.dbt_project import dev_database  # dagster-dbt: seconds

    published = warehouse_path()
    if not published.exists():
        print(f"No published warehouse at {shown(published)} yet: run `warehouse run`.")
        return EXIT_REFUSED
    target = dev_database()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.copying")
    shutil.copyfile(published, partial)
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    os.replace(partial, target)
    print(f"Copied {shown(published)} to {shown(target)}.")
    print("  dbt run by hand from dbt_project/ builds there; the published warehouse is untouched.")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    dev = sub.add_parser(
        "dev-database",
        help="copy the published warehouse to dbt's development file, for dbt run by hand",
    )
    dev.set_defaults(func=cmd_dev_database)
