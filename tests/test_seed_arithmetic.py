"""The transcription of the Q1 2023 report holds together.

Leaf lines add up to the printed subtotals, service areas add up to the printed
department figures, remaining and realised % follow from budget and actual --
each within the rounding of the unit the figure was printed in -- and every row
of the report's budget and investment tables is present in seeds/.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.ingest.delivery import Delivery
from orchestration.ingest.validation import load_report_lines, validate_delivery
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR, SEEDS_DIR

SOURCE_DOCUMENT = SEEDS_DIR / "source" / "heinola_hyvinvointitoimiala_osavuosikatsaus_2023-03.txt"
DEPARTMENT = "HYTO"
PCT_TOLERANCE = Decimal("0.05")  # percentages are printed to one decimal
# The ledger's (fiscal_year, period, scenario) for each printed euro column.
LEDGER_COLUMNS = {
    "prior_year_actual": (2022, 12, "actual"),
    "prior_year_same_period_actual": (2022, 3, "actual"),
    "budget": (2023, 12, "budget"),
    "actual": (2023, 3, "actual"),
}


@dataclass(frozen=True)
class Difference:
    org_code: str
    line_code: str
    measure: str
    printed: Decimal
    computed: Decimal
    tolerance: Decimal

    @property
    def off_by(self) -> Decimal:
        return self.computed - self.printed


def _operating_leaves_under() -> dict[str, set[str]]:
    """Each line with every line at or under it: a figure booked on any of them counts in
    it (the seed books Henkilöstökulut itself, a line with lines under it)."""
    rows = [r for r in load_report_lines().rows if r["statement"] == "operating"]
    parent = {r["line_code"]: r["parent_code"] for r in rows}
    leaves = defaultdict(set)
    for r in rows:
        node = r["line_code"]
        while node is not None:
            leaves[node].add(r["line_code"])
            node = parent[node]
    return leaves


def arithmetic_differences(delivery: Delivery) -> list[Difference]:
    """Every printed figure the delivery's leaves contradict beyond rounding."""
    ledger = delivery.extracts["ledger"].rows
    control = delivery.extracts["control_totals"].rows
    leaves_under = _operating_leaves_under()
    booked = {
        (r["fiscal_year"], r["period"], r["scenario"], r["org_code"], r["line_code"]): (
            r["amount"],
            Decimal(r["unit"]),
        )
        for r in ledger
    }
    areas = {r["org_code"] for r in ledger}
    problems = []
    for row in control:
        if row["statement"] != "operating" or row["measure"] not in LEDGER_COLUMNS:
            continue
        year, month, scenario = LEDGER_COLUMNS[row["measure"]]
        orgs = areas if row["org_code"] == DEPARTMENT else {row["org_code"]}
        parts = [
            booked[(year, month, scenario, org, leaf)]
            for org in orgs
            for leaf in leaves_under[row["line_code"]]
            if (year, month, scenario, org, leaf) in booked
        ]
        unit = Decimal(row["unit"])
        computed_eur = sum((amount * u for amount, u in parts), Decimal(0))
        # A sum of n figures each rounded to u differs from the rounded total by <= (n+1)u/2.
        tolerance = (len(parts) + 1) * unit / 2
        printed_eur = row["amount"] * unit
        if abs(computed_eur - printed_eur) > tolerance:
            problems.append(
                Difference(
                    row["org_code"],
                    row["line_code"],
                    row["measure"],
                    printed_eur,
                    computed_eur,
                    tolerance,
                )
            )
    return problems


def derived_measure_differences(delivery: Delivery) -> list[Difference]:
    """Printed remaining and realised % that do not follow from printed budget and actual."""
    by_row = defaultdict(dict)
    for r in delivery.extracts["control_totals"].rows:
        by_row[(r["statement"], r["org_code"], r["line_code"])][r["measure"]] = r["amount"]
    problems = []
    for (_, org, line), m in by_row.items():
        remaining = m["budget"] - m["actual"]
        if remaining != m["remaining"]:
            problems.append(
                Difference(org, line, "remaining", m["remaining"], remaining, Decimal(0))
            )
        # The report prints 0 when the budget is 0; otherwise actual / budget to one
        # decimal. Its spreadsheet rounds in binary floating point (2 030 / 4 000 = 50.75 %
        # prints as 50,70), so a printed percentage may lie up to half a unit off.
        exact = Decimal(0) if m["budget"] == 0 else m["actual"] / m["budget"] * 100
        if abs(exact - m["realised_pct"]) > PCT_TOLERANCE:
            problems.append(
                Difference(
                    org,
                    line,
                    "realised_pct",
                    m["realised_pct"],
                    exact.quantize(Decimal("0.01")),
                    PCT_TOLERANCE,
                )
            )
    return problems


@pytest.fixture(scope="module")
def embedded() -> Delivery:
    return validate_delivery(DEFAULT_DELIVERY_DIR)


def test_leaves_add_up_to_every_printed_subtotal_and_department_figure(embedded):
    assert arithmetic_differences(embedded) == []


def test_arithmetic_check_catches_a_figure_off_by_1000_euros(delivery_copy: Path):
    ledger = delivery_copy / "ledger.csv"
    text = ledger.read_text(encoding="utf-8-sig")
    wrong = text.replace(
        "2023;3;VAKA;palvelujen_ostot;actual;-310811;1",
        "2023;3;VAKA;palvelujen_ostot;actual;-311811;1",
    )
    assert wrong != text
    ledger.write_text(wrong, encoding="utf-8-sig")
    found = arithmetic_differences(validate_delivery(delivery_copy))
    # The error shows on the line itself and up the chain of subtotals, in the service
    # area and in the department.
    chain = {"palvelujen_ostot", "toimintakulut", "toimintakate", "vuosikate", "tilikauden_tulos"}
    assert {(d.org_code, d.line_code, d.measure) for d in found} == {
        (org, line, "actual") for org in ("VAKA", DEPARTMENT) for line in chain
    }
    assert all(abs(d.off_by + 1000) <= d.tolerance for d in found)


def test_rounding_differences_are_inside_tolerance_not_absent(embedded):
    """The printed sums really do differ from their parts by a unit here and there."""
    ledger = {
        (r["org_code"], r["line_code"]): r["amount"]
        for r in embedded.extracts["ledger"].rows
        if (r["fiscal_year"], r["period"]) == (2022, 12)
    }
    hyte_income = ledger[("HYTE", "myyntituotot")] + ledger[("HYTE", "tuet_ja_avustukset")]
    printed = next(
        r["amount"]
        for r in embedded.extracts["control_totals"].rows
        if (r["org_code"], r["line_code"], r["measure"])
        == ("HYTE", "toimintatuotot", "prior_year_actual")
    )
    assert (hyte_income, printed) == (Decimal(130), Decimal(129))


def test_remaining_and_realised_pct_follow_from_budget_and_actual(embedded):
    assert derived_measure_differences(embedded) == []


@pytest.mark.parametrize(
    ("printed_row", "perturbed_row", "expected"),
    [
        (
            "2023;3;operating;VIRE;avustukset;realised_pct;2,00;%",
            "2023;3;operating;VIRE;avustukset;realised_pct;2,10;%",
            ("VIRE", "avustukset", "realised_pct", Decimal("2.1"), Decimal("2.03")),
        ),
        (
            "2023;3;operating;OPKOU;vuokrakulut;remaining;-2379644;1",
            "2023;3;operating;OPKOU;vuokrakulut;remaining;-2379645;1",
            ("OPKOU", "vuokrakulut", "remaining", Decimal(-2379645), Decimal(-2379644)),
        ),
    ],
)
def test_derived_measure_check_catches_a_wrong_printed_figure(
    delivery_copy: Path, printed_row: str, perturbed_row: str, expected: tuple
):
    control = delivery_copy / "control_totals.csv"
    text = control.read_text(encoding="utf-8")
    assert printed_row in text
    control.write_text(text.replace(printed_row, perturbed_row), encoding="utf-8")
    problems = derived_measure_differences(validate_delivery(delivery_copy))
    assert [(d.org_code, d.line_code, d.measure, d.printed, d.computed) for d in problems] == [
        expected
    ]


def test_budget_table_equals_income_statement_subtotals(embedded):
    figures = {
        (r["statement"], r["org_code"], r["line_code"], r["measure"]): r["amount"]
        for r in embedded.extracts["control_totals"].rows
    }
    same_as = {
        r["line_code"]: r["same_as_line"]
        for r in load_report_lines().rows
        if r["statement"] == "budget_binding"
    }
    compared = 0
    for (statement, org, line, measure), amount in figures.items():
        if statement == "budget_binding":
            assert amount == figures[("operating", org, same_as[line], measure)], (line, measure)
            compared += 1
    assert compared == 3 * 6


def test_investments_add_up_to_service_area_and_department_totals(embedded):
    booked = defaultdict(Decimal)
    for r in embedded.extracts["investments"].rows:
        measure = next(
            m
            for m, key in LEDGER_COLUMNS.items()
            if key == (r["fiscal_year"], r["period"], r["scenario"])
        )
        amount = r["amount"] * Decimal(r["unit"])
        booked[(r["org_code"], measure)] += amount
        booked[(DEPARTMENT, measure)] += amount
    printed = {
        (r["org_code"], r["measure"]): r["amount"] * Decimal(r["unit"])
        for r in embedded.extracts["control_totals"].rows
        if r["statement"] == "investment"
        and r["line_code"] == "menot"
        and r["measure"] in LEDGER_COLUMNS
    }
    assert len(printed) == 4 * 4
    assert {k: booked[k] for k in printed} == printed


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _printed_number(amount: Decimal, unit: str) -> str:
    if unit == "%":
        return f"{amount:.2f}".replace(".", ",")
    assert amount == amount.to_integral_value(), amount
    return str(int(amount))


def test_every_table_row_of_the_report_is_in_the_seeds(embedded):
    """Each row of the report's tables, label and figures in order, is found in the
    source document -- and the document has no table row the seeds lack."""
    source = SOURCE_DOCUMENT.read_text(encoding="utf-8")
    names = {(r["statement"], r["line_code"]): r["name_fi"] for r in load_report_lines().rows}
    rows = defaultdict(list)
    for r in embedded.extracts["control_totals"].rows:
        rows[(r["statement"], r["org_code"], r["line_code"])].append(r)
    order = [
        "prior_year_actual",
        "prior_year_same_period_actual",
        "budget",
        "actual",
        "remaining",
        "realised_pct",
    ]
    flat_source = _flat(source)
    for (statement, org, line), figures in rows.items():
        by_measure = {r["measure"]: r for r in figures}
        assert sorted(by_measure) == sorted(order), (statement, org, line)
        printed = []
        for m in order:
            number = _printed_number(by_measure[m]["amount"], by_measure[m]["unit"])
            if statement == "investment" and m == "realised_pct":
                number = number[:-1]  # investment tables print one decimal
            printed.append(number)
        label = names[(statement, line)]
        assert _flat(label + "".join(printed)) in flat_source, (statement, org, line, printed)
    # Table rows in the document: a known label followed by figures.
    labels = sorted({re.escape(n) for n in names.values()}, key=len, reverse=True)
    table_row = re.compile(rf"^\s*({'|'.join(labels)})\s+-?\d", re.MULTILINE)
    assert len(table_row.findall(source)) == len(rows) == 95


def test_every_goal_of_the_report_is_in_the_seeds(embedded):
    goals = embedded.extracts["goals"].rows
    levels = defaultdict(int)
    for g in goals:
        levels[g["goal_level"]] += 1
    assert dict(levels) == {"council": 4, "operating_plan": 13}
    source = _flat(SOURCE_DOCUMENT.read_text(encoding="utf-8"))
    statuses = [g["status_fi"] for g in goals]
    assert statuses.count("Toteutuu osittain") == 7
    for g in goals:
        # The status text is verbatim apart from rejoined line-wrap hyphens.
        assert _flat(g["status_text"].replace("-", ""))[:40] in source.replace("-", ""), g[
            "goal_id"
        ]
