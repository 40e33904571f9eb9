"""dbt's unit tests of the derived measures (realised %, forecasts, remaining, flags).

They check the SQL's logic on given rows, so they run here, not in every pipeline run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.warehouse.dbt_state import parse_state_for
from orchestration.warehouse.paths import DBT_PROJECT_DIR, SEEDS_DIR
from tests.conftest import PipelineRun, worker_working_file


def _unit_tests(project: Path, warehouse: Path, work: Path) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [
            str(dbt),
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--target",
            "pipeline",
            "--vars",
            json.dumps({"warehouse_path": str(warehouse)}),
        ],
        capture_output=True,
        text=True,
    )


def test_the_dbt_unit_tests_pass_and_catch_a_broken_measure(
    embedded_run: PipelineRun, tmp_path: Path
):
    # The models' inputs must exist: a copy of the embedded warehouse, at this worker's
    # working file, so that dbt starts from the parse state kept for it (conftest.py).
    warehouse = worker_working_file()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(embedded_run.published, warehouse)
    state = parse_state_for(str(warehouse))
    if state.exists():
        for run in ("passing", "failing"):  # the failing run re-parses what its change touches
            (tmp_path / run / "target").mkdir(parents=True)
            shutil.copyfile(state, tmp_path / run / "target" / state.name)
    passing = _unit_tests(DBT_PROJECT_DIR, warehouse, tmp_path / "passing")
    assert passing.returncode == 0, passing.stdout[-3000:]
    # The 9 unit tests and the two on-run-start hooks (dbt_project.yml), which dbt counts too.
    assert "PASS=11 WARN=0 ERROR=0" in passing.stdout

    # Round realised % in exact decimals instead of the report's floating point: the unit
    # test of the report's 2 030 / 4 000 = 50,7 % must fail, the others still pass.
    project = tmp_path / "project" / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(SEEDS_DIR / "reference", tmp_path / "project" / "seeds" / "reference")
    macro = project / "macros" / "budget_measures.sql"
    text = macro.read_text()
    broken = text.replace(
        "round(cast({{ actual }} as {{ type_double() }})"
        " / cast({{ budget }} as {{ type_double() }}) * 100, 1)",
        "round({{ actual }} * 100.0 / {{ budget }}, 1)",
    )
    assert broken != text
    macro.write_text(broken)
    failing = _unit_tests(project, warehouse, tmp_path / "failing")
    assert failing.returncode == 1
    assert "PASS=10 WARN=0 ERROR=1" in failing.stdout
    assert "fct_budget_vs_actual_realised_pct_rounds_as_the_report" in failing.stdout
