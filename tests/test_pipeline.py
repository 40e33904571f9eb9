"""The Dagster definitions load, and the README's run command works end to end."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import duckdb

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


def test_run_loads_the_embedded_data(embedded_run: PipelineRun):
    assert "raw/ledger                 184 rows loaded" in embedded_run.output
    assert "844 new rows loaded." in embedded_run.output
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


def test_a_second_run_of_the_same_files_changes_nothing(embedded_run: PipelineRun, tmp_path):
    published = copy_published(embedded_run, tmp_path)
    before = _raw_content(published)
    run = run_pipeline(DEFAULT_DELIVERY_DIR, published)
    assert run.exit_code == 0, run.output
    assert "Nothing new: every extract was loaded before." in run.output
    assert _raw_content(published) == before


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
