"""Load a validated delivery into the warehouse's `raw` schema.

One delivery is written in one transaction: either every extract of the
reporting period lands, or nothing does. A file whose content hash equals the
latest load of the same extract and period is skipped, so loading the same
files again changes nothing; a file with new content for a period already
loaded is a restatement and is kept beside the earlier delivery.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from orchestration.lib import bulk
from orchestration.lib.contracts import Contract
from orchestration.lib.validation import Delivery, ParsedExtract

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
    status: str  # loaded | restated | unchanged
    load_id: str | None


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
            loaded_at TIMESTAMP NOT NULL
        )
        """
    )
    for contract in contracts:
        columns = [(c.name, c.duckdb_type) for c in contract.columns] + list(_LINEAGE_COLUMNS)
        column_sql = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {contract.table_name} ({column_sql})")
        # A contract that gained a column since the table was made: add it, keep history.
        for name, type_ in columns:
            con.execute(
                f'ALTER TABLE {contract.table_name} ADD COLUMN IF NOT EXISTS "{name}" {type_}'
            )


def _latest_sha256(con: duckdb.DuckDBPyConnection, kind: str, period: str) -> str | None:
    # fetchall, not fetchone: DuckDB 2.0 refuses the next statement while a result is open.
    rows = con.execute(
        f"""
        SELECT sha256 FROM {LOAD_LOG}
        WHERE extract_kind = ? AND reporting_period = ?
        ORDER BY loaded_at DESC, load_id DESC LIMIT 1
        """,
        [kind, period],
    ).fetchall()
    return rows[0][0] if rows else None


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
    frame = pd.DataFrame(
        {
            column.name: pd.Series(
                [_as_text(row[column.name]) for row in extract.rows], dtype="object"
            )
            for column in contract.columns
        }
    )
    frame["_source_line"] = pd.Series([row["_source_line"] for row in extract.rows], dtype="int64")
    con.register("incoming_extract", frame)
    try:
        select = ", ".join(
            f'CAST("{c.name}" AS {c.duckdb_type}) AS "{c.name}"' for c in contract.columns
        )
        names = ", ".join(f'"{c.name}"' for c in contract.columns)
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
    results: list[ExtractLoad] = []
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_raw_schema(con, all_contracts)
        for kind, extract in sorted(delivery.extracts.items()):
            previous = _latest_sha256(con, kind, period)
            if previous == extract.sha256:
                results.append(
                    ExtractLoad(
                        kind,
                        extract.path.name,
                        extract.sha256,
                        extract.row_count,
                        "unchanged",
                        None,
                    )
                )
                continue
            load_id = uuid.uuid4().hex
            if extract.bulk_source is not None:
                extract.bulk_rows = bulk.load_bulk(
                    con,
                    extract.contract,
                    extract.bulk_source,
                    delivery.bulk_references,
                    delivery.reporting_period,
                    {
                        "_load_id": load_id,
                        "_reporting_period": period,
                        "_source_file": extract.path.name,
                        "_source_sha256": extract.sha256,
                        "_loaded_at": loaded_at,
                    },
                )
            else:
                _insert_rows(con, extract, load_id, period, loaded_at)
            con.execute(
                f"INSERT INTO {LOAD_LOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id,
                    period,
                    kind,
                    extract.path.name,
                    extract.sha256,
                    extract.row_count,
                    extract.encoding,
                    extract.delimiter,
                    loaded_at,
                ],
            )
            results.append(
                ExtractLoad(
                    kind,
                    extract.path.name,
                    extract.sha256,
                    extract.row_count,
                    "restated" if previous else "loaded",
                    load_id,
                )
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for extract in delivery.extracts.values():
            if extract.bulk_source is not None:
                bulk.release(extract.bulk_source)
    return results
