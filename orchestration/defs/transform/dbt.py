"""dbt models as Dagster assets: raw -> staging -> intermediate -> marts in one graph."""

import contextlib
import io
import threading
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.resources import WarehouseFiles
from orchestration.warehouse.dbt_project import DBT_PROJECT, require_manifest
from orchestration.warehouse.dbt_state import dbt_vars, keep_parse_state, run_target_path
from orchestration.warehouse.fingerprints import models_fingerprint
from orchestration.warehouse.publish import models_changed, run_loads


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the raw assets (raw/<table>); groups follow the dbt folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props["fqn"]
        return fqn[1] if len(fqn) > 2 else "marts"


require_manifest()

LARGE_LOAD_ROWS = 2_000_000


def _import_later_steps() -> None:
    import great_expectations  # noqa: F401  (the reconciliation checks)

    import orchestration.report.pdf  # noqa: F401  (the interim report)


class DbtBuildConfig(dg.Config):
    """full_refresh: rebuild every incremental model from raw (after a change of reference
    data or model SQL); otherwise only the periods whose deliveries changed are rebuilt.
    dbt_lines: dbt's own lines on standard output (the step's compute log in Dagster's
    UI); `warehouse run` turns them off unless --verbose. dbt's errors reach the step's
    failure either way."""

    full_refresh: bool = False
    dbt_lines: bool = True


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WarehouseDbtTranslator(),
    name="warehouse_dbt_models",
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    duckdb: DuckDBResource,
    warehouse_files: WarehouseFiles,
):
    # dbt builds in the run's working file, the same one the DuckDB resource opens. Data
    # tests guard every run; unit tests check the SQL's logic and run with the test suite.
    args = [
        "build",
        "--no-use-colors",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        dbt_vars(duckdb.database),
    ]
    layout = warehouse_files.layout
    # The incremental models keep what earlier runs built: built by other SQL or reference
    # data, it is rebuilt from raw, without being asked.
    changed = models_changed(layout, models_fingerprint())
    if changed:
        context.log.info(f"Rebuilding every model from raw: {changed}")
    if config.full_refresh or changed:
        args.append("--full-refresh")
    # While dbt builds (in its own process), this process mostly waits for dbt's events:
    # import what the checks and the report need meanwhile, not after (some 5 s). Not
    # when the run loaded millions of rows: then dbt's DuckDB works at its memory limit,
    # and the imports (some 150 MB) wait until it is done, keeping the run within 1 GiB.
    if sum(load.get("rows", 0) for load in run_loads(layout)) < LARGE_LOAD_ROWS:
        threading.Thread(target=_import_later_steps, daemon=True).start()
    target_path = run_target_path(layout.dbt_target, layout.dbt_state, duckdb.database)
    try:
        # dagster-dbt writes each of dbt's lines to sys.stdout as it reads it.
        with contextlib.ExitStack() as lines:
            if not config.dbt_lines:
                lines.enter_context(contextlib.redirect_stdout(io.StringIO()))
            yield from dbt.cli(args, context=context, target_path=target_path).stream()
    finally:
        keep_parse_state(target_path, layout.dbt_state, duckdb.database)
