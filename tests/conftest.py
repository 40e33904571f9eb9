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


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Prepare the dbt manifest once, as `make setup` does, before definitions load."""
    import subprocess
    import sys

    from orchestration.lib.dbt_project import DBT_PROJECT
    from orchestration.lib.paths import DBT_PROJECT_DIR

    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        check=True,
    )
    return DBT_PROJECT.manifest_path
