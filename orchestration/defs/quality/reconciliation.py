"""The reconciliation gate: blocking Great Expectations checks before publication."""

import dagster as dg
import duckdb

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.resources import WarehouseFiles
from orchestration.quality.reconciliation import (
    CHECKS,
    fetch_check_rows,
    format_figures,
    not_applicable,
    run_check,
)

RECONCILIATION_ASSET = dg.AssetKey(["fct_control_total_reconciliation"])


def _reconciliation_check(check_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=RECONCILIATION_ASSET,
        name=check_name,
        description=CHECKS[check_name],
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse_files: WarehouseFiles
    ) -> dg.AssetCheckResult:
        with duckdb.connect(str(warehouse_files.working), read_only=True) as con:
            frame = fetch_check_rows(con, check_name)
            reason = not_applicable(con, check_name) if frame.empty else None
        outcome = run_check(
            frame, check_name, warehouse_files.evidence_for_run(context.run.run_id), reason
        )
        context.log.info(outcome.summary())
        metadata = {
            "figures": dg.MetadataValue.int(outcome.rows),
            "failing": dg.MetadataValue.int(len(outcome.failing)),
            "rounding_differences": dg.MetadataValue.int(len(outcome.rounding)),
            "failing_figures": dg.MetadataValue.md(format_figures(outcome.failing)),
            "rounding_figures": dg.MetadataValue.md(format_figures(outcome.rounding)),
            "summary": outcome.summary(),
        }
        if outcome.result_json:
            metadata["validation_result"] = dg.MetadataValue.path(str(outcome.result_json))
        if outcome.summary_html:  # readable offline, unlike the data docs
            metadata["evidence_page"] = dg.MetadataValue.path(str(outcome.summary_html))
        if outcome.data_docs:
            metadata["data_docs"] = dg.MetadataValue.url(outcome.data_docs.as_uri())
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
        )

    return _check


def reconciliation_checks() -> list[dg.AssetChecksDefinition]:
    return [_reconciliation_check(name) for name in CHECKS]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=reconciliation_checks())
