"""pandas baseline: the same load and aggregation as baseline_duckdb.py, in pandas.

Reads one delivery's account-level ledger (ledger_accounts.csv) typed, its organisation
and the chart of accounts; maps every account's main account (first four digits) to its
report line; sums the amounts per cost centre x report line x fiscal year x period x
scenario and rolls the sums up to the service areas and departments above the cost
centres; writes the aggregates to Parquet.

    python benchmarks/baseline_pandas.py DELIVERY_DIR --ranges ACCOUNT_RANGES --out FILE

Prints one JSON line: row counts and the reporting year's actual total at department level.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

# Repeated codes as categories: what anyone loading millions of rows in pandas would do,
# and it keeps memory and group-by time down.
LEDGER_DTYPES = {
    "fiscal_year": "int16",
    "period": "int8",
    "cost_centre": "category",
    "account": "category",
    "scenario": "category",
    "amount": "float64",
    "unit": "int32",
}
GROUP_COLUMNS = ["line_code", "fiscal_year", "period", "scenario"]
ROLL_UP_LEVELS = ("service_area", "department")


def read_ledger(path: Path) -> pd.DataFrame:
    ledger = pd.read_csv(path, sep=";", decimal=",", dtype=LEDGER_DTYPES, encoding="utf-8")
    # Money is summed in integer cents: a float sum of millions of amounts drifts by cents,
    # and the warehouse it is compared with sums decimals exactly.
    cents = np.rint(ledger["amount"].to_numpy() * 100).astype(np.int64)
    ledger["amount_cents"] = cents * ledger["unit"].to_numpy().astype(np.int64)
    return ledger


def map_report_lines(ledger: pd.DataFrame, ranges: pd.DataFrame) -> pd.DataFrame:
    """Each row's report line from its main account; unmapped rows get none (NaN)."""
    ranges = ranges.sort_values("account_from").reset_index(drop=True)
    accounts = ledger["account"].cat.categories
    # Ranges are looked up once per distinct account, not once per row.
    main = accounts.str[:4].astype(int).to_numpy()
    position = np.searchsorted(ranges["account_from"].to_numpy(), main, side="right") - 1
    inside = (position >= 0) & (main <= ranges["account_to"].to_numpy()[position.clip(0)])
    line_codes = pd.Index(ranges["line_code"].unique())
    line_of_account = np.where(
        inside, line_codes.get_indexer(ranges["line_code"].to_numpy()[position.clip(0)]), -1
    )
    row_lines = line_of_account[ledger["account"].cat.codes.to_numpy()]
    ledger["line_code"] = pd.Categorical.from_codes(row_lines, categories=line_codes)
    return ledger


def ancestors_at(organisation: pd.DataFrame, level: str) -> dict[str, str]:
    """Each unit's ancestor (or itself) at the given organisation level."""
    parent = dict(zip(organisation["org_code"], organisation["parent_code"], strict=True))
    unit_level = dict(zip(organisation["org_code"], organisation["org_level"], strict=True))
    found = {}
    for code in parent:
        seen, current = set(), code
        while isinstance(current, str) and current not in seen:
            if unit_level.get(current) == level:
                found[code] = current
                break
            seen.add(current)  # a cycle would otherwise loop forever
            current = parent.get(current)
    return found


def aggregate(ledger: pd.DataFrame, organisation: pd.DataFrame) -> pd.DataFrame:
    by_cost_centre = (
        ledger.groupby(["cost_centre", *GROUP_COLUMNS], observed=True, sort=False)
        .agg(amount_cents=("amount_cents", "sum"), ledger_rows=("amount_cents", "size"))
        .reset_index()
        .rename(columns={"cost_centre": "org_code"})
    )
    by_cost_centre["org_code"] = by_cost_centre["org_code"].astype(str)
    levels = [by_cost_centre.assign(org_level="cost_centre")]
    for level in ROLL_UP_LEVELS:
        above = by_cost_centre.assign(
            org_code=by_cost_centre["org_code"].map(ancestors_at(organisation, level))
        )
        rolled = (
            above.groupby(["org_code", *GROUP_COLUMNS], observed=True, sort=False)
            .agg(amount_cents=("amount_cents", "sum"), ledger_rows=("ledger_rows", "sum"))
            .reset_index()
        )
        levels.append(rolled.assign(org_level=level))
    return pd.concat(levels, ignore_index=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> str:
    """Write with pandas' own Parquet engine; without one, let DuckDB write the frame."""
    try:
        frame.to_parquet(path, index=False)
        return "pandas"
    except ImportError:
        # pyarrow/fastparquet are not project dependencies. The aggregate is small, so
        # handing it to DuckDB's writer does not change what the baseline measures.
        import duckdb

        with duckdb.connect() as con:
            con.register("aggregate_frame", frame)
            con.execute(f"copy aggregate_frame to '{path}' (format parquet)")
        return "duckdb (pandas has no Parquet engine here)"


def summary(
    ledger: pd.DataFrame, aggregates: pd.DataFrame, year: int, month: int, writer: str
) -> dict:
    mapped_rows = int(aggregates.loc[aggregates["org_level"] == "cost_centre", "ledger_rows"].sum())
    actual = aggregates[
        (aggregates["org_level"] == "department")
        & (aggregates["scenario"] == "actual")
        & (aggregates["fiscal_year"] == year)
        & (aggregates["period"] == month)
    ]
    total_cents = int(actual["amount_cents"].sum())
    return {
        "baseline": "pandas",
        "ledger_rows": len(ledger),
        "unmapped_rows": len(ledger) - mapped_rows,
        "aggregate_rows": aggregates["org_level"].value_counts().to_dict(),
        "reporting_period": f"{year}-{month:02d}",
        "actual_total": str(Decimal(total_cents).scaleb(-2)) if len(actual) else None,
        "parquet_writer": writer,
        "pandas": pd.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("delivery", type=Path, help="delivery folder named YYYY-MM")
    parser.add_argument("--ranges", type=Path, required=True, help="account_ranges.csv")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    args = parser.parse_args(argv)
    year, month = (int(part) for part in args.delivery.name.split("-"))
    ledger = read_ledger(args.delivery / "ledger_accounts.csv")
    ranges = pd.read_csv(args.ranges, sep=";", dtype=str)
    ranges = ranges[  # the shipped chart's operating ranges: what the synthetic ledger books
        ranges["municipality_code"].isna() & ranges["ledger"].fillna("operating").eq("operating")
    ].astype({"account_from": int, "account_to": int})
    organisation = pd.read_csv(args.delivery / "organisation.csv", sep=";", dtype=str)
    aggregates = aggregate(map_report_lines(ledger, ranges), organisation)
    writer = write_parquet(aggregates.drop(columns="ledger_rows"), args.out)
    print(json.dumps(summary(ledger, aggregates, year, month, writer)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
