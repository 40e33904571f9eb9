"""The report's layout as a list of blocks, shared by the HTML and the PDF renderer.

The order and the Finnish headings follow the published interim report: the department's
council goals, the operating plan's texts, the council-approved budget and the income
statement, each service area's statement and assessment, investments, and the service areas'
goals. Period labels come from the data (1-3/2023, TP 2022, 3 kk, 31.3.).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from orchestration.report.charts import (
    Chart,
    forecast_chart,
    goal_status_chart,
    realised_pct_chart,
)
from orchestration.report.model import (
    DepartmentReport,
    Goal,
    InvestmentTable,
    MunicipalitySummary,
    OrgUnit,
    Period,
    ReportData,
    TableLine,
)
from orchestration.report.numbers import format_euros, format_percent, format_thousands

Align = Literal["left", "right", "center"]
ParagraphStyle = Literal["body", "label", "note"]


@dataclass(frozen=True)
class Cover:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    new_page: bool = False
    landscape: bool = False  # the PDF turns the page for wide tables


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: ParagraphStyle = "body"


@dataclass(frozen=True)
class Figure:
    chart: Chart


@dataclass(frozen=True)
class Column:
    label: str  # may hold a line break
    align: Align = "left"
    width: float = 1.0  # relative


@dataclass(frozen=True)
class Cell:
    text: str = ""
    heading: str | None = None  # printed bold above the text
    bullets: tuple[str, ...] = ()
    attrs: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # goal status: achieved | partially_achieved | not_achieved
    colspan: int = 1


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    style: Literal["leaf", "subtotal", "section", "plain"] = "plain"
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    kind: str  # operating | budget_binding | investment | goals
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    attrs: dict[str, str] = field(default_factory=dict)
    font_size: float = 8.0  # PDF points


Block = Cover | Heading | Paragraph | Figure | Table

# Measures of a budget table, in column order, with how each is printed.
PRIOR_YEAR_MEASURES = ("prior_year_actual", "prior_year_same_period_actual")
EURO_MEASURES = ("budget", "actual", "remaining")


def _figure_cells(line: TableLine) -> tuple[Cell, ...]:
    figures = line.figures
    cells = [
        Cell(format_thousands(getattr(figures, m)), attrs={"data-measure": m})
        for m in PRIOR_YEAR_MEASURES
    ]
    cells += [
        Cell(format_euros(getattr(figures, m)), attrs={"data-measure": m}) for m in EURO_MEASURES
    ]
    cells.append(Cell(format_percent(figures.realised_pct), attrs={"data-measure": "realised_pct"}))
    return tuple(cells)


def _budget_columns(period: Period, first: str, investment: bool = False) -> tuple[Column, ...]:
    year, prior, months = period.fiscal_year, period.prior_year, period.months_label
    thousand = "1000 €" if investment else "1000e"
    return (
        Column(first, "left", 2.7),
        Column(f"TP {prior}\n{thousand}", "right"),
        Column(f"TOT {prior}\n{months}/{thousand}", "right", 1.15),
        Column(f"TA {year}\n+muutokset" if investment else f"TA {year}\n+muutos", "right", 1.2),
        Column(f"TOT {year}\n{months}", "right", 1.15),
        Column("Jäljellä", "right", 1.2),
        Column(
            f"TOT {year % 100:02d}\n%" if investment else f"TOT-{year % 100:02d}\n%", "right", 0.8
        ),
    )


def _is_total(line: TableLine, kind: str) -> bool:
    """Printed bold: subtotals; of the council table (all subtotals) only the net."""
    if kind == "budget_binding":
        return line.normal_sign == 0
    return line.line_type == "subtotal"


def _line_rows(lines: tuple[TableLine, ...], kind: str) -> tuple[Row, ...]:
    rows = []
    for line in lines:
        if line.section_heading:
            rows.append(
                Row(
                    (Cell(line.section_heading, colspan=7),),
                    style="section",
                    attrs={"data-section": line.section_heading},
                )
            )
        rows.append(
            Row(
                (Cell(line.name), *_figure_cells(line)),
                style="subtotal" if _is_total(line, kind) else "leaf",
                attrs={"data-line": line.line_code},
            )
        )
    return tuple(rows)


def budget_table(
    kind: str, period: Period, org: OrgUnit, lines: tuple[TableLine, ...], first: str
) -> Table:
    return Table(
        kind=kind,
        columns=_budget_columns(period, first, investment=kind == "investment"),
        rows=_line_rows(lines, kind),
        attrs={
            "data-table": kind,
            "data-org": org.org_code,
            "data-period": period.reporting_period,
        },
    )


def _paragraphs(texts: tuple[str, ...], style: ParagraphStyle = "body") -> list[Block]:
    return [Paragraph(text, style) for text in texts]


def _goal_text_cell(goal: Goal) -> Cell:
    theme = goal.goal_theme
    text = goal.goal_text or ""
    if theme and text.upper().startswith(theme.upper()):
        theme = None  # the goal repeats its theme, as the council goals do
    return Cell(text, heading=theme)


def _status_cell(goal: Goal) -> Cell:
    return Cell(
        goal.status_fi or "",
        status=goal.goal_status,
        attrs={"data-status": goal.goal_status},
    )


def goal_table(period: Period, goals: tuple[Goal, ...], level: str) -> Table:
    year, date = period.fiscal_year, period.status_date_label
    council = level == "council"
    columns = [Column("Strateginen päämäärä", width=1.25)]
    columns.append(Column(f"Toimialan tavoite {year}" if council else f"Tavoite {year}", width=1.5))
    show_metric = not council or any(g.metric_and_target for g in goals)
    show_responsible = not council or len({g.responsible for g in goals}) > 1
    if show_metric:
        columns.append(Column("Mittari ja tavoitetaso", width=1.6))
    columns.append(Column(f"Toteuma {date}", width=2.8 if council else 2.6))
    if show_responsible:
        columns.append(Column("Vastuu", width=0.9))
    columns.append(Column("Tila", width=0.75))
    rows = []
    for goal in goals:
        cells = [
            Cell(heading=goal.strategic_goal, bullets=goal.strategic_focus),
            _goal_text_cell(goal),
        ]
        if show_metric:
            cells.append(Cell(goal.metric_and_target or ""))
        cells.append(Cell(goal.status_text or ""))
        if show_responsible:
            cells.append(Cell(goal.responsible or ""))
        cells.append(_status_cell(goal))
        rows.append(
            Row(tuple(cells), attrs={"data-goal": goal.goal_id, "data-level": goal.goal_level})
        )
    return Table(
        kind="goals",
        columns=tuple(columns),
        rows=tuple(rows),
        attrs={"data-table": "goals", "data-level": level, "data-period": period.reporting_period},
        font_size=7.5 if council else 7.0,
    )


def _area_heading(unit: OrgUnit) -> str:
    return f"{unit.name.upper()} -PALVELUALUE"


def _goals_section(period: Period, report: DepartmentReport, data: ReportData) -> list[Block]:
    council = report.goals_of_level("council")
    intro = report.paragraphs(report.department.org_code, "goals_intro")
    blocks: list[Block] = [
        Heading(report.department.name, level=1, new_page=True),
        Paragraph("Toiminnalliset tavoitteet", "label"),
    ]
    responsible = {g.responsible for g in council if g.responsible}
    if len(responsible) == 1:
        blocks.append(Paragraph(f"Vastuuhenkilö: {responsible.pop()}", "label"))
    if council:
        blocks.append(
            Heading("STRATEGIASTA JOHDETUT TAVOITTEET/TOIMIALA (VALTUUSTON SITOVUUSTASO)")
        )
        # The first goals_intro paragraph introduces the council's goals, the rest the plan's.
        blocks += _paragraphs(intro[:1])
        blocks.append(goal_table(period, council, "council"))
    if data.goal_status and len(data.departments) == 1:
        blocks.append(Figure(goal_status_chart(period, data.goal_status)))
    return blocks


def _operating_plan_texts(report: DepartmentReport) -> list[Block]:
    dept = report.department.org_code
    blocks: list[Block] = [Heading("Käyttösuunnitelma", level=1, new_page=True)]
    description = report.paragraphs(dept, "activity_description")
    if description:
        blocks.append(Heading("KUVAUS TOIMIALAN JA PALVELUALUEIDEN TOIMINNASTA JA TARKOITUKSESTA"))
        blocks += _paragraphs(description)
    areas = [
        a for a in report.service_areas if report.paragraphs(a.org_code, "operating_environment")
    ]
    if areas or report.paragraphs(dept, "operating_environment"):
        blocks.append(Heading("TOIMINTAYMPÄRISTÖN MUUTOKSET"))
        blocks += _paragraphs(report.paragraphs(dept, "operating_environment"))
        for area in areas:
            blocks.append(Heading(_area_heading(area), level=3))
            blocks += _paragraphs(report.paragraphs(area.org_code, "operating_environment"))
    binding = report.paragraphs(dept, "binding_level")
    if binding:
        blocks.append(Heading("Sitovuustaso"))
        blocks += _paragraphs(binding)
    return blocks


def _department_budget(period: Period, report: DepartmentReport) -> list[Block]:
    dept = report.department
    blocks: list[Block] = []
    if report.binding_lines:
        blocks.append(Heading("VALTUUSTON HYVÄKSYMÄ TALOUSARVIO"))
        blocks.append(
            budget_table(
                "budget_binding", period, dept, report.binding_lines, f"{dept.name}\nSelite"
            )
        )
    if any(f.binding_level == "operating_plan" for f in report.follow_up):
        blocks.append(Figure(forecast_chart(period, report)))
    statement = report.statements.get(dept.org_code)
    if statement:
        blocks.append(Heading("TULOSLASKELMA, NETTOSITOVUUS", new_page=True))
        blocks.append(budget_table("operating", period, dept, statement, f"{dept.name}\nSelite"))
        blocks.append(Figure(realised_pct_chart(period, report)))
    assessment = report.paragraphs(dept.org_code, "budget_assessment")
    if assessment:
        blocks.append(Heading(f"ARVIO TALOUSARVION TOTEUTUMISESTA {period.fiscal_year}"))
        blocks += _paragraphs(assessment)
    return blocks


def _service_area(period: Period, report: DepartmentReport, area: OrgUnit) -> list[Block]:
    statement = report.statements.get(area.org_code)
    assessment = report.paragraphs(area.org_code, "budget_assessment")
    if not statement and not assessment:
        return []
    blocks: list[Block] = [Heading(_area_heading(area), new_page=True)]
    if statement:
        blocks.append(budget_table("operating", period, area, statement, f"{area.name}\nSelite"))
    if assessment:
        blocks.append(
            Heading(f"ARVIO TALOUSARVION TOTEUTUMISESTA V. {period.fiscal_year}", level=3)
        )
        blocks += _paragraphs(assessment)
    return blocks


def _investment_block(period: Period, table: InvestmentTable, is_department: bool) -> list[Block]:
    org = table.org
    blocks: list[Block] = []
    if not is_department:
        blocks.append(Heading(_area_heading(org), level=3))
    for project in table.projects:
        if project.description:
            blocks.append(Paragraph(project.description))
    first = f"{org.name if is_department else org.name.upper()}\nInvestoinnit"
    blocks.append(budget_table("investment", period, org, table.lines, first))
    statuses = [p.status_text for p in table.projects if p.status_text]
    if statuses:
        blocks.append(Paragraph("TOTEUMAN KUVAUS:", "label"))
        blocks += _paragraphs(tuple(statuses))
    return blocks


def _investments(period: Period, report: DepartmentReport) -> list[Block]:
    if not report.investments:
        return []
    blocks: list[Block] = [Heading("INVESTOINNIT", level=1, new_page=True)]
    for area in report.service_areas:
        if area.org_code in report.investments:
            blocks += _investment_block(period, report.investments[area.org_code], False)
    if report.department.org_code in report.investments:
        blocks += _investment_block(period, report.investments[report.department.org_code], True)
    return blocks


def _operating_plan_goals(period: Period, report: DepartmentReport) -> list[Block]:
    goals = report.goals_of_level("operating_plan")
    if not goals:
        return []
    intro = report.paragraphs(report.department.org_code, "goals_intro")
    blocks: list[Block] = [
        Heading(
            "KÄYTTÖSUUNNITELMAN PALVELUALUEITTAISET TAVOITTEET",
            level=1,
            new_page=True,
            landscape=True,
        )
    ]
    blocks += _paragraphs(intro[1:])
    blocks.append(goal_table(period, goals, "operating_plan"))
    return blocks


def _department(period: Period, report: DepartmentReport, data: ReportData) -> list[Block]:
    blocks = _goals_section(period, report, data)
    blocks += _operating_plan_texts(report)
    blocks += _department_budget(period, report)
    for area in report.service_areas:
        blocks += _service_area(period, report, area)
    blocks += _investments(period, report)
    blocks += _operating_plan_goals(period, report)
    return blocks


def report_title(period: Period) -> str:
    return f"OSAVUOSIKATSAUS {period.label_fi}"


def summary_table(period: Period, summary: MunicipalitySummary) -> Table:
    """The municipality's summary: each scope's income, expenses and net, and the total."""
    rows = []
    for entry in summary.rows:
        rows.append(
            Row(
                (Cell(entry.org.name.upper() if entry.is_total else entry.org.name, colspan=7),),
                style="section",
                attrs={"data-org": entry.org.org_code},
            )
        )
        for line in entry.lines:
            rows.append(
                Row(
                    (Cell(line.name), *_figure_cells(line)),
                    style="subtotal" if line.line_code == "toimintakate" else "leaf",
                    attrs={"data-org": entry.org.org_code, "data-line": line.line_code},
                )
            )
    return Table(
        kind="summary",
        columns=_budget_columns(period, "Toimiala"),
        rows=tuple(rows),
        attrs={"data-table": "summary", "data-period": period.reporting_period},
    )


def _summary(data: ReportData, summary: MunicipalitySummary) -> list[Block]:
    municipality = data.municipality.name if data.municipality else ""
    blocks: list[Block] = [
        Heading(f"{municipality}: talousarvion toteutuminen toimialoittain", new_page=True),
        Paragraph(
            "Toimialojen luvut toimitetaan erikseen; kunnan luvut ovat toimitettujen "
            f"toimialojen summa ({summary.completeness_label_fi}"
            + (f", puuttuu: {', '.join(summary.missing)}" if summary.missing else "")
            + ").",
            "note",
        ),
        summary_table(data.period, summary),
    ]
    return blocks


def build_document(data: ReportData) -> list[Block]:
    """The whole report, cover first: one scope's parts (a department's interim report),
    or a municipality's summary followed by each delivered department's part."""
    period = data.period
    cover_lines: list[str] = []
    if data.summary is not None and data.municipality is not None:
        cover_lines += [data.municipality.name.upper(), "TOIMIALOJEN YHTEENVETO"]
    else:
        for report in data.departments:
            cover_lines.append(report.department.name.upper())
            if report.board:
                cover_lines.append(report.board.name.upper())
    blocks: list[Block] = [Cover(report_title(period), tuple(cover_lines))]
    if data.summary is not None:
        blocks += _summary(data, data.summary)
    for report in data.departments:
        blocks += _department(period, report, data)
    if data.goal_status and len(data.departments) > 1:
        blocks.append(Figure(goal_status_chart(period, data.goal_status)))
    return blocks
