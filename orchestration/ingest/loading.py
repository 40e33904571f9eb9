"""Load a validated delivery into the warehouse's `raw` schema.

One delivery is written in one transaction: either every extract of the
delivery lands, or nothing does. A delivery is one scope of one municipality
(ingest/scope.py) for one reporting period. A file whose content hash equals the
latest load of the same extract, period and scope is skipped, so loading the
same files again changes nothing; a file with new content for a scope and
period already loaded is a restatement and is kept beside the earlier delivery.
Other scopes of the period are never touched.

Before anything is written, the delivery's organisation is checked against what
the warehouse holds (ingest/scope.py's rules): the same municipality code with
another name, a unit delivered by two scopes for the same period, a unit that
moved to this scope from another one without the delivery's org_mapping saying
so, or units above the scope described differently by two scopes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest import bulk
from orchestration.ingest.contracts import CONTRACTS, Contract
from orchestration.ingest.delivery import Delivery, ParsedExtract
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.reading import ExtractError, ExtractRefused
from orchestration.ingest.scope import Scope, ScopeProblem, scope_of
from orchestration.ingest.validation import validate_delivery

LOAD_LOG = "raw.load_log"

_LINEAGE_COLUMNS = (
    ("_load_id", "VARCHAR"),
    ("_reporting_period", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_sha256", "VARCHAR"),
    ("_source_line", "INTEGER"),
    ("_loaded_at", "TIMESTAMP"),
)


@dataclass(frozen=True)
class ExtractLoad:
    kind: str
    source_file: str
    sha256: str
    rows: int
    status: str  # loaded | restated | unchanged | withdrawn
    load_id: str | None
    municipality_code: str = ""
    scope_code: str = ""


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contracts: list[Contract]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {LOAD_LOG} (
            load_id VARCHAR PRIMARY KEY,
            reporting_period VARCHAR NOT NULL,
            extract_kind VARCHAR NOT NULL,
            source_file VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            row_count INTEGER NOT NULL,
            encoding VARCHAR NOT NULL,
            delimiter VARCHAR NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            municipality_code VARCHAR,
            scope_code VARCHAR
        )
        """
    )
    # A warehouse loaded before deliveries had scopes: one delivery per period.
    for column in ("municipality_code", "scope_code"):
        con.execute(f"ALTER TABLE {LOAD_LOG} ADD COLUMN IF NOT EXISTS {column} VARCHAR")
    for contract in contracts:
        columns = [(c.name, c.duckdb_type) for c in contract.columns] + list(_LINEAGE_COLUMNS)
        column_sql = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {contract.table_name} ({column_sql})")
        # A contract that gained a column since the table was made: add it, keep history.
        for name, type_ in columns:
            con.execute(
                f'ALTER TABLE {contract.table_name} ADD COLUMN IF NOT EXISTS "{name}" {type_}'
            )


def _assign_legacy_scopes(con: duckdb.DuckDBPyConnection) -> None:
    """Loads from before scopes: each period held one delivery, whose scope its
    organisation file tells."""
    periods = con.execute(
        f"SELECT DISTINCT reporting_period FROM {LOAD_LOG} WHERE scope_code IS NULL"
    ).fetchall()
    for (period,) in periods:
        rows = con.execute(
            """
            SELECT org_code, org_level, parent_code, name_fi FROM raw.organisation
            WHERE _load_id = (
                SELECT load_id FROM raw.load_log
                WHERE reporting_period = ? AND extract_kind = 'organisation'
                ORDER BY loaded_at DESC, load_id DESC LIMIT 1)
            """,
            [period],
        ).fetchall()
        names = ("org_code", "org_level", "parent_code", "name_fi")
        scope = scope_of([dict(zip(names, r, strict=True)) for r in rows])
        con.execute(
            f"UPDATE {LOAD_LOG} SET municipality_code = ?, scope_code = ? "
            "WHERE reporting_period = ? AND scope_code IS NULL",
            [scope.municipality_code, scope.code, period],
        )


def _latest_sha256(
    con: duckdb.DuckDBPyConnection, kind: str, period: str, scope: Scope
) -> str | None:
    # fetchall, not fetchone: DuckDB 2.0 refuses the next statement while a result is open.
    rows = con.execute(
        f"""
        SELECT sha256 FROM {LOAD_LOG}
        WHERE extract_kind = ? AND reporting_period = ?
            AND municipality_code = ? AND scope_code = ?
        ORDER BY loaded_at DESC, load_id DESC LIMIT 1
        """,
        [kind, period, scope.municipality_code, scope.code],
    ).fetchall()
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class _LoadedTree:
    period: str
    scope: Scope
    units: dict[str, tuple[str, str | None, str]]  # org_code -> (level, parent, name)


def _loaded_trees(con: duckdb.DuckDBPyConnection, municipality: str) -> list[_LoadedTree]:
    """The organisation of every current delivery of the municipality, scope by scope."""
    rows = con.execute(
        """
        WITH loads AS (
            SELECT load_id, reporting_period, scope_code, row_number() OVER (
                PARTITION BY reporting_period, municipality_code, scope_code
                ORDER BY loaded_at DESC, load_id DESC) AS recency
            FROM raw.load_log
            WHERE extract_kind = 'organisation' AND municipality_code = ?
        )
        SELECT loads.reporting_period, loads.scope_code, o.org_code, o.org_level,
            o.parent_code, o.name_fi
        FROM loads JOIN raw.organisation AS o ON o._load_id = loads.load_id
        WHERE loads.recency = 1
        ORDER BY 1, 2, 3
        """,
        [municipality],
    ).fetchall()
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for period, scope_code, code, level, parent, name in rows:
        grouped.setdefault((period, scope_code), []).append(
            {"org_code": code, "org_level": level, "parent_code": parent, "name_fi": name}
        )
    trees = []
    for (period, scope_code), units in grouped.items():
        try:
            scope = scope_of(units, scope_code)
        except ScopeProblem:
            continue  # cannot happen for a loaded delivery; never block on it
        trees.append(
            _LoadedTree(
                period,
                scope,
                {u["org_code"]: (u["org_level"], u["parent_code"], u["name_fi"]) for u in units},
            )
        )
    return trees


def organisation_conflicts(
    con: duckdb.DuckDBPyConnection, delivery: Delivery
) -> list[ExtractError]:
    """What in the delivery's organisation contradicts the deliveries already loaded."""
    scope = delivery.scope
    period = str(delivery.reporting_period)
    organisation = delivery.extracts["organisation"]
    line_of = {r["org_code"]: r["_source_line"] for r in organisation.rows}
    mine = {
        r["org_code"]: (r["org_level"], r["parent_code"], r["name_fi"]) for r in organisation.rows
    }
    mapped = set()
    if "org_mapping" in delivery.extracts:
        for r in delivery.extracts["org_mapping"].rows:
            mapped.update((r["old_org_code"], r["new_org_code"]))
    errors: dict[tuple[str, str, str], ExtractError] = {}
    last_seen: dict[str, tuple[str, Scope]] = {}  # unit -> latest earlier period, scope

    def refuse(code: str, column: str, message: str, other: str = "") -> None:
        errors.setdefault(
            (code, column, other),
            ExtractError(organisation.path.name, line_of.get(code, 0), column, message),
        )

    for tree in _loaded_trees(con, scope.municipality_code):
        other = tree.scope
        if tree.period == period and other.code == scope.code:
            continue  # the same scope again: a restatement replaces it
        root = scope.municipality_code
        if tree.units.get(root) and tree.units[root][2] != mine[root][2]:
            refuse(
                root,
                "name_fi",
                f"municipality '{root}' is loaded as '{tree.units[root][2]}' "
                f"({tree.period}, {other.code}); this delivery names it '{mine[root][2]}': "
                "expected the same name, or another code for another municipality",
            )
        if tree.period == period:
            if other.code in scope.members:
                refuse(
                    scope.code,
                    "org_code",
                    f"the scope {scope.code} contains {other.code} ({other.name}), delivered "
                    f"for {period} on its own; expected scopes that do not overlap, so that "
                    "no figure is counted twice",
                    other.code,
                )
            elif scope.code in other.members:
                refuse(
                    scope.code,
                    "org_code",
                    f"the scope {scope.code} is inside {other.code} ({other.name}), delivered "
                    f"for {period} as a whole; expected scopes that do not overlap, so that "
                    "no figure is counted twice",
                    other.code,
                )
            nested = other.code in scope.members or scope.code in other.members
            for code in [] if nested else sorted(scope.members & other.members):
                refuse(
                    code,
                    "org_code",
                    f"unit '{code}' is already delivered for {period} within the scope "
                    f"{other.code} ({other.name}); expected each unit in one scope per period, "
                    f"so that no figure is counted twice",
                )
            for code in sorted(set(scope.path) & set(other.path)):
                if tree.units[code] != mine[code]:
                    level, parent, name = tree.units[code]
                    refuse(
                        code,
                        "parent_code",
                        f"unit '{code}' above the scope is loaded for {period} as {level} "
                        f"'{name}' under {parent or 'no parent'} (scope {other.code}); this "
                        f"delivery says {mine[code][0]} '{mine[code][2]}' under "
                        f"{mine[code][1] or 'no parent'}: expected the same",
                    )
        elif tree.period < period:  # this scope's own earlier periods included
            for code in scope.members & other.members:
                if code not in last_seen or last_seen[code][0] < tree.period:
                    last_seen[code] = (tree.period, other)
    # A unit last delivered (before this period) by a sibling scope moved here: the
    # delivery must say so. Scopes that nest (the whole municipality one year, its
    # departments the next) deliver the same units at another grain: no move.
    for code, (seen_in, other) in sorted(last_seen.items()):
        nested = scope.code in other.members or other.code in scope.members
        if not nested and code not in mapped:
            refuse(
                code,
                "parent_code",
                f"unit '{code}' belongs to the scope {other.code} ({other.name}) in "
                f"{seen_in}; a unit moved between scopes must be declared in the "
                f"delivery's org_mapping.csv (old_org_code;new_org_code)",
            )
    return sorted(errors.values(), key=lambda e: (e.line, e.column))


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    extract: ParsedExtract,
    load_id: str,
    period: str,
    loaded_at: dt.datetime,
) -> None:
    contract = extract.contract
    # Values travel as text and are cast by DuckDB, so decimals stay exact.
    columns = [(c.name, c.duckdb_type) for c in contract.columns]
    import pandas as pd  # DuckDB reads the frame without a copy

    frame = pd.DataFrame(
        {
            name: pd.Series([_as_text(row[name]) for row in extract.rows], dtype="object")
            for name, _ in columns
        }
    )
    frame["_source_line"] = pd.Series([row["_source_line"] for row in extract.rows], dtype="int64")
    con.register("incoming_extract", frame)
    try:
        select = ", ".join(f'CAST("{name}" AS {type_}) AS "{name}"' for name, type_ in columns)
        names = ", ".join(f'"{name}"' for name, _ in columns)
        con.execute(
            f"""
            INSERT INTO {contract.table_name} ({names}, _load_id, _reporting_period,
                _source_file, _source_sha256, _source_line, _loaded_at)
            SELECT {select}, ?, ?, ?, ?, CAST(_source_line AS INTEGER), ?
            FROM incoming_extract
            """,
            [load_id, period, extract.path.name, extract.sha256, loaded_at],
        )
    finally:
        con.unregister("incoming_extract")


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    all_contracts: list[Contract],
    loaded_at: dt.datetime | None = None,
) -> list[ExtractLoad]:
    """Write every changed extract of the delivery in one transaction."""
    loaded_at = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    period = str(delivery.reporting_period)
    scope = delivery.scope
    results: list[ExtractLoad] = []
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_raw_schema(con, all_contracts)
        _assign_legacy_scopes(con)
        conflicts = organisation_conflicts(con, delivery)
        if conflicts:
            raise ExtractRefused(conflicts)
        for kind, extract in sorted(delivery.extracts.items()):
            previous = _latest_sha256(con, kind, period, scope)
            if previous == extract.sha256:
                results.append(
                    ExtractLoad(
                        kind,
                        extract.path.name,
                        extract.sha256,
                        extract.row_count,
                        "unchanged",
                        None,
                        scope.municipality_code,
                        scope.code,
                    )
                )
                continue
            load_id = uuid.uuid4().hex
            if extract.bulk_source is not None:
                extract.bulk_rows = _load_bulk_extract(con, delivery, extract, load_id, loaded_at)
            else:
                _insert_rows(con, extract, load_id, period, loaded_at)
            _log_load(
                con,
                (load_id, period, kind, scope, loaded_at),
                (extract.path.name, extract.sha256, extract.row_count),
                (extract.encoding, extract.delimiter),
            )
            results.append(
                ExtractLoad(
                    kind,
                    extract.path.name,
                    extract.sha256,
                    extract.row_count,
                    "restated" if previous else "loaded",
                    load_id,
                    scope.municipality_code,
                    scope.code,
                )
            )
        results += _withdraw_absent(con, delivery, all_contracts, loaded_at)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return results


def _load_bulk_extract(con, delivery: Delivery, extract, load_id: str, loaded_at) -> int:
    """A bulk extract into its raw table; an export's errors named by the export."""
    try:
        return bulk.load_bulk(
            con,
            extract.contract,
            extract.bulk_source,
            delivery.bulk_references,
            delivery.reporting_period,
            {
                "_load_id": load_id,
                "_reporting_period": str(delivery.reporting_period),
                "_source_file": extract.path.name,
                "_source_sha256": extract.sha256,
                "_loaded_at": loaded_at,
            },
        )
    except ExtractRefused as refused:
        if extract.profiled is None:
            raise
        raise ExtractRefused(extract.profiled.translate(refused.errors)) from None


# The load log's mark of an optional extract a restated delivery no longer has.
WITHDRAWN = "withdrawn"
_OPERATING_LEDGER = {"ledger", "ledger_accounts"}  # one family: either stands for both


def _withdraw_absent(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    all_contracts: list[Contract],
    loaded_at: dt.datetime,
) -> list[ExtractLoad]:
    """A delivery is whole: an optional extract (goals, investments, forecasts, ...) its
    scope delivered for the period before but this delivery leaves out is withdrawn, by a
    load of no rows that is now the latest of its kind."""
    period, scope = str(delivery.reporting_period), delivery.scope
    withdrawn = []
    for contract in all_contracts:
        kind = contract.kind
        if kind in delivery.extracts or kind in _OPERATING_LEDGER:
            continue
        previous = _latest_sha256(con, kind, period, scope)
        if previous is None or previous == WITHDRAWN:
            continue
        load_id = uuid.uuid4().hex
        _log_load(con, (load_id, period, kind, scope, loaded_at), ("", WITHDRAWN, 0), ("", ""))
        withdrawn.append(
            ExtractLoad(
                kind, "", WITHDRAWN, 0, WITHDRAWN, load_id, scope.municipality_code, scope.code
            )
        )
    return withdrawn


def _log_load(
    con: duckdb.DuckDBPyConnection,
    load: tuple[str, str, str, Scope, dt.datetime],
    file: tuple[str, str, int],
    read_as: tuple[str, str],
) -> None:
    """One row of the load log: the load (id, period, kind, scope, time), its file (name,
    sha256, rows; a withdrawn extract has none) and how the file was read (encoding,
    delimiter)."""
    load_id, period, kind, scope, loaded_at = load
    con.execute(
        f"""INSERT INTO {LOAD_LOG} (load_id, reporting_period, extract_kind,
            source_file, sha256, row_count, encoding, delimiter, loaded_at,
            municipality_code, scope_code)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [load_id, period, kind, *file, *read_as, loaded_at, scope.municipality_code, scope.code],
    )


def check_delivery(
    folder: Path, period: ReportingPeriod | None = None, scope: str | None = None
) -> Delivery:
    """Validate a delivery folder whole, the rows of its bulk extracts included; raise
    ExtractRefused as a run would."""
    delivery = validate_delivery(folder, period, scope=scope)
    check_bulk_rows(delivery)
    return delivery


def check_bulk_rows(delivery: Delivery) -> None:
    """Check the rows of the delivery's bulk extracts by loading the delivery, as a run
    would, into a scratch database that is thrown away; raise ExtractRefused as the load
    would."""
    import tempfile

    import duckdb

    with (
        tempfile.TemporaryDirectory(prefix="kuntaseuranta-check-") as scratch,
        duckdb.connect(str(Path(scratch) / "check.duckdb")) as con,
    ):
        load_delivery(con, delivery, list(CONTRACTS.values()))


def already_loaded(published: Path, period: ReportingPeriod, file_hashes: set[str]) -> bool:
    """Whether every file (by its hash) was loaded for the period into the published
    warehouse."""
    if not published.exists():
        return False
    with duckdb.connect(str(published), read_only=True) as con:
        loaded = {
            h
            for (h,) in con.execute(
                "select sha256 from raw.load_log where reporting_period = ?", [str(period)]
            ).fetchall()
        }
    return file_hashes <= loaded
