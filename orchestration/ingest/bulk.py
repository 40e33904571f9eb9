"""Large extracts (the account-level ledger): read, checked and loaded by DuckDB.

A large city's account x cost-centre ledger has millions of rows a quarter; parsing them
one by one in Python would make the load the slowest step by far. A bulk extract is
therefore loaded in one parallel DuckDB scan straight into its raw table, inside the
delivery's transaction, and then checked there with set-based SQL: the fast conversion of
every value, the reporting-period rules, one row per key, and the mappings (every account
in a range of the chart of accounts, every cost centre under a service area).

Only when something is off is the file read again, with line numbers, and the rows in
question are put through the same Python rules as every other extract: the errors read
exactly like those of a small file (file, line, column, what was expected). Values the
fast conversion does not take but the contract accepts (thousands separators, a trailing
minus, ...) are parsed on that path too, so such a file loads, only more slowly.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import duckdb
from duckdb.value.constant import StructValue

from orchestration.ingest.contracts import (
    ACCOUNT_PATTERN,
    CODE_PATTERN,
    Column,
    Contract,
    PeriodRule,
    sql_identifier,
    sql_literal,
)
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import (
    EMPTY_FILE,
    MAX_ERRORS_PER_FILE,
    NO_ROWS,
    EncodingSniffer,
    ExtractError,
    ExtractRefused,
    is_empty,
    max_extract_bytes,
    open_plain,
    plain_file_problem,
    read_header,
    records,
    refused_file,
    too_large_problem,
    width_error,
)
from orchestration.warehouse import fingerprints

if TYPE_CHECKING:
    import pandas as pd

MAX_ERRORS = MAX_ERRORS_PER_FILE
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class BulkSource:
    """What the first pass over a bulk file found: enough to load it with DuckDB."""

    path: Path  # the file as delivered
    sha256: str
    encoding: str
    delimiter: str
    header: list[str]
    physical_lines: int
    # A file converted from an export by a source profile: each record's line in the
    # export, so that errors name the export's lines (profiles.py).
    record_lines: Sequence[int] | None = None


class AccountRange(NamedTuple):
    """A range of main accounts of the chart (account_ranges.csv) and where it books."""

    account_from: int
    account_to: int
    line_code: str
    item: str | None = None  # external, internal, or None: the accounts say nothing
    ledger: str = "operating"  # operating (the income statement) or investment
    own: bool = False  # the municipality's own range, over the shipped chart

    @property
    def kind(self) -> str:
        """What the range's accounts are, as the refusal of an account outside them says."""
        if self.ledger == "investment":
            return "an investment account"
        if self.item == "internal":
            return "an internal account"
        return "an income-statement account"


def chart_spans(ranges: list[AccountRange]) -> str:
    """The chart summarised by kind of account, each kind as its spans of consecutive main
    accounts, a municipality's own ranges taking precedence over the shipped ones: "an
    income-statement account (3000-3599, 3700-3799, 4000-7999), an investment account (8000-8999)
    or an internal account (9300-9999)"."""
    kind_of: dict[int, str] = {}
    for r in sorted(ranges, key=lambda r: not r.own):  # own ranges first: they decide
        for account in range(r.account_from, r.account_to + 1):
            kind_of.setdefault(account, r.kind)
    spans: dict[str, list[list[int]]] = {}
    for account in sorted(kind_of):
        kind = kind_of[account]
        runs = spans.setdefault(kind, [])
        if runs and runs[-1][1] == account - 1 and kind_of.get(account - 1) == kind:
            runs[-1][1] = account
        else:
            runs.append([account, account])
    parts = [f"{kind} ({', '.join(f'{a}-{b}' for a, b in runs)})" for kind, runs in spans.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def chart_position(main_account: int, ranges: list[AccountRange]) -> str:
    """Where a main account outside every range lies: between which ranges, or before the
    first or after the last."""
    below = [r for r in ranges if r.account_to < main_account]
    above = [r for r in ranges if r.account_from > main_account]
    if not below and not above:
        return "the chart has no ranges"
    if not below:
        first = min(above, key=lambda r: (r.account_from, r.account_to))
        return f"before the first range {first.account_from}-{first.account_to}"
    last = max(below, key=lambda r: (r.account_to, -r.account_from))
    if not above:
        return f"after the last range {last.account_from}-{last.account_to}"
    following = min(above, key=lambda r: (r.account_from, r.account_to))
    return (
        f"between the ranges {last.account_from}-{last.account_to} and "
        f"{following.account_from}-{following.account_to}"
    )


def not_in_chart(account: str, ranges: list[AccountRange], chart_file: str) -> str:
    """The refusal of an account in no range of the chart."""
    main = int(account[:4])
    lies = "it lies" if len(account) == 4 else f"its main account {main} lies"
    return (
        f"account {account} is in no range of the chart of accounts ({chart_file}): {lies} "
        f"{chart_position(main, ranges)}; expected {chart_spans(ranges)}"
    )


@dataclass(frozen=True)
class BulkReferences:
    """What a bulk ledger is checked against: the delivery's organisation and the chart."""

    # cost centre -> (its parent's code, the parent's level), from the organisation extract
    cost_centres: dict[str, tuple[str | None, str | None]]
    # the delivery's chart: the shipped ranges and its municipality's own (account_ranges.csv)
    account_ranges: list[AccountRange]
    account_ranges_file: str
    organisation_file: str


def inspect(path: Path) -> BulkSource:
    """One streaming pass: hash, encoding, line count and header, in bounded memory.

    The encoding and the header are decided by the rules of every extract
    (reading.EncodingSniffer, reading.read_header), so a file is refused or read here
    exactly as it would be read whole. Nothing is written: the UTF-8 copy DuckDB reads
    of a Windows-1252 file exists only while the file is loaded (see `decoded`).
    """
    name = path.name
    stat = path.stat()
    digest = hashlib.sha256()
    sniffer = EncodingSniffer(name)
    lines = 0
    head = b""
    last = b""
    blank = True
    with open_plain(path) as f:
        for chunk in _chunks(f, path):
            if len(head) < _HEAD:
                head += chunk[: _HEAD - len(head)]
            blank = blank and is_empty(chunk)
            digest.update(chunk)
            sniffer.feed(chunk)
            lines += chunk.count(b"\n")
            last = chunk
    if blank:
        raise ExtractRefused([ExtractError(name, 0, "", EMPTY_FILE)])
    encoding = sniffer.finish()
    if not last.endswith(b"\n"):
        lines += 1  # the last line has no line break
    delimiter, header = read_header(_head_text(head, encoding), name)
    sha256 = digest.hexdigest()
    fingerprints.remember(path, stat, sha256)  # the delivery's digest reuses it
    return BulkSource(path, sha256, encoding, delimiter, header, lines)


# The start of a file read for its header: the header of any extract fits many times over.
_HEAD = 65536


def _head_text(head: bytes, encoding: str) -> str:
    """The first lines of the file, decoded; a character cut at the end is dropped."""
    if encoding == "utf-8-sig":
        head = head[3:]
    return codecs.getincrementaldecoder(encoding)().decode(head)


def _chunks(f: BinaryIO, path: Path) -> Iterator[bytes]:
    """The file in chunks; refused as soon as it passes the size limit (a file that grew
    after it was checked is not read on without end)."""
    limit = max_extract_bytes()
    total = 0
    while chunk := f.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise refused_file(path, too_large_problem(None, limit))
        yield chunk


_CHANGED = "the file changed after it was validated; deliver it again once it is complete"


@contextmanager
def decoded(source: BulkSource) -> Iterator[Path]:
    """The file as DuckDB reads it, UTF-8, for the duration of the block: the file itself,
    or for a Windows-1252 file a UTF-8 copy in a temporary directory that is removed when
    the block ends, however it ends. The copy is checked to be of the bytes inspected."""
    if source.encoding != "cp1252":
        yield source.path
        return
    folder = Path(tempfile.mkdtemp(prefix="kuntaseuranta-"))
    try:
        target = folder / (source.path.stem + ".utf8.csv")
        _write_utf8_copy(source, target)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_utf8_copy(source: BulkSource, target: Path) -> None:
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("cp1252")()
    with open_plain(source.path) as f, target.open("wb") as sink:
        for chunk in _chunks(f, source.path):
            digest.update(chunk)
            try:
                sink.write(decoder.decode(chunk).encode("utf-8"))
            except UnicodeDecodeError:
                raise refused_file(source.path, _CHANGED) from None
    if digest.hexdigest() != source.sha256:
        raise refused_file(source.path, _CHANGED)


# --- SQL for the fast path ------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    """The read_csv call over a bulk file, with what it reads passed as named parameters
    (the path, the delimiter and the header come from outside and are never pasted)."""

    sql: str
    params: dict[str, Any]


def _scan(source: BulkSource, readable: Path, rejects: str) -> _Scan:
    columns = {h: "VARCHAR" for h in source.header}
    # A STRUCT given with its type: a plain dict with the keys 'key' and 'value' would be
    # taken for a MAP, which read_csv refuses.
    columns_value = StructValue(columns, {h: duckdb.sqltype("VARCHAR") for h in columns})
    sql = (
        "read_csv($csv_path, delim = $csv_delimiter, header = true, all_varchar = true, "
        "quote = '\"', escape = '\"', normalize_names = false, auto_detect = false, "
        "columns = $csv_columns, store_rejects = true, rejects_table = $csv_rejects, "
        "rejects_scan = $csv_rejects_scan)"
    )
    params = {
        "csv_path": str(readable),
        "csv_delimiter": source.delimiter,
        "csv_columns": columns_value,
        "csv_rejects": rejects,
        "csv_rejects_scan": rejects + "_scan",
    }
    return _Scan(sql, params)


# The numbers the contract reads without a doubt: digits with an optional minus and at most
# one decimal separator followed by 1, 2 or 4 decimals, or by 3 decimals after an integer
# part that cannot be a thousands group ("0,125", "1234,567"). "1,234" could be either, so
# it is left to the Python rule, which refuses it; so are spaces, signs and everything else.
_PLAIN_DECIMAL = "-?([0-9]+([.,]([0-9]{1,2}|[0-9]{4}))?|(0[0-9]*|[1-9][0-9]{3,})[.,][0-9]{3})"
_PLAIN_INTEGER = "[0-9]{1,9}"
# Codes and account numbers as the contract reads them (after the fast path's trim).
_PATTERNS = {"code": CODE_PATTERN, "account": ACCOUNT_PATTERN}


def _field(header_of: dict[str, str], column: Column) -> str:
    """The file's field of a column as SQL text, or NULL for an optional column the header
    leaves out."""
    if column.name in header_of:
        return sql_identifier(header_of[column.name])
    return "CAST(NULL AS VARCHAR)"


def _fast_value(column: Column, raw: str, exact: bool = False) -> str:
    """SQL converting one text field the way the contract reads it, or NULL when the
    fast conversion cannot decide (the row then goes through the Python rules).

    DuckDB's own casts are more lenient than the contract ('3.5' -> 4, '1e3', '1_000'), so
    a value is cast only after it matched one of the plain forms above. The fast path does
    not trim: a padded value fails a check and sends the file down the exact path, which
    trims as the Python rules do.
    """
    if column.type == "integer":
        return (
            f"case when regexp_full_match({raw}, '{_PLAIN_INTEGER}') "
            f"then cast({raw} as integer) end"
        )
    if column.type == "decimal":
        return (
            f"case when regexp_full_match({raw}, '{_PLAIN_DECIMAL}') "
            f"then try_cast(replace({raw}, ',', '.') as decimal(18, 4)) end"
        )
    if column.type in ("code", "account", "enum", "text"):
        return f"nullif(trim({raw}), '')" if exact else f"nullif({raw}, '')"
    raise NotImplementedError(f"bulk extracts do not take {column.type} columns")


def _value_ok(column: Column) -> str:
    """SQL true when the loaded value of a column is acceptable."""
    name = sql_identifier(column.name)
    if column.type == "enum":
        allowed = f"{name} in ({', '.join(sql_literal(a) for a in column.allowed)})"
        return allowed if column.required else f"({name} is null or {allowed})"
    if column.type == "decimal":
        return f"{name} is not null and abs({name}) < 1e14"
    if column.type in _PATTERNS:
        pattern = f"regexp_full_match({name}, {sql_literal(_PATTERNS[column.type])})"
        return pattern if column.required else f"({name} is null or {pattern})"
    if column.required or column.type in ("integer",):
        return f"{name} is not null"
    return "true"


def _row_rules(contract: Contract, period: ReportingPeriod) -> str:
    """The contract's row rules as one SQL predicate: each rule gives its own (see
    contracts.PeriodRule), true exactly when its Python check, which words the errors,
    finds nothing."""
    predicates = []
    for rule in contract.row_checks:
        if not isinstance(rule, PeriodRule):
            raise NotImplementedError(
                f"a bulk extract's row rules must be declared as PeriodRule ({contract.kind})"
            )
        predicates.append(f"({rule.sql(period)})")
    return " and ".join(predicates) or "true"


def load_bulk(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    source: BulkSource,
    references: BulkReferences,
    period: ReportingPeriod,
    lineage: dict[str, Any],
) -> int:
    """Insert a bulk extract into its raw table within the caller's transaction; return
    the number of rows.

    Raises ExtractRefused, listing the problems with file, line and column, when the file
    breaks its contract; the caller rolls the transaction back.
    """
    # DuckDB reads the file by its name: it must still be the plain file inspected.
    problem = plain_file_problem(source.path)
    if problem:
        raise refused_file(source.path, problem)
    with decoded(source) as readable:
        return _load(con, contract, source, readable, references, period, lineage)


def _load(con, contract, source, readable: Path, references, period, lineage) -> int:
    header_of = {h.lower(): h for h in source.header}
    rejects = f"_rejects_{lineage['_load_id']}"
    scan = _scan(source, readable, rejects)
    # Rows are identified by their key, not their position: DuckDB may load them in any
    # order, which lets it load in parallel in less memory.
    con.execute("SET preserve_insertion_order = false")
    try:
        _insert_fast(con, contract, scan, header_of, lineage)
    finally:
        con.execute("RESET preserve_insertion_order")
    structural = _structural_errors(con, rejects, source, readable)
    if structural:
        raise ExtractRefused(structural)
    load_id = lineage["_load_id"]
    rows, anomalies = _fast_checks(con, contract, load_id, period, references)
    if rows == 0:
        raise ExtractRefused([ExtractError(source.path.name, 0, "", NO_ROWS)])
    if anomalies == 0:
        return rows
    # Something needs a closer look: start over for this file, with line numbers.
    con.execute(f"DELETE FROM {contract.table_name} WHERE _load_id = ?", [load_id])
    return _load_exact(
        con, contract, source, readable, header_of, period, references, lineage, scan
    )


_LINEAGE = ("_load_id", "_reporting_period", "_source_file", "_source_sha256", "_loaded_at")


def _lineage_params(lineage: dict[str, Any]) -> dict[str, Any]:
    """The lineage columns as named parameters: $lineage_load_id, ..."""
    return {f"lineage{k}": lineage[k] for k in _LINEAGE}


def _insert_fast(con, contract, scan: _Scan, header_of, lineage) -> None:
    select = ", ".join(
        f"{_fast_value(c, _field(header_of, c))} AS {sql_identifier(c.name)}"
        for c in contract.columns
    )
    names = ", ".join(sql_identifier(c.name) for c in contract.columns)
    con.execute(
        f"""
        INSERT INTO {contract.table_name} ({names}, _load_id, _reporting_period,
            _source_file, _source_sha256, _source_line, _loaded_at)
        SELECT *, $lineage_load_id, $lineage_reporting_period, $lineage_source_file,
            $lineage_source_sha256, NULL, $lineage_loaded_at
        FROM (SELECT {select} FROM {scan.sql})
        """,
        {**scan.params, **_lineage_params(lineage)},
    )


# How DuckDB's rejects read when the Python reader finds nothing wrong with the file.
_REJECT_MESSAGES = {
    "LINE SIZE OVER MAXIMUM": "the line is too long to be a ledger row",
    "INVALID ENCODING": "characters that are not UTF-8",
}


def _structural_errors(con, rejects: str, source: BulkSource, readable: Path) -> list[ExtractError]:
    """Records DuckDB could not split into the header's fields. The file is then read by
    the reader of every extract, so the errors are those a small file gets (malformed
    quoting, a truncated row, too many fields), worded the same."""
    try:
        found = con.execute(
            f"SELECT line, error_type::varchar FROM {sql_identifier(rejects)} ORDER BY line "
            f"LIMIT {MAX_ERRORS}"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.execute(f"DROP TABLE IF EXISTS {sql_identifier(rejects)}")
        con.execute(f"DROP TABLE IF EXISTS {sql_identifier(rejects + '_scan')}")
    if not found:
        return []
    name, width = source.path.name, len(source.header)
    errors: list[ExtractError] = []
    with _records(source, readable) as rows:
        for line, record in rows:
            if len(errors) >= MAX_ERRORS:
                errors.append(ExtractError(name, 0, "", "too many errors; stopped reading"))
                break
            error = width_error(name, line, record, width, source.delimiter)
            if error is not None:
                errors.append(error)
    return errors or [
        ExtractError(name, int(line), "", _REJECT_MESSAGES.get(kind, kind.lower()))
        for line, kind in found
    ]


@contextmanager
def _records(source: BulkSource, readable: Path) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """The records after the header, read as every extract is (reading.records)."""
    with io.TextIOWrapper(open_plain(readable), encoding="utf-8-sig", newline="") as f:
        rows = records(f, source.delimiter, source.path.name)
        next(rows, None)  # the header
        yield rows


def _references_sql(con, references: BulkReferences) -> None:
    """The organisation's cost centres and the chart's ranges, as temporary tables."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _bulk_cost_centres "
        "(cost_centre VARCHAR, parent_code VARCHAR, parent_level VARCHAR)"
    )
    if references.cost_centres:
        con.executemany(
            "INSERT INTO _bulk_cost_centres VALUES (?, ?, ?)",
            [(c, p, lvl) for c, (p, lvl) in references.cost_centres.items()],
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _bulk_account_ranges "
        "(account_from INTEGER, account_to INTEGER, line_code VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _bulk_account_ranges VALUES (?, ?, ?)",
        [(r.account_from, r.account_to, r.line_code) for r in references.account_ranges],
    )


_BAD_ACCOUNT = "not regexp_full_match(account, '[0-9]{4,10}')"


def _unmapped_accounts_sql(table: str, where: str) -> str:
    # Distinct accounts first: a few hundred, not millions, go through the range join.
    return f"""
        SELECT account FROM (SELECT DISTINCT account FROM {table} WHERE {where}) AS a
        WHERE {_BAD_ACCOUNT} OR NOT EXISTS (
            SELECT 1 FROM _bulk_account_ranges r
            WHERE cast(left(a.account, 4) AS integer) BETWEEN r.account_from AND r.account_to)
    """


def _unmapped_cost_centres_sql(table: str, where: str) -> str:
    return f"""
        SELECT cost_centre FROM (SELECT DISTINCT cost_centre FROM {table} WHERE {where}) AS c
        WHERE NOT EXISTS (
            SELECT 1 FROM _bulk_cost_centres o
            WHERE o.cost_centre = c.cost_centre AND o.parent_level = 'service_area')
    """


def _duplicate_keys_sql(contract: Contract, table: str, where: str) -> str:
    # Hash the key to one 64-bit value: far cheaper to group than five columns. A hash
    # collision can only flag a candidate, which the exact path then checks.
    key = ", ".join(sql_identifier(k) for k in contract.key)
    return f"""
        SELECT hash({key}) AS h FROM {table} WHERE {where}
        GROUP BY h HAVING count(*) > 1
    """


def _fast_checks(con, contract, load_id, period, references) -> tuple[int, int]:
    """(rows loaded, rows or values that need the exact path)."""
    _references_sql(con, references)
    table = contract.table_name
    mine, this_load = "_load_id = $load_id", {"load_id": load_id}
    values_ok = " AND ".join(_value_ok(c) for c in contract.columns)
    (rows, bad_values), *_ = con.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE NOT coalesce(({values_ok}) AND
            ({_row_rules(contract, period)}), false))
        FROM {table} WHERE {mine}
        """,
        this_load,
    ).fetchall()
    if bad_values:
        return rows, bad_values
    (unmapped,), *_ = con.execute(
        f"SELECT (SELECT count(*) FROM ({_unmapped_accounts_sql(table, mine)})) + "
        f"(SELECT count(*) FROM ({_unmapped_cost_centres_sql(table, mine)}))",
        this_load,
    ).fetchall()
    if unmapped:
        return rows, unmapped
    (duplicates,), *_ = con.execute(
        f"SELECT count(*) FROM ({_duplicate_keys_sql(contract, table, mine)})", this_load
    ).fetchall()
    return rows, duplicates


# --- the exact path -------------------------------------------------------------------


def _load_exact(
    con, contract, source, readable, header_of, period, references, lineage, scan: _Scan
) -> int:
    """Read the file with line numbers; check the doubtful rows with the Python rules."""
    name = source.path.name
    lines = "_bulk_lines"
    fields = ", ".join(
        f"{_field(header_of, c)} AS {sql_identifier('text_' + c.name)}" for c in contract.columns
    )
    # One thread: the row number is the record's position in the file.
    con.execute("SET preserve_insertion_order = true")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {lines} AS "
        f"SELECT row_number() OVER () AS _record, {fields} FROM {scan.sql}",
        scan.params,
    )
    record_count = con.execute(f"SELECT count(*) FROM {lines}").fetchall()[0][0]
    line_of = _line_mapper(source, readable, record_count)
    converted = ", ".join(
        _fast_value(c, sql_identifier("text_" + c.name), exact=True)
        + f" AS {sql_identifier(c.name)}"
        for c in contract.columns
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _bulk_typed AS SELECT _record, {converted} FROM {lines}"
    )
    values_ok = " AND ".join(_value_ok(c) for c in contract.columns)
    doubtful = _doubtful_rows(con, lines, f"({values_ok}) AND ({_row_rules(contract, period)})")
    errors: list[ExtractError] = []
    corrections: list[dict[str, Any]] = []
    import pandas as pd  # only for the rows the fast path could not decide

    for fields_of in doubtful.to_dict("records"):
        line = line_of(int(fields_of["_record"]))
        row: dict[str, Any] = {}
        row_ok = True
        for column in contract.columns:
            raw = fields_of[f"text_{column.name}"]
            raw = "" if raw is None or (not isinstance(raw, str) and pd.isna(raw)) else raw
            try:
                row[column.name] = column.parse(raw)
            except ValueError as exc:
                errors.append(ExtractError(name, line, column.name, f"{exc} (found '{raw}')"))
                row_ok = False
        if row_ok:
            for check in contract.row_checks:
                for column_name, message in check(row, period):
                    errors.append(ExtractError(name, line, column_name, message))
                    row_ok = False
        if row_ok:
            row["_record"] = int(fields_of["_record"])
            corrections.append(row)
        if len(errors) >= MAX_ERRORS:
            errors.append(ExtractError(name, 0, "", "too many errors; stopped reading"))
            break
    if errors:
        raise ExtractRefused(errors)
    _replace_corrected(con, contract, corrections)
    _insert_exact(con, contract, lineage, line_of, record_count)
    errors = _mapping_errors(con, contract, name, references, line_of)
    errors += _duplicate_errors(con, contract, name, line_of)
    if errors:
        raise ExtractRefused(errors[:MAX_ERRORS])
    return record_count


def _doubtful_rows(con, lines: str, acceptable: str) -> pd.DataFrame:
    """Rows the fast conversion could not decide, or that break a period rule."""
    return con.execute(
        f"""
        SELECT l.* FROM {lines} l JOIN _bulk_typed t USING (_record)
        WHERE NOT coalesce(({acceptable}), false)
        ORDER BY l._record
        """
    ).fetchdf()


def _line_mapper(source: BulkSource, readable: Path, record_count: int):
    """Record number -> physical line. One line per record unless a quoted field holds a
    line break (or blank lines sit between rows); then the lines are counted by reading
    the file as CSV, which only this slow path does."""
    if source.record_lines is not None:
        lines = source.record_lines
        return lambda record: int(lines[record - 1]) if record - 1 < len(lines) else 0
    trailing_blank = _trailing_blank_lines(readable)
    if source.physical_lines - trailing_blank == record_count + 1:
        return lambda record: record + 1
    with _records(source, readable) as rows:
        starts = [line for line, _ in rows]
    return lambda record: starts[record - 1] if record - 1 < len(starts) else 0


def _trailing_blank_lines(path: Path) -> int:
    with open_plain(path) as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read()
    stripped = tail.rstrip(b"\r\n \t")
    return tail[len(stripped) :].count(b"\n") - 1 if tail.endswith(b"\n") else 0


def _replace_corrected(con, contract: Contract, corrections: list[dict[str, Any]]) -> None:
    """Values the Python rules accepted where the fast conversion could not decide."""
    if not corrections:
        return
    import pandas as pd

    frame = pd.DataFrame(
        {
            "_record": [r["_record"] for r in corrections],
            **{
                c.name: pd.Series(
                    [None if r[c.name] is None else str(r[c.name]) for r in corrections],
                    dtype="object",
                )
                for c in contract.columns
            },
        }
    )
    con.register("_bulk_corrections", frame)
    try:
        assignments = ", ".join(
            f"{sql_identifier(c.name)} = CAST(k.{sql_identifier(c.name)} AS {c.duckdb_type})"
            for c in contract.columns
        )
        con.execute(
            f"UPDATE _bulk_typed SET {assignments} FROM _bulk_corrections k "
            "WHERE _bulk_typed._record = k._record"
        )
    finally:
        con.unregister("_bulk_corrections")


def _insert_exact(con, contract: Contract, lineage: dict[str, Any], line_of, records) -> None:
    names = ", ".join(sql_identifier(c.name) for c in contract.columns)
    # With one line per record the line is arithmetic; otherwise it is looked up.
    if line_of(1) == 2 and line_of(records) == records + 1:
        line_sql = "_record + 1"
    else:
        import pandas as pd

        frame = pd.DataFrame(
            {
                "_record": range(1, records + 1),
                "line": [line_of(r) for r in range(1, records + 1)],
            }
        )
        con.register("_bulk_line_frame", frame)
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _bulk_line_of AS SELECT * FROM _bulk_line_frame"
            )
        finally:
            con.unregister("_bulk_line_frame")
        line_sql = "(SELECT line FROM _bulk_line_of o WHERE o._record = t._record)"
    con.execute(
        f"""
        INSERT INTO {contract.table_name} ({names}, _load_id, _reporting_period,
            _source_file, _source_sha256, _source_line, _loaded_at)
        SELECT {names}, $lineage_load_id, $lineage_reporting_period, $lineage_source_file,
            $lineage_source_sha256, CAST({line_sql} AS INTEGER), $lineage_loaded_at
        FROM _bulk_typed t ORDER BY _record
        """,
        _lineage_params(lineage),
    )


def _mapping_errors(con, contract, name, references, line_of) -> list[ExtractError]:
    errors: list[ExtractError] = []
    typed = "_bulk_typed"
    for account, record in con.execute(
        f"""
        SELECT account, min(_record) FROM {typed}
        WHERE account IN ({_unmapped_accounts_sql(typed, "true")})
        GROUP BY account ORDER BY 2 LIMIT {MAX_ERRORS}
        """
    ).fetchall():
        errors.append(
            ExtractError(
                name,
                line_of(int(record)),
                "account",
                not_in_chart(account, references.account_ranges, references.account_ranges_file)
                + " (first occurrence)",
            )
        )
    for cost_centre, record in con.execute(
        f"""
        SELECT cost_centre, min(_record) FROM {typed}
        WHERE cost_centre IN ({_unmapped_cost_centres_sql(typed, "true")})
        GROUP BY cost_centre ORDER BY 2 LIMIT {MAX_ERRORS}
        """
    ).fetchall():
        known = references.cost_centres.get(cost_centre)
        if known is None:
            what = f"unknown cost centre '{cost_centre}'"
        else:
            what = f"cost centre '{cost_centre}' belongs to '{known[0]}' ({known[1] or 'unknown'})"
        errors.append(
            ExtractError(
                name,
                line_of(int(record)),
                "cost_centre",
                f"{what}: it is in no service area; expected an org_code of level cost_centre "
                f"under a service area in {references.organisation_file} (first occurrence)",
            )
        )
    return errors


def _duplicate_errors(con, contract, name, line_of) -> list[ExtractError]:
    key = ", ".join(sql_identifier(k) for k in contract.key)
    found = con.execute(
        f"""
        SELECT {key}, min(_record) AS first_record, list(_record ORDER BY _record) AS records
        FROM _bulk_typed GROUP BY {key} HAVING count(*) > 1
        ORDER BY first_record LIMIT {MAX_ERRORS}
        """
    ).fetchall()
    errors = []
    for row in found:
        values, first, records = row[: len(contract.key)], row[-2], row[-1]
        column, described = contract.duplicate_key(tuple(values))
        for record in records[1:]:
            errors.append(
                ExtractError(
                    name,
                    line_of(int(record)),
                    column,
                    f"duplicate key ({described}); first seen on line {line_of(int(first))}; "
                    "expected one row per key",
                )
            )
    return errors
