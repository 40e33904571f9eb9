"""`warehouse rollback [--to GENERATION]`: make an earlier published generation current
again (the DuckDB file, its Parquet export and the reports together)."""

from __future__ import annotations

import argparse

from orchestration.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    add_wait_options,
    wait_seconds,
    waiting_printer,
)
from orchestration.warehouse import lock
from orchestration.warehouse.failures import describe_exception
from orchestration.warehouse.paths import warehouse_path, working_path
from orchestration.warehouse.publish import DamagedWarehouse, layout_for, rollback


def cmd_rollback(args: argparse.Namespace) -> int:
    """Make an earlier generation current again (under the lock, like a run)."""
    layout = layout_for(warehouse_path(), working_path())
    wait = wait_seconds(args)

    try:
        with lock.warehouse_lock(layout.root, "rollback", wait, on_wait=waiting_printer(wait)):
            left, now = rollback(layout, args.to)
    except lock.WarehouseBusy as busy:
        print(f"REFUSED: {busy}.")
        return EXIT_REFUSED
    except (RuntimeError, DamagedWarehouse) as exc:
        print(f"REFUSED: {exc}")
        return EXIT_REFUSED
    except OSError as exc:
        print(f"FAILED: {describe_exception(exc)}")
        return EXIT_REFUSED
    print(f"Rolled back: readers now see {now.describe()}.")
    print(
        f"  {left.id} is kept beside it; the next run builds on {now.id}, so deliveries "
        f"loaded by {left.id} must be run again ({', '.join(left.manifest.get('periods', []))})."
    )
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    rollback_parser = sub.add_parser(
        "rollback",
        help="make the previous published generation current again (the DuckDB file, "
        "its Parquet export and the report together)",
    )
    rollback_parser.add_argument(
        "--to", help="the generation to make current (default: the one the current was built on)"
    )
    add_wait_options(rollback_parser)
    rollback_parser.set_defaults(func=cmd_rollback)
