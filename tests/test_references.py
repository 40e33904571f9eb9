"""Cross-file rules are the contracts' declarations (contracts.Reference, Tree), checked by
one loop (ingest/references.py): sound declarations, each kind of reference passing and
failing with its message, and a new contract checked without new code."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from orchestration.ingest.contracts import (
    ACCOUNT_RANGES,
    ANY_UNIT,
    BOOKING_UNIT,
    CONTRACTS,
    ORG_CODE,
    REFERENCE_DATA,
    REPORT_LINES,
    Column,
    Contract,
    Reference,
    Target,
)
from orchestration.ingest.delivery import ParsedExtract
from orchestration.ingest.references import (
    declaration_problems,
    outside_scope_errors,
    reference_errors,
)
from orchestration.ingest.scope import Scope
from orchestration.ingest.validation import bulk_references, nested_line_errors

# --- hand-made extracts ---------------------------------------------------------------

ORGANISATION = [
    ("M", "municipality", None),
    ("B", "board", "M"),
    ("D", "department", "B"),
    ("S1", "service_area", "D"),
    ("S2", "service_area", "D"),
    ("CC", "cost_centre", "S1"),
]
SCOPE = Scope(
    "M", "Kunta", "D", "department", "Toimiala", ("M", "B"), frozenset({"D", "S1", "S2", "CC"})
)
LINES = [  # statement, line_code, line_type
    ("operating", "kulut", "subtotal"),
    ("operating", "palkat", "leaf"),
    ("operating", "ostot", "leaf"),
    ("budget_binding", "tulot", "subtotal"),
    ("budget_binding", "menot", "subtotal"),
]


def extract(contract: Contract, rows: list[dict[str, Any]]) -> ParsedExtract:
    """Rows as parse_extract gives them: typed values, numbered from line 2."""
    numbered = [{**row, "_source_line": line} for line, row in enumerate(rows, start=2)]
    return ParsedExtract(contract, Path(f"{contract.kind}.csv"), "", "", "", numbered)


def organisation(units=ORGANISATION) -> ParsedExtract:
    return extract(
        CONTRACTS["organisation"],
        [
            {"org_code": c, "org_level": level, "parent_code": p, "name_fi": c, "short_name": None}
            for c, level, p in units
        ],
    )


def report_lines() -> dict[str, ParsedExtract]:
    rows = [
        {"statement": s, "line_code": code, "line_type": t, "parent_code": None}
        for s, code, t in LINES
    ]
    return {"report_lines": extract(REPORT_LINES, rows)}


def errors_of(*extracts: ParsedExtract) -> list[str]:
    found = reference_errors({e.contract.kind: e for e in extracts}, report_lines())
    return [str(e) for e in found]


def one(kind: str, **values: Any) -> ParsedExtract:
    return extract(CONTRACTS[kind], [values])


# --- the declarations are sound -----------------------------------------------------------


def test_every_declared_reference_names_existing_columns_and_extracts():
    assert declaration_problems([*CONTRACTS.values(), *REFERENCE_DATA.values()]) == []


def test_a_typo_in_a_declaration_is_caught():
    ledger = CONTRACTS["ledger"]
    typos = [
        dataclasses.replace(ledger, references=(Reference("org_cod", BOOKING_UNIT),)),
        dataclasses.replace(
            ledger, references=(Reference("org_code", dataclasses.replace(ANY_UNIT, kind="org")),)
        ),
        dataclasses.replace(
            ledger,
            references=(Reference("org_code", dataclasses.replace(ANY_UNIT, column="code")),),
        ),
        dataclasses.replace(
            ledger,
            references=(
                Reference("org_code", dataclasses.replace(BOOKING_UNIT, only=("level", ("x",)))),
            ),
        ),
        dataclasses.replace(
            ledger,
            references=(
                Reference(
                    "line_code", CONTRACTS["ledger"].references[1].target, agree=("statement",)
                ),
            ),
        ),
        dataclasses.replace(
            ledger,
            references=(Reference("line_code", ledger.references[1].target, within_scope=True),),
        ),
        dataclasses.replace(ledger, references=(Reference("org_code", ANY_UNIT, multiple=True),)),
    ]
    for typo in typos:
        assert declaration_problems([typo]), typo.references


def test_the_tree_needs_its_self_reference():
    org = CONTRACTS["organisation"]
    assert declaration_problems([dataclasses.replace(org, references=())]) == [
        "organisation: the tree's parent_code needs a reference to organisation itself"
    ]


# --- a new contract is checked without new code ---------------------------------------------

# Only some rows of a target count: a decision is for a service area or a cost centre.
SERVICE_UNIT = Target(
    "organisation",
    "org_code",
    noun="organisation unit",
    expected="a service area or cost centre of {file}",
    described="a service area or cost centre of organisation",
    only=("org_level", ("service_area", "cost_centre")),
)
DECISIONS = Contract(
    kind="budget_decisions",
    title="Budget decisions",
    description="A throwaway extract: decisions changing a service area's budget.",
    columns=(
        Column("decision_id", "code", "Decision.", "P1"),
        ORG_CODE,
        Column("goal_id", "code", "Goal the change serves.", "K1", required=False),
    ),
    key=("decision_id",),
    references=(
        Reference("org_code", SERVICE_UNIT, within_scope=True),
        Reference(
            "goal_id",
            Target("goals", "goal_id", noun="goal", expected="a goal_id of goals", described=""),
        ),
    ),
)
DECISION_LINES = Contract(
    kind="decision_lines",
    title="Decision lines",
    description="A throwaway extract referring to the one above, owned by the same unit.",
    columns=(Column("decision_id", "code", "Decision.", "P1"), ORG_CODE),
    key=("decision_id", "org_code"),
    references=(
        Reference(
            "decision_id",
            Target(
                "budget_decisions",
                "decision_id",
                noun="decision",
                expected="a decision_id of {file}",
                described="",
            ),
            agree=("org_code",),
        ),
    ),
)


def test_a_new_contract_with_references_is_checked_by_its_declarations():
    assert declaration_problems([DECISIONS, DECISION_LINES]) == []
    goals = one("goals", goal_id="K1", org_codes="D")
    decisions = extract(
        DECISIONS,
        [
            {"decision_id": "P1", "org_code": "S1", "goal_id": "K1"},
            {"decision_id": "P2", "org_code": "S2", "goal_id": None},
        ],
    )
    lines = extract(DECISION_LINES, [{"decision_id": "P1", "org_code": "S1"}])
    assert errors_of(organisation(), goals, decisions, lines) == []
    assert outside_scope_errors({"budget_decisions": decisions}, SCOPE) == []

    decisions = extract(
        DECISIONS,
        [
            {"decision_id": "P1", "org_code": "D", "goal_id": "K9"},
            {"decision_id": "P2", "org_code": "B", "goal_id": None},
        ],
    )
    lines = extract(
        DECISION_LINES,
        [{"decision_id": "P1", "org_code": "S1"}, {"decision_id": "P3", "org_code": "S1"}],
    )
    assert errors_of(organisation(), goals, decisions, lines) == [
        "budget_decisions.csv:2 column 'org_code': 'department' organisation unit 'D'; "
        "expected a service area or cost centre of organisation.csv",
        "budget_decisions.csv:3 column 'org_code': 'board' organisation unit 'B'; "
        "expected a service area or cost centre of organisation.csv",
        "budget_decisions.csv:2 column 'goal_id': unknown goal 'K9'; expected a goal_id of goals",
        "decision_lines.csv:2 column 'org_code': decision 'P1' belongs to D; expected D",
        "decision_lines.csv:3 column 'decision_id': unknown decision 'P3'; expected a "
        "decision_id of budget_decisions.csv",
    ]
    assert [str(e) for e in outside_scope_errors({"budget_decisions": decisions}, SCOPE)] == [
        "budget_decisions.csv:3 column 'org_code': unit 'B' is above the delivery's scope D; "
        "expected a unit within D (the units above it add up every scope delivered)"
    ]


# --- each kind of reference, passing and failing ---------------------------------------------


def narrative(org_code: str) -> ParsedExtract:
    return one(
        "narratives",
        fiscal_year=2023,
        period=3,
        org_code=org_code,
        section="goals_intro",
        seq=1,
        text="",
    )


def test_a_unit_of_the_organisation():
    assert errors_of(organisation(), narrative("B")) == []
    assert errors_of(organisation(), narrative("X")) == [
        "narratives.csv:2 column 'org_code': unknown organisation unit 'X'; expected a unit "
        "of organisation.csv"
    ]


def ledger_row(org_code: str = "S1", line_code: str = "palkat") -> ParsedExtract:
    return one(
        "ledger",
        fiscal_year=2023,
        period=3,
        org_code=org_code,
        line_code=line_code,
        scenario="actual",
        amount=1,
        unit="1",
    )


def test_figures_are_booked_on_any_unit_of_the_organisation():
    # the municipality itself books what no department does (tax revenue, state grants)
    for unit in ("S1", "CC", "D", "M"):
        assert errors_of(organisation(), ledger_row(unit)) == []
    assert errors_of(organisation(), ledger_row("X")) == [
        "ledger.csv:2 column 'org_code': unknown organisation unit 'X'; expected a "
        "unit of organisation.csv"
    ]
    # ... within the delivery's scope: the units above it add up every scope delivered
    ledger = {"ledger": ledger_row("M")}
    assert [str(e) for e in outside_scope_errors(ledger, SCOPE)] == [
        "ledger.csv:2 column 'org_code': unit 'M' is above the delivery's scope D; "
        "expected a unit within D (the units above it add up every scope delivered)"
    ]


def test_units_separated_by_bars():
    assert errors_of(organisation(), one("goals", goal_id="K1", org_codes="S1|S2")) == []
    assert errors_of(organisation(), one("goals", goal_id="K1", org_codes="S1|X|Y")) == [
        "goals.csv:2 column 'org_codes': unknown organisation unit 'X'; expected a unit of "
        "organisation.csv",
        "goals.csv:2 column 'org_codes': unknown organisation unit 'Y'; expected a unit of "
        "organisation.csv",
    ]


def test_an_operating_line_at_any_level():
    # a report printing only the subtotal books it; one printing its lines books those
    assert errors_of(organisation(), ledger_row(line_code="ostot")) == []
    assert errors_of(organisation(), ledger_row(line_code="kulut")) == []
    lines = "expected an operating line: kulut, ostot, palkat"
    # a line of another statement is no operating line at all
    assert errors_of(organisation(), ledger_row(line_code="tulot")) == [
        f"ledger.csv:2 column 'line_code': report line 'tulot' is unknown; {lines}"
    ]


def control_total(statement: str, line_code: str) -> ParsedExtract:
    return one(
        "control_totals",
        fiscal_year=2023,
        period=3,
        statement=statement,
        org_code="D",
        line_code=line_code,
        measure="actual",
        amount=1,
        unit="1",
    )


def test_a_line_of_the_rows_own_statement():
    assert errors_of(organisation(), control_total("operating", "kulut")) == []
    assert errors_of(organisation(), control_total("budget_binding", "tulot")) == []
    assert errors_of(organisation(), control_total("budget_binding", "palkat")) == [
        "control_totals.csv:2 column 'line_code': unknown report line 'palkat' for statement "
        "budget_binding; expected one of tulot, menot"
    ]


def investment(project_code: str, org_code: str = "S1") -> ParsedExtract:
    return one(
        "investments",
        fiscal_year=2023,
        period=3,
        org_code=org_code,
        project_code=project_code,
        line_code="menot",
        scenario="actual",
        amount=-1,
        unit="1",
    )


PROJECTS = one("investment_projects", fiscal_year=2023, period=3, org_code="S1", project_code="P1")


def test_a_key_of_another_extract_owned_by_the_same_unit():
    assert errors_of(organisation(), PROJECTS, investment("P1")) == []
    assert errors_of(organisation(), PROJECTS, investment("P2")) == [
        "investments.csv:2 column 'project_code': unknown project 'P2'; expected a "
        "project_code of investment_projects"
    ]
    assert errors_of(organisation(), PROJECTS, investment("P1", org_code="S2")) == [
        "investments.csv:2 column 'org_code': project 'P1' belongs to S1; expected S1"
    ]
    # without the extract referred to, nothing is known of it
    assert errors_of(organisation(), investment("P1")) == [
        "investments.csv:2 column 'project_code': unknown project 'P1'; expected a "
        "project_code of investment_projects"
    ]


def test_a_goal_of_the_goals():
    goals = one("goals", goal_id="K1", org_codes="D")
    assert errors_of(organisation(), goals, one("goal_metrics", goal_id="K1")) == []
    assert errors_of(organisation(), goals, one("goal_metrics", goal_id="K2")) == [
        "goal_metrics.csv:2 column 'goal_id': unknown goal 'K2'; expected a goal_id of goals"
    ]


def test_a_unit_within_the_scope():
    assert outside_scope_errors({"narratives": narrative("S1")}, SCOPE) == []
    assert [str(e) for e in outside_scope_errors({"narratives": narrative("M")}, SCOPE)] == [
        "narratives.csv:2 column 'org_code': unit 'M' is above the delivery's scope D; "
        "expected a unit within D (the units above it add up every scope delivered)"
    ]
    goals = one("goals", goal_id="K1", org_codes="S1|B")
    assert [str(e) for e in outside_scope_errors({"goals": goals}, SCOPE)] == [
        "goals.csv:2 column 'org_codes': unit 'B' is above the delivery's scope D; "
        "expected units within D"
    ]


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param(ORGANISATION, [], id="one-tree"),
        pytest.param(
            [*ORGANISATION, ("S3", "service_area", "X")],
            [
                "organisation.csv:8 column 'parent_code': unknown parent 'X'; expected an "
                "org_code of this file"
            ],
            id="unknown-parent",
        ),
        pytest.param(
            [*ORGANISATION, ("M2", "municipality", None)],
            [
                "organisation.csv column 'parent_code': 2 units without a parent; expected "
                "exactly one root (the municipality or joint authority)"
            ],
            id="two-roots",
        ),
        pytest.param(
            [
                ("M", "municipality", None),
                ("B", "board", "D"),
                ("D", "department", "B"),
                ("S1", "service_area", "D"),
            ],
            [
                "organisation.csv:3 column 'parent_code': the parent chain loops back to this "
                "unit; expected a tree under one root",
                "organisation.csv:4 column 'parent_code': the parent chain loops back to this "
                "unit; expected a tree under one root",
            ],
            id="loop",
        ),
    ],
)
def test_the_organisation_is_one_tree(units, expected):
    assert errors_of(organisation(units)) == expected


def test_bulk_references_follow_the_account_ledgers_declarations():
    ranges = extract(
        ACCOUNT_RANGES,
        [
            {
                "account_from": 4000,
                "account_to": 4399,
                "line_code": "palkat",
                "name_fi": "",
                "municipality_code": None,
            },
            # another municipality's own range is not this delivery's chart
            {
                "account_from": 4400,
                "account_to": 4499,
                "line_code": "ostot",
                "name_fi": "",
                "municipality_code": "OTHER",
            },
        ],
    )
    orphan = ("CC2", "cost_centre", "D")
    references = bulk_references(
        {"organisation": organisation([*ORGANISATION, orphan])}, ranges, "M"
    )
    assert references.cost_centres == {"CC": ("S1", "service_area"), "CC2": ("D", "department")}
    assert references.account_ranges == [(4000, 4399, "palkat", None, "operating", False)]
    assert (references.organisation_file, references.account_ranges_file) == (
        "organisation.csv",
        "seeds/reference/account_ranges.csv",
    )
    # A bulk extract's references are DuckDB's to check when it is loaded, not this loop's.
    accounts = extract(CONTRACTS["ledger_accounts"], [{"cost_centre": "X", "account": "1"}])
    assert errors_of(organisation(), accounts) == []


def test_a_line_and_a_line_under_it_are_never_both_booked():
    lines = extract(
        REPORT_LINES,
        [
            {"statement": "operating", "line_code": "kulut", "parent_code": None},
            {"statement": "operating", "line_code": "palkat", "parent_code": "kulut"},
            {"statement": "operating", "line_code": "ostot", "parent_code": "kulut"},
        ],
    )
    row = {"fiscal_year": 2023, "period": 3, "org_code": "S1", "scenario": "actual", "unit": "1"}
    ledger = extract(
        CONTRACTS["ledger"],
        [
            {**row, "line_code": "palkat", "amount": 80, "item": None},
            {**row, "line_code": "ostot", "amount": 20, "item": None},
            # another unit, or another scenario, may book the line above
            {**row, "org_code": "S2", "line_code": "kulut", "amount": 100, "item": None},
            {**row, "scenario": "budget", "line_code": "kulut", "amount": 100, "item": None},
        ],
    )
    assert nested_line_errors({"ledger": ledger}, lines) == []
    doubled = extract(
        CONTRACTS["ledger"],
        [*ledger.rows, {**row, "line_code": "kulut", "amount": 100, "item": None}],
    )
    assert [str(e) for e in nested_line_errors({"ledger": doubled}, lines)] == [
        f"ledger.csv:{line} column 'line_code': '{code}' is booked together with 'kulut' above "
        "it (fiscal_year=2023, org_code=S1, scenario=actual); expected the lines of one level: "
        "'kulut' is computed from the lines under it"
        for line, code in ((2, "palkat"), (3, "ostot"))
    ]
