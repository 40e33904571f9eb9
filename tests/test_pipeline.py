"""The Dagster definitions load, and the README's run command works end to end."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR
from tests.conftest import PipelineRun, copy_published, run_pipeline

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


def asset_graph_lines() -> list[str]:
    """Each asset with its group and the assets it reads, one line each."""
    from orchestration.definitions import defs

    graph = defs().resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(f"{key.to_user_string()} [{node.group_name}] <- {parents}")
    return lines


def test_definitions_load_and_the_asset_graph_matches_its_snapshot(warehouse_file: Path):
    """A change to lineage shows up in review: UPDATE_SNAPSHOTS=1 rewrites the snapshot."""
    lines = asset_graph_lines()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines == SNAPSHOT.read_text(encoding="utf-8").splitlines()
    # raw -> staging -> marts is one graph: staging reads the raw assets Python loads.
    assert "stg_ledger [staging] <- raw/ledger, raw/load_log" in lines


def test_the_main_job_covers_every_asset(warehouse_file: Path):
    from orchestration.definitions import defs

    definitions = defs()
    job = definitions.resolve_job_def("warehouse_job")
    assert job.asset_layer.selected_asset_keys == set(definitions.resolve_all_asset_keys())


def test_a_successful_run_fits_on_one_screen(embedded_run: PipelineRun):
    lines = embedded_run.output.splitlines()
    assert len(lines) <= 40, embedded_run.output
    steps = [line for line in lines if line.startswith("Step ")]
    assert [line.split()[1] for line in steps] == ["load", "dbt", "checks", "report", "publish"]
    planned = len(_dbt_nodes())
    assert re.fullmatch(rf"Step dbt +\d+,\d s  \({planned} of {planned} nodes\)", steps[1])
    assert not any(re.search(r"\b(START|PASS|OK created)\b", line) for line in lines)
    assert any(line.startswith("Run ") and " succeeded. Published " in line for line in lines)


def _dbt_nodes() -> list[str]:
    """The dbt step's assets and checks: a model or seed built, or a data test's verdict."""
    from orchestration.defs.transform.dbt import warehouse_dbt_models

    return [*warehouse_dbt_models.keys, *warehouse_dbt_models.check_keys]


def test_run_loads_the_embedded_data(embedded_run: PipelineRun):
    assert "raw/ledger                 184 rows loaded" in embedded_run.output
    assert "846 new rows loaded." in embedded_run.output
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        total = con.execute(
            "SELECT sum(amount * CAST(unit AS INTEGER)) FROM raw.ledger WHERE fiscal_year = 2023 "
            "AND period = 3 AND scenario = 'actual'"
        ).fetchall()[0][0]
    # The department's printed TILIKAUDEN TULOS is -7 437 414; the leaves, each rounded to
    # the euro, add up to within rounding of it.
    assert total == Decimal(-7437415)


def _raw_content(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in tables}


def _whole_copy(run: PipelineRun, folder: Path) -> Path:
    """A copy of the run's whole warehouse folder: generations, links and evidence."""
    shutil.copytree(run.published.parent, folder / "warehouse", symlinks=True)
    return folder / "warehouse" / run.published.name


def _files(folder: Path) -> dict[str, str]:
    """Every file and link under the folder but the lock (which names the last run that
    held it): its hash, or where a link points."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.name == ".lock":
            continue
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _dbt_args(published: Path, run_id: str) -> dict:
    results = published.parent / "validation" / run_id / "dbt" / "run_results.json"
    return json.loads(results.read_text(encoding="utf-8"))["args"]


def test_a_second_run_of_the_same_deliveries_changes_no_byte(embedded_run: PipelineRun, tmp_path):
    published = _whole_copy(embedded_run, tmp_path)
    before = _files(published.parent)
    run = run_pipeline(DEFAULT_DELIVERY_DIR, published)
    assert run.exit_code == 0, run.output
    assert run.result is None  # the pipeline never started
    (line,) = [x for x in run.output.splitlines() if x.startswith("Unchanged:")]
    generation = os.readlink(published.parent / "current")
    assert f"the code are what {Path(generation).name} was built from" in line
    assert "--force rebuilds anyway" in line
    assert _files(published.parent) == before


class _Started(Exception):
    """The pipeline was asked to run (the test stops it there)."""


def test_force_passes_what_is_published_to_the_pipeline_with_a_full_refresh(
    embedded_run: PipelineRun, tmp_path, monkeypatch
):
    """--force skips the no-op gate and asks for a full refresh. What such a run then
    does (a full refresh loading nothing new) is the next test's, run for real."""
    from orchestration import pipeline
    from orchestration.cli import main

    published = _whole_copy(embedded_run, tmp_path)
    requests = []

    def started(request):
        requests.append(request)
        raise _Started

    monkeypatch.setattr(pipeline, "run", started)
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(published))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(_Started):
        main(["run", str(DEFAULT_DELIVERY_DIR), "--force"])
    (request,) = requests
    assert request.full_refresh is True
    assert request.periods == {"2023-03": [DEFAULT_DELIVERY_DIR]}
    assert main(["run", str(DEFAULT_DELIVERY_DIR)]) == 0  # without it: unchanged
    assert len(requests) == 1


def test_models_changed_since_publication_rebuild_everything(embedded_run: PipelineRun, tmp_path):
    """The published generation was built by other models (its manifest says so): the run
    is not a no-op, and dbt rebuilds every model from raw without being asked."""
    published = _whole_copy(embedded_run, tmp_path)
    manifest_path = published.parent / "current" / "generation.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["inputs"]["models"] = "built by other models"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    # ... which kept their working tables in schema `intermediate` (now `work`).
    with duckdb.connect(str(published)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_old as select 1 as x")
    marts_before, raw_before = _marts(published), _raw_content(published)
    generation = os.readlink(published.parent / "current")
    run = run_pipeline(DEFAULT_DELIVERY_DIR, published, "--verbose")
    assert run.exit_code == 0, run.output
    assert "Rebuilding: the dbt models or the reference data changed." in run.output
    # --verbose: dbt's own lines and every rounding difference, which a run otherwise counts.
    assert re.search(r"OK created sql incremental model marts\.fct_budget_vs_actual", run.output)
    assert "Rounding differences within tolerance (88):" in run.output
    assert run.output.count("    ~ ") == 88
    assert "Nothing new: every extract was loaded before." in run.output
    assert _dbt_args(published, run.result.run_id)["full_refresh"] is True
    assert os.readlink(published.parent / "current") != generation  # published again
    assert _raw_content(published) == raw_before
    assert _marts(published) == marts_before
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert "intermediate" not in schemas and "work" in schemas  # dropped by the build
    # The new generation records the models it was built by: the next run is a no-op.
    again = run_pipeline(DEFAULT_DELIVERY_DIR, published)
    assert again.result is None and "Unchanged:" in again.output, again.output


def _marts(path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


def test_run_refuses_a_bad_delivery_and_keeps_the_warehouse(
    embedded_run: PipelineRun, delivery_copy: Path, tmp_path: Path
):
    published = copy_published(embedded_run, tmp_path)
    before = published.read_bytes()
    ledger = delivery_copy / "ledger.csv"
    text = ledger.read_text(encoding="utf-8-sig")
    ledger.write_text(
        text.replace(
            "2023;3;OPKOU;avustukset;actual;-30250;1", "2023;3;OPKOU;avustukset;actual;-30 25;1"
        ),
        encoding="utf-8-sig",
    )
    line = text.splitlines().index("2023;3;OPKOU;avustukset;actual;-30250;1") + 1
    run = run_pipeline(delivery_copy, published)
    assert run.exit_code == 1
    assert "REFUSED" in run.output
    assert f"ledger.csv:{line} column 'amount': spaces may only separate groups of three" in (
        run.output
    )
    assert "The published warehouse is unchanged" in run.output
    assert published.read_bytes() == before
