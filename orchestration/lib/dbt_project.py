"""The dbt project as Dagster sees it; its manifest is prepared at set-up (`dbt parse`)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.lib.paths import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def require_manifest() -> None:
    manifest = DBT_PROJECT.manifest_path
    if not manifest.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {manifest}; prepare it with `make setup` (runs dbt parse)"
        )
    # A model added or changed since the manifest was made would reach Dagster as an
    # unknown node half-way through a run: say so before the run starts.
    from orchestration.lib.paths import REFERENCE_DIR

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
            "with `make setup` (or `python -m orchestration.lib.dbt_project`)"
        )


def dbt_vars(warehouse: str) -> str:
    """The --vars of every dbt command the pipeline runs: the file it builds in."""
    import json

    return json.dumps({"warehouse_path": warehouse})


def parse() -> None:
    """`dbt parse` as set-up runs it: the manifest Dagster loads, and dbt's partial-parse
    state for the pipeline's own working file, so that a run re-parses only what changed
    (dbt parses everything again when its vars differ from those of the saved state)."""
    import subprocess
    import sys
    from pathlib import Path

    from orchestration.lib.paths import working_path

    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--vars",
            dbt_vars(str(working_path())),
        ],
        check=True,
    )


if __name__ == "__main__":
    parse()
