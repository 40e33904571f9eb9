"""What `warehouse` prints for people: numbers in the chosen format, one line per step."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.cli.common import NUMBERS_VARIABLE, number
from orchestration.cli.run import MAX_FAILING_SHOWN, StepPrinter, print_reconciliation
from orchestration.pipeline import CheckOutcome, Figure, Progress, RunResult


@pytest.mark.parametrize(
    ("value", "decimals", "fi", "en"),
    [
        (1234567, None, "1 234 567", "1,234,567"),
        (Decimal("-176373376.00"), None, "-176 373 376", "-176,373,376"),
        ("-30250.5", None, "-30 250,50", "-30,250.50"),
        (9.94, 1, "9,9", "9.9"),
        (None, None, "-", "-"),
    ],
)
def test_numbers_print_in_finnish_by_default_and_in_english_on_request(
    monkeypatch: pytest.MonkeyPatch, value, decimals, fi: str, en: str
):
    monkeypatch.delenv(NUMBERS_VARIABLE, raising=False)
    assert number(value, decimals) == fi
    monkeypatch.setenv(NUMBERS_VARIABLE, "en")
    assert number(value, decimals) == en


def test_an_unknown_number_format_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(NUMBERS_VARIABLE, "de")
    with pytest.raises(ValueError, match=r"KUNTASEURANTA_NUMBERS='de': expected one of"):
        number(1)


def test_the_numbers_option_sets_the_format_for_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    monkeypatch.setenv(NUMBERS_VARIABLE, "fi")  # restored after the test
    assert main(["--numbers", "en", "contracts"]) == 0
    assert os.environ[NUMBERS_VARIABLE] == "en"
    with pytest.raises(SystemExit):
        main(["--numbers", "de", "contracts"])
    assert "invalid choice: 'de'" in capsys.readouterr().err


def _steps(printer: StepPrinter) -> None:
    printer(Progress("load", "started"))
    printer(Progress("dbt", "started"))
    for done in (1, 2, 3):
        printer(Progress("dbt", "running", done, 3))
    printer(Progress("dbt", "succeeded"))
    printer(Progress("checks", "started"))
    printer(Progress("report", "started"))
    printer(Progress("report", "failed"))
    printer.close()


def test_one_line_per_step_with_its_time_and_dbt_nodes():
    out = io.StringIO()
    _steps(StepPrinter(out, live=False))
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["load", "dbt", "checks", "report"]
    assert lines[1].endswith(" s  (3 of 3 nodes)")
    assert lines[3].endswith(" s FAILED")
    assert "\r" not in out.getvalue()  # not a terminal: no updates in place


def test_on_a_terminal_the_step_under_way_updates_in_place():
    out = io.StringIO()
    _steps(StepPrinter(out, live=True))
    text = out.getvalue()
    assert "(2 of 3 nodes) ..." in text  # shown while dbt ran
    finished = [part.removeprefix("\x1b[K") for part in text.split("\r") if part.endswith("\n")]
    assert [line.split()[1] for line in finished] == ["load", "dbt", "checks", "report"]


def _figure(org: str) -> Figure:
    return Figure(org, "operating", "avustukset", "actual", "-1000", "-2000", "1000", "0.5")


def _outcome(failing: int, rounding: int) -> CheckOutcome:
    return CheckOutcome(
        "leaf_figures_match_control",
        failing == 0,
        f"leaf_figures_match_control: {failing} failing",
        [_figure(f"F{i}") for i in range(failing)],
        [_figure(f"R{i}") for i in range(rounding)],
        Path("evidence"),
    )


def _result(outcome: CheckOutcome) -> RunResult:
    return RunResult("run", True, True, [], [], [outcome], [], [], [], "", {})


@pytest.mark.parametrize("verbose", [False, True])
def test_a_failing_check_prints_its_figures_a_screenful_unless_verbose(
    capsys: pytest.CaptureFixture, verbose: bool
):
    print_reconciliation(_result(_outcome(failing=30, rounding=3)), verbose)
    out = capsys.readouterr().out
    shown = MAX_FAILING_SHOWN if not verbose else 30
    assert out.count("    ! ") == shown
    assert ("... and 5 more failing figures" in out) is not verbose
    assert "expected       -1 000  computed       -2 000  difference   1 000" in out
    assert out.count("    ~ ") == (3 if verbose else 0)
    assert ("3 rounding differences within tolerance: each is in the evidence" in out) is (
        not verbose
    )
