"""What the interim report shows, as read from the marts: one structure for tables and charts."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Period:
    """A reporting period (dim_reporting_periods): January to the reporting month."""

    reporting_period: str  # YYYY-MM
    fiscal_year: int
    month: int
    label_fi: str  # 1-3/2023
    share_of_year_elapsed: Decimal

    @property
    def prior_year(self) -> int:
        return self.fiscal_year - 1

    @property
    def months_label(self) -> str:
        """The year-to-date span as the column headings print it: '3 kk'."""
        return f"{self.month} kk"

    @property
    def status_date_label(self) -> str:
        """The last day of the period as the goal tables print it: '31.3.'."""
        last_day = calendar.monthrange(self.fiscal_year, self.month)[1]
        return f"{last_day}.{self.month}."

    @property
    def last_day_label(self) -> str:
        """The last day of the period with its year: '31.3.2023'."""
        return f"{self.status_date_label}{self.fiscal_year}"


@dataclass(frozen=True)
class OrgUnit:
    org_code: str
    org_level: str
    parent_org_code: str | None
    name: str
    short_name: str | None


@dataclass(frozen=True)
class PrintedMeasure:
    """A printed column of a budget table: its measure (contracts.MEASURES), the unit it is
    printed in ('1' euros, '1000' thousands, '%') and the decimals it is printed with."""

    measure: str
    unit: str
    decimals: int

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"


# The seed report's columns: what a table prints when the delivery's printed figures do
# not say (a delivery whose control totals have no rows).
DEFAULT_COLUMNS = (
    PrintedMeasure("prior_year_actual", "1000", 0),
    PrintedMeasure("prior_year_same_period_actual", "1000", 0),
    PrintedMeasure("budget", "1", 0),
    PrintedMeasure("actual", "1", 0),
    PrintedMeasure("remaining", "1", 0),
    PrintedMeasure("realised_pct", "%", 1),
)


def percent_decimals(
    columns: dict[str, tuple[PrintedMeasure, ...]], measure: str = "realised_pct"
) -> int:
    """The decimals the report prints a percentage with outside the budget tables (the
    follow-up, the charts), from the columns the delivery printed: as its income
    statement's column, else its council table's; one decimal where neither prints it."""
    for statement in ("operating", "budget_binding"):
        for column in columns.get(statement, ()):
            if column.measure == measure:
                return column.decimals
    return 1


@dataclass(frozen=True)
class Figures:
    """The figures of one budget table row: amounts in euros (income +, expenses -),
    percentages already rounded to the precision their column is printed at.

    The first six are the seed report's columns; the others only some formats print.
    """

    prior_year_actual: Decimal | None
    prior_year_same_period_actual: Decimal | None
    budget: Decimal | None
    actual: Decimal | None
    remaining: Decimal | None
    realised_pct: Decimal | None
    prior_year_budget: Decimal | None = None
    prior_year_realised_pct: Decimal | None = None
    original_budget: Decimal | None = None
    budget_changes: Decimal | None = None
    variance: Decimal | None = None
    forecast: Decimal | None = None
    forecast_variance: Decimal | None = None


@dataclass(frozen=True)
class ItemFigures:
    """A line's external (ulkoiset) or internal (sisäiset) items, printed under it."""

    item: str  # external | internal
    figures: Figures


@dataclass(frozen=True)
class TableLine:
    """One row of a budget table: an operating-statement, binding or investment line."""

    line_code: str
    name: str
    line_type: str  # leaf | subtotal: as printed, a subtotal has lines of the table below it
    sort_order: int
    normal_sign: int  # 1 income, -1 expenses, 0 a net line
    figures: Figures
    # Headings of the subtotals whose lines start here, printed before the line (the
    # subtotal itself is printed after its lines): TOIMINTAKULUT before Henkilöstökulut.
    section_headings: tuple[str, ...] = ()
    items: tuple[ItemFigures, ...] = ()


@dataclass(frozen=True)
class InvestmentProject:
    project_code: str
    org_code: str
    name: str | None
    description: str | None
    status_text: str | None


@dataclass(frozen=True)
class InvestmentTable:
    org: OrgUnit
    lines: tuple[TableLine, ...]
    projects: tuple[InvestmentProject, ...]


@dataclass(frozen=True)
class BindingFollowUp:
    """A unit's bound figure (by default its net, toimintakate) at its binding level with
    the whole-year forecasts (euros, nets < 0)."""

    org: OrgUnit
    binding_level: str  # council | operating_plan
    budget_net: Decimal | None
    actual_net: Decimal | None
    forecast_linear_net: Decimal | None
    forecast_seasonal_net: Decimal | None
    realised_pct: Decimal | None
    bound_line_code: str
    bound_line_name: str
    bound_items: str  # all | external
    forecast_net: Decimal | None  # the controllers' forecast
    forecast_variance: Decimal | None
    is_forecast_over_budget: bool | None

    @property
    def bound_label(self) -> str:
        """What is bound, as the report names it: 'Toimintakate', 'Ulkoinen toimintakate'."""
        name = self.bound_line_name.lower()
        if self.bound_items != "external":
            return name.capitalize()
        # Names of income and expense lines are plural (toimintakulut): the adjective agrees.
        return f"Ulkoiset {name}" if name.endswith("t") else f"Ulkoinen {name}"


@dataclass(frozen=True)
class ForecastReason:
    """Why the controllers' forecast of a line departs from the budget (fct_forecasts)."""

    org_code: str
    line_code: str
    line_name: str
    item: str  # all | external | internal
    forecast: Decimal | None
    reason: str


@dataclass(frozen=True)
class ForecastAccuracy:
    """A forecast made at an earlier follow-up of a closed year against its outturn."""

    org_code: str
    fiscal_year: int  # the year forecast
    reporting_period: str  # the follow-up the forecast was made at
    period_label_fi: str  # 1-6/2023
    forecast_kind: str  # controllers | linear | seasonal
    forecast_value: Decimal | None
    budget: Decimal | None
    outturn: Decimal | None
    forecast_error: Decimal | None
    forecast_error_pct: Decimal | None
    is_closer_than_budget: bool | None


@dataclass(frozen=True)
class Goal:
    goal_id: str
    goal_level: str  # council | operating_plan
    org_codes: tuple[str, ...]
    strategic_goal: str | None
    strategic_focus: tuple[str, ...]
    goal_theme: str | None
    goal_text: str | None
    metric_and_target: str | None
    status_text: str | None
    responsible: str | None
    status_fi: str | None
    goal_status: str  # achieved | partially_achieved | not_achieved


@dataclass(frozen=True)
class GoalStatusCount:
    goal_level: str
    goal_status: str
    status_order: int
    goals: int


@dataclass(frozen=True)
class ScopePart:
    """One delivered scope's part of the report: the scope unit (a department, a board or
    the municipality itself) with its child units (service areas, departments) as sections.
    Only what the delivery has: a unit without a table of a statement has no entry."""

    unit: OrgUnit
    parent: OrgUnit | None  # the board of a department, the municipality of a board
    sections: tuple[OrgUnit, ...]
    statements: dict[str, tuple[TableLine, ...]]  # org_code -> operating statement
    binding_lines: dict[str, tuple[TableLine, ...]]  # org_code -> TULOT / MENOT / NETTO
    follow_up: tuple[BindingFollowUp, ...]  # the unit first, then the sections
    investments: dict[str, InvestmentTable]  # org_code -> table (units with investments)
    goals: tuple[Goal, ...]
    narratives: dict[tuple[str, str], tuple[str, ...]]  # (org_code, section) -> paragraphs
    forecast_reasons: dict[str, tuple[ForecastReason, ...]]  # org_code -> reasons given
    accuracy: dict[str, tuple[ForecastAccuracy, ...]]  # org_code -> a closed year's forecasts

    def paragraphs(self, org_code: str, section: str) -> tuple[str, ...]:
        return self.narratives.get((org_code, section), ())

    def goals_of_level(self, level: str) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals if g.goal_level == level)


@dataclass(frozen=True)
class SummaryRow:
    """One department (scope) of the municipality's summary, or the municipality's total."""

    org: OrgUnit
    lines: tuple[TableLine, ...]  # TOIMINTATUOTOT, TOIMINTAKULUT, TOIMINTAKATE
    is_total: bool = False


@dataclass(frozen=True)
class MunicipalitySummary:
    """The municipality's summary of every scope delivered for the period."""

    rows: tuple[SummaryRow, ...]
    completeness_label_fi: str  # 2/3 toimitettu
    missing: tuple[str, ...]  # codes of expected scopes not delivered


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows for one reporting period, read from the marts once:
    one scope of a municipality (a department's interim report), or the municipality's
    summary of every scope delivered with the scopes' parts. `columns` holds, per statement
    (operating | budget_binding | investment), the measures its tables print."""

    period: Period
    parts: tuple[ScopePart, ...]
    columns: dict[str, tuple[PrintedMeasure, ...]]
    goal_status: tuple[GoalStatusCount, ...] = field(default_factory=tuple)
    municipality: OrgUnit | None = None
    scope_code: str | None = None  # None: the municipality's summary
    summary: MunicipalitySummary | None = None
    # Realised % outside the budget tables is printed as the tables print it (percent_decimals).
    realised_decimals: int = 1
