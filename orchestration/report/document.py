"""The report's layout as a list of blocks, shared by the HTML and the PDF renderer.

The order and the Finnish headings follow the published interim report: the department's
council goals, the operating plan's texts, the council-approved budget and the income
statement, each service area's statement and assessment, investments, and the service areas'
goals. Period labels come from the data (1-3/2023, TP 2022, 3 kk, 31.3.). A part shows what
its delivery has: the tables, columns and lines it printed, the sections it delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from orchestration.report.charts import (
    Chart,
    forecast_chart,
    goal_status_chart,
    realised_pct_chart,
    realised_pct_points,
)
from orchestration.report.fonts import text_width
from orchestration.report.model import (
    DEFAULT_COLUMNS,
    Figures,
    ForecastAccuracy,
    Goal,
    InvestmentTable,
    MunicipalitySummary,
    OrgUnit,
    Period,
    PrintedMeasure,
    ReportData,
    ScopePart,
    TableLine,
)
from orchestration.report.numbers import format_amount, format_decimal, format_percent

Align = Literal["left", "right", "center"]
ParagraphStyle = Literal["body", "label", "note"]


@dataclass(frozen=True)
class Cover:
    title: str
    lines: tuple[str, ...]
    date_label: str  # the report's date line: Tilanne 31.3.2023


@dataclass(frozen=True)
class Heading:
    """A heading; new_page starts a page with it (the report's main parts, and wherever the
    page turns: landscape for wide tables). Elsewhere the blocks flow on from page to page,
    each heading kept with what follows it, so that no page is left nearly empty."""

    text: str
    level: int = 2
    new_page: bool = False
    landscape: bool = False  # the page is turned for wide tables


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
    style: Literal["leaf", "subtotal", "section", "item", "plain"] = "plain"
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    kind: str  # operating | budget_binding | investment | goals
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    attrs: dict[str, str] = field(default_factory=dict)
    font_size: float = 8.0  # printed size, points


Block = Cover | Heading | Paragraph | Figure | Table

ITEM_LABELS = {"external": "ulkoiset", "internal": "sisäiset"}
# Relative widths of the printed columns; the line's name takes 2.7.
MEASURE_WIDTHS = {
    "prior_year_actual": 1.0,
    "prior_year_same_period_actual": 1.15,
    "prior_year_budget": 1.1,
    "prior_year_realised_pct": 0.8,
    "original_budget": 1.1,
    "budget_changes": 1.1,
    "budget": 1.2,
    "actual": 1.15,
    "variance": 1.1,
    "remaining": 1.2,
    "realised_pct": 0.8,
    "forecast": 1.1,
    "forecast_variance": 1.2,
}


def _measure_label(measure: str, period: Period, investment: bool) -> str:
    year, prior, months = period.fiscal_year, period.prior_year, period.months_label
    labels = {
        "prior_year_actual": f"TP {prior}",
        "prior_year_same_period_actual": f"TOT {prior}\n{months}",
        "prior_year_budget": f"TA {prior}",
        "prior_year_realised_pct": f"TOT-% {prior}",
        "original_budget": f"TA {year}",
        "budget_changes": "TA-muutokset",
        "budget": f"TA {year}\n+muutokset" if investment else f"TA {year}\n+muutos",
        "actual": f"TOT {year}\n{months}",
        "variance": "Poikkeama",
        "remaining": "Jäljellä",
        "realised_pct": f"TOT {year % 100:02d}\n%" if investment else f"TOT-{year % 100:02d}\n%",
        "forecast": f"Ennuste {year}",
        "forecast_variance": "Ennusteen poikkeama",
    }
    return labels[measure]


def _with_unit(label: str, unit: str, investment: bool = False) -> str:
    """A column heading with its unit when printed in thousands: after a short last line
    (TOT 2022 / 3 kk/1000e), else on a line of its own (TP 2022 / 1000e); euros and
    percentages need none."""
    if unit != "1000":
        return label
    thousands = "1000 €" if investment else "1000e"
    last = label.split("\n")[-1]
    return label + ("/" if "\n" in label and len(last) <= 5 else "\n") + thousands


def _measure_column(measure: PrintedMeasure, period: Period, investment: bool = False) -> Column:
    label = _measure_label(measure.measure, period, investment)
    return Column(
        _with_unit(label, measure.unit, investment), "right", MEASURE_WIDTHS[measure.measure]
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("kyllä" if value else "ei")


def _format_measure(value: Decimal | None, measure: PrintedMeasure) -> str:
    """A figure as its column prints it: in the unit and with the decimals printed."""
    if measure.is_percent:
        return format_decimal(value, Decimal(1).scaleb(-measure.decimals))
    return format_amount(value, measure.unit, measure.decimals)


def _figure_cells(figures: Figures, columns: tuple[PrintedMeasure, ...]) -> tuple[Cell, ...]:
    return tuple(
        Cell(_format_measure(getattr(figures, c.measure), c), attrs={"data-measure": c.measure})
        for c in columns
    )


def _budget_columns(
    period: Period, first: str, columns: tuple[PrintedMeasure, ...], investment: bool = False
) -> tuple[Column, ...]:
    return (
        Column(first, "left", 2.7),
        *(_measure_column(c, period, investment) for c in columns),
    )


def _is_total(line: TableLine, kind: str) -> bool:
    """Printed bold: subtotals; of the council table (all subtotals) only the net."""
    if kind == "budget_binding":
        return line.normal_sign == 0
    return line.line_type == "subtotal"


def _line_rows(
    lines: tuple[TableLine, ...], kind: str, columns: tuple[PrintedMeasure, ...]
) -> tuple[Row, ...]:
    rows = []
    for line in lines:
        for heading in line.section_headings:
            rows.append(
                Row(
                    (Cell(heading, colspan=len(columns) + 1),),
                    style="section",
                    attrs={"data-section": heading},
                )
            )
        rows.append(
            Row(
                (Cell(line.name), *_figure_cells(line.figures, columns)),
                style="subtotal" if _is_total(line, kind) else "leaf",
                attrs={"data-line": line.line_code},
            )
        )
        for item in line.items:
            rows.append(
                Row(
                    (Cell(ITEM_LABELS[item.item]), *_figure_cells(item.figures, columns)),
                    style="item",
                    attrs={"data-line": line.line_code, "data-item": item.item},
                )
            )
    return tuple(rows)


# The printed text width of a page: A4 less the 15 mm side margins (html.CSS's @page).
PAGE_WIDTH_MM = {False: 180.0, True: 267.0}  # portrait, landscape
CELL_PADDING_MM = 3.2  # left + right (html.CSS: th, td)
LIST_INDENT_MM = 4.0  # a bullet list's indent in a cell (html.CSS: table.goals ul)
STATUS_PADDING_MM = 3.2  # the status label's own padding (html.CSS: .status)
ITEM_INDENT_MM = 3.4  # an item row's first cell is indented (html.CSS: tr.item td)
POINT_MM = 25.4 / 72


def _longest_word_mm(text: str | None, size: float, bold: bool = False) -> float:
    """The width of the text's longest word: where a line of it cannot break."""
    words = (text or "").split()
    return max((text_width(w, size, bold) * POINT_MM for w in words), default=0.0)


def _cell_min_width(cell: Cell, column: Column, row: Row, size: float, first: bool) -> float:
    bold = row.style in ("subtotal", "section") or cell.status is not None
    if column.align == "right":  # a figure is never broken (html.CSS: td.num)
        text = text_width(cell.text, size, bold) * POINT_MM
    else:
        text = _longest_word_mm(cell.text, size, bold)
    widest = max(
        _longest_word_mm(cell.heading, size, bold=True),
        text + (STATUS_PADDING_MM if cell.status else 0.0),
        *(_longest_word_mm(b, size) + LIST_INDENT_MM for b in cell.bullets),
    )
    indent = ITEM_INDENT_MM if row.style == "item" and first else 0.0
    return widest + CELL_PADDING_MM + indent


def min_column_widths(table: Table) -> list[float]:
    """Each column's narrowest printed width (mm) at the table's size: its longest word
    (a figure whole), or its heading's, so that no line breaks inside a word."""
    size = table.font_size
    widths = [_longest_word_mm(c.label, size, bold=True) + CELL_PADDING_MM for c in table.columns]
    for row in table.rows:
        index = 0
        for cell in row.cells:
            if cell.colspan == 1:  # a cell across columns fits them together
                width = _cell_min_width(cell, table.columns[index], row, size, first=index == 0)
                widths[index] = max(widths[index], width)
            index += cell.colspan
    return widths


def fitted_to_words(table: Table, page_width: float) -> Table:
    """The table with its columns' widths in mm on a page of this text width: in the
    proportions asked, but none narrower than its longest word; the room a column needs
    beyond its share is taken from the others in proportion."""
    minimum = min_column_widths(table)
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(len(table.columns)) if i not in fixed]
        room = page_width - sum(fixed.values())
        weight = sum(table.columns[i].width for i in free)
        widths = {i: table.columns[i].width / weight * room for i in free} if weight else {}
        short = [i for i in free if widths[i] < minimum[i]]
        if not short or len(short) == len(free):
            break
        fixed.update({i: minimum[i] for i in short})
    widths.update(fixed)
    columns = tuple(
        replace(column, width=round(max(widths[i], minimum[i]), 2))
        for i, column in enumerate(table.columns)
    )
    return replace(table, columns=columns)


def _is_wide(columns: tuple[PrintedMeasure, ...]) -> bool:
    """More columns than the seed's six: the table is printed on a landscape page."""
    return len(columns) > len(DEFAULT_COLUMNS)


def budget_table(
    kind: str,
    period: Period,
    org: OrgUnit,
    lines: tuple[TableLine, ...],
    first: str,
    columns: tuple[PrintedMeasure, ...] = DEFAULT_COLUMNS,
) -> Table:
    table = Table(
        kind=kind,
        columns=_budget_columns(period, first, columns, investment=kind == "investment"),
        rows=_line_rows(lines, kind, columns),
        attrs={
            "data-table": kind,
            "data-org": org.org_code,
            "data-period": period.reporting_period,
        },
    )
    return fitted_to_words(table, PAGE_WIDTH_MM[_is_wide(columns)])


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


def goal_table(
    period: Period, goals: tuple[Goal, ...], level: str, landscape: bool = False
) -> Table:
    """The goals of a level; column widths fitted to the longest word on the page."""
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
    table = Table(
        kind="goals",
        columns=tuple(columns),
        rows=tuple(rows),
        attrs={"data-table": "goals", "data-level": level, "data-period": period.reporting_period},
        font_size=7.5 if council else 7.0,
    )
    return fitted_to_words(table, PAGE_WIDTH_MM[landscape])


def _area_heading(unit: OrgUnit) -> str:
    if unit.org_level == "service_area":
        return f"{unit.name.upper()} -PALVELUALUE"
    return unit.name.upper()


def _goals_section(period: Period, part: ScopePart, data: ReportData) -> list[Block]:
    council = part.goals_of_level("council")
    intro = part.paragraphs(part.unit.org_code, "goals_intro")
    blocks: list[Block] = [Heading(part.unit.name, level=1, new_page=True)]
    if part.goals:
        blocks.append(Paragraph("Toiminnalliset tavoitteet", "label"))
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
    if data.goal_status and len(data.parts) == 1:
        blocks.append(Figure(goal_status_chart(period, data.goal_status)))
    return blocks


def _operating_plan_texts(part: ScopePart) -> list[Block]:
    unit = part.unit.org_code
    blocks: list[Block] = []
    description = part.paragraphs(unit, "activity_description")
    if description:
        blocks.append(Heading("KUVAUS TOIMIALAN JA PALVELUALUEIDEN TOIMINNASTA JA TARKOITUKSESTA"))
        blocks += _paragraphs(description)
    areas = [a for a in part.sections if part.paragraphs(a.org_code, "operating_environment")]
    if areas or part.paragraphs(unit, "operating_environment"):
        blocks.append(Heading("TOIMINTAYMPÄRISTÖN MUUTOKSET"))
        blocks += _paragraphs(part.paragraphs(unit, "operating_environment"))
        for area in areas:
            blocks.append(Heading(_area_heading(area), level=3))
            blocks += _paragraphs(part.paragraphs(area.org_code, "operating_environment"))
    binding = part.paragraphs(unit, "binding_level")
    if binding:
        blocks.append(Heading("Sitovuustaso"))
        blocks += _paragraphs(binding)
    if not blocks:
        return []  # no texts delivered: no heading either
    return [Heading("Käyttösuunnitelma", level=1, new_page=True), *blocks]


BINDING_LEVEL_LABELS = {"council": "Valtuusto", "operating_plan": "Käyttösuunnitelma"}
# Bound by default: the net of all items, which the budget tables print (NETTO, TOIMINTAKATE).
DEFAULT_BOUND_LINE = "toimintakate"


def _amount_measure(data: ReportData, measure: str) -> PrintedMeasure:
    """A figure outside the budget tables (the follow-up, forecasts) printed as the unit's
    budget is: in its unit and with its decimals."""
    for statement in ("operating", "budget_binding"):
        for column in data.columns.get(statement, ()):
            if column.measure == "budget":
                return PrintedMeasure(measure, column.unit, column.decimals)
    return PrintedMeasure(measure, "1", 0)


def _percent_measure(data: ReportData, measure: str) -> PrintedMeasure:
    """Realised % outside the budget tables, printed as the tables print it."""
    return PrintedMeasure(measure, "%", data.realised_decimals)


def _follow_up_says_more(part: ScopePart) -> bool:
    """The follow-up table is printed when the budget tables do not already show the bound
    figures: a binding of the external items or of another line, or the controllers'
    forecast of the bound figure."""
    return any(
        f.bound_items != "all"
        or f.bound_line_code != DEFAULT_BOUND_LINE
        or f.forecast_net is not None
        for f in part.follow_up
    )


def follow_up_table(period: Period, part: ScopePart, data: ReportData) -> Table:
    """Each unit's bound figure at its binding level, with the controllers' forecast and
    whether it goes over the budget where the unit gives one."""
    with_forecast = any(f.forecast_net is not None for f in part.follow_up)
    budget = _amount_measure(data, "budget")
    actual = _amount_measure(data, "actual")
    realised = _percent_measure(data, "realised_pct")
    forecast = _amount_measure(data, "forecast")
    variance = _amount_measure(data, "forecast_variance")
    columns = [
        Column("Yksikkö", width=1.6),
        Column("Sitovuustaso", width=1.75),
        Column("Sitova erä", width=1.6),
        _measure_column(budget, period),
        _measure_column(actual, period),
        _measure_column(realised, period),
    ]
    if with_forecast:
        columns += [
            _measure_column(forecast, period),
            _measure_column(variance, period),
            Column("Ylitys-\nuhka", "center", 0.7),
        ]
    rows = []
    for f in part.follow_up:
        cells = [
            Cell(f.org.name),
            Cell(BINDING_LEVEL_LABELS.get(f.binding_level, f.binding_level)),
            Cell(f.bound_label, attrs={"data-items": f.bound_items}),
            Cell(_format_measure(f.budget_net, budget), attrs={"data-measure": "budget"}),
            Cell(_format_measure(f.actual_net, actual), attrs={"data-measure": "actual"}),
            Cell(_format_measure(f.realised_pct, realised), attrs={"data-measure": "realised_pct"}),
        ]
        if with_forecast:
            cells += [
                Cell(_format_measure(f.forecast_net, forecast), attrs={"data-measure": "forecast"}),
                Cell(
                    _format_measure(f.forecast_variance, variance),
                    attrs={"data-measure": "forecast_variance"},
                ),
                Cell(
                    _yes_no(f.is_forecast_over_budget),
                    attrs={"data-measure": "is_forecast_over_budget"},
                ),
            ]
        rows.append(
            Row(
                tuple(cells),
                style="subtotal" if f.org == part.unit else "leaf",
                attrs={"data-org": f.org.org_code, "data-level": f.binding_level},
            )
        )
    table = Table(
        kind="follow_up",
        columns=tuple(columns),
        rows=tuple(rows),
        attrs={"data-table": "follow_up", "data-period": period.reporting_period},
        font_size=7.0 if with_forecast else 8.0,
    )
    return fitted_to_words(table, PAGE_WIDTH_MM[False])


def _forecast_reasons(part: ScopePart, org: OrgUnit) -> list[Block]:
    reasons = part.forecast_reasons.get(org.org_code, ())
    if not reasons:
        return []
    blocks: list[Block] = [Paragraph("ENNUSTEEN PERUSTELUT:", "label")]
    for reason in reasons:
        item = f" ({ITEM_LABELS[reason.item]})" if reason.item in ITEM_LABELS else ""
        blocks.append(Paragraph(f"{reason.line_name.capitalize()}{item}: {reason.reason}"))
    return blocks


def _unit_budget(period: Period, part: ScopePart, data: ReportData) -> list[Block]:
    unit = part.unit
    blocks: list[Block] = []
    binding = part.binding_lines.get(unit.org_code)
    if binding:
        blocks.append(Heading("VALTUUSTON HYVÄKSYMÄ TALOUSARVIO"))
        blocks.append(
            budget_table(
                "budget_binding",
                period,
                unit,
                binding,
                f"{unit.name}\nSelite",
                data.columns.get("budget_binding", DEFAULT_COLUMNS),
            )
        )
    if _follow_up_says_more(part):
        blocks.append(Heading("SITOVUUSTASOJEN TOTEUTUMINEN"))
        blocks.append(follow_up_table(period, part, data))
    if any(f.binding_level == "operating_plan" for f in part.follow_up):
        blocks.append(Figure(forecast_chart(period, part)))
    statement = part.statements.get(unit.org_code)
    if statement:
        bound = any(f.org == unit for f in part.follow_up)
        columns = data.columns.get("operating", DEFAULT_COLUMNS)
        blocks.append(
            Heading(
                "TULOSLASKELMA, NETTOSITOVUUS" if bound else "TULOSLASKELMA",
                new_page=_is_wide(columns),  # a page of its own only where it turns
                landscape=_is_wide(columns),
            )
        )
        blocks.append(
            budget_table("operating", period, unit, statement, f"{unit.name}\nSelite", columns)
        )
        if realised_pct_points(part):
            blocks.append(Figure(realised_pct_chart(period, part, data.realised_decimals)))
    blocks += _forecast_reasons(part, unit)
    assessment = part.paragraphs(unit.org_code, "budget_assessment")
    if assessment:
        blocks.append(Heading(f"ARVIO TALOUSARVION TOTEUTUMISESTA {period.fiscal_year}"))
        blocks += _paragraphs(assessment)
    return blocks


def _section(period: Period, part: ScopePart, area: OrgUnit, data: ReportData) -> list[Block]:
    """A child unit of the scope: its tables, forecast reasons and assessment."""
    binding = part.binding_lines.get(area.org_code)
    statement = part.statements.get(area.org_code)
    reasons = _forecast_reasons(part, area)
    assessment = part.paragraphs(area.org_code, "budget_assessment")
    if not (binding or statement or reasons or assessment):
        return []
    operating = data.columns.get("operating", DEFAULT_COLUMNS)
    # A unit's section follows on the page (its heading kept with its table), unless its
    # income statement is wide: that turns the page.
    wide = bool(statement) and _is_wide(operating)
    blocks: list[Block] = [Heading(_area_heading(area), new_page=wide, landscape=wide)]
    first = f"{area.name}\nSelite"
    if binding:
        columns = data.columns.get("budget_binding", DEFAULT_COLUMNS)
        blocks.append(budget_table("budget_binding", period, area, binding, first, columns))
    if statement:
        blocks.append(budget_table("operating", period, area, statement, first, operating))
    blocks += reasons
    if assessment:
        blocks.append(
            Heading(f"ARVIO TALOUSARVION TOTEUTUMISESTA V. {period.fiscal_year}", level=3)
        )
        blocks += _paragraphs(assessment)
    return blocks


FORECAST_KIND_LABELS = {
    "controllers": "Yksikön ennuste",
    "linear": "Lineaarinen",
    "seasonal": "Kausivaihtelun mukaan",
}


def accuracy_table(
    period: Period, org: OrgUnit, rows: tuple[ForecastAccuracy, ...], data: ReportData
) -> Table:
    """How the forecasts of a closed year came out: each follow-up's forecast of the bound
    line against the year's outturn."""
    year = rows[0].fiscal_year
    amount = _amount_measure(data, "forecast")
    columns = (
        Column("Seurantakausi", width=1.1),
        Column("Ennuste", width=1.5),
        Column(_with_unit(f"Ennuste {year}", amount.unit), "right", 1.2),
        Column(_with_unit(f"Toteuma {year}", amount.unit), "right", 1.2),
        Column(_with_unit("Virhe", amount.unit), "right", 1.1),
        Column("Virhe\n%", "right", 0.7),
        Column("Lähempänä kuin TA", "center", 0.9),
    )
    table_rows = tuple(
        Row(
            (
                Cell(r.period_label_fi),
                Cell(FORECAST_KIND_LABELS.get(r.forecast_kind, r.forecast_kind)),
                Cell(_format_measure(r.forecast_value, amount), attrs={"data-measure": "forecast"}),
                Cell(_format_measure(r.outturn, amount), attrs={"data-measure": "outturn"}),
                Cell(
                    _format_measure(r.forecast_error, amount),
                    attrs={"data-measure": "forecast_error"},
                ),
                Cell(
                    format_percent(r.forecast_error_pct),
                    attrs={"data-measure": "forecast_error_pct"},
                ),
                Cell(_yes_no(r.is_closer_than_budget)),
            ),
            attrs={
                "data-org": org.org_code,
                "data-period": r.reporting_period,
                "data-kind": r.forecast_kind,
            },
        )
        for r in rows
    )
    table = Table(
        kind="forecast_accuracy",
        columns=columns,
        rows=table_rows,
        attrs={"data-table": "forecast_accuracy", "data-org": org.org_code},
    )
    return fitted_to_words(table, PAGE_WIDTH_MM[False])


def _accuracy(period: Period, part: ScopePart, data: ReportData) -> list[Block]:
    units = [u for u in (part.unit, *part.sections) if part.accuracy.get(u.org_code)]
    if not units:
        return []
    blocks: list[Block] = [
        Heading("ENNUSTEIDEN OSUVUUS"),
        Paragraph(
            "Edellisen vuoden seurannoissa tehdyt vuosiennusteet sitovan tason erästä "
            "verrattuna vuoden toteumaan. Virhe = ennuste - toteuma.",
            "note",
        ),
    ]
    for unit in units:
        blocks.append(Heading(unit.name, level=3))
        blocks.append(accuracy_table(period, unit, part.accuracy[unit.org_code], data))
    return blocks


def _investment_block(
    period: Period, table: InvestmentTable, is_scope_unit: bool, data: ReportData
) -> list[Block]:
    org = table.org
    blocks: list[Block] = []
    if not is_scope_unit:
        blocks.append(Heading(_area_heading(org), level=3))
    for project in table.projects:
        if project.description:
            blocks.append(Paragraph(project.description))
    first = f"{org.name if is_scope_unit else org.name.upper()}\nInvestoinnit"
    columns = data.columns.get("investment", DEFAULT_COLUMNS)
    blocks.append(budget_table("investment", period, org, table.lines, first, columns))
    statuses = [p.status_text for p in table.projects if p.status_text]
    if statuses:
        blocks.append(Paragraph("TOTEUMAN KUVAUS:", "label"))
        blocks += _paragraphs(tuple(statuses))
    return blocks


def _investments(period: Period, part: ScopePart, data: ReportData) -> list[Block]:
    if not part.investments:
        return []
    blocks: list[Block] = [Heading("INVESTOINNIT", level=1, new_page=True)]
    for area in part.sections:
        if area.org_code in part.investments:
            blocks += _investment_block(period, part.investments[area.org_code], False, data)
    if part.unit.org_code in part.investments:
        blocks += _investment_block(period, part.investments[part.unit.org_code], True, data)
    return blocks


def _operating_plan_goals(period: Period, part: ScopePart) -> list[Block]:
    goals = part.goals_of_level("operating_plan")
    if not goals:
        return []
    intro = part.paragraphs(part.unit.org_code, "goals_intro")
    blocks: list[Block] = [
        Heading(
            "KÄYTTÖSUUNNITELMAN PALVELUALUEITTAISET TAVOITTEET",
            level=1,
            new_page=True,
            landscape=True,
        )
    ]
    blocks += _paragraphs(intro[1:])
    blocks.append(goal_table(period, goals, "operating_plan", landscape=True))
    return blocks


def _part(period: Period, part: ScopePart, data: ReportData) -> list[Block]:
    blocks = _goals_section(period, part, data)
    blocks += _operating_plan_texts(part)
    blocks += _unit_budget(period, part, data)
    for area in part.sections:
        blocks += _section(period, part, area, data)
    blocks += _accuracy(period, part, data)
    blocks += _investments(period, part, data)
    blocks += _operating_plan_goals(period, part)
    return blocks


def report_title(period: Period) -> str:
    return f"OSAVUOSIKATSAUS {period.label_fi}"


def summary_table(period: Period, summary: MunicipalitySummary, data: ReportData) -> Table:
    """The municipality's summary: each scope's income, expenses and net, and the total,
    in the columns of the scopes' income statements (or of their TULOT / MENOT / NETTO)."""
    columns = data.columns.get("operating") or data.columns.get("budget_binding", DEFAULT_COLUMNS)
    rows = []
    for entry in summary.rows:
        rows.append(
            Row(
                (
                    Cell(
                        entry.org.name.upper() if entry.is_total else entry.org.name,
                        colspan=len(columns) + 1,
                    ),
                ),
                style="section",
                attrs={"data-org": entry.org.org_code},
            )
        )
        for line in entry.lines:
            rows.append(
                Row(
                    (Cell(line.name), *_figure_cells(line.figures, columns)),
                    style="subtotal" if line.line_code == "toimintakate" else "leaf",
                    attrs={"data-org": entry.org.org_code, "data-line": line.line_code},
                )
            )
    table = Table(
        kind="summary",
        columns=_budget_columns(period, "Toimiala", columns),
        rows=tuple(rows),
        attrs={"data-table": "summary", "data-period": period.reporting_period},
    )
    return fitted_to_words(table, PAGE_WIDTH_MM[_is_wide(columns)])


def _summary(data: ReportData, summary: MunicipalitySummary) -> list[Block]:
    municipality = data.municipality.name if data.municipality else ""
    table = summary_table(data.period, summary, data)
    blocks: list[Block] = [
        Heading(
            f"{municipality}: talousarvion toteutuminen toimialoittain",
            new_page=True,
            landscape=len(table.columns) > len(DEFAULT_COLUMNS) + 1,
        ),
        Paragraph(
            "Toimialojen luvut toimitetaan erikseen; kunnan luvut ovat toimitettujen "
            f"toimialojen summa ({summary.completeness_label_fi}"
            + (f", puuttuu: {', '.join(summary.missing)}" if summary.missing else "")
            + ").",
            "note",
        ),
        table,
    ]
    return blocks


def _cover_date(period: Period, data: ReportData) -> str:
    """The report's date as the delivery gives it (narratives: report_date, one per
    scope: the first part's); without one, the day the figures stand at, the period's
    last."""
    for part in data.parts:
        dated = part.paragraphs(part.unit.org_code, "report_date")
        if dated:
            return dated[0].strip()
    return f"Tilanne {period.last_day_label}"


def build_document(data: ReportData) -> list[Block]:
    """The whole report, cover first: one scope's part (a department's interim report, a
    board's or the municipality's own), or a municipality's summary followed by each
    delivered scope's part."""
    period = data.period
    cover_lines: list[str] = []
    if data.summary is not None and data.municipality is not None:
        cover_lines += [data.municipality.name.upper(), "TOIMIALOJEN YHTEENVETO"]
    else:
        for part in data.parts:
            # The scope's name as the cover prints it, where the delivery gives it
            # (narratives: cover_name), else the organisation's name for the unit.
            printed = part.paragraphs(part.unit.org_code, "cover_name")
            cover_lines.append((printed[0] if printed else part.unit.name).upper())
            if part.parent:
                cover_lines.append(part.parent.name.upper())
    cover = Cover(report_title(period), tuple(cover_lines), _cover_date(period, data))
    blocks: list[Block] = [cover]
    if data.summary is not None:
        blocks += _summary(data, data.summary)
    for part in data.parts:
        blocks += _part(period, part, data)
    if data.goal_status and len(data.parts) > 1:
        blocks.append(Figure(goal_status_chart(period, data.goal_status)))
    return blocks
