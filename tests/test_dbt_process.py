"""dbt's process prepared by a run (orchestration/warehouse/dbt_process.py): the launcher
the pipeline's dbt resource starts hands the command to it, with the launcher's streams,
environment and exit code; with none prepared, the launcher is dbt itself. A parse asked
for ahead leaves the command a state it partial-parses from.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.warehouse import dbt_process
from orchestration.warehouse.dbt_state import (
    PARTIAL_PARSE,
    dbt_vars,
    keep_parse_state,
    parse_ahead,
    parse_state_for,
)
from orchestration.warehouse.paths import DBT_PROJECT_DIR


def _launch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(dbt_process.launcher_path()), *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        timeout=120,
    )


def test_the_launcher_runs_dbt_in_the_prepared_process_with_its_exit_code():
    with dbt_process.prepared() as process:
        assert process is not None and process.poll() is None
        socket_path = Path(os.environ[dbt_process.SOCKET_ENV])
        served = _launch("no-such-command")
        # The prepared process ran the command (dbt's usage error) and ended with it.
        assert process.wait(timeout=10) == 2
    assert served.returncode == 2
    assert "No such command 'no-such-command'" in served.stderr
    assert dbt_process.SOCKET_ENV not in os.environ
    assert not socket_path.parent.exists()


def test_without_a_prepared_process_the_launcher_is_dbt():
    with dbt_process.prepared() as process:
        assert process is not None
        process.kill()  # gone before it was used: dbt starts instead of waiting for it
        process.wait()
        result = _launch("--help")
    assert result.returncode == 0, result.stderr
    assert "An ELT tool for managing your SQL transformations" in result.stdout
    # An unused prepared process ends with its block.
    with dbt_process.prepared() as process:
        pass
    assert process is not None and process.poll() is not None


def _partial_parse_refusals(target: Path) -> list[str]:
    events = [json.loads(line) for line in (target / "dbt.log").read_text().splitlines()]
    return [e["info"]["msg"] for e in events if e["info"]["name"] == "UnableToPartialParse"]


def _parse_through_launcher(working: str, target: Path) -> subprocess.CompletedProcess:
    # As dagster-dbt starts dbt: the target path and the JSON log format in the environment.
    env = {**os.environ, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    env["DBT_LOG_FORMAT"] = "json"
    return _launch(
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        "pipeline",
        "--vars",
        dbt_vars(working),
        env=env,
    )


def test_a_parse_ahead_spares_the_command_a_full_parse(tmp_path: Path):
    working = str(tmp_path / "elsewhere" / "w.duckdb")  # no state was kept for this file
    ahead = parse_ahead(working)
    assert ahead is not None
    target = tmp_path / "target"  # new: without the parse ahead, dbt would parse it all
    assert not (target / PARTIAL_PARSE).exists()
    with dbt_process.prepared(parse=ahead):
        result = _parse_through_launcher(working, target)
    assert result.returncode == 0, result.stdout[-2000:]
    assert _partial_parse_refusals(target) == []
    # dbt re-read no file: the project is as the parse ahead found it.
    perf = json.loads((target / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0, perf

    # Once a run keeps a state for that working file, the next needs no parse ahead.
    keep_parse_state(target, tmp_path / "warehouse-state", working)
    try:
        assert parse_ahead(working) is None
    finally:
        parse_state_for(working).unlink()
