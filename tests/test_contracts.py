"""The documented contracts are the enforced ones; the number and text readers."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.ingest.contracts import CONTRACTS, REPORT_LINES, Contract
from orchestration.ingest.contracts_doc import contracts_markdown
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused, parse_date, parse_decimal
from orchestration.ingest.validation import parse_extract
from orchestration.warehouse.paths import PROJECT_ROOT


def _write_example(path: Path, example: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(example)
        writer.writerow(example.values())


def test_the_contract_documentation_is_current():
    documented = (PROJECT_ROOT / "docs" / "extract_contracts.md").read_text(encoding="utf-8")
    assert documented == contracts_markdown(), (
        "run: warehouse contracts > docs/extract_contracts.md"
    )


@pytest.mark.parametrize("contract", [*CONTRACTS.values(), REPORT_LINES], ids=lambda c: c.kind)
def test_each_documented_example_row_is_valid(contract: Contract, tmp_path: Path):
    example = contract.example_row()
    path = tmp_path / f"{contract.kind}.csv"
    _write_example(path, example)
    parsed = parse_extract(path, _row_by_row(contract), ReportingPeriod(2023, 3))
    assert len(parsed.rows) == 1


@pytest.mark.parametrize("contract", [*CONTRACTS.values()], ids=lambda c: c.kind)
def test_each_example_row_breaks_when_a_required_value_is_missing(
    contract: Contract, tmp_path: Path
):
    example = contract.example_row()
    first_required = next(c.name for c in contract.columns if c.required)
    example[first_required] = ""
    path = tmp_path / f"{contract.kind}.csv"
    _write_example(path, example)
    with pytest.raises(ExtractRefused) as refused:
        parse_extract(path, _row_by_row(contract), ReportingPeriod(2023, 3))
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, first_required)]


def _row_by_row(contract: Contract) -> Contract:
    """A bulk extract's rows are read by DuckDB when loaded (tests/test_account_ledger.py);
    the Python rules that word its errors are these, applied here row by row."""
    return dataclasses.replace(contract, bulk=False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-1 234 567,89", Decimal("-1234567.89")),
        ("-1\u00a0234\u00a0567,89", Decimal("-1234567.89")),  # no-break spaces (Excel fi-FI)
        ("1\u202f234", Decimal(1234)),  # narrow no-break space
        ("\u22127 999 496", Decimal(-7999496)),  # typographic minus
        ("1234-", Decimal(-1234)),  # trailing minus of some ledgers
        ("24,70", Decimal("24.70")),
        ("1234.5", Decimal("1234.5")),
        ("0,125", Decimal("0.125")),
        ("1234,567", Decimal("1234.567")),  # four digits before: cannot be thousands
        ("+5", Decimal(5)),
        ("0", Decimal(0)),
    ],
)
def test_numbers_as_finance_systems_write_them(text: str, value: Decimal):
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,234", "ambiguous"),
        ("1.234", "ambiguous"),
        ("1.234,56", "both ',' and '.'"),
        ("1,234,567", "more than one"),
        ("12 34", "groups of three"),
        ("1 2345", "groups of three"),
        ("12a", "not a number"),
        ("", "required"),
        ("-", "without digits"),
    ],
)
def test_numbers_that_could_be_read_two_ways_or_not_at_all_are_refused(text: str, reason: str):
    with pytest.raises(ValueError, match=reason):
        parse_decimal(text)


def test_dates_in_finnish_and_iso_form():
    assert parse_date("31.3.2023") == parse_date("2023-03-31") == dt.date(2023, 3, 31)
    with pytest.raises(ValueError, match="calendar date"):
        parse_date("31.2.2023")
    with pytest.raises(ValueError, match="31.3.2023"):
        parse_date("3/31/2023")


def test_reporting_period_names():
    assert str(ReportingPeriod.parse("2023-3")) == "2023-03"
    with pytest.raises(ValueError, match="outside 1-12"):
        ReportingPeriod.parse("2023-13")
    with pytest.raises(ValueError, match="YYYY-MM"):
        ReportingPeriod.parse("Q1/2023")
