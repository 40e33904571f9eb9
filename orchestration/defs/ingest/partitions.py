"""Reporting periods as partitions: every month end of every fiscal year (1-1 ... 1-12).

A period is any month end (1-4 and 1-8 follow-ups, monthly reporting); which months a
municipality follows up is a schedule (seeds/reference/municipalities.csv), not a limit.
"""

import dagster as dg

from orchestration.ingest.periods import warehouse_periods

reporting_periods = dg.StaticPartitionsDefinition([str(p) for p in warehouse_periods()])
