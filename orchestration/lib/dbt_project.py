"""The dbt project as Dagster sees it; its manifest is prepared at set-up (`dbt parse`)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.lib.paths import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def require_manifest() -> None:
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {DBT_PROJECT.manifest_path}; prepare it with "
            "`make setup` (runs dbt parse)"
        )
