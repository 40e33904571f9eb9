"""Faults: readers -- a BI tool through SQLAlchemy, an analyst's session -- while a run
publishes see only whole warehouses, never an error, and never hold up the run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from tests.conftest import PipelineRun
from tests.faults_common import STATE_SQL, published_and_restated, start_run, state

# A separate process, as a BI tool is: SQLAlchemy with duckdb-engine, read-only (the way
# Superset connects), a new connection per query, until told to stop.
READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import sqlalchemy as sa
    path, stop, sql = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True},
                              poolclass=sa.pool.NullPool)
    while not stop.exists():
        try:
            with engine.connect() as con:
                row = con.execute(sa.text(sql)).fetchall()[0]
            print(json.dumps({"state": [str(v) for v in row]}), flush=True)
        except Exception as exc:
            print(json.dumps({"error": repr(exc)}), flush=True)
        time.sleep(0.05)
""")


def test_readers_see_only_whole_warehouses_while_a_run_publishes(
    embedded_run: PipelineRun, tmp_path: Path
):
    published, restated = published_and_restated(embedded_run, tmp_path)
    old = state(published)
    held = duckdb.connect(str(published), read_only=True)  # an analyst's open session
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop), STATE_SQL],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run = start_run(published, restated)
        assert run.wait(timeout=600) == 0  # readers never block the run
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    # The session opened before the publish still reads its own, whole snapshot. (Closed
    # before reading the new state: in one process DuckDB shares an open file's instance.)
    assert tuple(held.execute(STATE_SQL).fetchall()[0]) == old
    held.close()
    new = state(published)
    lines = [json.loads(line) for line in output.splitlines()]
    errors = [line["error"] for line in lines if "error" in line]
    observed = {tuple(line["state"]) for line in lines if "state" in line}
    assert errors == []
    as_text = {tuple(str(v) for v in s) for s in (old, new)}
    assert old != new
    assert observed <= as_text
    assert observed == as_text  # it read before and after the publish
