#!/usr/bin/env python3
"""Recompute every printed control total of the test deliveries from their ledgers.

Standalone (standard library only). For each delivery folder (`<name>/YYYY-MM/`) it reads
organisation.csv, ledger.csv, control_totals.csv and, when present, forecasts.csv, plus
seeds/reference/report_lines.csv, and recomputes each row of control_totals.csv:

- a figure of (unit, line, item) is the sum, in euros, of the ledger rows booked on the unit
  or any unit under it (organisation parent_code) and on the line or any line under it
  (report_lines parent_code); a budget_binding line stands for its same_as_line operating line;
- item `external` / `internal` takes only the rows of that item, an empty item takes every row;
- measures: actual (year-to-date to the reporting month), budget / original_budget /
  budget_changes (period 12 of the reporting year), prior_year_actual (prior year, period 12),
  prior_year_same_period_actual (prior year to the reporting month), prior_year_budget,
  variance = actual - budget, remaining = budget - actual,
  realised_pct = actual / budget * 100 (0 when the budget is 0),
  prior_year_realised_pct = prior_year_same_period_actual / prior_year_budget * 100 (the prior
  year's toteuma-% to the same month),
  forecast (forecasts.csv, made in the reporting month), forecast_variance = forecast - budget;
- the recomputed figure is divided by the printed unit (1 or 1000) and rounded half away from
  zero to as many decimals as the printed figure has (`46` whole, `46,3` one decimal).

It also checks the ledger rules the figures rely on: known units and lines, a municipality's
own lines only in that municipality, budget-type rows in period 12, actuals to the reporting
month (or any month of the prior year), budget = original_budget + budget_changes where all
three are given, and no row on both a line and a line under it for the same unit, year,
period, scenario and item.

Usage: python3 tests/deliveries/check_sums.py [DELIVERY_FOLDER ...]
(default: every <name>/YYYY-MM/ folder beside this script). Exit status 1 on any problem.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT_LINES = HERE.parent.parent / "seeds" / "reference" / "report_lines.csv"

SCENARIOS = {"actual", "budget", "original_budget", "budget_changes"}
ITEMS = {"", "external", "internal"}
PCT_MEASURES = {"realised_pct", "prior_year_realised_pct"}
MEASURES = {
    "prior_year_actual",
    "prior_year_same_period_actual",
    "prior_year_budget",
    "prior_year_realised_pct",
    "original_budget",
    "budget_changes",
    "budget",
    "actual",
    "variance",
    "remaining",
    "realised_pct",
    "forecast",
    "forecast_variance",
}


def read(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    return [
        {k: (v or "").strip() for k, v in r.items()}
        for r in rows
        if any((v or "").strip() for v in r.values())
    ]


def number(text: str) -> Decimal:
    t = text.replace("\u00a0", "").replace(" ", "")
    if t.endswith("-"):
        t = "-" + t[:-1]
    try:
        return Decimal(t.replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc


def decimals(text: str) -> int:
    m = re.search(r"[.,](\d+)-?$", text.replace("\u00a0", "").replace(" ", ""))
    return len(m.group(1)) if m else 0


def rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pct(actual: Decimal, budget: Decimal) -> Decimal:
    return Decimal(0) if budget == 0 else actual / budget * 100


class Lines:
    """report_lines.csv: per statement, each line's parent and the lines under it."""

    def __init__(self, path: Path) -> None:
        self.rows = {(r["statement"], r["line_code"]): r for r in read(path)}
        self.children: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (statement, code), r in self.rows.items():
            if r.get("parent_code"):
                self.children[(statement, r["parent_code"])].append(code)

    def under(self, statement: str, code: str) -> set[str]:
        """The line and every line under it."""
        out, todo = set(), [code]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo += self.children.get((statement, c), [])
        return out

    def operating_equivalent(self, statement: str, code: str) -> tuple[str, str]:
        r = self.rows.get((statement, code))
        if statement != "operating" and r and r.get("same_as_line"):
            return "operating", r["same_as_line"]
        return statement, code


def check(folder: Path, lines: Lines) -> tuple[list[str], int]:
    problems: list[str] = []
    label = f"{folder.parent.name}/{folder.name}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", folder.name)
    if not m:
        return [f"{folder}: folder name is not YYYY-MM"], 0
    year, month = int(m.group(1)), int(m.group(2))

    org = {r["org_code"]: r for r in read(folder / "organisation.csv")}
    roots = [c for c, r in org.items() if not r.get("parent_code")]
    if len(roots) != 1:
        problems.append(f"organisation.csv: expected one root, found {roots}")
    municipality = roots[0] if roots else ""
    kids: dict[str, list[str]] = defaultdict(list)
    for c, r in org.items():
        if r.get("parent_code"):
            if r["parent_code"] not in org:
                problems.append(f"organisation.csv: {c} has unknown parent {r['parent_code']}")
            kids[r["parent_code"]].append(c)

    def units_under(code: str) -> set[str]:
        out, todo = set(), [code]
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo += kids.get(c, [])
        return out

    def line_ok(statement: str, code: str, where: str) -> bool:
        r = lines.rows.get((statement, code))
        if r is None:
            problems.append(f"{where}: unknown {statement} line {code!r}")
            return False
        if r.get("municipality_code") and r["municipality_code"] != municipality:
            problems.append(
                f"{where}: line {code!r} belongs to {r['municipality_code']}, not {municipality}"
            )
            return False
        return True

    # ledger: (scenario, year, period, org, line, item) -> euros
    ledger: dict[tuple[str, int, int, str, str, str], Decimal] = {}
    for n, r in enumerate(read(folder / "ledger.csv"), start=2):
        where = f"{label}/ledger.csv:{n}"
        fy, per, sc, item = (
            int(r["fiscal_year"]),
            int(r["period"]),
            r["scenario"],
            r.get("item", ""),
        )
        if sc not in SCENARIOS:
            problems.append(f"{where}: scenario {sc!r}")
        if item not in ITEMS:
            problems.append(f"{where}: item {item!r}")
        if r["org_code"] not in org:
            problems.append(f"{where}: unknown unit {r['org_code']!r}")
        line_ok("operating", r["line_code"], where)
        if sc != "actual" and (
            per != 12 or fy not in ((year, year - 1) if sc == "budget" else (year,))
        ):
            problems.append(
                f"{where}: {sc} must be period 12 of {year}"
                + (" or the prior year" if sc == "budget" else "")
            )
        if sc == "actual" and not (
            (fy == year and per == month) or (fy == year - 1 and 1 <= per <= 12)
        ):
            problems.append(
                f"{where}: actual {fy}/{per} is neither {year}/{month} nor a month of {year - 1}"
            )
        key = (sc, fy, per, r["org_code"], r["line_code"], item)
        if key in ledger:
            problems.append(f"{where}: duplicate key {key}")
        ledger[key] = ledger.get(key, Decimal(0)) + number(r["amount"]) * int(r["unit"])

    booked = defaultdict(set)
    for sc, fy, per, unit, line, item in ledger:
        booked[(sc, fy, per, unit, item)].add(line)
    for k, codes in booked.items():
        for c in codes:
            clash = (lines.under("operating", c) - {c}) & codes
            if clash:
                problems.append(f"ledger.csv: {k} books both {c} and {sorted(clash)} under it")
    for (sc, fy, per, unit, line, item), b in ledger.items():
        if sc == "budget" and ("original_budget", fy, per, unit, line, item) in ledger:
            o = ledger[("original_budget", fy, per, unit, line, item)]
            c = ledger.get(("budget_changes", fy, per, unit, line, item), Decimal(0))
            if o + c != b:
                problems.append(
                    f"ledger.csv: {unit} {line} {item}: budget {b} != original {o} + changes {c}"
                )

    forecasts: dict[tuple[str, str, str], Decimal] = {}
    if (folder / "forecasts.csv").exists():
        for n, r in enumerate(read(folder / "forecasts.csv"), start=2):
            where = f"{label}/forecasts.csv:{n}"
            if (int(r["fiscal_year"]), int(r["period"])) != (year, month):
                problems.append(
                    f"{where}: a forecast made in {year}-{month:02d} is "
                    f"fiscal_year {year}, period {month}"
                )
            if r["org_code"] not in org:
                problems.append(f"{where}: unknown unit {r['org_code']!r}")
            line_ok("operating", r["line_code"], where)
            key = (r["org_code"], r["line_code"], r.get("item", ""))
            forecasts[key] = forecasts.get(key, Decimal(0)) + number(r["amount"]) * int(r["unit"])

    def figure(source: str, fy: int, per: int, unit: str, statement: str, line: str, item: str):
        st, code = lines.operating_equivalent(statement, line)
        units, codes = units_under(unit), lines.under(st, code)
        total, seen = Decimal(0), False
        if source == "forecast":
            for (u, c, it), v in forecasts.items():
                if u in units and c in codes and (item == "" or it == item):
                    total, seen = total + v, True
            return total, seen
        for (sc, y, p, u, c, it), v in ledger.items():
            if (
                sc == source
                and y == fy
                and p == per
                and u in units
                and c in codes
                and (item == "" or it == item)
            ):
                total, seen = total + v, True
        return total, seen

    base = {
        "actual": ("actual", year, month),
        "budget": ("budget", year, 12),
        "original_budget": ("original_budget", year, 12),
        "budget_changes": ("budget_changes", year, 12),
        "prior_year_actual": ("actual", year - 1, 12),
        "prior_year_same_period_actual": ("actual", year - 1, month),
        "prior_year_budget": ("budget", year - 1, 12),
        "forecast": ("forecast", year, month),
    }

    def value(measure: str, unit: str, statement: str, line: str, item: str):
        def get(m):
            return figure(*base[m], unit, statement, line, item)

        if measure in base:
            return get(measure)
        (a, sa), (b, sb) = {
            "variance": (get("actual"), get("budget")),
            "remaining": (get("budget"), get("actual")),
            "realised_pct": (get("actual"), get("budget")),
            "prior_year_realised_pct": (
                get("prior_year_same_period_actual"),
                get("prior_year_budget"),
            ),
            "forecast_variance": (get("forecast"), get("budget")),
        }[measure]
        if measure in PCT_MEASURES:
            return pct(a, b), sa or sb
        return a - b, sa or sb

    checked = 0
    seen_keys = set()
    for n, r in enumerate(read(folder / "control_totals.csv"), start=2):
        where = f"{label}/control_totals.csv:{n}"
        statement, unit, line, item = (
            r["statement"],
            r["org_code"],
            r["line_code"],
            r.get("item", ""),
        )
        measure, text, unit_of = r["measure"], r["amount"], r["unit"]
        key = (r["fiscal_year"], r["period"], statement, unit, line, item, measure)
        if key in seen_keys:
            problems.append(f"{where}: duplicate key {key}")
        seen_keys.add(key)
        if (int(r["fiscal_year"]), int(r["period"])) != (year, month):
            problems.append(f"{where}: printed figures are of {year}/{month}")
        if measure not in MEASURES:
            problems.append(f"{where}: unknown measure {measure!r}")
            continue
        if item not in ITEMS:
            problems.append(f"{where}: item {item!r}")
        if unit not in org:
            problems.append(f"{where}: unknown unit {unit!r}")
            continue
        if not line_ok(statement, line, where):
            continue
        if (measure in PCT_MEASURES) != (unit_of == "%") or unit_of not in ("1", "1000", "%"):
            problems.append(f"{where}: measure {measure} printed in unit {unit_of!r}")
            continue
        exact, seen = value(measure, unit, statement, line, item)
        places = decimals(text)
        expected = rounded(exact if unit_of == "%" else exact / int(unit_of), places)
        printed = number(text)
        checked += 1
        if not seen and printed != 0:
            problems.append(
                f"{where}: {unit} {line} {item or 'total'} {measure}: "
                f"no ledger figure behind {text}"
            )
        elif printed != expected:
            problems.append(
                f"{where}: {unit} {line} {item or 'total'} {measure}: printed {text} {unit_of}, "
                f"recomputed {expected} (exact {exact})"
            )

    binding = folder.parent / "binding_levels.csv"
    if binding.exists():
        for n, r in enumerate(read(binding), start=2):
            where = f"{binding.parent.name}/binding_levels.csv:{n}"
            if r["municipality_code"] not in ("", municipality):
                problems.append(
                    f"{where}: municipality {r['municipality_code']!r}, "
                    f"delivery is {municipality!r}"
                )
            line_ok("operating", r["line_code"], where)
            if r["items"] not in ("all", "external"):
                problems.append(f"{where}: items {r['items']!r}; expected all or external")
    return problems, checked


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or sorted(
        p for p in HERE.glob("*/*") if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}", p.name)
    )
    lines = Lines(REPORT_LINES)
    failed = False
    for folder in folders:
        problems, checked = check(folder, lines)
        name = f"{folder.parent.name}/{folder.name}"
        if problems:
            failed = True
            print(
                f"MISMATCH {name}: {len(problems)} problem(s), {checked} control totals recomputed"
            )
            for p in problems:
                print("  " + p)
        else:
            print(f"OK {name}: {checked} control totals recomputed, no mismatch")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
