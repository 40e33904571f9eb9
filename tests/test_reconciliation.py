"""The reconciliation gate: Great Expectations checks that block publication."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.quality.reconciliation import CHECKS, fetch_check_rows, run_check
from tests.conftest import PipelineRun, RefusedRun, worker_working_file
from tests.deliveries import FORMATS
from tests.test_marts import unreproduced_figures

# --- the checks themselves, on tables of known content ---------------------------------

COLUMNS = (
    "reporting_period, check_name, statement, org_code, line_code, measure, "
    "expected_value, computed_value, difference, tolerance, excess_over_tolerance, "
    "figures_summed, printed_unit, reconciliation_status"
)


def _table(tmp_path: Path, rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "r.duckdb"))
    con.execute("create schema marts")
    con.execute("""
        create table marts.fct_control_total_reconciliation (
            reporting_period varchar, check_name varchar, statement varchar, org_code varchar,
            line_code varchar, measure varchar, expected_value decimal(18, 2),
            computed_value decimal(18, 2), difference decimal(18, 2), tolerance decimal(18, 2),
            excess_over_tolerance decimal(18, 2), figures_summed integer, printed_unit varchar,
            reconciliation_status varchar)
    """)
    for row in rows:
        con.execute(
            f"insert into marts.fct_control_total_reconciliation ({COLUMNS}) values "
            f"({', '.join('?' * 14)})",
            list(row),
        )
    return con


def _row(expected: str, computed: str | None, tolerance: str, status: str) -> tuple:
    e, t = Decimal(expected), Decimal(tolerance)
    c = Decimal(computed) if computed is not None else None
    diff = None if c is None else c - e
    excess = None if c is None else abs(c - e) - t
    return (
        "2023-03",
        "department_totals_reconcile",
        "operating",
        "HYTO",
        "toimintakulut",
        "actual",
        e,
        c,
        diff,
        t,
        excess,
        46,
        "1",
        status,
    )


def test_a_correct_table_passes_and_lists_its_rounding(tmp_path: Path):
    con = _table(
        tmp_path,
        [_row("-7999496", "-7999497", "12.5", "rounding"), _row("739180", "739180", "3", "exact")],
    )
    frame = fetch_check_rows(con, "department_totals_reconcile")
    assert len(frame) == 2
    outcome = run_check(frame, "department_totals_reconcile", tmp_path / "evidence")
    assert outcome.passed, outcome.problems
    assert [(f["expected_value"], f["difference"]) for f in outcome.rounding] == [
        ("-7999496.00", "-1.00")
    ]
    evidence = json.loads(outcome.result_json.read_text())
    assert evidence["passed"] is True
    assert evidence["great_expectations"]["success"] is True
    assert outcome.data_docs is not None and outcome.data_docs.exists()
    # The project's own page, readable offline: nothing loaded from elsewhere.
    page = outcome.summary_html.read_text(encoding="utf-8")
    assert "department_totals_reconcile passed: 2 figures, 1 rounding differences" in page
    assert "<td class=n>-7999496.00</td>" in page and "Failing figures (0)" in page
    external = r"(src|href)\s*=|<script|@import|url\("
    assert not re.search(external, page)
    # Great Expectations' data docs load their scripts and styles from CDNs.
    assert re.search(external, outcome.data_docs.read_text(encoding="utf-8"))


def test_a_figure_beyond_tolerance_fails(tmp_path: Path):
    con = _table(
        tmp_path,
        [_row("-7999496", "-8000496", "12.5", "mismatch"), _row("739180", "739180", "3", "exact")],
    )
    outcome = run_check(
        fetch_check_rows(con, "department_totals_reconcile"),
        "department_totals_reconcile",
        tmp_path / "evidence",
    )
    assert not outcome.passed
    assert [
        (f["org_code"], f["line_code"], f["measure"], f["difference"]) for f in outcome.failing
    ] == [("HYTO", "toimintakulut", "actual", "-1000.00")]
    page = outcome.summary_html.read_text(encoding="utf-8")
    assert 'class="failed"' in page and "Failing figures (1)" in page
    assert "<td class=n>-1000.00</td>" in page


def test_a_figure_the_warehouse_lacks_fails(tmp_path: Path):
    con = _table(tmp_path, [_row("-7999496", None, "12.5", "missing")])
    outcome = run_check(
        fetch_check_rows(con, "department_totals_reconcile"),
        "department_totals_reconcile",
        tmp_path / "evidence",
    )
    assert not outcome.passed
    assert outcome.failing[0]["reconciliation_status"] == "missing"


def test_an_empty_result_never_passes(tmp_path: Path):
    con = _table(tmp_path, [_row("1", "1", "0", "exact")])
    frame = fetch_check_rows(con, "investment_totals_reconcile")  # no rows of this check
    assert frame.empty
    outcome = run_check(frame, "investment_totals_reconcile", tmp_path / "evidence")
    assert not outcome.passed
    assert "an empty result never passes" in outcome.summary()


def test_an_unreadable_result_never_passes(tmp_path: Path):
    with pytest.raises(duckdb.CatalogException):
        fetch_check_rows(
            duckdb.connect(str(tmp_path / "empty.duckdb")), "leaf_figures_match_control"
        )
    # Rows whose columns GX cannot evaluate make an expectation raise: that fails too.
    garbled = pd.DataFrame({"reconciliation_status": ["exact"], "expected_value": [1]})
    outcome = run_check(garbled, "leaf_figures_match_control", tmp_path / "evidence")
    assert not outcome.passed
    assert any("raised" in problem for problem in outcome.problems)


# --- the gate in the pipeline, on the embedded data and perturbed copies ----------------


def test_the_embedded_data_reconciles_publishes_and_lists_the_rounding(embedded_run: PipelineRun):
    out = embedded_run.output
    for check in CHECKS:
        assert f"{check} passed" in out
    # Counted, not listed: --verbose lists them (test_pipeline.py), the evidence has each.
    assert "88 rounding differences within tolerance: each is in the evidence" in out
    assert out.count("    ~ ") == 0
    assert "Published" in out
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        statuses = dict(
            con.execute("""
            select reconciliation_status, count(*) from marts.fct_control_total_reconciliation
            group by 1""").fetchall()
        )
    assert statuses == {"exact": 482, "rounding": 88}
    evidence = sorted((embedded_run.published.parent / "validation").glob("*/*.json"))
    assert sorted(p.stem for p in evidence) == sorted(CHECKS)
    assert all((p.parent / "data_docs" / p.stem / "index.html").exists() for p in evidence)


def _failing_figures(output: str) -> dict[str, list[str]]:
    """check -> the failing figure lines printed under it (`! ORG statement line ...`)."""
    figures: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in CHECKS:
            current = words[0]
            figures.setdefault(current, [])
        elif line.startswith("    ! ") and current:
            figures[current].append(line.strip())
    return {check: lines for check, lines in figures.items() if lines}


def test_unreconciled_deliveries_are_named_scope_by_scope_and_not_published(
    unreconciled_run: RefusedRun,
):
    """Three departments delivered in one run, each with its own faults (conftest): a
    figure 1 000 euros off, a missing booked line, a figure in the wrong unit and an
    investment off. Each fault fails the checks it should, with its own figures only."""
    run = unreconciled_run.run
    assert run.exit_code == 1
    failing = _failing_figures(run.output)
    assert set(failing) == set(CHECKS)
    orgs = {check: {line.split()[1] for line in lines} for check, lines in failing.items()}
    assert orgs["leaf_figures_match_control"] == {"VAKA", "RAKV", "SO2"}
    assert orgs["service_area_subtotals_reconcile"] == {"VAKA", "RAKV", "SO2"}
    # ... and the four report formats' own faults: all are their scope's own figures
    assert orgs["department_totals_reconcile"] == {
        "HYTO",
        "TETO",
        "SOTO",
        "HAMEENLINNA",
        "KASOP",
        "MVARHA",
        "PTEKPA",
    }
    assert orgs["investment_totals_reconcile"] == {"SO2", "SOTO"}  # only the social division
    leaves = "\n".join(failing["leaf_figures_match_control"])
    assert "! VAKA   operating      palvelujen_ostot             actual" in leaves
    assert "expected     -310 811  computed     -311 811  difference  -1 000" in leaves
    assert "! RAKV   operating      vuokratuotot                 actual" in leaves
    assert "! SO2    operating      avustukset                   prior_year_actual" in leaves
    assert "! SO2    investment     menot                        actual" in "\n".join(
        failing["investment_totals_reconcile"]
    )
    assert "nothing was published" in run.output
    assert run.published.read_bytes() == unreconciled_run.published_before  # byte for byte


def test_the_run_result_the_cli_reads_is_typed(
    embedded_run: PipelineRun, unreconciled_run: RefusedRun
):
    """What orchestration.pipeline.run hands the CLI: the loads, the checks with their
    figures, the publication and the stage times, for a published and a refused run."""
    published = embedded_run.result
    assert published is not None and published.succeeded and published.published
    ledger = next(load for load in published.loads if load.table == "raw/ledger")
    assert (ledger.rows, ledger.status, ledger.source_file) == (184, "loaded", "ledger.csv")
    assert published.rows_loaded == 846
    assert [c.name for c in published.checks] == sorted(CHECKS) and published.checks_passed
    assert sum(len(c.rounding) for c in published.checks) == 88
    assert not any(c.failing for c in published.checks) and not published.problems
    assert [r.name for r in published.reports] == ["osavuosikatsaus_2023-03_HEINOLA_HYTO.html"]
    # Dagster's step statistics: every stage ran, and together within the run's time.
    assert set(published.stage_seconds) == {"load", "dbt", "checks", "report", "publish"}
    assert all(s > 0 for s in published.stage_seconds.values())
    assert sum(published.stage_seconds.values()) < embedded_run.seconds

    refused = unreconciled_run.run.result
    assert refused is not None and not refused.published and not refused.checks_passed
    leaf = next(c for c in refused.checks if c.name == "leaf_figures_match_control")
    figure = ("VAKA", "palvelujen_ostot", "actual")
    vaka = next(f for f in leaf.failing if (f.org_code, f.line_code, f.measure) == figure)
    assert (Decimal(vaka.expected), Decimal(vaka.computed)) == (-310811, -311811)
    assert Decimal(vaka.difference) == -1000
    assert "publish" not in refused.stage_seconds


def test_a_wrong_figure_is_not_reproduced(unreconciled_run: RefusedRun):
    # The gate refuses to publish that run (the test above); the marts in the
    # run's working file show why. The welfare division's fault: VAKA's Palvelujen ostot.
    run = unreconciled_run.run
    assert f"The run's working file is kept for inspection: {worker_working_file()}" in run.output
    with duckdb.connect(str(unreconciled_run.working), read_only=True) as con:
        _, problems = unreproduced_figures(con)
    welfare = {"HYLA", "HYTO", "HYTE", "OPKOU", "VAKA", "VIRE"}
    wrong = {(p.org_code, p.line_code, p.measure) for p in problems if p.org_code in welfare}
    assert ("VAKA", "palvelujen_ostot", "actual") in wrong
    assert ("VAKA", "palvelujen_ostot", "remaining") in wrong
    assert ("HYTO", "toimintakulut", "actual") in wrong
    assert {org for org, _, _ in wrong} == {"VAKA", "HYTO"}
    # (the four report formats' units are the test below's: their printed precision is
    # not the embedded report's, which unreproduced_figures knows)
    formats = {
        line.split(";")[0]
        for folder in FORMATS.values()
        for line in (folder / "organisation.csv").read_text(encoding="utf-8").splitlines()[1:]
    }
    assert {p.org_code for p in problems} - welfare - formats == {"RAKV", "TETO", "SO2", "SOTO"}


def test_each_report_format_is_reconciled_at_the_precision_it_prints(
    unreconciled_run: RefusedRun,
):
    """The faults of the four report formats (conftest.FORMAT_FAULTS), each failing the
    scope-totals check with its own figures, and a whole-number percentage one step off
    passing as rounding."""
    with duckdb.connect(str(unreconciled_run.working), read_only=True) as con:
        rows = con.execute(
            "select org_code, line_code, measure, item, expected_value, computed_value, "
            "tolerance, reconciliation_status from marts.fct_control_total_reconciliation "
            "where municipality_code in ('HAMEENLINNA', 'KOUVOLA', 'MIKKELI', 'PORVOO') "
            "and reconciliation_status not in ('exact', 'rounding')"
        ).fetchall()
        rounded = con.execute(
            "select expected_value, computed_value, tolerance, reconciliation_status "
            "from marts.fct_control_total_reconciliation where org_code = 'MVARHA' "
            "and line_code = 'tulot' and measure = 'realised_pct'"
        ).fetchall()
    failing = {(org, line, measure, item) for org, line, measure, item, *_ in rows}
    # the city's tax revenue and every line above it, for the actual and the realised %
    city = {f for f in failing if f[0] == "HAMEENLINNA"}
    assert ("HAMEENLINNA", "verotulot", "actual", "all") in city
    assert ("HAMEENLINNA", "tilikauden_ylijaama", "actual", "all") in city
    assert {line for _, line, _, _ in city} == {
        "verotulot",
        "vuosikate",
        "tilikauden_tulos",
        "tilikauden_ylijaama",
    }
    by_figure = {
        (org, line, measure, item): tuple(rest) for org, line, measure, item, *rest in rows
    }
    # 200 euros off a figure printed to 100 euros (thousands, one decimal)
    expected, computed, tolerance, _ = by_figure[
        ("KASOP", "toimintakate", "forecast_variance", "all")
    ]
    assert (expected, computed) == (-1869200, -1869000) and 50 < tolerance < 200
    # a whole-number percentage two steps off; one step off is the printed rounding
    assert by_figure[("MVARHA", "menot", "realised_pct", "all")][:3] == (40, 42, 1)
    assert rounded == [(41, 40, 1, "rounding")]
    # the external items of a line, not its total
    assert ("PTEKPA", "toimintakulut", "actual", "external") in failing
    assert ("PTEKPA", "toimintakulut", "actual", "all") not in failing
    assert {f[0] for f in failing} == {"HAMEENLINNA", "KASOP", "MVARHA", "PTEKPA"}
