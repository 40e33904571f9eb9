"""Deliveries written from public report formats (tests/deliveries/README.md) load,
reconcile at the precision they print and carry every measure they deliver: a city's
income statement with tax revenue and state grants, a department's budget changes and
forecasts without a prior year, a board's TULOT / MENOT with whole-number percentages, and
a department split into external and internal items whose council binds the external net.
Their faults, each failing at its printed precision, are in test_reconciliation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.reconciliation import CHECKS
from tests.conftest import PipelineRun
from tests.deliveries import FORMATS


def _rows(run: PipelineRun, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(run.published), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _figure(run: PipelineRun, org: str, line: str, columns: str) -> tuple:
    (row,) = _rows(
        run,
        f"select {columns} from marts.fct_budget_vs_actual where org_code = ? and line_code = ?",
        [org, line],
    )
    return row


def _printed_rows(folder: Path) -> int:
    return len((folder / "control_totals.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_every_format_loads_and_every_printed_figure_reconciles(formats_run: PipelineRun):
    output = formats_run.output
    for check in sorted(set(CHECKS) - {"investment_totals_reconcile"}):
        assert re.search(rf"{check} passed: \d+ figures, \d+ rounding differences, 0 fail", output)
    # No delivery has investments: the check has nothing to judge and says so.
    assert "investment_totals_reconcile passed: not applicable (no investments" in output
    by_municipality = dict(
        _rows(
            formats_run,
            "select municipality_code, count(*) from marts.fct_control_total_reconciliation "
            "where reconciliation_status in ('exact', 'rounding') group by 1",
        )
    )
    municipalities = {
        "city": "HAMEENLINNA",
        "budget_changes": "KOUVOLA",
        "board": "MIKKELI",
        "external_internal": "PORVOO",
    }
    assert by_municipality == {
        municipalities[name]: _printed_rows(folder) for name, folder in FORMATS.items()
    }
    reports = {r.name for r in formats_run.result.reports} if formats_run.result else set()
    assert reports == {
        "osavuosikatsaus_2024-04_HAMEENLINNA_HAMEENLINNA.html",
        "osavuosikatsaus_2024-06_KOUVOLA_KASOP.html",
        "osavuosikatsaus_2024-05_MIKKELI_SIVLTK.html",
        "osavuosikatsaus_2024-08_PORVOO_PTEKPA.html",
    }


def test_a_city_income_statement_runs_from_tax_revenue_to_the_surplus(formats_run: PipelineRun):
    columns = "budget, actual, prior_year_same_period_actual"
    assert _figure(formats_run, "HAMEENLINNA", "toimintakate", columns) == (
        Decimal("-239607800"),
        Decimal("-76028323"),
        Decimal("-72748488"),
    )
    assert _figure(formats_run, "HAMEENLINNA", "vuosikate", "budget, actual") == (
        21708000,
        12422833,
    )
    # the surplus is the result: no appropriations are booked
    assert _figure(formats_run, "HAMEENLINNA", "tilikauden_ylijaama", "budget, actual") == (
        -2872600,
        4221562,
    )
    lines = {
        line
        for (line,) in _rows(
            formats_run,
            "select line_code from marts.fct_budget_vs_actual where org_code = 'HAMEENLINNA'",
        )
    }
    assert {"verotulot", "valtionosuudet", "korkotuotot", "muut_rahoituskulut"} <= lines
    assert {"palkat_ja_palkkiot", "elakekulut", "henkilosivukulut", "henkilostokulut"} <= lines


def test_a_department_follows_its_budget_changes_and_forecasts(formats_run: PipelineRun):
    columns = (
        "original_budget, budget_changes, budget, forecast, forecast_variance, realised_pct, "
        "prior_year_actual, prior_year_same_period_actual"
    )
    assert _figure(formats_run, "KASOP", "toimintakate", columns) == (
        Decimal("-146131000"),
        Decimal("-2020000"),
        Decimal("-148151000"),
        Decimal("-150020000"),
        Decimal("-1869000"),
        Decimal("53.5"),
        None,  # no prior year delivered, none made up
        None,
    )
    # variance = actual - budget: the department has spent less than the whole year's budget
    actual, variance = _figure(formats_run, "KASOP", "toimintakate", "actual, variance")
    assert variance == actual - Decimal("-148151000") and variance > 0
    reasons = _rows(
        formats_run,
        "select org_code, line_code, forecast, forecast_reason from marts.fct_forecasts "
        "where org_code = 'KVARHA' and line_code = 'toimintakulut'",
    )
    assert reasons[0][:3] == ("KVARHA", "toimintakulut", Decimal("-63370000"))
    assert "Palkkaratkaisun" in reasons[0][3]
    # the controllers' forecast of the bound net, and its flag
    (follow_up,) = _rows(
        formats_run,
        "select binding_level, bound_line_code, forecast_net, is_forecast_over_budget "
        "from marts.fct_binding_level_follow_up where org_code = 'KASOP'",
    )
    assert follow_up == ("council", "toimintakate", Decimal("-150020000"), True)


def test_a_board_prints_whole_number_percentages_of_tulot_and_menot(formats_run: PipelineRun):
    assert _figure(formats_run, "SIVLTK", "toimintakate", "budget, actual") == (
        Decimal("-123048600"),
        Decimal("-53302372"),
    )
    printed = _rows(
        formats_run,
        "select distinct statement, printed_decimals, tolerance "
        "from marts.fct_control_total_reconciliation "
        "where municipality_code = 'MIKKELI' and measure = 'realised_pct'",
    )
    assert printed == [("budget_binding", 0, 1)]  # whole numbers, within one step
    (netto,) = _rows(
        formats_run,
        "select expected_value, computed_value from marts.fct_control_total_reconciliation "
        "where org_code = 'SIVLTK' and line_code = 'netto' and measure = 'realised_pct'",
    )
    assert netto == (43, 43)


def test_external_and_internal_items_and_an_external_binding(formats_run: PipelineRun):
    total, external = _figure(formats_run, "PTEKPA", "toimintakate", "budget, budget_external")
    assert (total, external) == (Decimal("980200"), Decimal("-47722800"))
    assert total - external == Decimal("48703000")  # the internal items
    actual, actual_external = _figure(
        formats_run, "PTEKPA", "toimintakate", "actual, actual_external"
    )
    assert (actual, actual_external) == (Decimal("729510"), Decimal("-30459984"))
    (bound,) = _rows(
        formats_run,
        "select binding_level, bound_items, budget_net, actual_net, realised_pct, "
        "forecast_linear_net, is_linear_forecast_over_budget "
        "from marts.fct_binding_level_follow_up where org_code = 'PTEKPA'",
    )
    assert bound == (
        "council",
        "external",
        Decimal("-47722800"),
        Decimal("-30459984"),
        Decimal("63.8"),
        Decimal("-45689976"),  # x 12 / 8
        False,
    )
    # the seed's municipality keeps the default: the department's net of all items
    assert _rows(
        formats_run,
        "select distinct bound_items from marts.fct_binding_level_follow_up "
        "where municipality_code <> 'PORVOO'",
    ) == [("all",)]


def _check_sums(folder: Path) -> subprocess.CompletedProcess:
    checker = Path(__file__).parent / "deliveries" / "check_sums.py"
    return subprocess.run(
        [sys.executable, str(checker), str(folder)], capture_output=True, text=True
    )


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_checker_of_the_test_deliveries_agrees(name: str):
    """tests/deliveries/check_sums.py recomputes every printed figure on its own, without
    the warehouse: the test deliveries are consistent by a second reckoning."""
    done = _check_sums(FORMATS[name])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checker_of_the_test_deliveries_finds_a_wrong_figure(tmp_path: Path):
    folder = tmp_path / "2024-05"
    shutil.copytree(FORMATS["board"], folder)
    printed = folder / "control_totals.csv"
    text = printed.read_text(encoding="utf-8")
    row = "2024;5;budget_binding;MVARHA;menot;realised_pct;42;%"
    assert row in text
    printed.write_text(text.replace(row, row.replace(";42;", ";40;")), encoding="utf-8")
    done = _check_sums(folder)
    assert done.returncode == 1 and "MVARHA" in done.stdout + done.stderr


# --- what the new columns and extracts refuse, with file, line and column ------------------


def _refused(folder: Path) -> list[str]:
    from orchestration.ingest.reading import ExtractRefused
    from orchestration.ingest.validation import validate_delivery

    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(folder)
    return [str(e) for e in refused.value.errors]


def _copy_with(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    folder = tmp_path / FORMATS[name].name
    shutil.copytree(FORMATS[name], folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_a_forecast_is_made_at_the_reporting_month(tmp_path: Path):
    from orchestration.ingest.validation import validate_delivery

    assert "forecasts" in validate_delivery(FORMATS["budget_changes"]).extracts
    folder = _copy_with(tmp_path, "budget_changes", "forecasts.csv", "\n2024;6;", "\n2024;12;")
    assert _refused(folder) == [
        "forecasts.csv:2 column 'period': 12 does not match the delivery's reporting period "
        "2024-06; expected 6"
    ]


def test_items_are_external_or_internal(tmp_path: Path):
    folder = _copy_with(
        tmp_path, "external_internal", "ledger.csv", ";external;", ";ulkoinen;"
    )
    (error,) = _refused(folder)
    assert error.startswith("ledger.csv:2 column 'item': 'ulkoinen' is not allowed; expected ")
    assert error.endswith("one of external, internal (found 'ulkoinen')")


def test_a_delivery_of_organisation_ledger_and_control_totals_is_whole(tmp_path: Path):
    """No goals, investments or narratives: none is required (every format above)."""
    from orchestration.ingest.validation import validate_delivery

    for folder in FORMATS.values():
        assert set(validate_delivery(folder).extracts) <= {
            "organisation",
            "ledger",
            "control_totals",
            "forecasts",
        }
    folder = tmp_path / "2024-05"
    shutil.copytree(FORMATS["board"], folder)
    (folder / "control_totals.csv").unlink()
    assert _refused(folder) == [
        "control_totals.csv: required control totals (printed figures) extract is missing "
        "from 2024-05/"
    ]
