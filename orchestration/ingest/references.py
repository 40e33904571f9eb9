"""Cross-file rules, derived from what the contracts declare (contracts.Reference, Tree).

Every reference of every extract of a delivery is checked by one loop: the value (each
of them, for '|'-separated codes) must be a row of the target, an accepted one, and the
columns the reference says agree must agree. An extract's tree (the organisation) has one
root and no loops. Nothing here knows an extract kind: a new extract or reference is a
declaration in contracts.py.

A bulk extract's references are checked by DuckDB when it is loaded (bulk.py), against
validation.bulk_references(); they are skipped here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.ingest.contracts import CONTRACTS, REFERENCE_DATA, Contract, Reference, Target
from orchestration.ingest.delivery import ParsedExtract
from orchestration.ingest.reading import ExtractError
from orchestration.ingest.scope import Scope


def accepted(target: Target, row: Mapping[str, Any]) -> bool:
    """Whether a row of the target is one a reference may name."""
    if any(row[column] != value for column, value in target.among):
        return False
    return target.only is None or row[target.only[0]] in target.only[1]


def values_of(reference: Reference, row: Mapping[str, Any]) -> list[str]:
    value = row[reference.column]
    if value is None:  # an optional column left empty refers to nothing
        return []
    return value.split("|") if reference.multiple else [value]


@dataclass
class _Index:
    file: str
    rows: dict[tuple, Mapping[str, Any]]  # (same columns' values..., value) -> target row
    choices: dict[tuple, dict[str, None]]  # same columns' values -> accepted values, in order


def _index(target: Target, source: ParsedExtract | None) -> _Index:
    rows: dict[tuple, Mapping[str, Any]] = {}
    choices: dict[tuple, dict[str, None]] = {}
    for row in source.rows if source is not None else []:
        if any(row[column] != value for column, value in target.among):
            continue
        context = tuple(row[c] for c in target.same)
        rows[(*context, row[target.column])] = row
        if accepted(target, row):
            choices.setdefault(context, {})[row[target.column]] = None
    file = source.path.name if source is not None else f"{target.kind}.csv"
    return _Index(file, rows, choices)


def _in_contract_order(extracts: Iterable[ParsedExtract]) -> list[ParsedExtract]:
    order = {kind: position for position, kind in enumerate(CONTRACTS)}
    return sorted(extracts, key=lambda e: order.get(e.contract.kind, len(order)))


def reference_errors(
    extracts: Mapping[str, ParsedExtract], reference_data: Mapping[str, ParsedExtract] | None = None
) -> list[ExtractError]:
    """Every declared reference and tree of the extracts, in contract order.

    `extracts` maps kinds to the delivery's extracts, `reference_data` the kinds of the
    shipped reference data (report_lines) to theirs. A target missing from both (an
    optional extract not delivered) has no rows: every reference to it is unknown.
    """
    sources = {**(reference_data or {}), **extracts}
    indexes: dict[Target, _Index] = {}
    errors: list[ExtractError] = []
    for extract in _in_contract_order(extracts.values()):
        contract = extract.contract
        if contract.bulk:
            continue
        if contract.tree is not None:
            errors += _root_errors(extract)
        for reference in contract.references:
            target = reference.target
            if target not in indexes:
                indexes[target] = _index(target, sources.get(target.kind))
            errors += _errors_of(extract, reference, indexes[target])
        if contract.tree is not None:
            errors += _loop_errors(extract)
    return errors


def _errors_of(extract: ParsedExtract, reference: Reference, index: _Index) -> list[ExtractError]:
    target = reference.target
    name = extract.path.name
    errors = []
    for row in extract.rows:
        for value in values_of(reference, row):
            context = tuple(row[c] for c in target.same)
            found = index.rows.get((*context, value))
            if found is None or not accepted(target, found):
                state = (target.unknown if found is None else target.excluded).format(
                    noun=target.noun,
                    value=value,
                    found="" if found is None or target.only is None else found[target.only[0]],
                    context="".join(f" for {c} {row[c]}" for c in target.same),
                )
                choices = list(index.choices.get(context, {}))
                expected = target.expected.format(
                    file=index.file,
                    choices=", ".join(choices),
                    sorted_choices=", ".join(sorted(choices)),
                )
                errors.append(
                    ExtractError(
                        name, row["_source_line"], reference.column, f"{state}; expected {expected}"
                    )
                )
                continue
            for column in reference.agree:
                if found[column] != row[column]:
                    owner = found[column]
                    errors.append(
                        ExtractError(
                            name,
                            row["_source_line"],
                            column,
                            f"{target.noun} '{value}' belongs to {owner}; expected {owner}",
                        )
                    )
    return errors


def _root_errors(extract: ParsedExtract) -> list[ExtractError]:
    tree = extract.contract.tree
    assert tree is not None
    roots = [r for r in extract.rows if r[tree.parent] is None]
    if len(roots) == 1:
        return []
    return [
        ExtractError(
            extract.path.name,
            0,
            tree.parent,
            f"{len(roots)} {tree.member}s without a parent; expected exactly one root "
            f"({tree.root})",
        )
    ]


def _loop_errors(extract: ParsedExtract) -> list[ExtractError]:
    """A row whose parent chain comes back to it is in a loop (the rows running into a
    loop from below are not)."""
    tree = extract.contract.tree
    assert tree is not None
    (key,) = extract.contract.key
    rows = {r[key]: r for r in extract.rows}
    errors = []
    for row in rows.values():
        start, code, steps = row[key], row[tree.parent], 0
        while code is not None and code in rows and code != start and steps < len(rows):
            code, steps = rows[code][tree.parent], steps + 1
        if code == start:
            errors.append(
                ExtractError(
                    extract.path.name,
                    row["_source_line"],
                    tree.parent,
                    f"the parent chain loops back to this {tree.member}; expected a tree under "
                    "one root",
                )
            )
    return errors


def outside_scope_errors(extracts: Mapping[str, ParsedExtract], scope: Scope) -> list[ExtractError]:
    """Figures of a delivery are figures of its scope: a unit above it (the board of a
    department, the municipality) is added up from every scope, never delivered. Checked
    for every reference declared `within_scope`."""
    errors = []
    for extract in _in_contract_order(extracts.values()):
        if extract.contract.bulk:
            continue
        for reference in extract.contract.references:
            if not reference.within_scope:
                continue
            if reference.multiple:
                expected = f"expected units within {scope.code}"
            else:
                expected = (
                    f"expected a unit within {scope.code} (the units above it add up every "
                    "scope delivered)"
                )
            for row in extract.rows:
                for code in values_of(reference, row):
                    if code in scope.path:
                        errors.append(
                            ExtractError(
                                extract.path.name,
                                row["_source_line"],
                                reference.column,
                                f"unit '{code}' is above the delivery's scope {scope.code}; "
                                + expected,
                            )
                        )
    return errors


def declaration_problems(contracts: Iterable[Contract]) -> list[str]:
    """What is wrong with the contracts' declarations: a reference naming a column its
    contract lacks, a target kind or column that does not exist, a scope flag on something
    that is not an organisation unit, a tree without its parent column. Empty when sound;
    tests/test_references.py keeps it so."""
    contracts = list(contracts)
    known = {**CONTRACTS, **REFERENCE_DATA}
    problems = []
    for contract in contracts:
        known.setdefault(contract.kind, contract)
    for contract in contracts:
        own = set(contract.column_names)
        for reference in contract.references:
            target = reference.target
            where = f"{contract.kind}.{reference.column} -> {target.kind}.{target.column}"
            if reference.column not in own:
                problems.append(f"{where}: {contract.kind} has no column {reference.column}")
            if target.kind not in known:
                problems.append(f"{where}: no extract or reference data {target.kind}")
                continue
            theirs = set(known[target.kind].column_names)
            needed = {target.column, *(c for c, _ in target.among), *target.same}
            if target.only is not None:
                needed.add(target.only[0])
            for column in sorted(needed - theirs):
                problems.append(f"{where}: {target.kind} has no column {column}")
            for column in sorted({*target.same, *reference.agree} - own):
                problems.append(f"{where}: {contract.kind} has no column {column}")
            for column in sorted(set(reference.agree) - theirs):
                problems.append(f"{where}: {target.kind} has no column {column} to agree on")
            if reference.within_scope and target.kind != "organisation":
                problems.append(f"{where}: only organisation units lie within a scope")
            column = next((c for c in contract.columns if c.name == reference.column), None)
            if column is not None and reference.multiple != (column.type == "codes"):
                problems.append(
                    f"{where}: multiple goes with a column of type codes, not {column.type}"
                )
        if contract.tree is not None:
            tree = contract.tree
            if tree.parent not in own:
                problems.append(f"{contract.kind}: no column {tree.parent} for its tree")
            if len(contract.key) != 1:
                problems.append(f"{contract.kind}: a tree needs a key of one column")
            if not any(
                r.column == tree.parent and r.target.kind == contract.kind
                for r in contract.references
            ):
                problems.append(
                    f"{contract.kind}: the tree's {tree.parent} needs a reference to "
                    f"{contract.kind} itself"
                )
    return problems
