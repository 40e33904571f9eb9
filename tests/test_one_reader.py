"""One reader, one set of rules: a ledger read whole (the small-file path) and the same
ledger streamed into DuckDB (the bulk path) are refused with the same errors and load the
same values; the SQL the bulk path checks with agrees with the Python rules it stands for.

The small-file path is the account-level contract read as any small extract is
(read_table and parse_extract's rules: `bulk=False`); the bulk path is the delivery
folder checked as a run would (check_delivery: bulk.inspect, then bulk.load_bulk into a
scratch database).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import bulk
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import check_delivery, load_delivery
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractRefused, parse_decimal
from orchestration.ingest.validation import parse_extract, validate_delivery
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR
from tests.deliveries import by_account

LEDGER = CONTRACTS["ledger_accounts"]
READ_WHOLE = dataclasses.replace(LEDGER, bulk=False)
PERIOD = ReportingPeriod(2023, 3)
HEADER = "fiscal_year;period;cost_centre;account;scenario;amount;unit"
ROW = "2023;3;VAKA-KP1;4300;actual;"  # the start of a row of the ledger


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return by_account(DEFAULT_DELIVERY_DIR, tmp_path / "2023-03")


def _ledger(folder: Path) -> Path:
    return folder / "ledger_accounts.csv"


Error = tuple[str, int, str, str]


def _errors(read: Callable[[], object]) -> list[Error]:
    with pytest.raises(ExtractRefused) as refused:
        read()
    return [(e.file, e.line, e.column, e.message) for e in refused.value.errors]


def small_file_errors(folder: Path) -> list[Error]:
    return _errors(lambda: parse_extract(_ledger(folder), READ_WHOLE, PERIOD))


def bulk_errors(folder: Path) -> list[Error]:
    return [e for e in _errors(lambda: check_delivery(folder)) if e[0] == "ledger_accounts.csv"]


# --- bad input: each written once, read both ways --------------------------------------


def _edit(folder: Path, old: bytes, new: bytes) -> None:
    path = _ledger(folder)
    data = path.read_bytes()
    assert old in data, old
    path.write_bytes(data.replace(old, new, 1))


def _append(folder: Path, *rows: bytes) -> None:
    path = _ledger(folder)
    path.write_bytes(path.read_bytes() + b"".join(r + b"\n" for r in rows))


def mixed_encodings(folder: Path) -> None:
    _append(
        folder, "2023;3;VAKA-KPä;4300;actual;-1;1".encode(), b"2023;3;VAKA-KP\xe4;4301;actual;-1;1"
    )


def nul_byte(folder: Path) -> None:
    _edit(folder, ROW.encode(), ROW.encode().replace(b"4300", b"43\x000"))


def undefined_cp1252_byte(folder: Path) -> None:
    _edit(folder, ROW.encode(), ROW.encode().replace(b"VAKA", b"VA\x81KA"))


def not_utf8_after_a_bom(folder: Path) -> None:
    _ledger(folder).write_bytes(b"\xef\xbb\xbf" + _ledger(folder).read_bytes())
    _edit(folder, ROW.encode(), ROW.encode().replace(b"VAKA", b"V\xc4KA"))


def quoted_header_with_a_delimiter(folder: Path) -> None:
    _edit(folder, b"cost_centre;account", b'"cost_centre;account"')


def renamed_header_column(folder: Path) -> None:
    _edit(folder, HEADER.encode(), HEADER.replace("unit", "units").encode())


def missing_header_column(folder: Path) -> None:
    _edit(folder, HEADER.encode(), HEADER.replace(";unit", "").encode())


def ambiguous_number(folder: Path) -> None:
    _append(folder, b"2023;3;VAKA-KP1;4301;actual;1,234;1")


def spaced_code(folder: Path) -> None:
    _append(folder, b"2023;3;VAKA KP1;4301;actual;-1;1")


def actual_after_the_reporting_month(folder: Path) -> None:
    _append(folder, b"2023;6;VAKA-KP1;4300;actual;-100;1")


def budget_of_another_year(folder: Path) -> None:
    _append(folder, b"2022;12;VAKA-KP1;4300;original_budget;-100;1")


def duplicate_key(folder: Path) -> None:
    row = next(r for r in _ledger(folder).read_bytes().splitlines() if r.startswith(ROW.encode()))
    _append(folder, row)


def truncated_row(folder: Path) -> None:
    _append(folder, b"2023;3;VAKA-KP1;4301;actual;-100")


def too_many_fields(folder: Path) -> None:
    _append(folder, b"2023;3;VAKA-KP1;4301;actual;-100;1;x")


def malformed_quoting(folder: Path) -> None:
    _append(folder, b'2023;3;"VAKA-KP1"x;4301;actual;-100;1')


def header_only(folder: Path) -> None:
    _ledger(folder).write_bytes(HEADER.encode() + b"\n")


def empty_file(folder: Path) -> None:
    _ledger(folder).write_bytes(b"\xef\xbb\xbf\r\n")


@pytest.mark.parametrize(
    ("perturb", "expected"),
    [
        (mixed_encodings, "mixed encodings cannot be read reliably"),
        (nul_byte, "NUL byte at character"),
        (undefined_cp1252_byte, "undecodable byte 0x81 at character 10"),
        (not_utf8_after_a_bom, "although the file starts with a UTF-8 byte-order mark"),
        (quoted_header_with_a_delimiter, "unexpected column for a ledger_accounts extract"),
        (renamed_header_column, "missing column; expected the columns"),
        (missing_header_column, "missing column; expected the columns"),
        (ambiguous_number, "'1,234' is ambiguous"),
        (spaced_code, "'VAKA KP1' is not a code"),
        (actual_after_the_reporting_month, "actual up to month 6 lies after the reporting"),
        (budget_of_another_year, "original_budget for 2022 in a delivery for 2023-03"),
        (duplicate_key, "duplicate key (fiscal_year=2023, period=3, cost_centre=VAKA-KP1"),
        (truncated_row, "truncated row: 6 fields, expected 7"),
        (too_many_fields, "too many fields: 8 fields, expected 7"),
        (malformed_quoting, "malformed CSV quoting in the row starting here"),
        (header_only, "the file has a header but no rows"),
        (empty_file, "the file is empty"),
    ],
    ids=lambda p: p.__name__ if callable(p) else None,
)
def test_the_same_bad_file_gets_the_same_errors_whatever_its_path(
    folder: Path, perturb: Callable[[Path], None], expected: str
):
    perturb(folder)
    small = small_file_errors(folder)
    assert small and all(e[0] == "ledger_accounts.csv" for e in small)
    assert any(expected in e[3] for e in small), small
    assert bulk_errors(folder) == small


def test_many_bad_values_are_listed_alike_and_capped_alike(folder: Path):
    _append(folder, *[f"2023;3;VAKA-KP1;{5000 + i};actual;1,{i:03d};1".encode() for i in range(60)])
    small = small_file_errors(folder)
    assert len(small) == 51 and small[-1][3] == "too many errors; stopped reading"
    assert bulk_errors(folder) == small


# --- good input: the same values both ways ---------------------------------------------


def _as_excel_writes_it(folder: Path) -> None:
    """Thousands with no-break spaces, a trailing minus, CRLF and a BOM: the exact path."""
    path = _ledger(folder)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [
        line.replace(";-31081;", ";31\u00a0081-;") if line.startswith(ROW) else line
        for line in lines
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")


def _windows_1252(folder: Path) -> None:
    """An en dash as the minus sign, in Windows-1252: a decoded copy, the exact path."""
    path = _ledger(folder)
    text = path.read_text(encoding="utf-8").replace(";-", ";\u2013")
    path.write_bytes(text.encode("cp1252"))


def _unchanged(folder: Path) -> None:
    pass


@pytest.mark.parametrize("variant", [_unchanged, _as_excel_writes_it, _windows_1252])
def test_a_valid_file_gives_the_same_rows_both_ways(
    folder: Path, tmp_path: Path, variant: Callable[[Path], None]
):
    variant(folder)
    names = LEDGER.column_names
    small = parse_extract(_ledger(folder), READ_WHOLE, PERIOD)
    expected = sorted(tuple(row[n] for n in names) for row in small.rows)
    assert len(expected) == 736
    delivery = validate_delivery(folder)
    extract = delivery.extracts["ledger_accounts"]
    assert (extract.encoding, extract.delimiter) == (small.encoding, small.delimiter)
    assert extract.sha256 == small.sha256
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_delivery(con, delivery, list(CONTRACTS.values()))
    loaded = con.execute(
        f"select {', '.join(names)} from raw.ledger_accounts order by all"
    ).fetchall()
    assert sorted(loaded) == expected


# --- the decoded copy has one owner -----------------------------------------------------


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of the test's own: other processes' files do not count."""
    own = tmp_path / "tmp"
    own.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own))
    return own


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every UTF-8 copy made of a Windows-1252 file."""
    made: list[Path] = []
    write = bulk._write_utf8_copy

    def recording(source: bulk.BulkSource, target: Path) -> None:
        made.append(target)
        write(source, target)

    monkeypatch.setattr(bulk, "_write_utf8_copy", recording)
    return made


def _leftovers(temp_dir: Path) -> list[Path]:
    return sorted(temp_dir.glob("kuntaseuranta-*"))


def test_a_loaded_windows_1252_file_leaves_no_copy(
    folder: Path, temp_dir: Path, copies: list[Path]
):
    _windows_1252(folder)
    delivery = check_delivery(folder)
    assert delivery.extracts["ledger_accounts"].row_count == 736
    assert len(copies) == 1 and not copies[0].exists()
    assert _leftovers(temp_dir) == []


def test_a_windows_1252_file_refused_while_loading_leaves_no_copy(
    folder: Path, temp_dir: Path, copies: list[Path]
):
    ambiguous_number(folder)
    _windows_1252(folder)
    [error] = bulk_errors(folder)
    assert "'1,234' is ambiguous" in error[3]
    assert len(copies) == 1 and not copies[0].exists()
    assert _leftovers(temp_dir) == []


def test_a_refused_or_merely_validated_file_is_never_copied(
    folder: Path, temp_dir: Path, copies: list[Path]
):
    _windows_1252(folder)
    validate_delivery(folder)  # validated, not loaded: nothing to release
    undefined_cp1252_byte(folder)
    assert "undecodable byte 0x81" in bulk_errors(folder)[0][3]
    assert copies == [] and _leftovers(temp_dir) == []


def test_a_file_changed_after_validation_is_refused_when_loaded(
    folder: Path, temp_dir: Path, tmp_path: Path
):
    _windows_1252(folder)
    delivery = validate_delivery(folder)
    _edit(folder, b"2023;3;VAKA-KP1;4300;actual;\x96", b"2023;3;VAKA-KP1;4300;actual;\x961")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(ExtractRefused, match="the file changed after it was validated"):
        load_delivery(con, delivery, list(CONTRACTS.values()), dt.datetime(2030, 1, 1))
    assert _leftovers(temp_dir) == []


# --- the SQL of the fast path agrees with the Python rules --------------------------------


@pytest.mark.parametrize("period", [PERIOD, ReportingPeriod(2023, 12), ReportingPeriod(2024, 1)])
def test_the_period_rules_sql_holds_exactly_when_the_python_check_finds_nothing(
    period: ReportingPeriod,
):
    grid = [
        (year, month, scenario)
        for year in range(period.fiscal_year - 3, period.fiscal_year + 3)
        for month in range(-1, 15)
        for scenario in ("actual", "budget")
    ]
    con = duckdb.connect()
    con.execute("create table t (fiscal_year integer, period integer, scenario varchar)")
    con.executemany("insert into t values (?, ?, ?)", grid)
    sql = bulk._row_rules(LEDGER, period)
    in_sql = {
        (y, m, s): bool(ok) for y, m, s, ok in con.execute(f"select *, ({sql}) from t").fetchall()
    }
    for year, month, scenario in grid:
        row = {"fiscal_year": year, "period": month, "scenario": scenario}
        python = [p for check in LEDGER.row_checks for p in check(row, period)]
        assert in_sql[(year, month, scenario)] == (python == []), (row, python)
    assert sum(in_sql.values()) > 0 and not all(in_sql.values())


def _corpus() -> list[str]:
    plain = [
        "0",
        "-0",
        "7",
        "007",
        "-12",
        "1234",
        "1,234",
        "1.234",
        "0,125",
        "0.125",
        "01,234",
        "1234,567",
        "12345,678",
        "-1,5",
        "1,50",
        "1,5000",
        "1,12345",
        "99999999999999",
        "100000000000000",
        "99999999999999,9999",
        "123456789",
        "1234567890",
        "2023",
        "12",
        "1 234",
        "1\u00a0234,56",
        "31\u00a0081-",
        "\u2013100",
        "\u2212100",
        "+5",
        "- 5",
        " 5",
        "5 ",
        "",
        " ",
        "1e3",
        "1_000",
        "3.5",
        ",5",
        "5,",
        "0x10",
        "١٢٣",
        "1,2,3",
        "VAKA-KP1",
        "VAKA KP1",
        "vaka.kp_1",
        "-KP1",
        "KPä",
        "4400",
        "44000000000",
        "440",
        "actual",
        "budget",
        "Actual",
        "1",
        "1000",
        "1 000",
        "%",
    ]
    rnd = random.Random(20230331)
    alphabet = "0123456789,.- +\u00a0\u2212AZaz_"
    plain += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 9))) for _ in range(4000)]
    return plain


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
def test_a_value_the_fast_conversion_takes_is_the_value_the_contract_reads(exact: bool):
    """Whatever the SQL conversion accepts, the Python rule parses to the same value;
    everything else is left to the Python rule (a NULL or a failed check)."""
    corpus = _corpus()
    con = duckdb.connect()
    con.execute("create table corpus (raw varchar)")
    con.executemany("insert into corpus values (?)", [(v,) for v in corpus])
    accepted_somewhere = 0
    for column in LEDGER.columns:
        found = con.execute(
            f'select raw, "{column.name}", coalesce({bulk._value_ok(column)}, false) from '
            f'(select raw, {bulk._fast_value(column, "raw", exact=exact)} as "{column.name}" '
            "from corpus)"
        ).fetchall()
        for raw, value, ok in found:
            if not ok:
                continue
            accepted_somewhere += 1
            assert column.parse(raw) == value, (column.name, raw, value)
            if column.type == "decimal":
                assert parse_decimal(raw) == value, raw
    assert accepted_somewhere > 100
