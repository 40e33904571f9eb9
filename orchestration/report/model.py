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


@dataclass(frozen=True)
class OrgUnit:
    org_code: str
    org_level: str
    parent_org_code: str | None
    name: str
    short_name: str | None


@dataclass(frozen=True)
class Figures:
    """The printed columns of one budget table row, in euros (income +, expenses -)."""

    prior_year_actual: Decimal | None
    prior_year_same_period_actual: Decimal | None
    budget: Decimal | None
    actual: Decimal | None
    remaining: Decimal | None
    realised_pct: Decimal | None


@dataclass(frozen=True)
class TableLine:
    """One row of a budget table: an operating-statement, binding or investment line."""

    line_code: str
    name: str
    line_type: str  # leaf | subtotal
    sort_order: int
    normal_sign: int  # 1 income, -1 expenses, 0 a net line
    figures: Figures
    # For an operating subtotal printed after its leaves: the heading printed before them.
    section_heading: str | None = None


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
    """A unit's net at its binding level with the whole-year forecasts (euros, nets < 0)."""

    org: OrgUnit
    binding_level: str  # council | operating_plan
    budget_net: Decimal | None
    actual_net: Decimal | None
    forecast_linear_net: Decimal | None
    forecast_seasonal_net: Decimal | None
    realised_pct: Decimal | None


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
class DepartmentReport:
    """A department (toimiala) with its service areas: one part of the report."""

    department: OrgUnit
    board: OrgUnit | None
    service_areas: tuple[OrgUnit, ...]
    statements: dict[str, tuple[TableLine, ...]]  # org_code -> operating statement
    binding_lines: tuple[TableLine, ...]  # TULOT / MENOT / NETTO of the department
    follow_up: tuple[BindingFollowUp, ...]  # department first, then service areas
    investments: dict[str, InvestmentTable]  # org_code -> table (units with investments)
    goals: tuple[Goal, ...]
    narratives: dict[tuple[str, str], tuple[str, ...]]  # (org_code, section) -> paragraphs

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
    summary of every scope delivered with the scopes' parts."""

    period: Period
    departments: tuple[DepartmentReport, ...]
    goal_status: tuple[GoalStatusCount, ...] = field(default_factory=tuple)
    municipality: OrgUnit | None = None
    scope_code: str | None = None  # None: the municipality's summary
    summary: MunicipalitySummary | None = None
