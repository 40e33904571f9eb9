"""The dbt project as Dagster sees it; its manifest is prepared at set-up (`dbt parse`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.warehouse.paths import DBT_PROJECT_DIR

# The pipeline's own dbt state (manifest and partial-parse state, prepared at set-up) is
# kept apart from target/, which dbt run by hand uses: a hand-run dbt never invalidates it.
PIPELINE_TARGET = Path("target") / "pipeline"
# The profile's output the pipeline builds with (its file comes in --vars); the default
# output, for dbt run by hand, is a development file.
PIPELINE_PROFILE_TARGET = "pipeline"
DBT_PROJECT = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=PIPELINE_TARGET,
    target=PIPELINE_PROFILE_TARGET,
)
PARTIAL_PARSE = "partial_parse.msgpack"


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
    candidates.append(DBT_PROJECT_DIR / PIPELINE_TARGET / PARTIAL_PARSE)
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


def require_manifest() -> None:
    manifest = DBT_PROJECT.manifest_path
    if not manifest.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {manifest}; prepare it with `make setup` (runs dbt parse)"
        )
    # A model added or changed since the manifest was made would reach Dagster as an
    # unknown node half-way through a run: say so before the run starts.
    from orchestration.warehouse.paths import REFERENCE_DIR

    sources = [
        p
        for folder in ("models", "macros", "tests")
        for p in (DBT_PROJECT_DIR / folder).rglob("*")
        if p.suffix in (".sql", ".yml", ".md")
    ]
    sources += [DBT_PROJECT_DIR / "dbt_project.yml", *REFERENCE_DIR.glob("*.csv")]
    newer = [p for p in sources if p.stat().st_mtime > manifest.stat().st_mtime]
    if newer:
        first = newer[0].relative_to(DBT_PROJECT_DIR.parent)
        more = f" and {len(newer) - 1} more files" if len(newer) > 1 else ""
        raise RuntimeError(
            f"the dbt manifest ({manifest}) is older than {first}{more}; prepare it again "
            "with `make setup` (or `python -m orchestration.warehouse.dbt_project`)"
        )


def dev_database() -> Path:
    """The file dbt run by hand builds (profiles.yml's default output)."""
    import os

    configured = Path(os.environ.get("KUNTASEURANTA_DBT_DEV_DATABASE", "target/dev.duckdb"))
    return configured if configured.is_absolute() else DBT_PROJECT_DIR / configured


def dbt_vars(warehouse: str) -> str:
    """The --vars of every dbt command the pipeline runs: the file it builds in."""
    import json

    return json.dumps({"warehouse_path": warehouse})


def parse() -> None:
    """`dbt parse` as set-up runs it: the manifest Dagster loads, and dbt's partial-parse
    state for the pipeline's own working file, so that a run re-parses only what changed
    (dbt parses everything again when its vars differ from those of the saved state)."""
    import fcntl
    import sys

    dbt = Path(sys.executable).parent / "dbt"
    state = DBT_PROJECT_DIR / PIPELINE_TARGET
    state.mkdir(parents=True, exist_ok=True)
    # One parse at a time writes the state (two test workers, or set-up beside a run).
    with (state / ".parse.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        _parse(dbt)


def _parse(dbt: Path) -> None:
    import subprocess

    from orchestration.warehouse.paths import working_path

    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            PIPELINE_PROFILE_TARGET,
            "--target-path",
            str(PIPELINE_TARGET),
            "--vars",
            dbt_vars(str(working_path())),
        ],
        check=True,
    )


if __name__ == "__main__":
    parse()
