"""Hand-written DuckDB baseline: the pipeline's heavy work, and nothing else.

Loads one delivery's account-level ledger (ledger_accounts.csv), its organisation and the
chart of accounts into a DuckDB file, maps every account's main account (first four
digits) to its report line, sums the amounts per cost centre x report line x fiscal year x
period x scenario, and rolls the sums up to the service areas and departments above the
cost centres. No validation, lineage, dbt, checks or publication: what a competent
engineer would write by hand to get the same aggregates.

    python benchmarks/baseline_duckdb.py DELIVERY_DIR --ranges ACCOUNT_RANGES --db FILE

Prints one JSON line: row counts and the reporting year's actual total at department level.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

LEDGER_COLUMNS = {
    "fiscal_year": "INTEGER",
    "period": "INTEGER",
    "cost_centre": "VARCHAR",
    "account": "VARCHAR",
    "scenario": "VARCHAR",
    "amount": "DECIMAL(18,2)",
    "unit": "INTEGER",
}
RANGE_COLUMNS = {
    "account_from": "INTEGER",
    "account_to": "INTEGER",
    "line_code": "VARCHAR",
    "name_fi": "VARCHAR",
    "municipality_code": "VARCHAR",
    "item": "VARCHAR",
    "ledger": "VARCHAR",
}
ORGANISATION_COLUMNS = dict.fromkeys(
    ("org_code", "org_level", "parent_code", "name_fi", "short_name"), "VARCHAR"
)


def _read_csv(path: Path, columns: dict[str, str]) -> str:
    """A read_csv expression for one of the delivery's semicolon files."""
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    return (
        f"read_csv('{path}', delim = ';', header = true, decimal_separator = ',', "
        f"quote = '\"', columns = {{{types}}})"
    )


def load(con: duckdb.DuckDBPyConnection, delivery: Path, ranges: Path) -> None:
    sources = {
        "ledger": (delivery / "ledger_accounts.csv", LEDGER_COLUMNS),
        "organisation": (delivery / "organisation.csv", ORGANISATION_COLUMNS),
        "account_ranges": (ranges, RANGE_COLUMNS),
    }
    for table, (path, columns) in sources.items():
        con.execute(f"create table {table} as select * from {_read_csv(path, columns)}")


def aggregate(con: duckdb.DuckDBPyConnection) -> None:
    # The ranges expanded to one row per main account: an equality hash join on the ledger
    # is much cheaper than a range (BETWEEN) join over millions of rows.
    con.execute("""
        create table main_account_lines as
        select unnest(range(account_from, account_to + 1)) as main_account, line_code
        from account_ranges
        -- the shipped chart's operating ranges: what the synthetic ledger books
        where municipality_code is null and coalesce(ledger, 'operating') = 'operating'""")
    con.execute("""
        create table cost_centre_totals as
        select
            ledger.cost_centre as org_code,
            lines.line_code,
            ledger.fiscal_year,
            ledger.period,
            ledger.scenario,
            sum(ledger.amount * ledger.unit) as amount_eur,
            count(*) as ledger_rows
        from ledger
        inner join main_account_lines as lines
            on lines.main_account = cast(left(ledger.account, 4) as integer)
        group by all""")
    # Every unit with each unit above it; the tree is small, the roll-up joins the sums.
    con.execute("""
        create table org_ancestors as
        with recursive ancestry(member_code, org_code, org_level, parent_code) as (
            select org_code, org_code, org_level, parent_code from organisation
            union all
            select ancestry.member_code, parent.org_code, parent.org_level, parent.parent_code
            from ancestry
            inner join organisation as parent on parent.org_code = ancestry.parent_code
        )
        select member_code, org_code, org_level from ancestry""")
    con.execute("""
        create table aggregates as
        select 'cost_centre' as org_level, org_code, line_code, fiscal_year, period, scenario,
               amount_eur
        from cost_centre_totals
        union all
        select ancestors.org_level, ancestors.org_code, totals.line_code, totals.fiscal_year,
               totals.period, totals.scenario, sum(totals.amount_eur)
        from cost_centre_totals as totals
        inner join org_ancestors as ancestors
            on ancestors.member_code = totals.org_code
            and ancestors.org_level in ('service_area', 'department')
        group by all""")


def summary(con: duckdb.DuckDBPyConnection, reporting_year: int, reporting_month: int) -> dict:
    (ledger_rows,) = con.execute("select count(*) from ledger").fetchone()
    (mapped_rows,) = con.execute("select sum(ledger_rows) from cost_centre_totals").fetchone()
    levels = dict(con.execute("select org_level, count(*) from aggregates group by 1").fetchall())
    (actual_total,) = con.execute(
        """select sum(amount_eur) from aggregates
        where org_level = 'department' and scenario = 'actual'
          and fiscal_year = ? and period = ?""",
        [reporting_year, reporting_month],
    ).fetchone()
    return {
        "baseline": "duckdb",
        "ledger_rows": ledger_rows,
        "unmapped_rows": ledger_rows - int(mapped_rows or 0),
        "aggregate_rows": levels,
        "reporting_period": f"{reporting_year}-{reporting_month:02d}",
        "actual_total": str(actual_total) if actual_total is not None else None,
        "duckdb": duckdb.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("delivery", type=Path, help="delivery folder named YYYY-MM")
    parser.add_argument("--ranges", type=Path, required=True, help="account_ranges.csv")
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to create")
    args = parser.parse_args(argv)
    year, month = (int(part) for part in args.delivery.name.split("-"))
    args.db.unlink(missing_ok=True)
    with duckdb.connect(str(args.db)) as con:
        load(con, args.delivery, args.ranges)
        aggregate(con)
        result = summary(con, year, month)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
