"""Deliveries are plain files; header errors are capped; paths reach DuckDB as parameters.

Every entry a delivery would read must be a regular file within the size limit: links,
FIFOs, devices and folders named like an extract are refused from the directory entry
alone, before anything opens them. Each refusal is checked through validate_delivery and
through delivery_readiness (the inbox sensor's check), in a thread that must come back
within a few seconds: a FIFO that was opened for reading would block it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.ingest import bulk
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import check_delivery
from orchestration.ingest.reading import (
    MAX_EXTRACT_BYTES_VARIABLE,
    ExtractRefused,
    open_plain,
    read_table,
)
from orchestration.ingest.validation import delivery_readiness, parse_extract, validate_delivery
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR, REFERENCE_DIR
from tests.deliveries import by_account

SECRET = "SALAISUUS-4711"
LEDGER_ROW = "2023;3;HYTE;henkilostokulut;actual;-82967;1"
NOT_PLAIN = "deliveries must be plain files"
SYMLINK = f"the file is a symbolic link; {NOT_PLAIN}: copy the file into the folder"
WAIT_SECONDS = 5.0
# Where the paths of the DuckDB tests live: an apostrophe and a space, as a pasted path
# could not survive.
AWKWARD = "it's a folder"


# --- helpers ------------------------------------------------------------------------------


def within_seconds(call: Callable[[], Any], unblock: Path | None = None) -> Any:
    """call() in a daemon thread; fail unless it returns (or raises) in WAIT_SECONDS.

    If it hangs on `unblock` (a FIFO), a writer is opened and closed so that the reader
    sees the end of the data and the thread ends instead of outliving the test."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT_SECONDS)
    if thread.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"still reading after {WAIT_SECONDS} s: the entry was opened")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def refusal(folder: Path, unblock: Path | None = None) -> list[str]:
    def validate() -> list[str]:
        with pytest.raises(ExtractRefused) as refused:
            validate_delivery(folder)
        return [str(e) for e in refused.value.errors]

    return within_seconds(validate, unblock)


def not_ready(folder: Path, unblock: Path | None = None) -> str:
    readiness = within_seconds(lambda: delivery_readiness(folder), unblock)
    assert not readiness.ready
    return readiness.reason


def secret_ledger(outside: Path) -> Path:
    """A ledger outside the delivery whose bad amount is the secret: read, it would be
    quoted in the error ("found 'SALAISUUS-4711'")."""
    outside.mkdir()
    target = outside / "ledger.csv"
    text = (DEFAULT_DELIVERY_DIR / "ledger.csv").read_text(encoding="utf-8-sig")
    target.write_text(text.replace(LEDGER_ROW, LEDGER_ROW.replace("-82967", SECRET)))
    return target


# --- each makes ledger.csv of the delivery something other than a plain file ---------------


def link_outside(folder: Path) -> None:
    ledger = folder / "ledger.csv"
    ledger.unlink()
    ledger.symlink_to(secret_ledger(folder.parent / "outside"))


def link_inside(folder: Path) -> None:
    """A link to a good file of the same folder is refused all the same."""
    ledger = folder / "ledger.csv"
    ledger.rename(folder / "ledger.txt")
    ledger.symlink_to("ledger.txt")


def link_to_dev_zero(folder: Path) -> None:
    ledger = folder / "ledger.csv"
    ledger.unlink()
    ledger.symlink_to("/dev/zero")


def fifo(folder: Path) -> None:
    ledger = folder / "ledger.csv"
    ledger.unlink()
    os.mkfifo(ledger)


def folder_named_ledger(folder: Path) -> None:
    ledger = folder / "ledger.csv"
    ledger.unlink()
    ledger.mkdir()
    (ledger / "ledger.csv").write_bytes((DEFAULT_DELIVERY_DIR / "ledger.csv").read_bytes())


NOT_PLAIN_FILES = [
    pytest.param(link_outside, SYMLINK, id="symlink-outside"),
    pytest.param(link_inside, SYMLINK, id="symlink-inside"),
    pytest.param(link_to_dev_zero, SYMLINK, id="symlink-dev-zero"),
    pytest.param(fifo, f"the file is a named pipe (FIFO); {NOT_PLAIN}", id="fifo"),
    pytest.param(folder_named_ledger, "this is a folder, not a file", id="folder"),
]


@pytest.mark.parametrize(("perturb", "message"), NOT_PLAIN_FILES)
def test_an_entry_that_is_not_a_plain_file_is_refused_by_validation(
    delivery_copy: Path, perturb: Callable[[Path], None], message: str
) -> None:
    perturb(delivery_copy)
    errors = refusal(delivery_copy, unblock=delivery_copy / "ledger.csv")
    assert len(errors) == 1, errors  # not also "the operating ledger is missing"
    assert errors[0].startswith(f"ledger.csv: {message}")
    assert SECRET not in errors[0] and "outside" not in errors[0]


@pytest.mark.parametrize(("perturb", "message"), NOT_PLAIN_FILES)
def test_an_entry_that_is_not_a_plain_file_is_not_ready_in_the_inbox(
    delivery_copy: Path, perturb: Callable[[Path], None], message: str
) -> None:
    perturb(delivery_copy)
    reason = not_ready(delivery_copy, unblock=delivery_copy / "ledger.csv")
    assert reason.startswith(f"ledger.csv: {message}")
    assert SECRET not in reason and "outside" not in reason


def test_a_file_over_the_size_limit_is_refused_with_its_size_and_the_limit(
    delivery_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = delivery_copy / "ledger.csv"
    # Trailing blank lines: a file that is valid but for its size.
    ledger.write_bytes(ledger.read_bytes() + b"\r\n" * 25_000)
    size = ledger.stat().st_size
    monkeypatch.setenv(MAX_EXTRACT_BYTES_VARIABLE, "40000")  # above every other file
    expected = (
        f"ledger.csv: the file is {size} bytes, over the limit of 40000 bytes for one "
        f"extract; set {MAX_EXTRACT_BYTES_VARIABLE} to a larger number of bytes"
    )
    errors = refusal(delivery_copy)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert not_ready(delivery_copy).startswith(expected)
    monkeypatch.setenv(MAX_EXTRACT_BYTES_VARIABLE, str(size))  # the limit itself is allowed
    assert validate_delivery(delivery_copy).extracts["ledger"].row_count > 0


def test_the_default_limit_takes_a_large_citys_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.ingest.reading import max_extract_bytes

    monkeypatch.delenv(MAX_EXTRACT_BYTES_VARIABLE, raising=False)
    assert max_extract_bytes() == 4 * 1024**3
    monkeypatch.setenv(MAX_EXTRACT_BYTES_VARIABLE, "lots")
    with pytest.raises(ValueError, match=MAX_EXTRACT_BYTES_VARIABLE):
        max_extract_bytes()


def test_the_embedded_delivery_is_plain_and_ready(delivery_copy: Path) -> None:
    delivery = within_seconds(lambda: validate_delivery(delivery_copy))
    assert set(delivery.extracts) >= {"ledger", "organisation", "control_totals"}
    readiness = delivery_readiness(delivery_copy)
    assert readiness.ready, readiness.reason


def test_a_link_with_a_name_that_is_no_extract_is_not_followed(delivery_copy: Path) -> None:
    """Only the entries read as extracts are looked at; others are refused by their name."""
    (delivery_copy / "notes.csv").symlink_to(secret_ledger(delivery_copy.parent / "outside"))
    errors = refusal(delivery_copy)
    assert len(errors) == 1 and errors[0].startswith("notes.csv: unknown extract"), errors
    (delivery_copy / "notes.csv").unlink()
    (delivery_copy / "README.txt").symlink_to("/dev/zero")  # not a .csv: ignored
    validate_delivery(delivery_copy)


# --- the single-file path: parse_extract, read_table, bulk.inspect -------------------------


@pytest.mark.parametrize("perturb", [link_outside, link_to_dev_zero, fifo, folder_named_ledger])
def test_a_single_file_that_is_not_plain_is_refused(
    delivery_copy: Path, perturb: Callable[[Path], None]
) -> None:
    perturb(delivery_copy)
    ledger = delivery_copy / "ledger.csv"
    for read in (
        lambda: parse_extract(ledger, CONTRACTS["ledger"]),
        lambda: read_table(ledger),
        lambda: bulk.inspect(ledger),
        lambda: parse_extract(ledger, CONTRACTS["ledger_accounts"]),  # a bulk contract
    ):
        with pytest.raises(ExtractRefused) as refused:
            within_seconds(read, unblock=ledger)
        [error] = refused.value.errors
        assert error.file == "ledger.csv" and error.line == 0
        assert SECRET not in str(error)


@pytest.mark.parametrize("perturb", [link_outside, fifo])
def test_a_swap_after_the_check_is_neither_followed_nor_waited_on(
    delivery_copy: Path, perturb: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the entry replaced between the check and the open, the open itself refuses
    (O_NOFOLLOW, O_NONBLOCK and fstat): simulated by a check that sees nothing wrong."""
    import orchestration.ingest.reading as csv_reader

    perturb(delivery_copy)
    ledger = delivery_copy / "ledger.csv"
    monkeypatch.setattr(csv_reader, "plain_file_problem", lambda path: None)
    with pytest.raises(ExtractRefused) as refused:
        within_seconds(lambda: open_plain(ledger), unblock=ledger)
    assert SECRET not in str(refused.value)


# --- header errors are capped ---------------------------------------------------------------


def widen_ledger(folder: Path, extra_columns: list[str]) -> None:
    ledger = folder / "ledger.csv"
    lines = ledger.read_text(encoding="utf-8-sig").splitlines()
    filler = ";" * len(extra_columns)
    widened = [lines[0] + "".join(f";{c}" for c in extra_columns)]
    widened += [line + filler if line else line for line in lines[1:]]
    ledger.write_text("\n".join(widened) + "\n", encoding="utf-8")


def test_many_unknown_columns_are_named_a_few_and_counted(delivery_copy: Path) -> None:
    extra = [f"extra_{i:02d}" for i in range(1, 41)]
    widen_ledger(delivery_copy, extra)
    errors = refusal(delivery_copy)
    assert errors == [
        "ledger.csv:1: 40 unexpected columns: 'extra_01', 'extra_02', 'extra_03', "
        "'extra_04', 'extra_05' and 35 more unexpected columns; expected the columns "
        "fiscal_year;period;org_code;line_code;scenario;amount;unit (and optionally item) of a "
        "ledger extract"
    ]


def test_a_few_unknown_columns_are_each_named(delivery_copy: Path) -> None:
    widen_ledger(delivery_copy, ["comment", "source"])
    errors = refusal(delivery_copy)
    assert [e.split(":", 2)[1] for e in errors] == ["1 column 'comment'", "1 column 'source'"]


def test_a_wrong_file_gives_a_short_list_of_header_problems(delivery_copy: Path) -> None:
    """Every column missing, many unknown and doubled, and a very long name: one grouped
    error per problem, names cut short."""
    long_name = "x" * 500
    header = [long_name] + [f"c{i}" for i in range(30)] * 2
    (delivery_copy / "ledger.csv").write_text(";".join(header) + "\n" + "1;" * 60 + "1\n")
    errors = refusal(delivery_copy)
    assert len(errors) == 3, errors
    doubled, missing, unexpected = errors
    assert doubled.startswith("ledger.csv:1: 30 columns appearing more than once: 'c0', ")
    assert doubled.endswith(
        " and 25 more columns appearing more than once; expected each column once"
    )
    assert missing.startswith("ledger.csv:1: 7 missing columns: 'fiscal_year', 'period', ")
    assert " and 2 more missing columns; expected the columns fiscal_year;" in missing
    assert unexpected.startswith("ledger.csv:1: 61 unexpected columns: 'xxxxx")
    assert long_name not in unexpected and "…'" in unexpected
    assert max(len(e) for e in errors) < 400


# --- paths with an apostrophe and a space reach DuckDB as parameters ------------------------


class RecordingConnection:
    """A DuckDB connection that keeps the text of every statement it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection, statements: list[str]):
        self._con = con
        self._statements = statements

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._statements.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def executemany(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._statements.append(sql)
        return self._con.executemany(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> RecordingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()


@pytest.fixture
def sql_text(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the code under test sends to DuckDB, as text."""
    statements: list[str] = []
    connect = duckdb.connect
    monkeypatch.setattr(
        duckdb, "connect", lambda *a, **k: RecordingConnection(connect(*a, **k), statements)
    )
    return statements


def assert_no_path_in(statements: list[str], *paths: Path) -> None:
    assert statements, "no SQL was seen"
    for sql in statements:
        for path in paths:
            assert str(path) not in sql, sql


def test_an_account_level_delivery_loads_from_a_path_with_an_apostrophe(
    tmp_path: Path, sql_text: list[str]
) -> None:
    folder = by_account(DEFAULT_DELIVERY_DIR, tmp_path / AWKWARD / "2023-03")
    delivery = check_delivery(folder)
    assert delivery.extracts["ledger_accounts"].row_count == 184 * 4
    # The exact path (a row to look at closely) reads the file again, by the same name.
    ledger = folder / "ledger_accounts.csv"
    ledger.write_text(
        ledger.read_text(encoding="utf-8") + "2023;3;VAKA-KP1;191000;actual;-100;1\n",
        encoding="utf-8",
    )
    with pytest.raises(ExtractRefused) as refused:
        check_delivery(folder)
    assert [e.line for e in refused.value.errors] == [738]
    assert "account 191000 is in no range" in str(refused.value)
    assert_no_path_in(sql_text, tmp_path)


def test_a_windows_1252_comma_delimited_account_ledger_loads_from_an_awkward_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql_text: list[str]
) -> None:
    """The delimiter is a parameter too; the UTF-8 copy of a Windows-1252 file is made
    under a temporary directory with an apostrophe and a space, and read from there."""
    awkward_tmp = tmp_path / "temp files" / "o'clock"
    awkward_tmp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(awkward_tmp))
    folder = by_account(DEFAULT_DELIVERY_DIR, tmp_path / AWKWARD / "2023-03")
    ledger = folder / "ledger_accounts.csv"
    header, *rows = ledger.read_text(encoding="utf-8").splitlines()
    fields = [r.split(";") for r in rows]
    negative = next(i for i, f in enumerate(fields) if f[5].startswith("-"))
    fields[negative][5] = "\u2013" + fields[negative][5][1:]  # an en dash: 0x96 in cp1252
    # A decimal comma in a ','-delimited file is quoted.
    text = [header.replace(";", ",")] + [",".join(f[:5]) + f',"{f[5]}",' + f[6] for f in fields]
    ledger.write_bytes(("\n".join(text) + "\n").encode("cp1252"))
    delivery = check_delivery(folder)
    extract = delivery.extracts["ledger_accounts"]
    assert (extract.encoding, extract.delimiter, extract.row_count) == ("cp1252", ",", 736)
    assert list(awkward_tmp.iterdir()) == []  # the UTF-8 copy is gone
    assert_no_path_in(sql_text, tmp_path)


def test_synthetic_deliveries_are_written_to_an_awkward_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql_text: list[str]
) -> None:
    from benchmarks.synthetic import generate

    spill = tmp_path / "spill here" / "don't"
    spill.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(spill))  # SET temp_directory
    reference = tmp_path / "ref data" / "o'reference"
    shutil.copytree(REFERENCE_DIR, reference)  # read_csv of the chart
    out = tmp_path / AWKWARD / "out"
    summary = generate(out, rows=2000, periods="2023-03", seed=3, reference_dir=reference)
    assert summary["total_rows"] > 0
    written = sorted(p.name for p in (out / "2023-03").iterdir())
    assert written == sorted(
        [
            "control_totals.csv",
            "goals.csv",
            "investment_projects.csv",
            "investments.csv",
            "ledger_accounts.csv",
            "organisation.csv",
        ]
    )
    delivery = check_delivery(out / "2023-03")
    assert delivery.extracts["ledger_accounts"].row_count == summary["total_rows"]
    assert_no_path_in(sql_text, tmp_path)
