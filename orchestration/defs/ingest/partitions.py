"""Reporting periods as partitions: fiscal year x quarter-end month (1-3, 1-6, 1-9, 1-12)."""

import dagster as dg

from orchestration.lib.reporting_period import ReportingPeriod

# From 2010: a city onboarding keeps a decade of history.
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2010, 2040

reporting_periods = dg.StaticPartitionsDefinition(
    [str(p) for p in ReportingPeriod.quarter_ends(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR)]
)
