"""Read everything the report shows from the published warehouse's marts, read-only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest.contracts import MEASURES
from orchestration.ingest.periods import ReportingPeriod
from orchestration.report.model import (
    DEFAULT_COLUMNS,
    BindingFollowUp,
    Figures,
    ForecastAccuracy,
    ForecastReason,
    Goal,
    GoalStatusCount,
    InvestmentProject,
    InvestmentTable,
    ItemFigures,
    MunicipalitySummary,
    OrgUnit,
    Period,
    PrintedMeasure,
    ReportData,
    ScopePart,
    SummaryRow,
    TableLine,
    percent_decimals,
)
from orchestration.report.numbers import percentage

# The figures a fact row carries for every item: the base measures of contracts.MEASURES,
# each also as <measure>_external; the other measures are derived from them.
BASE_MEASURES = (
    "prior_year_actual",
    "prior_year_same_period_actual",
    "prior_year_budget",
    "original_budget",
    "budget_changes",
    "budget",
    "actual",
    "forecast",
)
_FACT_SQL = ", ".join(f"f.{m}, f.{m}_external" for m in BASE_MEASURES)
ITEMS = ("external", "internal")
STATEMENTS = ("operating", "budget_binding", "investment")


class ReportError(Exception):
    """The report cannot be made from this warehouse (no such file or period)."""


Row = dict[str, Any]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _difference(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def _percent(
    numerator: Decimal | None,
    denominator: Decimal | None,
    decimals: int,
    without_denominator: Decimal | None,
) -> Decimal | None:
    """A realised % as the marts define it: 0 on a zero budget (and the realised % of a
    line without a budget, `without_denominator`), rounded as the column is printed."""
    if denominator is None:
        return without_denominator
    if denominator == 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-decimals))
    if numerator is None:
        return None
    return percentage(numerator, denominator, decimals)


def _base(row: Row, item: str) -> dict[str, Decimal | None]:
    """The base figures of a fact row for all items, the external or the internal ones
    (internal = all - external; none where the figures are not split)."""
    if item == "all":
        return {m: row[m] for m in BASE_MEASURES}
    external = {m: row[f"{m}_external"] for m in BASE_MEASURES}
    if item == "external":
        return external
    return {m: _difference(row[m], external[m]) for m in BASE_MEASURES}


def _figures(base: dict[str, Decimal | None], columns: tuple[PrintedMeasure, ...]) -> Figures:
    """A row's figures; the percentages to the decimals of their printed columns (one
    decimal, as the marts, where not printed)."""
    decimals = {c.measure: c.decimals for c in columns if c.is_percent}
    budget, actual = base["budget"], base["actual"]
    return Figures(
        prior_year_actual=base["prior_year_actual"],
        prior_year_same_period_actual=base["prior_year_same_period_actual"],
        budget=budget,
        actual=actual,
        remaining=_difference(budget, actual),
        realised_pct=_percent(
            actual, budget, decimals.get("realised_pct", 1), without_denominator=Decimal("0.0")
        ),
        prior_year_budget=base["prior_year_budget"],
        prior_year_realised_pct=_percent(
            base["prior_year_same_period_actual"],
            base["prior_year_budget"],
            decimals.get("prior_year_realised_pct", 1),
            without_denominator=None,
        ),
        original_budget=base["original_budget"],
        budget_changes=base["budget_changes"],
        variance=_difference(actual, budget),
        forecast=base["forecast"],
        forecast_variance=_difference(base["forecast"], budget),
    )


@dataclass(frozen=True)
class Printed:
    """What the delivery's report printed (marts.fct_control_total_reconciliation): per
    statement and unit the lines printed as totals (item all) and the lines printed with
    their external / internal items, and per statement its columns."""

    lines: dict[tuple[str, str], tuple[str, ...]]  # (statement, org_code) -> line codes
    items: dict[tuple[str, str, str], tuple[str, ...]]  # (statement, org, line) -> items
    columns: dict[str, tuple[PrintedMeasure, ...]]

    def lines_of(self, statement: str, org_code: str) -> tuple[str, ...] | None:
        """The lines a unit's table of the statement prints; None: the lines with figures
        (the delivery printed none of the statement's lines as totals but some of their
        items, or printed nothing at all); () leaves the table out."""
        if any(s == statement for s, _ in self.lines):
            return self.lines.get((statement, org_code), ())
        if not self.columns or any(s == statement for s, _, _ in self.items):
            return None
        return ()

    def items_of(self, statement: str, org_code: str, line_code: str) -> tuple[str, ...]:
        return self.items.get((statement, org_code, line_code), ())

    def columns_of(self, statement: str) -> tuple[PrintedMeasure, ...]:
        return self.columns.get(statement) or DEFAULT_COLUMNS


def _printed(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, scopes: list[str]
) -> Printed:
    where = (
        "from marts.fct_control_total_reconciliation where reporting_period = ? "
        "and municipality_code = ? and list_contains(?, scope_code) "
    )
    params = [period.reporting_period, municipality, scopes]
    lines: dict[tuple[str, str], list[str]] = defaultdict(list)
    items: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in _rows(
        con,
        f"select distinct statement, org_code, line_code, item {where}"
        "order by statement, org_code, line_code, item",
        params,
    ):
        if r["item"] == "all":
            lines[(r["statement"], r["org_code"])].append(r["line_code"])
        else:
            items[(r["statement"], r["org_code"], r["line_code"])].append(r["item"])
    # A column is printed in one unit and precision; should the scopes of a summary differ,
    # the unit most of its figures are printed in (on a tie, the finer one).
    chosen: dict[tuple[str, str], PrintedMeasure] = {}
    for r in _rows(
        con,
        "select statement, measure, printed_unit, max(printed_decimals) as decimals, "
        f"count(*) as figures {where}group by all order by figures, printed_unit desc",
        params,
    ):
        chosen[(r["statement"], r["measure"])] = PrintedMeasure(
            r["measure"], r["printed_unit"], r["decimals"]
        )
    # A table prints its amounts of one unit at one precision. printed_decimals counts no
    # trailing zeros, so a column of whole thousands printed beside tenths (480,0 beside
    # 2 110,7) reads as whole: the table's most decimals in the unit are its precision.
    precision: dict[tuple[str, str], int] = defaultdict(int)
    for (statement, _), column in chosen.items():
        if not column.is_percent:
            key = (statement, column.unit)
            precision[key] = max(precision[key], column.decimals)
    columns = {
        statement: tuple(
            replace(c, decimals=c.decimals if c.is_percent else precision[(statement, c.unit)])
            for m in MEASURES
            if (c := chosen.get((statement, m)))
        )
        for statement in STATEMENTS
        if any(s == statement for s, _ in chosen)
    }
    return Printed(
        lines={key: tuple(codes) for key, codes in lines.items()},
        items={key: tuple(i for i in ITEMS if i in found) for key, found in items.items()},
        columns=columns,
    )


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


def _parents(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str | None]:
    """(statement, line_code) -> parent line in the report hierarchy."""
    return {
        (r["statement"], r["line_code"]): r["parent_code"]
        for r in _rows(con, "select statement, line_code, parent_code from marts.dim_report_lines")
    }


# The fact rows of one unit's table of a statement, each line with its name and place.
_FACT_ROWS = {
    "operating": "from marts.fct_budget_vs_actual f join marts.dim_report_lines l "
    "on l.statement = 'operating' and l.line_code = f.line_code ",
    # TULOT / MENOT / NETTO: the council-approved lines, each the same as an operating line.
    "budget_binding": "from marts.dim_report_lines l join marts.fct_budget_vs_actual f "
    "on l.statement = 'budget_binding' and f.line_code = l.same_as_line ",
    "investment": "from marts.fct_investments f join marts.dim_report_lines l "
    "on l.statement = 'investment' and l.line_code = f.line_code ",
}


@dataclass(frozen=True)
class TableReader:
    """Reads the budget tables of the report's units: the lines the delivery printed."""

    con: duckdb.DuckDBPyConnection
    period: Period
    municipality: str
    printed: Printed
    parents: dict[tuple[str, str], str | None]

    def table(
        self, statement: str, org_code: str, lines: tuple[str, ...] | None
    ) -> tuple[TableLine, ...]:
        """The unit's lines of the statement in the report's order (lines None: every line
        with figures), with the items printed under them; operating tables with the
        headings of their sections."""
        rows = _rows(
            self.con,
            "select l.line_code, l.name_fi, l.sort_order, l.normal_sign, "
            f"{_FACT_SQL} {_FACT_ROWS[statement]}"
            "where f.reporting_period = ? and f.municipality_code = ? and f.org_code = ? "
            "order by l.sort_order",
            [self.period.reporting_period, self.municipality, org_code],
        )
        if lines is not None:
            rows = [r for r in rows if r["line_code"] in lines]
        shown = [r["line_code"] for r in rows]
        above = {code: self._printed_parent(statement, code, shown) for code in shown}
        with_lines_below = {parent for parent in above.values() if parent}
        headings = self._section_headings(rows, above) if statement == "operating" else {}
        columns = self.printed.columns_of(statement)
        return tuple(
            TableLine(
                line_code=r["line_code"],
                name=r["name_fi"],
                line_type="subtotal" if r["line_code"] in with_lines_below else "leaf",
                sort_order=r["sort_order"],
                normal_sign=r["normal_sign"],
                figures=_figures(_base(r, "all"), columns),
                section_headings=headings.get(r["line_code"], ()),
                items=tuple(
                    ItemFigures(item, _figures(_base(r, item), columns))
                    for item in self.printed.items_of(statement, org_code, r["line_code"])
                ),
            )
            for r in rows
        )

    def _printed_parent(self, statement: str, line_code: str, shown: list[str]) -> str | None:
        """The nearest line above this one in the hierarchy that the table prints too."""
        parent = self.parents.get((statement, line_code))
        while parent and parent not in shown:
            parent = self.parents.get((statement, parent))
        return parent

    @staticmethod
    def _section_headings(
        rows: list[Row], above: dict[str, str | None]
    ) -> dict[str, tuple[str, ...]]:
        """Line -> headings printed before it, from the lines printed: a subtotal of income
        or of expenses printed after lines of its own is headed before the first of them
        (TOIMINTATUOTOT before Myyntituotot), nested ones outermost first; a net line
        (TOIMINTAKATE) is a result, not a section."""
        by_code = {r["line_code"]: r for r in rows}
        headings: dict[str, list[str]] = defaultdict(list)
        started: set[str] = set()
        for r in rows:  # in the report's order: a subtotal's lines come before it
            chain, parent = [], above[r["line_code"]]
            while parent:
                chain.insert(0, parent)
                parent = above[parent]
            for section in chain:
                if section not in started and by_code[section]["normal_sign"] != 0:
                    started.add(section)
                    headings[r["line_code"]].append(by_code[section]["name_fi"].upper())
        return {code: tuple(texts) for code, texts in headings.items()}


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
    con: duckdb.DuckDBPyConnection,
    period: Period,
    municipality: str,
    units: list[OrgUnit],
    realised_decimals: int,
) -> tuple[BindingFollowUp, ...]:
    """Each unit's bound figure; its realised % (the marts' has one decimal) rounded from
    the bound net as the report prints realised %."""
    rows = {
        r["org_code"]: r
        for r in _rows(
            con,
            "select f.org_code, f.binding_level, f.budget_net, f.actual_net, "
            "f.forecast_linear_net, f.forecast_seasonal_net, f.realised_pct, "
            "f.bound_line_code, coalesce(l.name_fi, f.bound_line_code) as bound_line_name, "
            "f.bound_items, f.forecast_net, f.forecast_variance, f.is_forecast_over_budget "
            "from marts.fct_binding_level_follow_up f left join marts.dim_report_lines l "
            "on l.statement = 'operating' and l.line_code = f.bound_line_code "
            "where f.reporting_period = ? and f.municipality_code = ?",
            [period.reporting_period, municipality],
        )
    }
    follow_up = []
    for unit in units:
        if unit.org_code not in rows:
            continue
        row = {k: v for k, v in rows[unit.org_code].items() if k != "org_code"}
        row["realised_pct"] = _percent(
            row["actual_net"], row["budget_net"], realised_decimals, without_denominator=None
        )
        follow_up.append(BindingFollowUp(org=unit, **row))
    return tuple(follow_up)


def _forecast_reasons(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, units: list[OrgUnit]
) -> dict[str, tuple[ForecastReason, ...]]:
    """The controllers' reasons for the forecasts made at this follow-up, per unit."""
    reasons: dict[str, list[ForecastReason]] = defaultdict(list)
    for r in _rows(
        con,
        "select f.org_code, f.line_code, coalesce(l.name_fi, f.line_code) as line_name, "
        "f.item, f.forecast, trim(f.forecast_reason) as reason from marts.fct_forecasts f "
        "left join marts.dim_report_lines l "
        "on l.statement = 'operating' and l.line_code = f.line_code "
        "where f.reporting_period = ? and f.municipality_code = ? and list_contains(?, f.org_code) "
        "and trim(coalesce(f.forecast_reason, '')) <> '' "
        "order by f.org_code, l.sort_order, f.item",
        [period.reporting_period, municipality, [u.org_code for u in units]],
    ):
        reasons[r["org_code"]].append(ForecastReason(**r))
    return {code: tuple(found) for code, found in reasons.items()}


FORECAST_KINDS = ("controllers", "linear", "seasonal")


def _accuracy(
    con: duckdb.DuckDBPyConnection, period: Period, municipality: str, units: list[OrgUnit]
) -> dict[str, tuple[ForecastAccuracy, ...]]:
    """Per unit, how the forecasts of its bound line came out in its latest year closed
    by this follow-up: only what was known at the period reported (the outturn's period
    not after it)."""
    rows = _rows(
        con,
        "select a.org_code, a.reporting_period, a.fiscal_year, a.reporting_month, "
        "a.forecast_kind, a.forecast_value, a.budget, a.outturn, a.forecast_error, "
        "a.forecast_error_pct, a.is_closer_than_budget "
        "from marts.fct_forecast_accuracy a join marts.fct_binding_level_follow_up b "
        "on b.reporting_period = ? and b.municipality_code = a.municipality_code "
        "and b.org_code = a.org_code and b.bound_line_code = a.line_code "
        "where a.municipality_code = ? and list_contains(?, a.org_code) "
        "and a.fiscal_year < ? and a.outturn_period <= ? "
        "order by a.org_code, a.reporting_period",
        [
            period.reporting_period,
            municipality,
            [u.org_code for u in units],
            period.fiscal_year,
            period.reporting_period,
        ],
    )
    latest: dict[str, int] = {}
    for r in rows:
        latest[r["org_code"]] = max(latest.get(r["org_code"], r["fiscal_year"]), r["fiscal_year"])
    accuracy: dict[str, list[ForecastAccuracy]] = defaultdict(list)
    rows.sort(key=lambda r: (r["reporting_period"], FORECAST_KINDS.index(r["forecast_kind"])))
    for r in rows:
        if r["fiscal_year"] != latest[r["org_code"]]:
            continue
        accuracy[r["org_code"]].append(
            ForecastAccuracy(
                org_code=r["org_code"],
                fiscal_year=r["fiscal_year"],
                reporting_period=r["reporting_period"],
                period_label_fi=f"1-{r['reporting_month']}/{r['fiscal_year']}",
                forecast_kind=r["forecast_kind"],
                forecast_value=r["forecast_value"],
                budget=r["budget"],
                outturn=r["outturn"],
                forecast_error=r["forecast_error"],
                forecast_error_pct=r["forecast_error_pct"],
                is_closer_than_budget=r["is_closer_than_budget"],
            )
        )
    return {code: tuple(found) for code, found in accuracy.items()}


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


def _sections(unit: OrgUnit, units: dict[str, OrgUnit], printed: Printed) -> tuple[OrgUnit, ...]:
    """The scope unit's children, and the units further down whose tables the delivery
    printed, in the organisation's order: a whole municipality's delivery prints its
    departments' and service areas' tables under boards that print none."""
    children: dict[str | None, list[OrgUnit]] = {}
    for member in units.values():
        children.setdefault(member.parent_org_code, []).append(member)

    def prints(member: OrgUnit) -> bool:
        return any(printed.lines_of(s, member.org_code) for s in STATEMENTS)

    found: list[OrgUnit] = []

    def descend(parent: OrgUnit, depth: int) -> None:
        for child in children.get(parent.org_code, []):
            if depth == 0 or prints(child):
                found.append(child)
            descend(child, depth + 1)

    descend(unit, 0)
    return tuple(found)


def _scope_part(
    tables: TableReader,
    unit: OrgUnit,
    units: dict[str, OrgUnit],
    projects: tuple[InvestmentProject, ...],
    goals: tuple[Goal, ...],
    narratives: dict[tuple[str, str], tuple[str, ...]],
) -> ScopePart:
    """The scope unit and its child units, each with the tables the delivery printed."""
    con, period, municipality = tables.con, tables.period, tables.municipality
    printed = tables.printed
    sections = _sections(unit, units, printed)
    members = [unit, *sections]
    codes = {u.org_code for u in members}

    def table(statement: str, member: OrgUnit) -> tuple[TableLine, ...]:
        lines = printed.lines_of(statement, member.org_code)
        if lines is None and statement == "budget_binding" and member is not unit:
            return ()  # not known to be printed: the scope unit's only, as the seed's
        return tables.table(statement, member.org_code, lines)

    statements = {u.org_code: table("operating", u) for u in members}
    binding = {u.org_code: table("budget_binding", u) for u in members}
    investments = {}
    for member in [*sections, unit]:
        lines = table("investment", member)
        if not lines:
            continue
        owned = () if member is unit else _projects_of(member, projects, units)
        investments[member.org_code] = InvestmentTable(org=member, lines=lines, projects=owned)
    return ScopePart(
        unit=unit,
        parent=units.get(unit.parent_org_code or ""),
        sections=sections,
        statements={code: lines for code, lines in statements.items() if lines},
        binding_lines={code: lines for code, lines in binding.items() if lines},
        follow_up=_follow_up(con, period, municipality, members, percent_decimals(printed.columns)),
        investments=investments,
        goals=tuple(g for g in goals if codes.intersection(g.org_codes)),
        narratives={key: texts for key, texts in narratives.items() if key[0] in codes},
        forecast_reasons=_forecast_reasons(con, period, municipality, members),
        accuracy=_accuracy(con, period, municipality, members),
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


SUMMARY_LINES = ("toimintatuotot", "toimintakulut", "toimintakate")


def _summary(
    tables: TableReader, municipality: OrgUnit, scope_units: list[OrgUnit]
) -> MunicipalitySummary:
    rows = [
        SummaryRow(unit, tables.table("operating", unit.org_code, SUMMARY_LINES))
        for unit in scope_units
    ]
    rows.append(
        SummaryRow(
            municipality,
            tables.table("operating", municipality.org_code, SUMMARY_LINES),
            is_total=True,
        )
    )
    completeness = _rows(
        tables.con,
        "select completeness_label_fi, missing_scope_codes from marts.fct_delivery_completeness "
        "where reporting_period = ? and municipality_code = ? and org_code = ?",
        [tables.period.reporting_period, municipality.org_code, municipality.org_code],
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
    booked = {
        r["org_code"]
        for r in _rows(
            con,
            "select distinct org_code from marts.fct_budget_vs_actual "
            "where reporting_period = ? and municipality_code = ?",
            [period.reporting_period, municipality],
        )
    }
    # A scope is a department, a board of departments or the municipality itself.
    scope_units = [u for u in units.values() if u.org_code in scopes and u.org_code in booked]
    if not scope_units:
        raise ReportError(
            f"no scope of {municipality} has figures for {period.reporting_period}"
            + (f" (scope {chosen.scope})" if chosen.scope else "")
        )
    printed = _printed(con, period, municipality, scopes)
    tables = TableReader(con, period, municipality, printed, _parents(con))
    projects = _investment_projects(con, period, municipality, scopes)
    goals = _goals(con, period, municipality, scopes)
    narratives = _narratives(con, period, municipality)
    summary = None
    if chosen.scope is None:
        summary = _summary(tables, units[municipality], scope_units)
    return ReportData(
        period=period,
        parts=tuple(
            _scope_part(tables, unit, units, projects, goals, narratives) for unit in scope_units
        ),
        columns={statement: printed.columns_of(statement) for statement in STATEMENTS},
        goal_status=_goal_status(con, period, municipality, scopes),
        municipality=units.get(municipality),
        scope_code=chosen.scope,
        summary=summary,
        realised_decimals=percent_decimals(printed.columns),
    )
