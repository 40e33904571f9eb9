"""Deliveries for tests: later quarters and restatements built from the embedded data."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

from orchestration.lib.paths import DEFAULT_DELIVERY_DIR


def deliver(inbox: Path, period: str, source: Path = DEFAULT_DELIVERY_DIR) -> Path:
    """Copy a delivery into the inbox as `period`, rewriting its reporting period."""
    target = inbox / period
    target.mkdir(parents=True)
    year, month = period.split("-")
    for path in source.iterdir():
        data = path.read_bytes()
        if period != "2023-03":
            # Same figures, later quarter: the year-to-date rows move to the new month.
            data = data.replace(b"2023;3;", f"{year};{int(month)};".encode())
            data = data.replace(b"2022;3;", f"{int(year) - 1};{int(month)};".encode())
        (target / path.name).write_bytes(data)
    return target


def age(folder: Path, seconds: float = 120) -> None:
    past = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (past, past))


def restate_control_totals(folder: Path, org: str, line: str, delta: Decimal) -> None:
    """Move the printed actual of a leaf, its subtotals and the department by `delta`,
    with remaining and realised % as the report would print them."""
    from orchestration.lib.validation import load_report_lines

    parents = {
        r["line_code"]: r["parent_code"]
        for r in load_report_lines().rows
        if r["statement"] == "operating"
    }
    affected, node = set(), line
    while node:
        affected.add(node)
        node = parents[node]
    binding = {"toimintakulut": "menot", "toimintakate": "netto"}
    path = folder / "control_totals.csv"
    rows = [r.split(";") for r in path.read_text(encoding="utf-8").splitlines()]
    figures = {(r[2], r[3], r[4], r[5]): r for r in rows[1:]}
    for (statement, unit_code, line_code, measure), row in figures.items():
        same = {v: k for k, v in binding.items()}.get(line_code, line_code)
        if statement == "investment" or measure != "actual":
            continue
        if unit_code not in (org, "HYTO") or same not in affected:
            continue
        if statement == "budget_binding" and line_code not in binding.values():
            continue
        actual = Decimal(row[6].replace(",", ".")) + delta
        row[6] = str(actual)
        budget = Decimal(figures[(statement, unit_code, line_code, "budget")][6])
        figures[(statement, unit_code, line_code, "remaining")][6] = str(budget - actual)
        pct = 0 if budget == 0 else round(float(actual) / float(budget) * 100, 1)
        figures[(statement, unit_code, line_code, "realised_pct")][6] = f"{pct:.2f}".replace(
            ".", ","
        )
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")


def restate_leaf(folder: Path, org: str, line: str, old: str, new: str) -> None:
    """Correct one booked Q1 actual and the printed figures that depend on it."""
    ledger = folder / "ledger.csv"
    before = f"2023;3;{org};{line};actual;{old};1".encode()
    data = ledger.read_bytes()
    assert before in data
    ledger.write_bytes(data.replace(before, f"2023;3;{org};{line};actual;{new};1".encode()))
    restate_control_totals(folder, org, line, Decimal(new) - Decimal(old))
