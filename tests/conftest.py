import shutil
import time
from dataclasses import dataclass
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
    from orchestration.lib.dbt_project import DBT_PROJECT, parse

    parse()
    return DBT_PROJECT.manifest_path


@dataclass(frozen=True)
class PipelineRun:
    exit_code: int
    output: str
    published: Path
    seconds: float


def run_pipeline(folder: Path | list[Path], published: Path, *options: str) -> PipelineRun:
    """`warehouse run FOLDER...` into a warehouse of the test's own, capturing what it
    prints. Several folders load in one run."""
    import contextlib
    import io

    from orchestration.lib.cli import main

    out = io.StringIO()
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("KUNTASEURANTA_WAREHOUSE", str(published))
        mp.delenv("KUNTASEURANTA_WORKING", raising=False)
        mp.delenv("DAGSTER_HOME", raising=False)
        folders = folder if isinstance(folder, list) else [folder]
        code = main(["run", *(str(f) for f in folders), *options])
    return PipelineRun(code, out.getvalue(), published, time.monotonic() - started)


@pytest.fixture(scope="session")
def embedded_run(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> PipelineRun:
    """One run of the main job on the embedded data, shared by the end-to-end tests."""
    run = run_pipeline(DEFAULT_DELIVERY_DIR, tmp_path_factory.mktemp("embedded") / "w.duckdb")
    assert run.exit_code == 0, run.output
    return run


def copy_published(run: PipelineRun, folder: Path) -> Path:
    """A test's own copy of a published warehouse, at folder/warehouse/w.duckdb."""
    target = folder / "warehouse" / "w.duckdb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(run.published, target)
    return target


@dataclass(frozen=True)
class RefusedRun:
    run: PipelineRun
    published_before: bytes


@pytest.fixture(scope="session")
def off_by_1000_run(
    embedded_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory
) -> RefusedRun:
    """A run of a delivery whose VAKA Palvelujen ostot Q1 actual is 1 000 euros off,
    against a copy of the published embedded warehouse."""
    work = tmp_path_factory.mktemp("off_by_1000")
    delivery = work / "2023-03"
    shutil.copytree(DEFAULT_DELIVERY_DIR, delivery)
    ledger = delivery / "ledger.csv"
    data = ledger.read_bytes()
    right, wrong = (
        b"2023;3;VAKA;palvelujen_ostot;actual;-310811;1",
        (b"2023;3;VAKA;palvelujen_ostot;actual;-311811;1"),
    )
    assert right in data
    ledger.write_bytes(data.replace(right, wrong))
    published = copy_published(embedded_run, work)
    before = published.read_bytes()
    return RefusedRun(run_pipeline(delivery, published), before)
