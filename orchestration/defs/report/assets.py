"""The interim reports for the board, rendered for the publication the run prepares."""

import os

import dagster as dg

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.resources import WarehouseFiles
from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.warehouse.publish import carry_forward_reports, prepare_staging, run_loads


def max_rendered_periods() -> int:
    """How many periods one run renders reports for (KUNTASEURANTA_REPORT_PERIODS, 4): a
    run onboarding years of history renders its latest periods; `warehouse report
    --period` renders any other."""
    return max(1, int(os.environ.get("KUNTASEURANTA_REPORT_PERIODS", "4")))


@dg.asset(
    deps=list(warehouse_dbt_models.keys),
    group_name="report",
    pool=WAREHOUSE_POOL,
    kinds={"html", "pdf"},
    description="The interim reports (osavuosikatsaus) of the periods the run loaded: each "
    "delivered scope's (a department's interim report) and each municipality's summary of "
    "its departments, as self-contained HTML and PDF with tables and charts, read from the "
    "audited marts. The reports of other periods are carried over from the publication "
    "before. They belong to the publication the run prepares: readers see them together "
    "with the DuckDB file and the Parquet export, in warehouse/report/, once published.",
)
def interim_report(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    from orchestration.report.data import ReportError, latest_period
    from orchestration.report.render import render_period_reports

    layout = warehouse_files.layout
    staging = prepare_staging(layout)
    loaded = sorted({load["reporting_period"] for load in run_loads(layout)})
    periods = loaded[-max_rendered_periods() :]
    try:
        periods = periods or [latest_period(layout.working)]
        rendered = [
            files
            for period in periods
            for files in render_period_reports(layout.working, period, layout.staged_report)
        ]
    except ReportError as exc:
        raise dg.Failure(description=f"interim report not rendered: {exc}") from exc
    # A period the run loaded is never carried over: its old reports would be stale.
    carried = carry_forward_reports(layout, set(periods) | set(loaded))
    skipped = [p for p in loaded if p not in periods]
    for files in rendered:
        context.log.info(f"Rendered {files.html.name} and {files.pdf.name} into {staging}")
    if skipped:
        context.log.warning(
            f"Reports not rendered for {', '.join(skipped)} (a run renders its latest "
            f"{max_rendered_periods()} periods): `warehouse report --period YYYY-MM`"
        )
    published_dir = layout.report_link
    latest = [f for f in rendered if f.reporting_period == periods[-1]]
    return dg.MaterializeResult(
        metadata={
            "reporting_period": dg.MetadataValue.text(", ".join(periods)),
            "reports": dg.MetadataValue.int(len(rendered)),
            "carried_periods": dg.MetadataValue.text(", ".join(carried)),
            "not_rendered": dg.MetadataValue.text(", ".join(skipped)),
            "html": dg.MetadataValue.path(str(published_dir / latest[0].html.name)),
            "pdf": dg.MetadataValue.path(str(published_dir / latest[0].pdf.name)),
            "pdf_bytes": dg.MetadataValue.int(sum(f.pdf.stat().st_size for f in rendered)),
            "files": dg.MetadataValue.json([str(published_dir / f.html.name) for f in rendered]),
        }
    )
