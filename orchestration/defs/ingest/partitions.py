"""Reporting periods as partitions: every month end of every fiscal year (1-1 ... 1-12).

A period is any month end (1-4 and 1-8 follow-ups, monthly reporting); which months a
municipality follows up is a schedule (seeds/reference/municipalities.csv), not a limit.
"""

import dagster as dg

from orchestration.lib.reporting_period import ReportingPeriod

# From 2010: a city onboarding keeps a decade of history.
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2010, 2040

reporting_periods = dg.StaticPartitionsDefinition(
    [str(p) for p in ReportingPeriod.month_ends(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)]
)


def period_outside_partitions(period: str) -> str | None:
    """Why a period cannot be run, or None."""
    if period in set(reporting_periods.get_partition_keys()):
        return None
    return (
        f"reporting period {period} is outside the warehouse's periods "
        f"{FIRST_FISCAL_YEAR}-01..{LAST_FISCAL_YEAR}-12"
    )
