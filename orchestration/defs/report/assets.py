"""The interim report for the board, rendered from the published warehouse after each run."""

import dagster as dg

from orchestration.lib.resources import WarehouseFiles


@dg.asset(
    deps=[dg.AssetKey(["published_warehouse"])],
    group_name="report",
    kinds={"html", "pdf"},
    description="The interim report (osavuosikatsaus) of the latest reporting period: one "
    "self-contained HTML file and a PDF with tables and charts, read from the published marts.",
)
def interim_report(
    context: dg.AssetExecutionContext, warehouse_files: WarehouseFiles
) -> dg.MaterializeResult:
    from orchestration.lib.report.data import ReportError
    from orchestration.lib.report.render import render_report, report_dir

    published = warehouse_files.published
    try:
        files = render_report(published, None, report_dir(published))
    except ReportError as exc:
        raise dg.Failure(description=f"interim report not rendered: {exc}") from exc
    context.log.info(f"Rendered {files.html} and {files.pdf}")
    return dg.MaterializeResult(
        metadata={
            "reporting_period": dg.MetadataValue.text(files.reporting_period),
            "html": dg.MetadataValue.path(str(files.html)),
            "pdf": dg.MetadataValue.path(str(files.pdf)),
            "pdf_bytes": dg.MetadataValue.int(files.pdf.stat().st_size),
        }
    )
