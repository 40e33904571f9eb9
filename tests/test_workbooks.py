"""Extracts kept in workbooks (.xlsx, .ods) read as their CSV twins: the same rows and
exact values, the same rules and errors (named by sheet row), one sheet per extract."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import load_delivery
from orchestration.ingest.reading import ExtractRefused
from orchestration.ingest.validation import validate_delivery
from orchestration.ingest.workbooks import cell_text
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR

NUMERIC = {"fiscal_year", "period", "seq", "amount", "target_value", "observed_value"}


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def _typed(header: list[str], row: list[str]) -> list:
    """The cells as a spreadsheet keeps them: numbers as numbers, dates as dates."""
    cells = []
    for column, text in zip(header, row, strict=True):
        plain = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if column in NUMERIC and text and plain.lstrip("-").replace(".", "", 1).isdigit():
            number = Decimal(plain)
            cells.append(int(number) if number == number.to_integral_value() else float(number))
        elif column == "observed_on" and text:
            day, month, year = (int(p) for p in text.split("."))
            cells.append(dt.datetime(year, month, day))
        else:
            cells.append(text or None)
    return cells


def write_xlsx(source: Path, target: Path, sheets: dict[str, list[list]] | None = None) -> Path:
    rows = _csv_rows(source)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = source.stem
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append(_typed(rows[0], row))
    for title, extra in (sheets or {}).items():
        other = book.create_sheet(title)
        for row in extra:
            other.append(row)
    book.save(target)
    return target


@pytest.fixture
def workbook_delivery(delivery_copy: Path) -> Path:
    """The seed with its goals, goal metrics and ledger as .xlsx, its narratives as .ods."""
    for kind in ("goals", "goal_metrics", "ledger"):
        csv_file = delivery_copy / f"{kind}.csv"
        write_xlsx(csv_file, delivery_copy / f"{kind}.xlsx")
        csv_file.unlink()
    narratives = delivery_copy / "narratives.csv"
    rows = _csv_rows(narratives)
    frame = pd.DataFrame([_typed(rows[0], r) for r in rows[1:]], columns=rows[0])
    frame.to_excel(delivery_copy / "narratives.ods", engine="odf", index=False)
    narratives.unlink()
    return delivery_copy


def _values(extract) -> list[dict]:
    """The rows' values; not their line numbers (a CSV cell of several lines spans them)."""
    return [{k: v for k, v in row.items() if k != "_source_line"} for row in extract.rows]


def test_a_workbook_gives_the_rows_of_its_csv_twin(workbook_delivery: Path):
    from_workbooks = validate_delivery(workbook_delivery)
    from_csv = validate_delivery(DEFAULT_DELIVERY_DIR)
    for kind in ("goals", "goal_metrics", "ledger", "narratives"):
        assert from_workbooks.extracts[kind].path.suffix in (".xlsx", ".ods")
        assert _values(from_workbooks.extracts[kind]) == _values(from_csv.extracts[kind]), kind
    ledger = from_workbooks.extracts["ledger"]
    (row_13,) = [r for r in ledger.rows if r["_source_line"] == 13]  # its sheet row
    assert row_13["amount"] == Decimal("-82967") and ledger.encoding == "xlsx"


def test_a_workbook_delivery_loads_as_the_csv_one(workbook_delivery: Path, tmp_path: Path):
    def raw(folder: Path, db: Path) -> dict[str, list[tuple]]:
        with duckdb.connect(str(db)) as con:
            load_delivery(con, validate_delivery(folder), list(CONTRACTS.values()))
            return {
                kind: con.execute(
                    "select * exclude (_load_id, _source_file, _source_sha256, _source_line, "
                    f"_loaded_at) "
                    f"from raw.{kind} order by all"
                ).fetchall()
                for kind in ("goals", "goal_metrics", "ledger", "narratives")
            }

    assert raw(workbook_delivery, tmp_path / "a.duckdb") == raw(
        DEFAULT_DELIVERY_DIR, tmp_path / "b.duckdb"
    )


def test_number_cells_are_their_exact_decimals():
    assert [cell_text(v) for v in (1234.56, 0.1, 1.234, -82967.0, 7, None)] == [
        "1234.56",
        "0.1",
        "1.2340",  # not a thousands group: a number cell with three decimals
        "-82967",
        "7",
        "",
    ]
    assert cell_text(dt.datetime(2023, 3, 31)) == "2023-03-31"


def test_a_bad_cell_is_named_by_its_row_and_column(workbook_delivery: Path):
    path = workbook_delivery / "ledger.xlsx"
    book = openpyxl.load_workbook(path)
    book.active["F13"] = "abc"  # the amount of the 12th figure, on sheet row 13
    book.save(path)
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(workbook_delivery)
    (error,) = [str(e) for e in refused.value.errors]
    assert error.startswith("ledger.xlsx:13 column 'amount': ") and "(found 'abc')" in error


def test_a_workbook_holds_one_extract(delivery_copy: Path):
    goals = delivery_copy / "goals.csv"
    notes = [["muistiinpano"], ["tarkistettu 3.4."]]
    write_xlsx(goals, delivery_copy / "goals.xlsx", {"muistio": notes})
    goals.unlink()
    # the sheet named after the extract is the one read, the notes beside it are not
    assert len(validate_delivery(delivery_copy).extracts["goals"].rows) == 17
    book = openpyxl.load_workbook(delivery_copy / "goals.xlsx")
    book["goals"].title = "tavoitteet"
    book.save(delivery_copy / "goals.xlsx")
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(delivery_copy)
    assert [str(e) for e in refused.value.errors] == [
        "goals.xlsx: the workbook has 2 sheets with data ('tavoitteet', 'muistio'); "
        "expected one, or one named 'goals'"
    ]


def test_the_account_ledger_comes_as_csv(delivery_copy: Path, tmp_path: Path):
    from tests.deliveries import by_account

    accounts = by_account(delivery_copy, tmp_path / "accounts" / "2023-03")
    write_xlsx(accounts / "ledger_accounts.csv", accounts / "ledger_accounts.xlsx")
    (accounts / "ledger_accounts.csv").unlink()
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(accounts)
    assert [str(e) for e in refused.value.errors] == [
        "ledger_accounts.xlsx: the operating ledger by account is read in bulk from CSV; "
        "expected ledger_accounts.csv (save the sheet as CSV, UTF-8), or a source profile "
        "that reads the workbook (docs/source_profiles.md)"
    ]


def test_an_open_workbooks_lock_file_is_not_an_extract(workbook_delivery: Path):
    shutil.copyfile(workbook_delivery / "goals.xlsx", workbook_delivery / "~$goals.xlsx")
    assert "goals" in validate_delivery(workbook_delivery).extracts
