"""The dbt project as Dagster sees it; its manifest is prepared at set-up (`dbt parse`)."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.warehouse.dbt_state import (
    PIPELINE_PROFILE_TARGET,
    PIPELINE_TARGET,
    SETUP_PARSE_STATE,
    dbt_vars,
    parse_state_for,
)
from orchestration.warehouse.paths import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=PIPELINE_TARGET,
    target=PIPELINE_PROFILE_TARGET,
)


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


def parse() -> None:
    """`dbt parse` as set-up runs it: the manifest Dagster loads, and dbt's partial-parse
    state for the pipeline's own working file, so that a run re-parses only what changed
    (dbt parses everything again when its vars differ from those of the saved state)."""
    import fcntl

    from orchestration.warehouse.dbt_process import dbt_path

    dbt = dbt_path()
    state = DBT_PROJECT_DIR / PIPELINE_TARGET
    state.mkdir(parents=True, exist_ok=True)
    # One parse at a time writes the state (two test workers, or set-up beside a run).
    with (state / ".parse.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        _parse(dbt)


def _parse(dbt: Path) -> None:
    import shutil
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
    # The state is the one for the default working file too (dbt_state.parse_ahead).
    kept = parse_state_for(str(working_path()))
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SETUP_PARSE_STATE, kept)


if __name__ == "__main__":
    parse()
