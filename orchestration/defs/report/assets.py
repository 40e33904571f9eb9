"""The interim report for the board, rendered for the publication the run prepares."""

import dagster as dg

from orchestration.defs.ingest.assets import WAREHOUSE_POOL
from orchestration.defs.transform.dbt import warehouse_dbt_models
from orchestration.lib.publish import prepare_staging
from orchestration.lib.resources import WarehouseFiles


@dg.asset(
    deps=list(warehouse_dbt_models.keys),
    group_name="report",
    pool=WAREHOUSE_POOL,
    kinds={"html", "pdf"},
    description="The interim report (osavuosikatsaus) of the latest reporting period: one "
    "self-contained HTML file and a PDF with tables and charts, read from the audited marts. "
    "It belongs to the publication the run prepares: readers see it together with the "
    "DuckDB file and the Parquet export, in warehouse/report/, once published.",
)
def interim_report(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    from orchestration.lib.report.data import ReportError
    from orchestration.lib.report.render import render_report

    layout = warehouse_files.layout
    staging = prepare_staging(layout)
    try:
        files = render_report(layout.working, None, layout.staged_report)
    except ReportError as exc:
        raise dg.Failure(description=f"interim report not rendered: {exc}") from exc
    context.log.info(f"Rendered {files.html.name} and {files.pdf.name} into {staging}")
    published_dir = layout.report_link
    return dg.MaterializeResult(
        metadata={
            "reporting_period": dg.MetadataValue.text(files.reporting_period),
            "html": dg.MetadataValue.path(str(published_dir / files.html.name)),
            "pdf": dg.MetadataValue.path(str(published_dir / files.pdf.name)),
            "pdf_bytes": dg.MetadataValue.int(files.pdf.stat().st_size),
        }
    )
