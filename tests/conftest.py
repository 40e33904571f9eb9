import shutil
from pathlib import Path

import pytest

from orchestration.lib.paths import DEFAULT_DELIVERY_DIR


@pytest.fixture
def delivery_copy(tmp_path: Path) -> Path:
    """A writable copy of the embedded Q1 2023 delivery, to perturb."""
    target = tmp_path / "2023-03"
    shutil.copytree(DEFAULT_DELIVERY_DIR, target)
    return target


@pytest.fixture
def warehouse_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the pipeline at a DuckDB file of this test's own."""
    path = tmp_path / "warehouse" / "warehouse.duckdb"
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return path
