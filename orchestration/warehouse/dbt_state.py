"""dbt's parse state: which one a run's dbt starts from, and where it is kept after.

dbt parses the whole project again (some 3 s) unless it starts from the partial-parse
state of a parse with the same vars and profile; the pipeline's vars name the file dbt
builds in. Light: the CLI reads it before it imports Dagster.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestration.warehouse.paths import DBT_PROJECT_DIR

# The pipeline's own dbt state (manifest and partial-parse state, prepared at set-up) is
# kept apart from target/, which dbt run by hand uses: a hand-run dbt never invalidates it.
PIPELINE_TARGET = Path("target") / "pipeline"
# The profile's output the pipeline builds with (its file comes in --vars); the default
# output, for dbt run by hand, is a development file.
PIPELINE_PROFILE_TARGET = "pipeline"
PARTIAL_PARSE = "partial_parse.msgpack"
# The state set-up's `dbt parse` leaves (orchestration/warehouse/dbt_project.py: parse).
SETUP_PARSE_STATE = DBT_PROJECT_DIR / PIPELINE_TARGET / PARTIAL_PARSE


def dbt_vars(warehouse: str) -> str:
    """The --vars of every dbt command the pipeline runs: the file it builds in."""
    import json

    return json.dumps({"warehouse_path": warehouse})


def parse_state_for(working: str) -> Path:
    """Parse state kept for a working file's path, whatever warehouse used it: dbt's
    state is valid for the file it builds in (its vars and profile), not for a warehouse."""
    import hashlib

    key = hashlib.sha256(dbt_vars(working).encode()).hexdigest()[:16]
    return DBT_PROJECT_DIR / PIPELINE_TARGET / "states" / key / PARTIAL_PARSE


def run_target_path(folder: Path, warehouse_state: Path, working: str | None = None) -> Path:
    """A run's dbt artefacts and logs go to `folder` (the run's build folder, outside the
    source tree), starting from the warehouse's own partial-parse state if it has one,
    else the state last saved for the same working file, else set-up's. (dbt parses
    everything again when the file it builds in differs from the one the state was saved
    for: a warehouse kept elsewhere than the default would pay a full parse on every run
    without a state of its own.)"""
    folder.mkdir(parents=True, exist_ok=True)
    candidates = [warehouse_state / PARTIAL_PARSE]
    if working is not None:
        candidates.append(parse_state_for(working))
    candidates.append(SETUP_PARSE_STATE)
    for state in candidates:
        if state.exists():
            shutil.copyfile(state, folder / PARTIAL_PARSE)
            break
    return folder


def keep_parse_state(folder: Path, warehouse_state: Path, working: str | None = None) -> None:
    """After dbt ran in `folder`: its parse state becomes the warehouse's, and the one
    kept for its working file."""
    import os

    state = folder / PARTIAL_PARSE
    if not state.exists():
        return
    targets = [warehouse_state / PARTIAL_PARSE]
    if working is not None:
        targets.append(parse_state_for(working))
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{PARTIAL_PARSE}.{os.getpid()}.copying")
        shutil.copyfile(state, partial)
        os.replace(partial, target)


def parse_ahead(working: str) -> list[str] | None:
    """The `dbt parse` a run's prepared dbt process runs while the run loads, when no
    state was kept for the run's working file (a new warehouse, or one kept elsewhere):
    the dbt step then starts from its result instead of parsing everything. None when a
    state is kept: dbt's own partial parse is as fast."""
    if parse_state_for(working).exists():
        return None
    return [
        "parse",
        "--quiet",
        "--no-send-anonymous-usage-stats",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        PIPELINE_PROFILE_TARGET,
        "--vars",
        dbt_vars(working),
    ]
