"""The interim report (osavuosikatsaus) for the board, rendered from the published marts."""

from orchestration.lib.report.data import ReportError, load_report
from orchestration.lib.report.render import ReportFiles, render_documents, render_report

__all__ = ["ReportError", "ReportFiles", "load_report", "render_documents", "render_report"]
