"""Resources without Dagster wiring of their own; defs/resources.py instantiates them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class WarehouseFiles(dg.ConfigurableResource):
    """The published file readers open, the working file a run builds in, the evidence."""

    published_path: str
    working_path: str
    evidence_dir: str

    @property
    def published(self) -> Path:
        return Path(self.published_path)

    @property
    def working(self) -> Path:
        return Path(self.working_path)

    @property
    def parquet_dir(self) -> Path:
        """Parquet copies of the marts, beside the published file."""
        return self.published.parent / "parquet"

    def evidence_for_run(self, run_id: str) -> Path:
        return Path(self.evidence_dir) / run_id
