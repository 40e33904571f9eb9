"""The synthetic data generator: deterministic, on target, within the contracts, and its
printed control totals are what an independent recomputation from its CSV files gives."""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from benchmarks.synthetic import (
    generate,
    main,
    municipality_seed,
    parse_periods,
    rows_per_pair,
    size_organisation,
)
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.validation import parse_extract
from orchestration.warehouse.paths import REFERENCE_DIR

ROWS = 20_000
PERIODS = "2022-12:2023-12"  # 2022-12, then the four quarters of 2023
DELIVERIES = ("2022-12", "2023-03", "2023-06", "2023-09", "2023-12")
SMALL_FILES = ("organisation", "control_totals", "investments", "investment_projects", "goals")
THOUSANDS = {"prior_year_actual", "prior_year_same_period_actual"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synthetic") / "data"
    return out, generate(out, rows=ROWS, periods=PERIODS, seed=7)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _ledger(con: duckdb.DuckDBPyConnection, folder: Path, name: str = "ledger") -> None:
    """The delivered ledger as a table, read straight from the CSV (decimal commas)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv(?, delim = ';', "
        "header = true, decimal_separator = ',', columns = {'fiscal_year': 'INTEGER', "
        "'period': 'INTEGER', 'cost_centre': 'VARCHAR', 'account': 'VARCHAR', "
        "'scenario': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'unit': 'INTEGER'})",
        [str(folder / "ledger_accounts.csv")],
    )


# --- recomputing the printed figures from the delivered files, independently -------------


def _half_away(value: Decimal, unit: int) -> Decimal:
    return (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _line_ancestors() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each operating leaf with every line it adds into; budget-table line per operating
    line it equals."""
    lines = _read(REFERENCE_DIR / "report_lines.csv")
    parent = {r["line_code"]: r["parent_code"] for r in lines if r["statement"] == "operating"}
    ancestors = {}
    for r in lines:
        if r["statement"] == "operating" and r["line_type"] == "leaf":
            chain, node = [], r["line_code"]
            while node:
                chain.append(node)
                node = parent[node]
            ancestors[r["line_code"]] = chain
    binding = {
        r["same_as_line"]: r["line_code"]
        for r in lines
        if r["statement"] == "budget_binding" and r["same_as_line"]
    }
    return ancestors, binding


def _measure_keys(period: ReportingPeriod) -> dict[str, tuple[str, int, int]]:
    """Which delivered row (scenario, fiscal_year, period) each printed measure is."""
    year, month = period.fiscal_year, period.month
    return {
        "prior_year_actual": ("actual", year - 1, 12),
        "prior_year_same_period_actual": ("actual", year - 1, month),
        "budget": ("budget", year, 12),
        "actual": ("actual", year, month),
    }


def recompute_control_totals(folder: Path) -> dict[tuple[str, str, str, str], Decimal]:
    """Every printed figure (statement, org, line, measure) -> amount in its printed unit,
    from the folder's ledger, investments and organisation and the reference files."""
    period = ReportingPeriod.parse(folder.name)
    org = {r["org_code"]: r for r in _read(folder / "organisation.csv")}
    ranges = [
        (int(r["account_from"]), int(r["account_to"]), r["line_code"])
        for r in _read(REFERENCE_DIR / "account_ranges.csv")
        if not r["municipality_code"]  # the shipped chart, not a municipality's own ranges
    ]
    ancestors, binding = _line_ancestors()
    con = duckdb.connect()
    _ledger(con, folder)
    con.execute("CREATE TABLE ranges (account_from INT, account_to INT, line_code VARCHAR)")
    con.executemany("INSERT INTO ranges VALUES (?, ?, ?)", ranges)
    exact: dict[tuple[str, str, str, str], Decimal] = {}

    def add(statement: str, unit: str, line: str, measure: str, amount: Decimal) -> None:
        key = (statement, unit, line, measure)
        exact[key] = exact.get(key, Decimal(0)) + amount

    measures = _measure_keys(period)
    for measure, (scenario, year, month) in measures.items():
        sums = con.execute(
            "SELECT l.cost_centre, r.line_code, sum(l.amount * l.unit) FROM ledger l "
            "JOIN ranges r ON CAST(l.account AS INT) BETWEEN r.account_from AND r.account_to "
            "WHERE l.scenario = ? AND l.fiscal_year = ? AND l.period = ? GROUP BY ALL",
            [scenario, year, month],
        ).fetchall()
        for cost_centre, leaf, amount in sums:
            service_area = org[cost_centre]["parent_code"]
            for unit in (service_area, org[service_area]["parent_code"]):
                for line in ancestors[leaf]:
                    add("operating", unit, line, measure, amount)
                    if line in binding:
                        add("budget_binding", unit, binding[line], measure, amount)
    for row in _read(folder / "investments.csv"):
        amount = Decimal(row["amount"].replace(",", ".")) * int(row["unit"])
        delivered = (row["scenario"], int(row["fiscal_year"]), int(row["period"]))
        for measure, key in measures.items():
            if key == delivered:
                for unit in (row["org_code"], org[row["org_code"]]["parent_code"]):
                    add("investment", unit, row["line_code"], measure, amount)
                    add("investment", unit, "netto", measure, amount)
    return {
        key: _half_away(value, 1000 if key[3] in THOUSANDS else 1) for key, value in exact.items()
    }


def printed_control_totals(folder: Path) -> dict[tuple[str, str, str, str], Decimal]:
    period = ReportingPeriod.parse(folder.name)
    printed = {}
    for r in _read(folder / "control_totals.csv"):
        assert (int(r["fiscal_year"]), int(r["period"])) == (period.fiscal_year, period.month)
        assert r["unit"] == ("1000" if r["measure"] in THOUSANDS else "1")
        printed[(r["statement"], r["org_code"], r["line_code"], r["measure"])] = Decimal(
            r["amount"]
        )
    return printed


# --- tests -----------------------------------------------------------------------------------


def test_same_seed_gives_identical_files_and_another_seed_differs(
    synthetic: tuple[Path, dict], tmp_path: Path
):
    out, _ = synthetic
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate(again, rows=ROWS, periods=PERIODS, seed=7)
    generate(other, rows=ROWS, periods=PERIODS, seed=8)
    first = _files(out)
    assert len(first) == 6 * len(DELIVERIES)
    assert _files(again) == first
    changed = _files(other)
    assert changed.keys() == first.keys()
    assert changed["2023-12/ledger_accounts.csv"] != first["2023-12/ledger_accounts.csv"]
    assert changed["2023-12/control_totals.csv"] != first["2023-12/control_totals.csv"]


def test_rows_land_within_five_percent_and_the_summary_counts_them(
    synthetic: tuple[Path, dict],
):
    out, summary = synthetic
    counted = {
        d: sum(1 for _ in (out / d / "ledger_accounts.csv").open(encoding="utf-8")) - 1
        for d in DELIVERIES
    }
    assert summary["periods"] == list(DELIVERIES)
    assert summary["rows_per_delivery"] == counted
    assert summary["total_rows"] == sum(counted.values())
    assert abs(summary["total_rows"] - ROWS) <= 0.05 * ROWS
    assert summary["account_pairs"] * sum(
        rows_per_pair(ReportingPeriod.parse(d)) for d in DELIVERIES
    ) == sum(counted.values())


@pytest.mark.parametrize(
    ("rows", "periods"),
    [
        (1_000_000, "2023-12"),
        (10_000_000, "2023-12"),
        (8_000_000, "2014-03:2023-12"),
        (900, "2023-03"),
    ],
)
def test_benchmark_sizes_are_planned_within_five_percent(rows: int, periods: str):
    parsed = parse_periods(periods)
    sizing = size_organisation(rows, parsed, municipality_seed(7, 1))
    planned = sizing.pairs * sum(rows_per_pair(p) for p in parsed)
    assert abs(planned - rows) <= 0.05 * rows
    assert max(sizing.accounts_per_cost_centre) <= 250
    assert sizing.departments <= sizing.service_areas <= sizing.cost_centres


def test_periods_are_single_months_or_ranges_of_quarter_ends():
    assert [str(p) for p in parse_periods("2023-12")] == ["2023-12"]
    history = parse_periods("2014-03:2023-12")
    assert len(history) == 40 and str(history[0]) == "2014-03" and str(history[-1]) == "2023-12"
    assert [str(p) for p in parse_periods(["2023-05:2023-12", "2023-05"])] == [
        "2023-05",
        "2023-06",
        "2023-09",
        "2023-12",
    ]
    with pytest.raises(ValueError):
        parse_periods("2023-12:2023-03")
    with pytest.raises(ValueError):
        parse_periods("2023-13")


def test_files_follow_the_contracts_layout(synthetic: tuple[Path, dict]):
    out, _ = synthetic
    amount = re.compile(r"^-?\d+,\d{2}$")
    for delivery in DELIVERIES:
        for kind in (*SMALL_FILES, "ledger_accounts"):
            data = (out / delivery / f"{kind}.csv").read_bytes()
            assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
            header = data.split(b"\n", 1)[0].decode().split(";")
            # the optional columns a header may leave out (item) are left out
            assert header == [c.name for c in CONTRACTS[kind].columns if not c.may_be_absent]
        assert not (out / delivery / "ledger.csv").exists()
    rows = _read(out / "2023-12" / "ledger_accounts.csv")
    assert all(amount.match(r["amount"]) and r["unit"] == "1" for r in rows)


def test_non_bulk_files_pass_the_validator(synthetic: tuple[Path, dict]):
    out, _ = synthetic
    for delivery in ("2023-12", "2023-03"):
        period = ReportingPeriod.parse(delivery)
        for kind in SMALL_FILES:
            parsed = parse_extract(out / delivery / f"{kind}.csv", CONTRACTS[kind], period)
            assert parsed.rows, kind


def test_ledger_rows_pass_the_contracts_row_checks(synthetic: tuple[Path, dict]):
    """The ledger_accounts contract's own column parsers and row checks, row by row."""
    out, _ = synthetic
    contract = CONTRACTS["ledger_accounts"]
    period = ReportingPeriod.parse("2023-03")
    for raw in _read(out / "2023-03" / "ledger_accounts.csv"):
        row = {c.name: c.parse(raw.get(c.name, "")) for c in contract.columns}
        assert [p for check in contract.row_checks for p in check(row, period)] == []


def test_every_account_lies_in_a_range_of_the_chart(synthetic: tuple[Path, dict]):
    out, _ = synthetic
    ranges = [
        (int(r["account_from"]), int(r["account_to"]))
        for r in _read(REFERENCE_DIR / "account_ranges.csv")
    ]
    accounts = set()
    for delivery in DELIVERIES:
        accounts |= {r["account"] for r in _read(out / delivery / "ledger_accounts.csv")}
    assert all(re.fullmatch(r"\d{4}", a) for a in accounts)
    outside = [a for a in accounts if not any(lo <= int(a) <= hi for lo, hi in ranges)]
    assert outside == []


def test_cost_centres_sit_under_service_areas_in_one_tree(synthetic: tuple[Path, dict]):
    out, _ = synthetic
    organisation = (out / "2023-12" / "organisation.csv").read_bytes()
    assert all((out / d / "organisation.csv").read_bytes() == organisation for d in DELIVERIES)
    org = {r["org_code"]: r for r in _read(out / "2023-12" / "organisation.csv")}
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", code) for code in org)
    roots = [r for r in org.values() if not r["parent_code"]]
    assert [r["org_level"] for r in roots] == ["municipality"]
    expected_parent = {
        "board": "municipality",
        "department": "board",
        "service_area": "department",
        "cost_centre": "service_area",
    }
    for r in org.values():
        if r["parent_code"]:
            assert org[r["parent_code"]]["org_level"] == expected_parent[r["org_level"]]
    booked = {r["cost_centre"] for r in _read(out / "2023-12" / "ledger_accounts.csv")}
    assert booked == {c for c, r in org.items() if r["org_level"] == "cost_centre"}


def test_year_to_date_figures_agree_across_deliveries(synthetic: tuple[Path, dict]):
    out, _ = synthetic
    con = duckdb.connect()
    for delivery in DELIVERIES:
        _ledger(con, out / delivery, "d" + delivery.replace("-", "_"))

    def rows(table: str, where: str) -> list[tuple]:
        return con.execute(
            f"SELECT cost_centre, account, fiscal_year, period, scenario, amount FROM {table} "
            f"WHERE {where} ORDER BY ALL"
        ).fetchall()

    # The prior year of 2023-03 is the year 2022 as delivered at 2022-12, month by month.
    year_2022 = rows("d2022_12", "fiscal_year = 2022 AND scenario = 'actual'")
    assert len(year_2022) > 0
    assert rows("d2023_03", "fiscal_year = 2022") == year_2022
    # A 2023 actual to month 3, and the 2023 budget, are the same in every later delivery.
    q1 = rows("d2023_03", "fiscal_year = 2023 AND scenario = 'actual' AND period <= 3")
    budget = rows("d2023_03", "scenario = 'budget'")
    for later in ("d2023_06", "d2023_09", "d2023_12"):
        assert rows(later, "fiscal_year = 2023 AND scenario = 'actual' AND period <= 3") == q1
        assert rows(later, "scenario = 'budget'") == budget
    # Each pair: months 1..P of the year, its budget, months 1..12 of the prior year.
    for delivery in DELIVERIES:
        period = ReportingPeriod.parse(delivery)
        shapes = con.execute(
            f"""
            SELECT count(*) AS n,
                   list(period ORDER BY period) FILTER (fiscal_year = {period.fiscal_year}
                       AND scenario = 'actual') AS months,
                   list(period ORDER BY period) FILTER (fiscal_year = {period.fiscal_year - 1})
                       AS prior_months,
                   count(*) FILTER (scenario = 'budget' AND period = 12) AS budgets
            FROM d{delivery.replace("-", "_")} GROUP BY cost_centre, account
            """
        ).fetchall()
        assert {
            (n, tuple(months), tuple(prior), budgets) for n, months, prior, budgets in shapes
        } == {
            (
                rows_per_pair(period),
                tuple(range(1, period.month + 1)),
                tuple(range(1, 13)),
                1,
            )
        }


@pytest.mark.parametrize("delivery", ["2023-03", "2023-12"])
def test_control_totals_equal_the_rounded_sums_of_the_delivered_rows(
    synthetic: tuple[Path, dict], delivery: str
):
    out, _ = synthetic
    printed = printed_control_totals(out / delivery)
    recomputed = recompute_control_totals(out / delivery)
    assert printed == recomputed
    statements = {key[0] for key in printed}
    assert statements == {"operating", "budget_binding", "investment"}
    org = {r["org_code"]: r["org_level"] for r in _read(out / delivery / "organisation.csv")}
    assert {org[key[1]] for key in printed} == {"department", "service_area"}
    assert {key[3] for key in printed} == {
        "prior_year_actual",
        "prior_year_same_period_actual",
        "budget",
        "actual",
    }


def test_a_perturbed_ledger_amount_no_longer_reconciles(
    synthetic: tuple[Path, dict], tmp_path: Path
):
    out, _ = synthetic
    folder = tmp_path / "2023-03"
    shutil.copytree(out / "2023-03", folder)
    path = folder / "ledger_accounts.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    target = next(i for i, line in enumerate(lines) if line.startswith("2023;3;"))
    fields = lines[target].split(";")
    cents = int(fields[5].replace(",", "")) + 100_000  # 1 000,00 more
    fields[5] = f"{'-' if cents < 0 else ''}{abs(cents) // 100},{abs(cents) % 100:02d}"
    lines[target] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")

    printed = printed_control_totals(folder)
    recomputed = recompute_control_totals(folder)
    differing = {k: recomputed[k] - printed[k] for k in printed if recomputed[k] != printed[k]}
    org = {r["org_code"]: r for r in _read(folder / "organisation.csv")}
    service_area = org[fields[2]]["parent_code"]
    leaf = next(
        r["line_code"]
        for r in _read(REFERENCE_DIR / "account_ranges.csv")
        if int(r["account_from"]) <= int(fields[3]) <= int(r["account_to"])
        and not r["municipality_code"]
    )
    assert differing[("operating", service_area, leaf, "actual")] == 1000
    assert {k[3] for k in differing} == {"actual"}


def test_cli_writes_one_tree_per_municipality_and_prints_one_json_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "cities"
    assert main(["--out", str(out), "--rows", "3000", "--periods", "2023-12",
                 "--municipalities", "2", "--seed", "3"]) == 0  # fmt: skip
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1
    summary = json.loads(printed[0])
    assert summary["municipalities"] == 2 and summary["periods"] == ["2023-12"]
    codes = [m["municipality"] for m in summary["per_municipality"]]
    assert sorted(p.name for p in out.iterdir()) == sorted(codes)
    ledgers = [(out / code / "2023-12" / "ledger_accounts.csv").read_bytes() for code in codes]
    assert ledgers[0] != ledgers[1]
    for municipality in summary["per_municipality"]:
        assert abs(municipality["total_rows"] - 3000) <= 150
        roots = [
            r
            for r in _read(out / municipality["municipality"] / "2023-12" / "organisation.csv")
            if r["org_level"] == "municipality"
        ]
        assert [r["org_code"] for r in roots] == [municipality["municipality"]]
    assert main(["--out", str(out), "--rows", "3000", "--periods", "2023-99"]) == 2
