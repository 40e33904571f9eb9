"""Account-level ledgers: the bulk loader's checks, and the pipeline on account rows.

The embedded delivery is rewritten at the finance system's grain (tests/deliveries.py:
by_account): two cost centres per service area, every figure split over two accounts of
its line's range. The printed figures stay as they are, so the warehouse must reproduce
the report from the accounts exactly as it does from the report lines.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import check_delivery, load_delivery
from orchestration.ingest.reading import ExtractRefused
from orchestration.ingest.validation import (
    load_account_ranges,
    load_report_lines,
    validate_delivery,
)
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR, REFERENCE_DIR
from tests.conftest import PipelineRun, run_pipeline
from tests.deliveries import by_account, deliver

HEADER = "fiscal_year;period;cost_centre;account;scenario;amount;unit"


@pytest.fixture
def account_delivery(tmp_path: Path) -> Path:
    return by_account(DEFAULT_DELIVERY_DIR, tmp_path / "2023-03")


def _ledger(folder: Path) -> Path:
    return folder / "ledger_accounts.csv"


def _rewrite(folder: Path, old: str, new: str) -> None:
    path = _ledger(folder)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(folder: Path, text: str) -> int:
    lines = _ledger(folder).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


def _refusal(folder: Path) -> list[str]:
    with pytest.raises(ExtractRefused) as refused:
        check_delivery(folder)
    return [str(e) for e in refused.value.errors]


def _append(folder: Path, row: str) -> int:
    path = _ledger(folder)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + row + "\n", encoding="utf-8")
    return len(text.splitlines()) + 1


# --- the loader's checks: each shown passing and failing --------------------------------


def test_an_account_level_delivery_is_valid_with_every_row_counted(account_delivery: Path):
    delivery = check_delivery(account_delivery)
    extract = delivery.extracts["ledger_accounts"]
    assert extract.row_count == 184 * 4  # every ledger figure split over 2 x 2
    assert "ledger" not in delivery.extracts


CHART = "seeds/reference/account_ranges.csv"
# The shipped chart by kind of account, as a refusal names it (derived from the chart).
EXPECTED_ACCOUNTS = (
    "expected an income-statement account (3000-3599, 3700-3799, 4000-7999), an investment "
    "account (8000-8999) or an internal account (9300-9999)"
)


def test_an_account_in_no_range_of_the_chart_is_refused(account_delivery: Path):
    # Accounts of the whole income statement, investment and internal accounts are taken.
    for row in (
        "2023;3;VAKA-KP1;5000;actual;100;1",  # verotulot
        "2023;3;VAKA-KP1;790010;actual;-100;1",  # rahastojen muutos
        "2023;3;VAKA-KP1;800010;actual;-100;1",  # investointimenot
        "2023;3;VAKA-KP1;960000;actual;-100;1",  # sisäiset vuokrakulut (Heinola's own)
    ):
        _append(account_delivery, row)
    assert check_delivery(account_delivery).extracts["ledger_accounts"].row_count == 736 + 4
    # A balance-sheet account, twice (one error, at its first line), and one in a gap.
    balance = _append(account_delivery, "2023;3;VAKA-KP1;191000;actual;-100;1")
    _append(account_delivery, "2023;3;VAKA-KP2;191000;actual;-100;1")
    gap = _append(account_delivery, "2023;3;VAKA-KP1;3650;actual;-100;1")
    after_investments = _append(account_delivery, "2023;3;VAKA-KP1;9150;actual;-100;1")
    assert _refusal(account_delivery) == [
        f"ledger_accounts.csv:{balance} column 'account': account 191000 is in no range of the "
        f"chart of accounts ({CHART}): its main account 1910 lies before the first range "
        f"3000-3199; {EXPECTED_ACCOUNTS} (first occurrence)",
        f"ledger_accounts.csv:{gap} column 'account': account 3650 is in no range of the chart "
        f"of accounts ({CHART}): it lies between the ranges 3500-3599 and 3700-3799; "
        f"{EXPECTED_ACCOUNTS} (first occurrence)",
        f"ledger_accounts.csv:{after_investments} column 'account': account 9150 is in no range "
        f"of the chart of accounts ({CHART}): it lies between the ranges 8500-8999 and "
        f"9300-9399; {EXPECTED_ACCOUNTS} (first occurrence)",
    ]


def test_a_cost_centre_in_no_service_area_is_refused(account_delivery: Path):
    org = account_delivery / "organisation.csv"
    org.write_text(
        org.read_text(encoding="utf-8") + "HYTO-KP9;cost_centre;HYTO;Toimialan kustannuspaikka;\n",
        encoding="utf-8",
    )
    under_department = _append(account_delivery, "2023;3;HYTO-KP9;4300;actual;-100;1")
    unknown = _append(account_delivery, "2023;3;NOWHERE;4300;actual;-100;1")
    errors = _refusal(account_delivery)
    assert errors == [
        f"ledger_accounts.csv:{under_department} column 'cost_centre': cost centre 'HYTO-KP9' "
        "belongs to 'HYTO' (department): it is in no service area; expected an org_code of "
        "level cost_centre under a service area in organisation.csv (first occurrence)",
        f"ledger_accounts.csv:{unknown} column 'cost_centre': unknown cost centre 'NOWHERE': "
        "it is in no service area; expected an org_code of level cost_centre under a service "
        "area in organisation.csv (first occurrence)",
    ]


def test_a_duplicate_key_names_both_lines(account_delivery: Path):
    first = _line_of(account_delivery, "2023;3;VAKA-KP1;4300;actual;")
    text = _ledger(account_delivery).read_text(encoding="utf-8").splitlines()[first - 1]
    again = _append(account_delivery, text)
    errors = _refusal(account_delivery)
    assert errors == [
        f"ledger_accounts.csv:{again} column 'scenario': duplicate key (fiscal_year=2023, "
        "period=3, cost_centre=VAKA-KP1, account=4300, scenario=actual); first seen on line "
        f"{first}; expected one row per key"
    ]


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        ("-12,3,4", "amount", "more than one ',' or '.'"),
        ("1,234", "amount", "'1,234' is ambiguous"),
        ("abc", "amount", "not a number"),
    ],
)
def test_a_bad_amount_is_refused_with_its_line_and_column(
    account_delivery: Path, bad: str, column: str, message: str
):
    line = _line_of(account_delivery, "2023;3;VAKA-KP1;4300;actual;")
    row = _ledger(account_delivery).read_text(encoding="utf-8").splitlines()[line - 1]
    _rewrite(account_delivery, row, row.rsplit(";", 2)[0] + f";{bad};1")
    errors = _refusal(account_delivery)
    assert len(errors) == 1
    assert errors[0].startswith(f"ledger_accounts.csv:{line} column '{column}': ")
    assert message in errors[0] and f"(found '{bad}')" in errors[0]


def test_period_rules_apply_to_account_rows(account_delivery: Path):
    line = _append(account_delivery, "2023;6;VAKA-KP1;4300;actual;-100;1")
    errors = _refusal(account_delivery)
    assert errors == [
        f"ledger_accounts.csv:{line} column 'period': actual up to month 6 lies after the "
        "reporting period 2023-03; expected at most 3"
    ]


def test_a_ragged_row_is_refused_with_its_line(account_delivery: Path):
    line = _append(account_delivery, "2023;3;VAKA-KP1;4300;actual;-100")
    errors = _refusal(account_delivery)
    assert errors == [f"ledger_accounts.csv:{line}: truncated row: 6 fields, expected 7"]


def test_numbers_as_excel_writes_them_load_with_their_exact_values(
    account_delivery: Path, tmp_path: Path
):
    """Thousands separators, a trailing minus, a BOM and CRLF: the exact path reads them."""
    line = _line_of(account_delivery, "2023;3;VAKA-KP1;4300;actual;")
    row = _ledger(account_delivery).read_text(encoding="utf-8").splitlines()[line - 1]
    amount = Decimal(row.split(";")[5].replace(",", "."))
    assert amount < -1000
    spaced = f"{-amount:,.0f}".replace(",", "\u00a0") + "-"  # "31\u00a0081-"
    _rewrite(account_delivery, row, row.rsplit(";", 2)[0] + f";{spaced};1")
    path = _ledger(account_delivery)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    delivery = validate_delivery(account_delivery)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_delivery(con, delivery, list(CONTRACTS.values()))
    loaded = con.execute(
        "select amount, _source_line from raw.ledger_accounts where cost_centre = 'VAKA-KP1' "
        "and account = '4300' and scenario = 'actual' and fiscal_year = 2023"
    ).fetchall()
    assert loaded == [(amount, line)]
    assert con.execute("select count(*) from raw.ledger_accounts").fetchall() == [(736,)]


def test_a_refused_account_file_leaves_the_warehouse_as_it_was(
    account_delivery: Path, tmp_path: Path
):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_delivery(con, validate_delivery(DEFAULT_DELIVERY_DIR), list(CONTRACTS.values()))
    before = con.execute("select count(*), max(loaded_at) from raw.load_log").fetchall()
    _append(account_delivery, "2023;3;VAKA-KP1;191000;actual;-100;1")
    delivery = validate_delivery(account_delivery)  # rows are checked as they load
    with pytest.raises(ExtractRefused, match="account 191000"):
        load_delivery(con, delivery, list(CONTRACTS.values()), dt.datetime(2030, 1, 1))
    assert con.execute("select count(*), max(loaded_at) from raw.load_log").fetchall() == before
    assert con.execute("select count(*) from raw.ledger_accounts").fetchall() == [(0,)]


def test_a_delivery_gives_its_operating_ledger_once(account_delivery: Path):
    shutil.copyfile(DEFAULT_DELIVERY_DIR / "ledger.csv", account_delivery / "ledger.csv")
    errors = _refusal(account_delivery)
    assert errors == [
        "ledger_accounts.csv: both ledger.csv and ledger_accounts.csv give the operating "
        "figures; expected one of them, so that nothing is counted twice"
    ]
    (account_delivery / "ledger.csv").unlink()
    _ledger(account_delivery).unlink()
    assert _refusal(account_delivery) == [
        "ledger.csv: the operating ledger is missing from 2023-03/; expected ledger.csv "
        "(by report line) or ledger_accounts.csv (by account and cost centre)"
    ]


def test_the_chart_of_accounts_maps_every_range_to_one_operating_line(tmp_path: Path):
    report_lines = load_report_lines()
    ranges = load_account_ranges(report_lines)
    shipped = [r for r in ranges.rows if r["municipality_code"] is None]
    own = [r for r in ranges.rows if r["municipality_code"] == "HEINOLA"]
    # Heinola's own rent ranges lie over the shipped chart's: they are its own chart.
    assert (len(shipped), len(own)) == (37, 4)
    text = (REFERENCE_DIR / "account_ranges.csv").read_text(encoding="utf-8")
    line_of = {r["account_from"]: r["_source_line"] for r in shipped}
    added = len(text.splitlines()) + 1
    bad = tmp_path / "account_ranges.csv"
    bad.write_text(text + "4510;4520;toimintakuluja;Päällekkäinen;;;\n", encoding="utf-8")
    with pytest.raises(ExtractRefused) as refused:
        load_account_ranges(report_lines, tmp_path)
    operating = sorted(r["line_code"] for r in report_lines.rows if r["statement"] == "operating")
    assert [str(e) for e in refused.value.errors] == [
        f"account_ranges.csv:{added} column 'line_code': 'toimintakuluja' is not an operating "
        f"line; expected one of {', '.join(operating)} for a range of the income statement "
        "(ledger empty or operating)",
        f"account_ranges.csv:{added} column 'account_from': overlaps the range 4500-4699 on "
        f"line {line_of[4500]}; expected each account in one range",
    ]
    # Within a municipality's own chart, ranges may not overlap either.
    bad.write_text(text + "3450;3460;vuokratuotot;Päällekkäinen;HEINOLA;;\n", encoding="utf-8")
    with pytest.raises(ExtractRefused, match="overlaps the range 3400-3499"):
        load_account_ranges(report_lines, tmp_path)


def test_investment_ranges_book_to_the_investment_table_and_internal_ones_are_items():
    ranges = load_account_ranges(load_report_lines()).rows
    by_start = {(r["municipality_code"], r["account_from"]): r for r in ranges}
    kinds = {
        start: (r["line_code"], r["item"], r["ledger"])
        for (municipality, start), r in by_start.items()
        if municipality is None
    }
    assert kinds[3000] == ("myyntituotot", None, None)  # external accounts: not split
    assert kinds[7800] == ("rahastojen_muutos", None, None)
    assert (kinds[8000], kinds[8500]) == (
        ("menot", None, "investment"),
        ("tulot", None, "investment"),
    )
    assert kinds[9300] == ("myyntituotot", "internal", None)
    assert kinds[9900] == ("muut_toimintakulut", "internal", None)
    assert [
        (r["account_from"], r["line_code"], r["item"])
        for (municipality, _), r in sorted(by_start.items(), key=lambda kv: kv[0][1])
        if municipality == "HEINOLA"
    ] == [
        (3400, "vuokratuotot", None),
        (4800, "vuokrakulut", None),
        (9500, "vuokratuotot", "internal"),
        (9600, "vuokrakulut", "internal"),
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "9000;9099;palvelujen_ostot;Investoinnit operatiiviselle riville;;;investment",
            "line_code",
            "'palvelujen_ostot' is not a line of the investment table; expected one of menot, "
            "tulot (statement investment) for a range with ledger investment",
        ),
        (
            "9000;9099;menot;Investoinnit;;internal;investment",
            "item",
            "'internal' for a range with ledger investment; expected item empty: investment "
            "figures are not split into external and internal items",
        ),
        (
            "9000;9099;menot;Investoinnit ilman ledgeriä;;;",
            "line_code",
            "'menot' is not an operating line; expected one of",
        ),
        (
            "9000;9099;menot;Investoinnit;;;investoinnit",
            "ledger",
            "'investoinnit' is not allowed; expected one of operating, investment",
        ),
    ],
)
def test_a_range_books_to_a_line_of_its_own_ledger(
    tmp_path: Path, row: str, column: str, message: str
):
    report_lines = load_report_lines()
    text = (REFERENCE_DIR / "account_ranges.csv").read_text(encoding="utf-8")
    chart = tmp_path / "account_ranges.csv"
    chart.write_text(text + "9000;9099;menot;Investoinnit;;;investment\n", encoding="utf-8")
    assert load_account_ranges(report_lines, tmp_path).rows[-1]["ledger"] == "investment"
    chart.write_text(text + row + "\n", encoding="utf-8")
    with pytest.raises(ExtractRefused) as refused:
        load_account_ranges(report_lines, tmp_path)
    added = len(text.splitlines()) + 1
    (error,) = [str(e) for e in refused.value.errors]
    assert error.startswith(f"account_ranges.csv:{added} column '{column}': {message}"), error


# --- the pipeline on account rows -------------------------------------------------------

FIGURES = (
    "reporting_period, org_code, line_code, prior_year_actual, prior_year_same_period_actual, "
    "budget, actual, remaining, realised_pct, forecast_linear, forecast_seasonal"
)


# --- internal accounts and investment accounts -------------------------------------------

# Sub-accounts by_account writes (main account + 1, then "10"), moved onto internal accounts:
# part of every sales figure onto 9300 sisäiset myyntituotot, part of every rent income onto
# Heinola's own 9500 sisäiset vuokratuotot.
TO_INTERNAL = {"300110": "930010", "340110": "950010"}
# OPKOU's year-to-date investment, booked on investment accounts of its cost centres instead
# of on its project (which keeps a zero actual): the printed totals stay as they are.
PROJECT_ACTUAL = "2023;3;OPKOU;KAILAS-KOULU-VALINEET;menot;actual;-130976;1"
ON_INVESTMENT_ACCOUNTS = (
    "2023;3;OPKOU-KP1;800010;actual;-100000;1",
    "2023;3;OPKOU-KP2;8000;actual;-30976;1",
)


def _sum_of(folder: Path, centres: tuple[str, ...], accounts) -> Decimal:
    """The 2023 actual to March of the given cost centres on the accounts given (a tuple of
    accounts, or a test of an account), from the file."""
    wanted = accounts if callable(accounts) else accounts.__contains__
    total = Decimal(0)
    for record in _ledger(folder).read_text(encoding="utf-8").splitlines()[1:]:
        year, period, centre, account, scenario, amount, unit = record.split(";")
        booked = (year, period, scenario) == ("2023", "3", "actual") and centre in centres
        if booked and wanted(account):
            total += Decimal(amount.replace(",", ".")) * int(unit)
    return total


def _with_internal_and_investment_accounts(folder: Path) -> Path:
    """Part of the sales and rent figures moved onto internal accounts, and OPKOU's
    investment booked on investment accounts instead of on its project: every printed
    total stays as it is."""
    text = _ledger(folder).read_text(encoding="utf-8")
    for old, new in TO_INTERNAL.items():
        assert f";{old};" in text
        text = text.replace(f";{old};", f";{new};")
    _ledger(folder).write_text(text + "\n".join(ON_INVESTMENT_ACCOUNTS) + "\n", encoding="utf-8")
    investments = folder / "investments.csv"
    data = investments.read_text(encoding="utf-8")
    assert PROJECT_ACTUAL in data
    investments.write_text(
        data.replace(PROJECT_ACTUAL, PROJECT_ACTUAL.replace("-130976", "0")), encoding="utf-8"
    )
    return folder


@dataclass(frozen=True)
class AccountRuns:
    q1: Path  # the Q1 delivery by account
    first: PipelineRun  # Q1 into a new warehouse
    second: PipelineRun  # Q2 into the same warehouse, incrementally
    both: PipelineRun  # Q1 and Q2 in one run into another new warehouse


@pytest.fixture(scope="module")
def account_runs(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> AccountRuns:
    """Q1 by account (with internal and investment accounts), then Q2 by account as a
    second (incremental) run; and both quarters loaded in one run into a new warehouse (a
    full build). `first` and `second` share their warehouse: read Q1 with its period."""
    work = tmp_path_factory.mktemp("accounts")
    q1 = by_account(DEFAULT_DELIVERY_DIR, work / "source" / "2023-03")
    q1 = _with_internal_and_investment_accounts(q1)
    q2 = deliver(work / "inbox", "2023-06", q1)
    first = run_pipeline(q1, work / "incremental" / "w.duckdb")
    second = run_pipeline(q2, work / "incremental" / "w.duckdb")
    both = run_pipeline([q1, q2], work / "full" / "w.duckdb")
    return AccountRuns(q1, first, second, both)


def _figures(published: Path, table: str, columns: str, where: str = "true") -> set[tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        return set(con.execute(f"select {columns} from marts.{table} where {where}").fetchall())


def test_the_report_is_reproduced_from_account_rows(
    account_runs: AccountRuns, embedded_run: PipelineRun
):
    first = account_runs.first
    assert first.exit_code == 0, first.output
    # 736 rows by account, and the two of OPKOU's investment accounts
    assert "raw/ledger_accounts        738 rows loaded" in first.output
    for check in ("leaf_figures_match_control", "service_area_subtotals_reconcile"):
        assert re.search(
            rf"{check} passed: \d+ figures, \d+ rounding differences, 0 failing", first.output
        )
    by_line = _figures(embedded_run.published, "fct_budget_vs_actual", FIGURES)
    # The accounts book the lines under the ones the seed books (palkat ja palkkiot under
    # henkilöstökulut, korkotuotot, suunnitelman mukaiset poistot): every line the seed has
    # comes out the same, and the finer lines come on top.
    booked_lines = "('" + "', '".join(sorted({row[2] for row in by_line})) + "')"
    by_account_rows = _figures(
        first.published,
        "fct_budget_vs_actual",
        FIGURES,
        "org_code not like '%-KP_' and reporting_period = '2023-03' "
        f"and line_code in {booked_lines}",
    )
    assert len(by_line) == 127 and by_account_rows == by_line
    finer = _figures(
        first.published,
        "fct_budget_vs_actual",
        "line_code",
        f"reporting_period = '2023-03' and line_code not in {booked_lines}",
    )
    assert finer == {("palkat_ja_palkkiot",), ("korkotuotot",), ("suunnitelman_mukaiset_poistot",)}
    cost_centres = _figures(
        first.published,
        "fct_budget_vs_actual",
        "org_code",
        "org_code like '%-KP_' and reporting_period = '2023-03'",
    )
    assert len(cost_centres) == 8  # the cost centres are units of their own too


def test_a_new_quarter_builds_only_its_own_period(account_runs: AccountRuns):
    second = account_runs.second
    assert second.exit_code == 0, second.output
    run_id = re.search(r"Run (\S+) succeeded", second.output).group(1)
    # The run's dbt artefacts are kept with its evidence, outside the source tree.
    target = second.published.parent / "validation" / run_id / "dbt"
    for model in ("int_ledger_accounts_aggregated", "fct_budget_vs_actual"):
        compiled = next(target.glob(f"compiled/**/{model}.sql")).read_text(encoding="utf-8")
        assert "reporting_period in ('2023-06')" in compiled, model


def test_incremental_runs_equal_a_full_build(account_runs: AccountRuns):
    incremental, full = account_runs.second, account_runs.both
    assert full.exit_code == 0, full.output
    assert "Delivery:" in full.output and full.output.count("Delivery:") == 2
    for table, columns in (
        ("fct_budget_vs_actual", FIGURES),
        (
            "fct_control_total_reconciliation",
            "reporting_period, statement, org_code, line_code, measure, expected_value, "
            "computed_value, tolerance, reconciliation_status",
        ),
    ):
        built_in_steps = _figures(incremental.published, table, columns)
        built_at_once = _figures(full.published, table, columns)
        assert {row[0] for row in built_in_steps} == {"2023-03", "2023-06"}
        assert built_in_steps == built_at_once, table


def test_a_run_of_folders_that_are_not_there_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
):
    from orchestration.cli import main

    q1, q3 = tmp_path / "2023-03", tmp_path / "2023-09"
    q1.mkdir()
    assert main(["run", str(q1), str(q3)]) == 2
    assert capsys.readouterr().err == f"error: {q3}: no such delivery folder\n"
    assert main(["run", str(q1), str(q1)]) == 2
    assert capsys.readouterr().err == f"error: {q1} is named twice\n"


def test_the_inbox_sees_an_account_level_delivery_without_parsing_it(account_delivery: Path):
    import hashlib

    from orchestration.ingest.validation import delivery_readiness

    ready = delivery_readiness(account_delivery)
    assert ready.ready, ready.reason
    data = _ledger(account_delivery).read_bytes()
    assert ready.file_hashes["ledger_accounts"] == hashlib.sha256(data).hexdigest()
    _ledger(account_delivery).write_bytes(b"\x00" + data)  # unreadable: not ready
    assert not delivery_readiness(account_delivery).ready


def test_internal_accounts_are_internal_items_and_the_rest_external(
    account_runs: AccountRuns, embedded_run: PipelineRun
):
    folder, run = account_runs.q1, account_runs.first
    assert run.exit_code == 0, run.output
    # The totals are those of the report-line delivery, line by line (the test above).
    external = {
        (org, line): (actual, actual_external, budget, budget_external)
        for org, line, actual, actual_external, budget, budget_external in _figures(
            run.published,
            "fct_budget_vs_actual",
            "org_code, line_code, actual, actual_external, budget, budget_external",
            "reporting_period = '2023-03'",
        )
    }
    vaka = ("VAKA-KP1", "VAKA-KP2")
    # Sales: the part on 9300 is internal, the part on 3000 external.
    actual, actual_external, *_ = external[("VAKA", "myyntituotot")]
    assert actual_external == _sum_of(folder, vaka, ("3000",)) != 0
    assert actual - actual_external == _sum_of(folder, vaka, ("930010",)) != 0
    # Heinola's own internal rent accounts (9500) are its Vuokratuotot's internal items.
    actual, actual_external, *_ = external[("VAKA", "vuokratuotot")]
    assert actual - actual_external == _sum_of(folder, vaka, ("950010",)) != 0
    # Every other figure of the delivery is external: its whole amount.
    actual, actual_external, budget, budget_external = external[("VAKA", "palvelujen_ostot")]
    assert (actual_external, budget_external) == (actual, budget) and actual < 0
    # A subtotal's internal items are those of the lines under it.
    actual, actual_external, *_ = external[("HYTO", "toimintatuotot")]
    centres = tuple(c for c, _ in external if "-KP" in c)
    internal = _sum_of(folder, centres, tuple(TO_INTERNAL.values()))
    assert actual - actual_external == internal != 0


def test_a_report_line_delivery_stays_unsplit(embedded_run: PipelineRun):
    # The embedded delivery gives no items: nothing is made external.
    assert _figures(
        embedded_run.published,
        "fct_budget_vs_actual",
        "count(*)",
        "actual_external is not null",
    ) == {(0,)}


def test_investment_accounts_go_to_the_investment_table_of_their_cost_centres(
    account_runs: AccountRuns, embedded_run: PipelineRun
):
    folder, run = account_runs.q1, account_runs.first
    assert run.exit_code == 0, run.output
    assert re.search(r"investment_totals_reconcile passed: \d+ figures, \d+ rounding", run.output)
    columns = "org_code, line_code, actual"
    q1 = "reporting_period = '2023-03'"
    invested = _figures(
        run.published, "fct_investments", columns, f"{q1} and org_code like 'OPKOU%'"
    )
    assert invested == {
        ("OPKOU-KP1", "menot", Decimal("-100000")),
        ("OPKOU-KP1", "netto", Decimal("-100000")),
        ("OPKOU-KP2", "menot", Decimal("-30976")),
        ("OPKOU-KP2", "netto", Decimal("-30976")),
        # the project's zero and the accounts together: the printed service-area figure
        ("OPKOU", "menot", Decimal("-130976")),
        ("OPKOU", "netto", Decimal("-130976")),
    }
    # The department's investment figures are those of the delivery by project.
    where = "org_code in ('HYTO', 'HYLA')"
    assert _figures(run.published, "fct_investments", columns, f"{q1} and {where}") == _figures(
        embedded_run.published, "fct_investments", columns, where
    )
    # The project keeps its own figures; the accounts are no project.
    assert _figures(
        run.published,
        "fct_investment_projects",
        "project_code, line_code, actual, budget",
        f"{q1} and org_code = 'OPKOU'",
    ) == {
        ("KAILAS-KOULU-VALINEET", "menot", Decimal(0), Decimal(-150000)),
        ("KAILAS-KOULU-VALINEET", "netto", Decimal(0), Decimal(-150000)),
    }
    # Not in the operating figures: the cost centre's result is its operating accounts'.
    operating = _sum_of(folder, ("OPKOU-KP1",), lambda account: not account.startswith("8"))
    assert _figures(
        run.published,
        "fct_budget_vs_actual",
        "actual",
        f"{q1} and org_code = 'OPKOU-KP1' and line_code = 'tilikauden_ylijaama'",
    ) == {(operating,)}
