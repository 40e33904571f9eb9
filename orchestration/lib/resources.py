"""Resources without Dagster wiring of their own; defs/resources.py instantiates them."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version


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


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs this project does not use.

    Before every dbt command dagster-dbt runs `dbt --version` in a subprocess and builds
    an in-process dbt adapter (for row counts and column metadata fetched after a run).
    Together they took about 5 s of a 30 s run, every run. The dbt this resource runs is
    the dbt-core installed beside this Python, so its version is the package's; and no
    asset here fetches metadata through the adapter.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
