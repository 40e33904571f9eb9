"""Read published warehouses read-only for the benchmark's cross-checks.

Runs in a process of its own, so the benchmark itself never holds a DuckDB file open or
carries DuckDB's memory into the next measurement.

    python benchmarks/inspect_warehouse.py total FILE --period YYYY-MM
    python benchmarks/inspect_warehouse.py compare FILE_A FILE_B --table marts.X ...

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

# Lineage that names a load, not a figure: the same figures loaded in two runs differ here
# (period_signature is a hash of the period's current load ids).
RUN_SPECIFIC_COLUMNS = {
    "source_load_id",
    "source_loaded_at",
    "_load_id",
    "_loaded_at",
    "period_signature",
}


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    con.execute(f"attach '{path}' as {alias} (read_only)")


def _columns(con: duckdb.DuckDBPyConnection, alias: str, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            """select column_name from duckdb_columns()
            where database_name = ? and schema_name = ? and table_name = ?
            order by column_index""",
            [alias, schema, table],
        ).fetchall()
    ]


def mart_total(path: Path, period: str) -> dict:
    """The reporting period's actual, summed over the department rows of the leaf lines."""
    with duckdb.connect() as con:
        _attach(con, path, "w")
        (total,) = con.execute(
            """select sum(facts.actual)
            from w.marts.fct_budget_vs_actual as facts
            inner join w.marts.dim_org_units as units using (org_code)
            where units.org_level = 'department' and facts.line_type = 'leaf'
              and facts.reporting_period = ?""",
            [period],
        ).fetchone()
        raw_rows = None
        if _columns(con, "w", "raw", "ledger_accounts"):
            (raw_rows,) = con.execute("select count(*) from w.raw.ledger_accounts").fetchone()
    return {
        "reporting_period": period,
        "actual_total": str(total) if total is not None else None,
        "raw_ledger_accounts_rows": raw_rows,
    }


def compare_table(con: duckdb.DuckDBPyConnection, qualified: str) -> dict:
    """Rows of one table only in a, only in b (EXCEPT ALL both ways), over shared columns."""
    schema, table = qualified.split(".")
    columns_a, columns_b = _columns(con, "a", schema, table), _columns(con, "b", schema, table)
    if not columns_a or not columns_b:
        return {"table": qualified, "in_a": bool(columns_a), "in_b": bool(columns_b)}
    compared = [c for c in columns_a if c in columns_b and c not in RUN_SPECIFIC_COLUMNS]
    select = ", ".join(f'"{c}"' for c in compared)
    rows_a = con.execute(f"select count(*) from a.{qualified}").fetchone()[0]
    rows_b = con.execute(f"select count(*) from b.{qualified}").fetchone()[0]
    only_a = con.execute(
        f"select count(*) from (select {select} from a.{qualified} "
        f"except all select {select} from b.{qualified})"
    ).fetchone()[0]
    only_b = con.execute(
        f"select count(*) from (select {select} from b.{qualified} "
        f"except all select {select} from a.{qualified})"
    ).fetchone()[0]
    differing = []
    if only_a or only_b:  # name the columns that differ, to tell a figure from lineage
        differing = [
            c
            for c in compared
            if con.execute(
                f'select count(*) from (select "{c}" from a.{qualified} '
                f'except all select "{c}" from b.{qualified})'
            ).fetchone()[0]
        ]
    return {
        "table": qualified,
        "differing_columns": differing,
        "rows_a": rows_a,
        "rows_b": rows_b,
        "only_in_a": only_a,
        "only_in_b": only_b,
        "equal": only_a == 0 and only_b == 0,
        "ignored_columns": sorted((set(columns_a) | set(columns_b)) - set(compared)),
    }


def compare(path_a: Path, path_b: Path, tables: list[str]) -> dict:
    with duckdb.connect() as con:
        _attach(con, path_a, "a")
        _attach(con, path_b, "b")
        return {
            "a": str(path_a),
            "b": str(path_b),
            "tables": [compare_table(con, t) for t in tables],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    total = sub.add_parser("total", help="the actual total of a period in the mart")
    total.add_argument("warehouse", type=Path)
    total.add_argument("--period", required=True)
    both = sub.add_parser("compare", help="compare tables of two warehouses")
    both.add_argument("warehouse_a", type=Path)
    both.add_argument("warehouse_b", type=Path)
    both.add_argument("--table", action="append", required=True, dest="tables")
    args = parser.parse_args(argv)
    if args.command == "total":
        result = mart_total(args.warehouse, args.period)
    else:
        result = compare(args.warehouse_a, args.warehouse_b, args.tables)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
