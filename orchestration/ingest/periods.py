"""A reporting period: fiscal year and the last month of the year-to-date span."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PERIOD = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER_END_MONTHS = (3, 6, 9, 12)


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    fiscal_year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"reporting month {self.month} is outside 1-12")
        if not 1900 <= self.fiscal_year <= 2999:
            raise ValueError(f"fiscal year {self.fiscal_year} is not a plausible year")

    @classmethod
    def parse(cls, text: str) -> ReportingPeriod:
        m = _PERIOD.match(text.strip())
        if not m:
            raise ValueError(f"'{text}' is not a reporting period; expected YYYY-MM, e.g. 2023-03")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def from_folder(cls, folder: Path) -> ReportingPeriod | None:
        """A delivery folder named like 2023-03 declares its period."""
        try:
            return cls.parse(folder.name)
        except ValueError:
            return None

    @classmethod
    def quarter_ends(cls, first_year: int, last_year: int) -> list[ReportingPeriod]:
        return [cls(y, m) for y in range(first_year, last_year + 1) for m in QUARTER_END_MONTHS]

    @classmethod
    def month_ends(cls, first_year: int, last_year: int) -> list[ReportingPeriod]:
        """Every month end: a period is any month, 1-12 (quarterly is a schedule)."""
        return [cls(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]

    def previous_month_end(self) -> ReportingPeriod:
        if self.month == 1:
            return ReportingPeriod(self.fiscal_year - 1, 12)
        return ReportingPeriod(self.fiscal_year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.fiscal_year}-{self.month:02d}"


# The periods the warehouse runs (its Dagster partitions). From 2010: a city onboarding
# keeps a decade of history.
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2010, 2040


def warehouse_periods() -> list[ReportingPeriod]:
    return ReportingPeriod.month_ends(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)


def period_outside_warehouse(period: ReportingPeriod) -> str | None:
    """Why a period cannot be run, or None."""
    if FIRST_FISCAL_YEAR <= period.fiscal_year <= LAST_FISCAL_YEAR:
        return None
    return (
        f"reporting period {period} is outside the warehouse's periods "
        f"{FIRST_FISCAL_YEAR}-01..{LAST_FISCAL_YEAR}-12"
    )
