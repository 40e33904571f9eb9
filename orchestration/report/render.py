"""Render the interim report of a reporting period as HTML and PDF files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.report.data import load_report, load_reports
from orchestration.report.document import build_document, report_title
from orchestration.report.html import render_html
from orchestration.report.model import ReportData
from orchestration.report.pdf import render_pdf

# What the board reads about the figures' source, in plain Finnish (no system's internals).
SOURCE_NOTE = (
    "Luvut perustuvat taloushallinnon kirjanpito- ja talousarviotietoihin sekä "
    "tavoiteseurantaan. Välisummat ja toimialan luvut on laskettu palvelualueiden luvuista; "
    "luvut on pyöristetty, joten rivien summa voi poiketa esitetystä summasta pyöristyksen verran."
)


@dataclass(frozen=True)
class ReportFiles:
    reporting_period: str
    html: Path
    pdf: Path


def report_stem(data: ReportData) -> str:
    """osavuosikatsaus_<period>_<municipality>_<scope> for a scope's report (a department's
    interim report), osavuosikatsaus_<period>_<municipality> for a municipality's summary."""
    where = data.municipality.org_code if data.municipality else ""
    if data.scope_code:
        where += f"_{data.scope_code}"
    return f"osavuosikatsaus_{data.period.reporting_period}_{where}"


def _footer(data: ReportData) -> str:
    names = ", ".join(part.unit.name for part in data.parts)
    return f"{report_title(data.period).capitalize()} – {names}"


def render_documents(data: ReportData) -> tuple[str, bytes]:
    """The report as HTML text and PDF bytes: the PDF is the HTML's print layout."""
    footer = _footer(data)
    html = render_html(build_document(data), footer, SOURCE_NOTE, data.period.reporting_period)
    return html, render_pdf(html, footer)


def render_report(
    warehouse_file: Path,
    reporting_period: str | None,
    out_dir: Path,
    municipality: str | None = None,
    scope: str | None = None,
) -> ReportFiles:
    """Write the HTML and PDF of one report of a period (default: the latest): a scope's
    report, or a municipality's summary (see load_report for the default).

    Reads the marts of the published warehouse read-only; raises ReportError when the file,
    the period or the scope is not there.
    """
    return _write(load_report(Path(warehouse_file), reporting_period, municipality, scope), out_dir)


def render_period_reports(
    warehouse_file: Path, reporting_period: str | None, out_dir: Path
) -> list[ReportFiles]:
    """Every report of a period (default: the latest): each delivered scope's, and each
    municipality's summary where several of its scopes are delivered."""
    return [_write(data, out_dir) for data in load_reports(Path(warehouse_file), reporting_period)]


def _write(data: ReportData, out_dir: Path) -> ReportFiles:
    html, pdf = render_documents(data)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(data)
    files = ReportFiles(
        data.period.reporting_period, out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
    )
    _write_atomically(files.html, html.encode("utf-8"))
    _write_atomically(files.pdf, pdf)
    return files


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)


def report_dir(warehouse_file: Path) -> Path:
    """Where `warehouse report` writes by default: rendered/ beside the published file.
    (report/ is the published generation's own, switched with its DuckDB file; a report
    rendered on demand never changes what a publication holds.)"""
    return Path(warehouse_file).parent / "rendered"
