"""What validation hands to loading: a delivery's parsed extracts and its scope."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.ingest import bulk
from orchestration.ingest.contracts import Contract
from orchestration.ingest.periods import ReportingPeriod
from orchestration.ingest.scope import Scope


@dataclass
class ParsedExtract:
    contract: Contract
    path: Path
    sha256: str
    encoding: str
    delimiter: str
    rows: list[dict[str, Any]]  # typed values, plus "_source_line"
    # A bulk extract's rows are read by DuckDB when it is loaded (orchestration/ingest/bulk.py);
    # what inspecting the file found is kept, never a copy of it (bulk.decoded makes one
    # for the duration of the load).
    bulk_source: bulk.BulkSource | None = None
    bulk_rows: int | None = None  # known once the rows were checked
    # An export read through a source profile (profiles.py): how its errors are named.
    profiled: Any = None

    @property
    def row_count(self) -> int:
        if self.bulk_source is not None:
            return self.bulk_rows or 0
        return len(self.rows)


@dataclass
class Delivery:
    """A complete, valid set of extracts for one reporting period."""

    folder: Path
    reporting_period: ReportingPeriod
    extracts: dict[str, ParsedExtract]
    # The part of the organisation whose figures this delivery replaces (ingest/scope.py).
    scope: Scope
    # What the bulk extracts are checked against when they are loaded.
    bulk_references: bulk.BulkReferences | None = None

    def describe(self) -> str:
        return f"{self.scope.describe()}, {self.reporting_period}"
