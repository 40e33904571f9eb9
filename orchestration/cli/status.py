"""`warehouse status`: what readers see now: the published generation, its periods,
deliveries and reconciliation."""

from __future__ import annotations

import argparse
import os

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, completeness_lines, shown
from orchestration.warehouse import lock
from orchestration.warehouse.failures import describe_exception
from orchestration.warehouse.paths import warehouse_path, working_path
from orchestration.warehouse.publish import (
    DamagedWarehouse,
    current_generation,
    generations,
    layout_for,
    sha256_of,
    verify,
)


def cmd_status(args: argparse.Namespace) -> int:
    """What readers see now: the published generation, its periods, deliveries and checks.
    A warehouse that does not open is reported in one line, with what to do."""
    import datetime as dt

    import duckdb

    layout = layout_for(warehouse_path(), working_path())
    holder = lock.current_holder(layout.root) if layout.root.is_dir() else None
    if holder is not None:
        print(f"Running:   {holder.describe()}")
    published = layout.published
    generation = current_generation(layout)
    if not published.exists():
        if layout.current_link.is_symlink():
            print(
                f"DAMAGED: {shown(layout.current_link)} points at "
                f"{os.readlink(layout.current_link)}, which is missing; "
                f"`warehouse rollback --to ID` makes a kept generation current"
            )
            return EXIT_REFUSED
        print(f"No published warehouse at {shown(published)} yet: run `warehouse run`.")
        return EXIT_REFUSED
    database = published.resolve()
    modified = dt.datetime.fromtimestamp(database.stat().st_mtime).isoformat(timespec="seconds")
    where = f", {generation.describe()}" if generation else ""
    print(f"Published: {shown(published)} ({database.stat().st_size:,} bytes, {modified}{where})")
    problem = _published_problem(layout, generation)
    if problem:
        print(problem)
        if problem.startswith("DAMAGED"):
            return EXIT_REFUSED
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            tags = con.execute("select tags from duckdb_databases() where not internal").fetchall()[
                0
            ][0]
            periods = con.execute("""
                select reporting_period, count(*) filter (where is_current_delivery),
                       count(*), max(loaded_at)
                from staging.stg_deliveries group by 1 order by 1""").fetchall()
            completeness = completeness_lines(con)
            scopes = dict(
                con.execute("""
                    select reporting_period, string_agg(distinct municipality_code || '/'
                        || scope_code, ', ' order by municipality_code || '/' || scope_code)
                    from staging.stg_deliveries where is_current_delivery
                    group by 1""").fetchall()
            )
            checks = dict(
                ((period, status), n)
                for period, status, n in con.execute("""
                    select reporting_period, reconciliation_status, count(*)
                    from marts.fct_control_total_reconciliation group by 1, 2""").fetchall()
            )
    except duckdb.Error as exc:
        print(f"DAMAGED: the published warehouse does not open: {describe_exception(exc)}")
        return EXIT_REFUSED
    version = tags.get("storage_version", "default")
    readable = "DuckDB 1.5 and newer" if version.startswith("v1.") else "DuckDB 2.0 only"
    print(f"Storage:   {version} ({readable} can open it)")
    print("Periods:")
    for period, current, loads, last in periods:
        statuses = ", ".join(
            f"{checks[(period, s)]} {s}"
            for s in ("exact", "rounding", "mismatch", "missing")
            if (period, s) in checks
        )
        print(
            f"  {period}  {scopes.get(period, '?')}: {current} current extracts, {loads} loads "
            f"in all, last {last:%Y-%m-%d %H:%M}; reconciliation: {statuses}"
        )
    if completeness:
        print("Delivered:")
        for line in completeness:
            print(f"  {line}")
    parquet = layout.parquet_link
    print(f"Parquet:   {len(list(parquet.glob('*.parquet')))} marts in {shown(parquet)}")
    reports = sorted(layout.report_link.glob("*.html"))
    print(f"Reports:   {', '.join(shown(r) for r in reports) or 'none'}")
    kept = [g for g in generations(layout) if generation is None or g.id != generation.id]
    if kept:
        print(f"Kept:      {', '.join(g.describe() for g in kept)} (`warehouse rollback`)")
    return EXIT_OK


def _published_problem(layout, generation) -> str | None:
    """One line on what is wrong with the published file, or None."""
    if generation is None:
        return None
    database = generation.database(layout.name)
    try:
        changed = verify(layout, generation, database, sha256_of(database))
    except DamagedWarehouse as exc:
        return f"DAMAGED: {exc}"
    return f"Changed:   {changed}" if changed else None


def add_parser(sub: argparse._SubParsersAction) -> None:
    status = sub.add_parser(
        "status", help="show the published warehouse: periods, deliveries, reconciliation"
    )
    status.set_defaults(func=cmd_status)
