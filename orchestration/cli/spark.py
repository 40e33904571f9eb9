"""`warehouse spark-build [--out DIR] [--full-refresh] [--models-only] [--compare]
[--export-only]`: the dbt project built on Apache Spark from the published warehouse's raw
tables (orchestration/export/spark.py, docs/spark.md). The published warehouse is only read.

Exit status as the other commands: 0 built (and, with --compare, every mart equal to
DuckDB's), 1 refused or failed (what failed is printed), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from orchestration.cli.common import EXIT_OK, EXIT_REFUSED, number, shown
from orchestration.warehouse.paths import warehouse_path

KIND_NAMES = (
    ("model", "models"),
    ("seed", "seeds"),
    ("test", "data tests"),
    ("unit_test", "unit tests"),
)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def cmd_spark_build(args: argparse.Namespace) -> int:
    from orchestration.export.spark import (
        RAW_FOLDER,
        SparkBuildError,
        build,
        default_spark_dir,
        export_raw,
        mart_differences,
    )

    warehouse = warehouse_path()
    spark_dir = Path(args.out) if args.out else default_spark_dir(warehouse)
    if args.export_only:
        try:
            rows = export_raw(warehouse, spark_dir / RAW_FOLDER)
        except SparkBuildError as exc:
            print(f"REFUSED: {exc}")
            return EXIT_REFUSED
        print(
            f"Raw tables of {shown(warehouse)}: {len(rows)} ({number(sum(rows.values()))} "
            f"rows) exported to {shown(spark_dir / RAW_FOLDER)}/<table>/ (Parquet)"
        )
        return EXIT_OK
    print(f"Spark build of {shown(warehouse)} in {shown(spark_dir)} (dbt-spark, target spark):")
    # The file the link points at now: the export and the comparison read one publication,
    # whatever a run publishes meanwhile.
    database = Path(os.path.realpath(warehouse))
    try:
        result = build(
            database, spark_dir, full_refresh=args.full_refresh, tests=not args.models_only
        )
    except SparkBuildError as exc:
        print(f"REFUSED: {exc}")
        return EXIT_REFUSED
    rows = sum(result.raw_rows.values())
    print(
        f"  Raw tables: {len(result.raw_rows)} ({number(rows)} rows) exported to "
        f"{shown(result.spark_dir / 'raw')}"
    )
    built = ", ".join(
        f"{result.kinds[kind]} {name}" for kind, name in KIND_NAMES if result.kinds.get(kind)
    )
    if not result.succeeded:
        print(f"  dbt build: {built}; {len(result.failures)} did not pass:")
        for failure in result.failures[:25]:
            print(f"    {failure}")
        if len(result.failures) > 25:
            print(f"    ... and {len(result.failures) - 25} more")
        print(f"  What dbt and Spark printed: {shown(result.log)}")
        print("Spark build FAILED.")
        return EXIT_REFUSED
    print(f"  dbt build: {built}: all passed in {_duration(result.seconds)}")
    print(f"  Tables (Parquet): {shown(result.tables_dir)}/<schema>.db/<table>/")
    if args.compare:
        differences = mart_differences(database, result.tables_dir)
        unequal = [d for d in differences if not d.equal]
        if unequal:
            print(f"  Compared with DuckDB: {len(unequal)} of {len(differences)} marts differ:")
            for d in unequal:
                detail = "; ".join(d.problems) or (
                    f"{d.only_in_spark} rows only on Spark, {d.only_in_duckdb} only on DuckDB"
                )
                print(f"    {d.mart}: {detail}")
            print("Spark build done, but its marts are NOT those of the DuckDB build.")
            return EXIT_REFUSED
        print(
            f"  Compared with DuckDB: all {len(differences)} marts equal row for row (every column)"
        )
    print("Spark build succeeded.")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `spark-build` subcommand to `warehouse`."""
    parser = subparsers.add_parser(
        "spark-build",
        help="build the dbt project on Apache Spark from the published raw tables",
        description=(
            "Export the published warehouse's raw tables to Parquet and build the dbt "
            "project on Spark (dbt-spark; needs `make spark`). Incremental: only the periods "
            "whose deliveries changed are rebuilt."
        ),
    )
    parser.add_argument("--out", metavar="DIR", help="the Spark dir (default: warehouse/spark)")
    parser.add_argument(
        "--full-refresh", action="store_true", help="rebuild every period (dbt --full-refresh)"
    )
    parser.add_argument(
        "--models-only",
        action="store_true",
        help="build the seeds and models without the data tests and unit tests",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="compare every mart with the published DuckDB build, row for row",
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="only export the raw tables to DIR/raw (for a cluster's build, docs/spark.md)",
    )
    parser.set_defaults(func=cmd_spark_build)
    return parser
