from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR

if TYPE_CHECKING:  # the definitions load only once the session's dbt manifest is ready
    from orchestration.pipeline import RunResult


# The modules that start pipeline runs, longest first. Each module runs on one worker
# (--dist loadfile) and xdist hands modules out in collection order, so starting with the
# longest lets the two workers finish together instead of one idling while the other
# runs a long module it was given last.
LONGEST_MODULES = (
    "test_spark.py",  # two dbt builds on local Spark and three pipeline runs (4-5 minutes)
    "test_account_ledger.py",
    "test_report_formats.py",
    "test_faults_kill.py",
    "test_scopes.py",
    "test_safe_runs.py",
    "test_report.py",
    "test_operations.py",
    "test_deployment.py",  # the services start and build one delivery (a minute or more)
    "test_reconciliation.py",
    "test_pipeline.py",
    "test_sql_style.py",
    "test_dbt_unit.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: a module's tests keep their order


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
    from orchestration.warehouse.dbt_project import DBT_PROJECT, parse

    parse()
    return DBT_PROJECT.manifest_path


@dataclass(frozen=True)
class PipelineRun:
    exit_code: int
    output: str
    published: Path
    seconds: float
    # What orchestration.pipeline.run returned to the CLI (None: the run never started).
    result: RunResult | None = None


def worker_working_file() -> Path:
    """One working file path per test process: dbt's parse state is valid for the file it
    builds in, so the runs of one worker reuse it instead of parsing the project again for
    every new test warehouse (orchestration/warehouse/dbt_project.py). On /tmp, like the tests'
    warehouses: publication moves the working file into the warehouse's generation."""
    import os
    import tempfile

    return Path(tempfile.gettempdir()) / f"kuntaseuranta-working-{os.getpid()}" / "w.duckdb"


def run_pipeline(folder: Path | list[Path], published: Path, *options: str) -> PipelineRun:
    """`warehouse run FOLDER...` into a warehouse of the test's own, capturing what it
    prints. Several folders load in one run."""
    import contextlib
    import io

    from orchestration import pipeline
    from orchestration.cli import main

    out = io.StringIO()
    results: list[RunResult] = []
    real_run = pipeline.run

    def recording(request: pipeline.RunRequest) -> RunResult:
        results.append(real_run(request))
        return results[-1]

    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr(pipeline, "run", recording)
        mp.setenv("KUNTASEURANTA_WAREHOUSE", str(published))
        mp.setenv("KUNTASEURANTA_WORKING", str(worker_working_file()))
        mp.delenv("DAGSTER_HOME", raising=False)
        folders = folder if isinstance(folder, list) else [folder]
        code = main(["run", *(str(f) for f in folders), *options])
    seconds = time.monotonic() - started
    return PipelineRun(code, out.getvalue(), published, seconds, results[0] if results else None)


@pytest.fixture(scope="session")
def embedded_run(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, dbt_manifest: Path
) -> PipelineRun:
    """One run of the main job on the embedded data, shared by the end-to-end tests, and
    by both test workers: the first to need it runs it, the other reads what it left (the
    tests only read the published warehouse, or copy it to change it)."""
    import pickle

    from filelock import FileLock

    def run_embedded(folder: Path) -> PipelineRun:
        run = run_pipeline(DEFAULT_DELIVERY_DIR, folder / "w.duckdb")
        assert run.exit_code == 0, run.output
        return run

    if worker_id == "master":  # no workers: this process is the session
        return run_embedded(tmp_path_factory.mktemp("embedded"))
    shared = tmp_path_factory.getbasetemp().parent  # the session's, above each worker's
    recorded = shared / "embedded" / "run.pickle"
    with FileLock(shared / "embedded.lock"):
        if recorded.exists():
            return pickle.loads(recorded.read_bytes())
        run = run_embedded(shared / "embedded")
        recorded.write_bytes(pickle.dumps(run))
    return run


def copy_published(run: PipelineRun, folder: Path, with_files: bool = False) -> Path:
    """A test's own copy of a published warehouse, at folder/warehouse/w.duckdb; with
    its Parquet export and reports beside it if asked (the next run adopts them all)."""
    target = folder / "warehouse" / "w.duckdb"
    target.parent.mkdir(parents=True)
    shutil.copyfile(run.published, target)
    if with_files:
        for name in ("parquet", "report"):
            shutil.copytree(run.published.parent / name, target.parent / name)
    return target


@dataclass(frozen=True)
class RefusedRun:
    run: PipelineRun
    published_before: bytes
    working: Path  # a copy of the working file the refused run left for inspection


# A third department of Heinola for tests: the welfare division's figures under other codes.
SOCIAL_CODES = {
    "HYLA": "SOLA",
    "HYTO": "SOTO",
    "HYTE": "SO1",
    "OPKOU": "SO2",
    "VAKA": "SO3",
    "VIRE": "SO4",
}


def _perturb(folder: Path, file: str, old: str, new: str | None) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old + "\n" in text
    path.write_text(text.replace(old + "\n", "" if new is None else new + "\n"))


@pytest.fixture(scope="session")
def unreconciled_run(
    embedded_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory
) -> RefusedRun:
    """One run of three departments' deliveries for 2023-03, each with its own faults,
    against a copy of the published embedded warehouse:

    - the welfare division (restated): VAKA's Palvelujen ostot actual 1 000 euros off;
    - the technical division: RAKV's booked Vuokratuotot actual missing;
    - a social division: SO2's prior-year Avustukset in euros where the unit says
      thousands, and an investment actual of SO2 1 000 euros off;
    - and the four deliveries of public report formats, each with a fault of its own
      (_unreconciled_formats).
    """
    from tests.deliveries import TECHNICAL_CODES, TECHNICAL_NAMES, recode

    work = tmp_path_factory.mktemp("unreconciled")
    welfare = recode(DEFAULT_DELIVERY_DIR, work / "welfare" / "2023-03", {})
    _perturb(
        welfare,
        "ledger.csv",
        "2023;3;VAKA;palvelujen_ostot;actual;-310811;1",
        "2023;3;VAKA;palvelujen_ostot;actual;-311811;1",
    )
    technical = recode(
        DEFAULT_DELIVERY_DIR, work / "technical" / "2023-03", TECHNICAL_CODES, TECHNICAL_NAMES
    )
    _perturb(technical, "ledger.csv", "2023;3;RAKV;vuokratuotot;actual;8785;1", None)
    social = recode(
        DEFAULT_DELIVERY_DIR,
        work / "social" / "2023-03",
        SOCIAL_CODES,
        {"Hyvinvointi": "Sosiaali"},
    )
    _perturb(
        social,
        "ledger.csv",
        "2022;12;SO2;avustukset;actual;-82;1000",
        "2022;12;SO2;avustukset;actual;-82;1",
    )
    _perturb(
        social,
        "investments.csv",
        "2023;3;SO2;KAILAS-KOULU-VALINEET;menot;actual;-130976;1",
        "2023;3;SO2;KAILAS-KOULU-VALINEET;menot;actual;-131976;1",
    )
    formats = _unreconciled_formats(work / "formats")
    published = copy_published(embedded_run, work)
    before = published.read_bytes()
    # --verbose: every failing figure (a run prints 25 per check otherwise)
    run = run_pipeline([welfare, technical, social, *formats], published, "--verbose")
    working = work / "working.duckdb"
    shutil.copyfile(worker_working_file(), working)  # the next run of this worker reuses it
    return RefusedRun(run, before, working)


@pytest.fixture(scope="session")
def formats_run(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> PipelineRun:
    """The four deliveries written from public report formats and the finance-system
    export read through its source profile (tests/deliveries), loaded in one run into a
    new warehouse: shared by the tests that read what it published."""
    from tests.deliveries import EXPORTS, FORMATS

    published = tmp_path_factory.mktemp("formats") / "w.duckdb"
    run = run_pipeline([*FORMATS.values(), *EXPORTS.values()], published)
    assert run.exit_code == 0, run.output
    return run


# The fault of each report format in the unreconciled run, at the precision it prints.
FORMAT_FAULTS = {
    # tax revenue booked 1 000 euros higher than the city's printed figures say
    "city": (
        "ledger.csv",
        "2024;4;HAMEENLINNA;verotulot;actual;66066845;1",
        "2024;4;HAMEENLINNA;verotulot;actual;66067845;1",
    ),
    # a figure printed in thousands with one decimal, 200 euros off
    "budget_changes": (
        "control_totals.csv",
        "2024;6;operating;KASOP;toimintakate;forecast_variance;-1 869,0;1000",
        "2024;6;operating;KASOP;toimintakate;forecast_variance;-1 869,2;1000",
    ),
    # whole-number percentages: one step off is the rounding of a computed figure, two are not
    "board": (
        "control_totals.csv",
        "2024;5;budget_binding;MVARHA;menot;realised_pct;42;%",
        "2024;5;budget_binding;MVARHA;menot;realised_pct;40;%",
    ),
    # the external items of a line 1 000 euros off
    "external_internal": (
        "control_totals.csv",
        "2024;8;operating;PTEKPA;toimintakulut;external;actual;-35 274 225;1",
        "2024;8;operating;PTEKPA;toimintakulut;external;actual;-35 275 225;1",
    ),
}
# ... and one within the rounding: MVARHA's tulot 40 % printed as 41 %.
FORMAT_ROUNDING = (
    "board",
    "control_totals.csv",
    "2024;5;budget_binding;MVARHA;tulot;realised_pct;40;%",
    "2024;5;budget_binding;MVARHA;tulot;realised_pct;41;%",
)


def _unreconciled_formats(work: Path) -> list[Path]:
    from tests.deliveries import FORMATS

    folders = []
    for name, source in FORMATS.items():
        folder = work / name / source.name
        shutil.copytree(source, folder)
        _perturb(folder, *FORMAT_FAULTS[name])
        if name == FORMAT_ROUNDING[0]:
            _perturb(folder, *FORMAT_ROUNDING[1:])
        folders.append(folder)
    return folders
