"""Extracts kept in workbooks (.xlsx, .xlsm, .xls, .ods), read with calamine into the same
table a CSV file gives (reading.RawTable), so that one set of rules checks both.

A workbook holds one extract: its only sheet with data, or the sheet named after the
extract kind. The header is the sheet's first row with data; its rows are numbered as the
spreadsheet numbers them. Cells keep their types: a number cell is written out as the
exact decimal it shows (no float round-trip), a date cell as an ISO date, and a text cell
(Finnish number text such as `-1 234,50` included) goes through the contract's own rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.ingest.contracts import contract_for_file
from orchestration.ingest.reading import (
    EMPTY_FILE,
    ExtractError,
    ExtractRefused,
    RawTable,
    read_plain_bytes,
    read_table,
)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in WORKBOOK_SUFFIXES


def read_any(path: Path) -> RawTable:
    """A CSV file or a workbook, as one table of text records."""
    return read_workbook(path) if is_workbook(path) else read_table(path)


def cell_text(value: Any) -> str:
    """A cell as the contracts read text. A number cell is the shortest decimal that is
    the cell's value (what the spreadsheet shows); one with exactly three decimals gets a
    fourth zero, so that it cannot be taken for a thousands group (`1.234` is refused as
    ambiguous in text, `1.2340` is not)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = format(Decimal(repr(value)), "f")
        return text + "0" if len(text.rsplit(".", 1)[-1]) == 3 else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _refused(name: str, message: str) -> ExtractRefused:
    return ExtractRefused([ExtractError(name, 0, "", message)])


def workbook_rows(
    path: Path, sheet: str | None = None, kind: str | None = None
) -> tuple[str, list[tuple[int, list[str]]]]:
    """(sha256, the sheet's rows numbered as the spreadsheet numbers them): the sheet
    named `sheet`, else the only sheet with data, else the one named after `kind`."""
    from python_calamine import CalamineWorkbook

    name = path.name
    data = read_plain_bytes(path)
    if not data:
        raise _refused(name, EMPTY_FILE)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if sheet is not None:
            wanted = [s for s in names if s.strip().lower() == sheet.strip().lower()]
            if not wanted:
                shown = ", ".join(f"'{s}'" for s in names)
                raise _refused(name, f"no sheet '{sheet}'; the workbook's sheets are {shown}")
            names = wanted[:1]
        sheets = {
            s: [
                [cell_text(c).strip() for c in row]
                for row in workbook.get_sheet_by_name(s).to_python()
            ]
            for s in names
        }
    except ExtractRefused:
        raise
    except Exception as exc:  # calamine raises its own errors for a damaged file
        raise _refused(
            name,
            f"the workbook cannot be read ({exc}); expected a {path.suffix} file as a "
            "spreadsheet program saves it",
        ) from None
    with_data = {s: rows for s, rows in sheets.items() if any(any(row) for row in rows)}
    kind = kind or path.stem.lower()
    named = [s for s in with_data if s.strip().lower() == kind]
    if len(with_data) == 1:
        (rows,) = with_data.values()
    elif len(named) == 1:
        rows = with_data[named[0]]
    elif not with_data:
        raise _refused(name, EMPTY_FILE)
    else:
        shown = ", ".join(f"'{s}'" for s in with_data)
        raise _refused(
            name,
            f"the workbook has {len(with_data)} sheets with data ({shown}); expected one, or "
            f"one named '{kind}'",
        )
    return hashlib.sha256(data).hexdigest(), list(enumerate(rows, 1))


def read_workbook(path: Path) -> RawTable:
    contract = contract_for_file(path.name)
    sha256, rows = workbook_rows(path, None, contract.kind if contract is not None else None)
    return _table(path, sha256, [cells for _, cells in rows])


def _table(path: Path, sha256: str, rows: list[list[str]]) -> RawTable:
    # blank rows are ignored, as blank lines of a CSV file are
    texts = [(number, cells) for number, cells in enumerate(rows, 1) if any(cells)]
    header = texts[0][1]
    while header and not header[-1]:  # the sheet's used range may run past the header
        header.pop()
    width = len(header)
    records = []
    for number, cells in texts[1:]:
        # Cells beyond the header are kept only when something is in them: the record is
        # then refused for its number of fields, as a CSV row would be.
        records.append((number, cells[:width] if not any(cells[width:]) else cells))
    return RawTable(
        path=path,
        sha256=sha256,
        encoding=path.suffix.lower().lstrip("."),
        delimiter="",
        header=header,
        records=records,
    )
