"""Which months each municipality follows up, and which scopes it expects to deliver
(seeds/reference/municipalities.csv).

    municipality_code;name_fi;follow_up_months;expected_scopes
    HEINOLA;Heinolan kaupunki;3|6|9|12;
    LAHTI;Lahden kaupunki;4|8|12;KONS|SIVI|TEKN

A municipality not listed follows up quarterly (1-3, 1-6, 1-9, 1-12). The months are a
schedule, not a limit: a delivery for any month end loads. `expected_scopes` names the
departments (or other scopes) that deliver separately, so that the marts can say "2 of 3
delivered"; without it, the scopes delivered in the fiscal year so far are expected.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.ingest.periods import QUARTER_END_MONTHS
from orchestration.warehouse.paths import REFERENCE_DIR

CALENDAR_FILE = REFERENCE_DIR / "municipalities.csv"


@dataclass(frozen=True)
class Municipality:
    code: str
    name_fi: str
    follow_up_months: tuple[int, ...]
    expected_scopes: tuple[str, ...]


@cache
def _calendar(path: Path) -> dict[str, Municipality]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    calendar = {}
    for line, row in enumerate(rows, start=2):
        try:
            months = tuple(int(m) for m in (row["follow_up_months"] or "").split("|") if m)
        except ValueError:
            raise ValueError(
                f"{path.name}:{line} column 'follow_up_months': '{row['follow_up_months']}' "
                "is not a list of months; expected e.g. 3|6|9|12"
            ) from None
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError(
                f"{path.name}:{line} column 'follow_up_months': months are 1-12, "
                f"not '{row['follow_up_months']}'"
            )
        calendar[row["municipality_code"]] = Municipality(
            row["municipality_code"],
            row["name_fi"],
            months or QUARTER_END_MONTHS,
            tuple(s for s in (row.get("expected_scopes") or "").split("|") if s),
        )
    return calendar


def follow_up_months(municipality_code: str, path: Path | None = None) -> tuple[int, ...]:
    known = _calendar(path or CALENDAR_FILE).get(municipality_code)
    return known.follow_up_months if known else QUARTER_END_MONTHS
