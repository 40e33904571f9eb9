"""The scope of a delivery: the part of an organisation whose figures it replaces.

A delivery's organisation file gives the path from the municipality (or joint authority)
down to the unit the delivery covers, and that unit's subtree:

    HEINOLA (municipality) -> HYLA (board) -> HYTO (department) -> HYTE, OPKOU, ... (areas)

The scope is read from the shape of that tree: going down from the root while a unit has
exactly one child at board or department level, the scope is where the path ends (HYTO
above; the municipality itself when it has several boards). A delivery can name its scope
instead (`warehouse run --scope CODE`) where the shape does not say it, e.g. a whole small
municipality with one board and one department.

Figures of a delivery replace only its scope's figures for its period: the welfare
division's restatement never touches the technical division, and roll-ups above the
scopes (board, municipality) add up every scope delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ROOT_LEVELS = ("municipality", "joint_authority")
# Levels a delivery may cover: one unit and everything below it.
SCOPE_LEVELS = (*ROOT_LEVELS, "board", "department")
_PATH_LEVELS = ("board", "department")  # levels the inference walks down through


class ScopeProblem(ValueError):
    """The organisation cannot be read as one scope; the message says why."""

    def __init__(self, message: str, org_code: str | None = None) -> None:
        super().__init__(message)
        self.org_code = org_code


@dataclass(frozen=True)
class Scope:
    municipality_code: str
    municipality_name: str
    code: str
    level: str
    name: str
    path: tuple[str, ...]  # root ... the scope's parent (the units above the scope)
    members: frozenset[str]  # the scope unit and every unit below it

    def describe(self) -> str:
        if self.code == self.municipality_code:
            return f"{self.name} ({self.code}, whole {self.level.replace('_', ' ')})"
        return f"{self.name} ({self.code}, {self.level}) of {self.municipality_name}"

    def covers(self, org_code: str) -> bool:
        return org_code in self.members


def _children(units: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {code: [] for code in units}
    for code, unit in units.items():
        parent = unit["parent_code"]
        if parent is not None and parent in children:
            children[parent].append(code)
    return children


def scope_of(rows: Iterable[Mapping[str, Any]], requested: str | None = None) -> Scope:
    """The scope of an organisation tree (rows of organisation.csv: org_code, org_level,
    parent_code, name_fi), inferred from its shape or the requested unit.

    Raises ScopeProblem. The tree itself (one root, known parents, no cycles) is checked
    before this is called."""
    units = {r["org_code"]: r for r in rows}
    roots = [code for code, unit in units.items() if unit["parent_code"] is None]
    if len(roots) != 1:
        raise ScopeProblem(f"{len(roots)} units without a parent; expected one root")
    root = roots[0]
    if units[root]["org_level"] not in ROOT_LEVELS:
        raise ScopeProblem(
            f"the root unit '{root}' is a {units[root]['org_level']}; expected a "
            f"{' or a '.join(ROOT_LEVELS)} at the top of the tree",
            root,
        )
    children = _children(units)
    if requested is None:
        code = root
        while len(children[code]) == 1 and units[children[code][0]]["org_level"] in _PATH_LEVELS:
            code = children[code][0]
            if units[code]["org_level"] == "department":
                break
    else:
        code = requested
        if code not in units:
            raise ScopeProblem(
                f"the requested scope '{code}' is not a unit of the organisation file; "
                f"expected one of {', '.join(sorted(units))}"
            )
        if units[code]["org_level"] not in SCOPE_LEVELS:
            raise ScopeProblem(
                f"the requested scope '{code}' is a {units[code]['org_level']}; a delivery "
                f"covers a {', '.join(SCOPE_LEVELS)}",
                code,
            )
    path: list[str] = []
    parent = units[code]["parent_code"]
    while parent is not None:
        path.insert(0, parent)
        parent = units[parent]["parent_code"]
    members, stack = set(), [code]
    while stack:
        member = stack.pop()
        members.add(member)
        stack.extend(children[member])
    for other in units:
        if other not in members and other not in path:
            raise ScopeProblem(
                f"unit '{other}' is neither under the scope {code} nor above it; a delivery "
                f"covers one unit and everything below it, with only the units above it on "
                f"the way to the root",
                other,
            )
    return Scope(
        municipality_code=root,
        municipality_name=units[root]["name_fi"],
        code=code,
        level=units[code]["org_level"],
        name=units[code]["name_fi"],
        path=tuple(path),
        members=frozenset(members),
    )
