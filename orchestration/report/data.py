"""Read everything the report shows from the published warehouse's marts, read-only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest.periods import ReportingPeriod
from orchestration.report.model import (
    BindingFollowUp,
    DepartmentReport,
    Figures,
    Goal,
    GoalStatusCount,
    InvestmentProject,
    InvestmentTable,
    MunicipalitySummary,
    OrgUnit,
    Period,
    ReportData,
    SummaryRow,
    TableLine,
)

FIGURE_COLUMNS = (
    "prior_year_actual",
    "prior_year_same_period_actual",
    "budget",
    "actual",
    "remaining",
    "realised_pct",
)
_FIGURES_SQL = ", ".join(FIGURE_COLUMNS)


class ReportError(Exception):
    """The report cannot be made from this warehouse (no such file or period)."""


Row = dict[str, Any]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _figures(row: Row) -> Figures:
    return Figures(**{column: row[column] for column in FIGURE_COLUMNS})


def _period(con: duckdb.DuckDBPyConnection, reporting_period: str | None) -> Period:
    available = [
        r["reporting_period"]
        for r in _rows(con, "select reporting_period from marts.dim_reporting_periods order by 1")
    ]
    if not available:
        raise ReportError("the warehouse has no reporting periods: load a delivery first")
    wanted = str(ReportingPeriod.parse(reporting_period)) if reporting_period else available[-1]
    if wanted not in available:
        raise ReportError(
            f"reporting period {wanted} is not in the warehouse; it has {', '.join(available)}"
        )
    row = _rows(
        con,
        "select reporting_period, fiscal_year, reporting_month, label_fi, share_of_year_elapsed "
        "from marts.dim_reporting_periods where reporting_period = ?",
        [wanted],
    )[0]
    return Period(
        reporting_period=row["reporting_period"],
        fiscal_year=row["fiscal_year"],
        month=row["reporting_month"],
        label_fi=row["label_fi"],
        share_of_year_elapsed=row["share_of_year_elapsed"],
    )


def _org_units(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str
) -> dict[str, OrgUnit]:
    """The municipality's units in the period's own tree."""
    rows = _rows(
        con,
        "select org_code, org_level, parent_org_code, org_name_fi, short_name "
        "from marts.dim_org_units where reporting_period = ? and municipality_code = ? "
        "order by level_depth, org_name_fi",
        [period.reporting_period, municipality],
    )
    return {
        r["org_code"]: OrgUnit(
            org_code=r["org_code"],
            org_level=r["org_level"],
            parent_org_code=r["parent_org_code"],
            name=r["org_name_fi"],
            short_name=r["short_name"],
        )
        for r in rows
    }


def _leaf_section_headings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Leaf line -> heading of its subtotal, for subtotals printed after leaves only.

    The report prints TOIMINTATUOTOT before the income leaves and the subtotal Toimintatuotot
    after them; a subtotal with subtotals below it (TOIMINTAKATE) has no such heading.
    """
    lines = _rows(
        con,
        "select line_code, name_fi, line_type, parent_code from marts.dim_report_lines "
        "where statement = 'operating'",
    )
    children: dict[str, list[Row]] = defaultdict(list)
    for line in lines:
        if line["parent_code"]:
            children[line["parent_code"]].append(line)
    headings = {}
    for line in lines:
        below = children.get(line["line_code"], [])
        if below and all(child["line_type"] == "leaf" for child in below):
            for child in below:
                headings[child["line_code"]] = line["name_fi"].upper()
    return headings


def _table_line(row: Row, section_heading: str | None = None) -> TableLine:
    return TableLine(
        line_code=row["line_code"],
        name=row["name_fi"],
        line_type=row["line_type"],
        sort_order=row["sort_order"],
        normal_sign=row["normal_sign"],
        figures=_figures(row),
        section_heading=section_heading,
    )


def _statement(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    municipality: str,
    org_code: str,
    headings: dict[str, str],
    lines: tuple[str, ...] = (),
) -> tuple[TableLine, ...]:
    rows = _rows(
        con,
        f"select f.line_code, l.name_fi, f.line_type, f.sort_order, l.normal_sign, {_FIGURES_SQL} "
        "from marts.fct_budget_vs_actual f join marts.dim_report_lines l "
        "on l.statement = 'operating' and l.line_code = f.line_code "
        "where f.reporting_period = ? and f.municipality_code = ? and f.org_code = ? "
        + ("and list_contains(?, f.line_code) " if lines else "")
        + "order by f.sort_order",
        [period.reporting_period, municipality, org_code, *([list(lines)] if lines else [])],
    )
    table, headed = [], set()
    for r in rows:
        heading = headings.get(r["line_code"])
        if heading in headed:
            heading = None
        elif heading:
            headed.add(heading)
        table.append(_table_line(r, section_heading=heading))
    return tuple(table)


def _binding_lines(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, org_code: str
) -> tuple[TableLine, ...]:
    """TULOT / MENOT / NETTO: the council-approved lines, each the same as an operating line."""
    rows = _rows(
        con,
        f"select b.line_code, b.name_fi, b.line_type, b.sort_order, b.normal_sign, {_FIGURES_SQL} "
        "from marts.dim_report_lines b join marts.fct_budget_vs_actual f "
        "on f.line_code = b.same_as_line "
        "where b.statement = 'budget_binding' and f.reporting_period = ? "
        "and f.municipality_code = ? and f.org_code = ? order by b.sort_order",
        [period.reporting_period, municipality, org_code],
    )
    return tuple(_table_line(r) for r in rows)


def _investment_lines(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, org_code: str
) -> tuple[TableLine, ...]:
    rows = _rows(
        con,
        f"select f.line_code, l.name_fi, l.line_type, l.sort_order, l.normal_sign, {_FIGURES_SQL} "
        "from marts.fct_investments f join marts.dim_report_lines l "
        "on l.statement = 'investment' and l.line_code = f.line_code "
        "where f.reporting_period = ? and f.municipality_code = ? and f.org_code = ? "
        "order by l.sort_order",
        [period.reporting_period, municipality, org_code],
    )
    return tuple(_table_line(r) for r in rows)


def _investment_projects(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, scopes: list[str]
) -> tuple[InvestmentProject, ...]:
    rows = _rows(
        con,
        "select distinct project_code, org_code, project_name, project_description, status_text "
        "from marts.fct_investment_projects where reporting_period = ? "
        "and municipality_code = ? and list_contains(?, scope_code) order by project_code",
        [period.reporting_period, municipality, scopes],
    )
    return tuple(
        InvestmentProject(
            project_code=r["project_code"],
            org_code=r["org_code"],
            name=r["project_name"],
            description=r["project_description"],
            status_text=r["status_text"],
        )
        for r in rows
    )


def _follow_up(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, units: list[OrgUnit]
) -> tuple[BindingFollowUp, ...]:
    rows = {
        r["org_code"]: r
        for r in _rows(
            con,
            "select org_code, binding_level, budget_net, actual_net, forecast_linear_net, "
            "forecast_seasonal_net, realised_pct from marts.fct_binding_level_follow_up "
            "where reporting_period = ? and municipality_code = ?",
            [period.reporting_period, municipality],
        )
    }
    return tuple(
        BindingFollowUp(
            org=unit,
            binding_level=rows[unit.org_code]["binding_level"],
            budget_net=rows[unit.org_code]["budget_net"],
            actual_net=rows[unit.org_code]["actual_net"],
            forecast_linear_net=rows[unit.org_code]["forecast_linear_net"],
            forecast_seasonal_net=rows[unit.org_code]["forecast_seasonal_net"],
            realised_pct=rows[unit.org_code]["realised_pct"],
        )
        for unit in units
        if unit.org_code in rows
    )


def _split(text: str | None, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(separator) if part.strip())


def _goals(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, scopes: list[str]
) -> tuple[Goal, ...]:
    rows = _rows(
        con,
        "select goal_id, goal_level, org_codes, strategic_goal, strategic_focus, goal_theme, "
        "goal_text, metric_and_target, status_text, responsible, status_fi, goal_status "
        "from marts.fct_goals where reporting_period = ? and municipality_code = ? "
        "and list_contains(?, scope_code) "
        "order by case goal_level when 'council' then 1 else 2 end, goal_id",
        [period.reporting_period, municipality, scopes],
    )
    return tuple(
        Goal(
            goal_id=r["goal_id"],
            goal_level=r["goal_level"],
            org_codes=_split(r["org_codes"], "|"),
            strategic_goal=r["strategic_goal"],
            strategic_focus=_split(r["strategic_focus"], ";"),
            goal_theme=r["goal_theme"],
            goal_text=r["goal_text"],
            metric_and_target=r["metric_and_target"],
            status_text=r["status_text"],
            responsible=r["responsible"],
            status_fi=r["status_fi"],
            goal_status=r["goal_status"],
        )
        for r in rows
    )


def _goal_status(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, scopes: list[str]
) -> tuple[GoalStatusCount, ...]:
    rows = _rows(
        con,
        "select goal_level, goal_status, status_order, cast(sum(goals) as integer) as goals "
        "from marts.fct_goal_status_summary "
        "where reporting_period = ? and municipality_code = ? and list_contains(?, scope_code) "
        "group by goal_level, goal_status, status_order "
        "order by case goal_level when 'council' then 1 else 2 end, status_order",
        [period.reporting_period, municipality, scopes],
    )
    return tuple(GoalStatusCount(**r) for r in rows)


def _narratives(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str
) -> dict[tuple[str, str], tuple[str, ...]]:
    paragraphs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in _rows(
        con,
        "select org_code, narrative_section, paragraph_text from marts.fct_narratives "
        "where reporting_period = ? and municipality_code = ? "
        "order by org_code, narrative_section, paragraph_number",
        [period.reporting_period, municipality],
    ):
        paragraphs[(r["org_code"], r["narrative_section"])].append(r["paragraph_text"])
    return {key: tuple(texts) for key, texts in paragraphs.items()}


def _projects_of(
    area: OrgUnit, projects: tuple[InvestmentProject, ...], units: dict[str, OrgUnit]
) -> tuple[InvestmentProject, ...]:
    """The projects of a service area: booked on it or on a cost centre below it."""

    def belongs(org_code: str) -> bool:
        unit = units.get(org_code)
        return org_code == area.org_code or (
            unit is not None and unit.parent_org_code == area.org_code
        )

    return tuple(p for p in projects if belongs(p.org_code))


def _department_report(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    municipality: str,
    department: OrgUnit,
    units: dict[str, OrgUnit],
    projects: tuple[InvestmentProject, ...],
    goals: tuple[Goal, ...],
    narratives: dict[tuple[str, str], tuple[str, ...]],
) -> DepartmentReport:
    service_areas = tuple(
        u
        for u in units.values()
        if u.parent_org_code == department.org_code and u.org_level == "service_area"
    )
    members = [department, *service_areas]
    codes = {u.org_code for u in members}
    headings = _leaf_section_headings(con)
    statements = {
        u.org_code: _statement(con, period, municipality, u.org_code, headings) for u in members
    }
    investments = {}
    for unit in [*service_areas, department]:
        lines = _investment_lines(con, period, municipality, unit.org_code)
        if not lines:
            continue
        owned = () if unit is department else _projects_of(unit, projects, units)
        investments[unit.org_code] = InvestmentTable(org=unit, lines=lines, projects=owned)
    return DepartmentReport(
        department=department,
        board=units.get(department.parent_org_code or ""),
        service_areas=service_areas,
        statements={code: lines for code, lines in statements.items() if lines},
        binding_lines=_binding_lines(con, period, municipality, department.org_code),
        follow_up=_follow_up(con, period, municipality, members),
        investments=investments,
        goals=tuple(g for g in goals if codes.intersection(g.org_codes)),
        narratives={key: texts for key, texts in narratives.items() if key[0] in codes},
    )


@dataclass(frozen=True)
class ReportScope:
    """One report of a period: a scope of a municipality, or (scope None) the
    municipality's summary of every scope delivered."""

    municipality: str
    scope: str | None
    scopes: tuple[str, ...]  # the scopes it reports: the one, or all the municipality's

    @property
    def stem_suffix(self) -> str:
        return self.municipality + (f"_{self.scope}" if self.scope else "")


def delivered_scopes(
    con: duckdb.DuckDBPyConnection, reporting_period: str
) -> list[tuple[str, str]]:
    """(municipality, scope) of every scope delivered for the period."""
    return [
        (r["municipality_code"], r["org_code"])
        for r in _rows(
            con,
            "select municipality_code, org_code from marts.dim_org_units "
            "where reporting_period = ? and org_code = scope_code order by 1, 2",
            [reporting_period],
        )
    ]


def reports_of_period(con: duckdb.DuckDBPyConnection, reporting_period: str) -> list[ReportScope]:
    """Every report of a period: each scope's own, and a municipality's summary where
    several of its scopes are delivered."""
    scopes = delivered_scopes(con, reporting_period)
    reports = [ReportScope(m, s, (s,)) for m, s in scopes]
    for municipality in sorted({m for m, _ in scopes}):
        own = tuple(s for m, s in scopes if m == municipality)
        if len(own) > 1:
            reports.append(ReportScope(municipality, None, own))
    return reports


def _choose(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str | None, scope: str | None
) -> ReportScope:
    scopes = delivered_scopes(con, period.reporting_period)
    shown = ", ".join(f"{s} ({m})" for m, s in scopes)
    if municipality is not None:
        if municipality not in {m for m, _ in scopes}:
            raise ReportError(
                f"municipality {municipality} has no delivery for {period.reporting_period}; "
                f"delivered: {shown}"
            )
        scopes = [(m, s) for m, s in scopes if m == municipality]
    if scope is not None:
        matching = [(m, s) for m, s in scopes if s == scope]
        if not matching:
            raise ReportError(
                f"scope {scope} has no delivery for {period.reporting_period}; delivered: {shown}"
            )
        if len(matching) > 1:
            raise ReportError(
                f"scope {scope} is delivered for {period.reporting_period} by "
                f"{', '.join(m for m, _ in matching)}: name the municipality"
            )
        return ReportScope(*matching[0], (matching[0][1],))
    municipalities = sorted({m for m, _ in scopes})
    if len(municipalities) > 1:
        raise ReportError(
            f"{period.reporting_period} has deliveries of {', '.join(municipalities)}: name the "
            "municipality (or a scope)"
        )
    if len(scopes) == 1:
        return ReportScope(*scopes[0], (scopes[0][1],))
    return ReportScope(municipalities[0], None, tuple(s for _, s in scopes))


def _summary(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    municipality: OrgUnit,
    scope_units: list[OrgUnit],
) -> MunicipalitySummary:
    lines = ("toimintatuotot", "toimintakulut", "toimintakate")
    rows = [
        SummaryRow(unit, _statement(con, period, municipality.org_code, unit.org_code, {}, lines))
        for unit in scope_units
    ]
    rows.append(
        SummaryRow(
            municipality,
            _statement(con, period, municipality.org_code, municipality.org_code, {}, lines),
            is_total=True,
        )
    )
    completeness = _rows(
        con,
        "select completeness_label_fi, missing_scope_codes from marts.fct_delivery_completeness "
        "where reporting_period = ? and municipality_code = ? and org_code = ?",
        [period.reporting_period, municipality.org_code, municipality.org_code],
    )
    label = completeness[0]["completeness_label_fi"] if completeness else ""
    missing = _split(completeness[0]["missing_scope_codes"], ",") if completeness else ()
    return MunicipalitySummary(tuple(rows), label, missing)


def load_report(
    warehouse_file: Path,
    reporting_period: str | None = None,
    municipality: str | None = None,
    scope: str | None = None,
) -> ReportData:
    """Read the report's content for a period (default: the latest) from the marts: one
    scope's report (a department's interim report), or a municipality's summary of every
    scope delivered. Without municipality and scope: the period's only scope, or its
    municipality's summary when several scopes delivered.

    Opens the published DuckDB file read-only and reads nothing but the marts schema.
    """
    if not Path(warehouse_file).is_file():
        raise ReportError(f"no published warehouse at {warehouse_file}: run `warehouse run`")
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        period = _period(con, reporting_period)
        return _load(con, period, _choose(con, period, municipality, scope))


def latest_period(warehouse_file: Path) -> str:
    """The latest reporting period in the warehouse (ReportError when it has none)."""
    if not Path(warehouse_file).is_file():
        raise ReportError(f"no published warehouse at {warehouse_file}: run `warehouse run`")
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return _period(con, None).reporting_period


def load_reports(warehouse_file: Path, reporting_period: str | None) -> list[ReportData]:
    """Every report of a period (default: the latest; reports_of_period), read in one
    connection."""
    if not Path(warehouse_file).is_file():
        raise ReportError(f"no published warehouse at {warehouse_file}: run `warehouse run`")
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        period = _period(con, reporting_period)
        chosen = reports_of_period(con, period.reporting_period)
        return [_load(con, period, report) for report in chosen]


def _load(con: duckdb.DuckDBPyConnection, period: Period, chosen: ReportScope) -> ReportData:
    municipality = chosen.municipality
    units = _org_units(con, period, municipality)
    scopes = list(chosen.scopes)
    in_scope = {
        r["org_code"]
        for r in _rows(
            con,
            "select org_code from marts.dim_org_units where reporting_period = ? "
            "and municipality_code = ? and list_contains(?, scope_code)",
            [period.reporting_period, municipality, scopes],
        )
    }
    booked = {
        r["org_code"]
        for r in _rows(
            con,
            "select distinct org_code from marts.fct_budget_vs_actual "
            "where reporting_period = ? and municipality_code = ?",
            [period.reporting_period, municipality],
        )
    }
    departments = [
        u
        for u in units.values()
        if u.org_level == "department" and u.org_code in booked and u.org_code in in_scope
    ]
    if not departments:
        raise ReportError(
            f"no department of {municipality} has figures for {period.reporting_period}"
            + (f" in the scope {chosen.scope}" if chosen.scope else "")
        )
    projects = _investment_projects(con, period, municipality, scopes)
    goals = _goals(con, period, municipality, scopes)
    narratives = _narratives(con, period, municipality)
    summary = None
    if chosen.scope is None:
        summary = _summary(con, period, units[municipality], [units[s] for s in scopes])
    return ReportData(
        period=period,
        departments=tuple(
            _department_report(con, period, municipality, d, units, projects, goals, narratives)
            for d in departments
        ),
        goal_status=_goal_status(con, period, municipality, scopes),
        municipality=units.get(municipality),
        scope_code=chosen.scope,
        summary=summary,
    )
