"""A reporting period of the published warehouse as a Fiscal Data Package (Open Knowledge /
OpenSpending, version 0.3: a Tabular Data Package with a `model` of measures and
dimensions).

The package holds the figures as they are booked: one row per organisation unit and report
line that figures are booked on (the leaves of both hierarchies), so that any roll-up a
reader makes (a department, Toimintakate, the municipality) adds up to the figure the marts
hold. The organisation and the report lines come as code lists, each line of them pointing
at its parent, so every subtotal can be computed from the data, as the warehouse does.

    datapackage.json          the descriptor: resources with Table Schemas, and the model
    data/budget_lines.csv     the booked figures (operating statement and investments)
    data/org_units.csv        the period's organisation tree
    data/report_lines.csv     the report lines of both statements, with their hierarchy

Amounts are the marts' decimals, written as they are (no floats), in euros with the
marts' sign convention: income positive, expenses negative; `direction` says which a line
is where the line tells. Before the package replaces an earlier one it must validate
(frictionless and the model, fdp_model.py), and the booked figures, read back from the
CSV and added up through the code lists, must equal every row of the marts they came from.
"""

from __future__ import annotations

import calendar
import csv
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.export.fdp_model import validate_package, validator_version
from orchestration.ingest.contracts import sql_literal
from orchestration.ingest.periods import ReportingPeriod
from orchestration.warehouse.publish import fsync_dir, read_generation, sha256_of

FORMAT = "fdp"
DESCRIPTOR = "datapackage.json"
DATA_DIR = "data"
CURRENCY = "EUR"

# The statements exported and the marts that hold their figures at every level.
STATEMENTS = (("operating", "fct_budget_vs_actual"), ("investment", "fct_investments"))

# The base measures of a fact row, and the phase of the budget each is in (FDP 0.3:
# proposed, approved, adjusted, executed; none for the changes and the forecast, which
# are no phase of their own). Each also comes as <measure>_external, the external items.
BASE_MEASURES: dict[str, tuple[str, str | None]] = {
    "original_budget": ("Original budget (alkuperäinen talousarvio)", "approved"),
    "budget_changes": ("Budget changes (talousarviomuutokset)", None),
    "budget": ("Budget after changes (TA + muutokset)", "adjusted"),
    "actual": ("Actual, year to date (toteutuma)", "executed"),
    "forecast": ("Controllers' year-end forecast (ennuste)", None),
    "prior_year_budget": ("Prior year's budget after changes", "adjusted"),
    "prior_year_actual": ("Prior year's actual, whole year (TP)", "executed"),
    "prior_year_same_period_actual": ("Prior year's actual to the same month", "executed"),
}
MEASURES = (*BASE_MEASURES, *(f"{m}_external" for m in BASE_MEASURES))

# The organisation's levels, top to bottom, as columns of the budget lines (org_level
# joint_authority is a root, as municipality).
ORG_LEVELS = ("municipality", "board", "department", "service_area", "cost_centre")
_LEVEL_OF = {"joint_authority": "municipality"}


class ExportError(Exception):
    """The export is refused: no warehouse, no such period, an output folder that is not a
    package's, or a package that does not validate. Nothing was written."""


@dataclass(frozen=True)
class ExportedPackage:
    reporting_period: str
    folder: Path
    descriptor: Path
    budget_lines: dict[str, int]  # per statement
    org_units: int
    report_lines: int
    reconciled_rows: int  # rows of the marts the booked figures were added up to
    generation: str | None
    validator: str


def default_out_dir(warehouse_file: Path, reporting_period: str) -> Path:
    """export/fdp/<period>/ beside the published warehouse."""
    return Path(warehouse_file).parent / "export" / FORMAT / reporting_period


# --- reading the marts ---------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _period(con: duckdb.DuckDBPyConnection, wanted: str | None) -> dict[str, Any]:
    periods = _rows(con, "select * from marts.dim_reporting_periods order by reporting_period")
    if not periods:
        raise ExportError("the warehouse has no reporting periods: load a delivery first")
    if wanted is None:
        return periods[-1]
    for period in periods:
        if period["reporting_period"] == wanted:
            return period
    available = ", ".join(p["reporting_period"] for p in periods)
    raise ExportError(f"reporting period {wanted} is not in the warehouse; it has {available}")


def _booked_sql(statement: str, table: str) -> str:
    """The figures booked on each unit and line: a mart row less what its child units and
    child lines add into it (inclusion-exclusion over the two trees, so that a figure
    booked on a subtotal line or on a unit above the booking units is kept too). A row
    is booked where some leaf row of the mart's own count is left (leaf_rows); a measure
    the row itself has not is null."""
    measures = ", ".join(f"f.{m}" for m in MEASURES)

    def part(sign: int, org: str, line: str, joins: str = "") -> str:
        is_own = "true" if (org, line) == ("f.org_code", "f.line_code") else "false"
        return (
            f"select f.municipality_code, {org} as org_code, {line} as line_code, "
            f"{sign} as sign, {is_own} as is_own, f.leaf_rows, {measures} from f {joins}"
        )

    child_line = "join lines l on l.line_code = f.line_code"
    child_unit = (
        "join units u on u.municipality_code = f.municipality_code and u.org_code = f.org_code"
    )
    residual = ", ".join(
        f"case when bool_or(is_own and {m} is not null) then sum(sign * {m}) end as {m}"
        for m in MEASURES
    )
    return f"""
        with
        f as (select * from marts.{table} where reporting_period = $period),
        units as (
            select municipality_code, org_code, parent_org_code from marts.dim_org_units
            where reporting_period = $period and parent_org_code is not null
        ),
        lines as (
            select line_code, parent_code from marts.dim_report_lines
            where statement = '{statement}' and parent_code is not null
        ),
        parts as (
            {part(1, "f.org_code", "f.line_code")}
            union all
            {part(-1, "f.org_code", "l.parent_code", child_line)}
            union all
            {part(-1, "u.parent_org_code", "f.line_code", child_unit)}
            union all
            {part(1, "u.parent_org_code", "l.parent_code", f"{child_unit} {child_line}")}
        ),
        booked as (
            select municipality_code, org_code, line_code,
                sum(sign * leaf_rows) as booked_rows, {residual}
            from parts
            group by municipality_code, org_code, line_code
        )
        select '{statement}' as statement, booked.*, f.scope_code, f.source_load_id,
            f.source_file, f.source_sha256
        from booked
        inner join f using (municipality_code, org_code, line_code)
        where booked.booked_rows > 0
        order by booked.municipality_code, booked.org_code, booked.line_code
    """


def _comments(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, comment from duckdb_columns() "
        "where schema_name = 'marts' and table_name = ?",
        [table],
    ).fetchall()
    return {name: " ".join((comment or "").split()) for name, comment in rows}


@dataclass(frozen=True)
class _Marts:
    period: dict[str, Any]
    booked: list[dict[str, Any]]
    units: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    comments: dict[str, str]


def _read(con: duckdb.DuckDBPyConnection, reporting_period: str | None) -> _Marts:
    period = _period(con, reporting_period)
    params = {"period": period["reporting_period"]}
    booked = []
    for statement, table in STATEMENTS:
        booked += _rows(con, _booked_sql(statement, table), params)
    if not booked:
        raise ExportError(
            f"reporting period {period['reporting_period']} has no budget figures "
            "(marts.fct_budget_vs_actual, marts.fct_investments)"
        )
    units = _rows(
        con,
        "select * from marts.dim_org_units where reporting_period = $period "
        "order by municipality_code, level_depth, org_code",
        params,
    )
    lines = _rows(
        con,
        "select * from marts.dim_report_lines where list_contains(?, statement) "
        "order by list_position(?, statement), sort_order, line_code",
        [[s for s, _ in STATEMENTS]] * 2,
    )
    return _Marts(period, booked, units, lines, _comments(con, "fct_budget_vs_actual"))


# --- the package's tables ------------------------------------------------------------------


def org_id(municipality_code: str, org_code: str) -> str:
    """A unit's key in the package: codes are unique within a municipality."""
    return f"{municipality_code}:{org_code}"


def line_id(statement: str, line_code: str) -> str:
    """A report line's key in the package: codes are unique within a statement."""
    return f"{statement}:{line_code}"


def _direction(normal_sign: int | None) -> str | None:
    return {1: "revenue", -1: "expenditure"}.get(normal_sign or 0)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    constraints: dict[str, Any] | None = None

    def field(self) -> dict[str, Any]:
        field: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            field["description"] = self.description
        constraints = dict(self.constraints or {})
        if self.required:
            constraints["required"] = True
        if constraints:
            field["constraints"] = constraints
        return field


def _budget_line_columns(comments: dict[str, str]) -> list[Column]:
    level_columns = []
    for level in ORG_LEVELS:
        label = level.replace("_", " ")
        level_columns += [
            Column(f"{level}_code", "string", f"Code of the {label} the unit is in (or is)."),
            Column(f"{level}_name", "string", f"Finnish name of the {label}."),
        ]
    return [
        Column(
            "reporting_period",
            "yearmonth",
            "Reporting period YYYY-MM: the last month of the year-to-date span.",
            required=True,
        ),
        Column("fiscal_year", "year", "Fiscal (calendar) year.", required=True),
        Column(
            "reporting_month",
            "integer",
            "Last month of the year-to-date span (3 = January-March).",
            required=True,
            constraints={"minimum": 1, "maximum": 12},
        ),
        Column("period_start", "date", "First day of the fiscal year.", required=True),
        Column(
            "period_end",
            "date",
            "Last day of the reporting month: the actual is year-to-date up to it.",
            required=True,
        ),
        Column(
            "org_id",
            "string",
            "The unit the figures are booked on: <municipality_code>:<org_code> (org_units.csv).",
            required=True,
        ),
        *level_columns,
        Column("org_code", "string", "Code of the unit, unique within the municipality.", True),
        Column("org_name", "string", "Finnish name of the unit in this period."),
        Column(
            "org_level",
            "string",
            "Level of the unit in the organisation.",
            required=True,
            constraints={"enum": ["joint_authority", *ORG_LEVELS]},
        ),
        Column(
            "scope_code",
            "string",
            "The delivery scope (department, board or municipality) the figures come from.",
        ),
        Column(
            "line_id",
            "string",
            "The report line: <statement>:<line_code> (report_lines.csv).",
            required=True,
        ),
        Column(
            "statement",
            "string",
            "operating: the operating statement (JHS 192 income statement); investment: the "
            "investments table.",
            required=True,
            constraints={"enum": [s for s, _ in STATEMENTS]},
        ),
        Column("line_code", "string", "Code of the line, unique within the statement.", True),
        Column("line_name", "string", "The line's label as printed (Finnish)."),
        Column(
            "line_parent_code",
            "string",
            "The line (same statement) this line adds into; empty for the top line.",
        ),
        Column(
            "line_path",
            "string",
            "The line's ancestors and the line, top first, separated by '/'.",
            required=True,
        ),
        Column("line_sort_order", "integer", "Presentation order within the statement."),
        Column(
            "direction",
            "string",
            "revenue (income, positive amounts) or expenditure (expenses, negative amounts), "
            "from the line's usual sign; empty where the line can be either.",
            constraints={"enum": ["revenue", "expenditure"]},
        ),
        *(Column(m, "number", comments.get(m, "")) for m in MEASURES),
        Column("source_load_id", "string", "Load id of the delivery the figures come from."),
        Column("source_file", "string", "File name of that delivery."),
        Column("source_sha256", "string", "SHA-256 of that delivery's file."),
    ]


ORG_UNIT_COLUMNS = [
    Column("org_id", "string", "<municipality_code>:<org_code>", required=True),
    Column("municipality_code", "string", "The municipality (or joint authority).", True),
    Column("org_code", "string", "Code of the unit, unique within the municipality.", True),
    Column("parent_org_id", "string", "The parent unit; empty for the municipality."),
    Column(
        "org_level",
        "string",
        "Level of the unit.",
        required=True,
        constraints={"enum": ["joint_authority", *ORG_LEVELS]},
    ),
    Column("org_name", "string", "Finnish name of the unit in this period."),
    Column("short_name", "string", "Abbreviation used in the report, where it has one."),
    Column("scope_code", "string", "The delivery scope the unit belongs to."),
    Column(
        "is_booking_unit",
        "boolean",
        "Figures are booked on the unit (service areas, cost centres).",
        required=True,
    ),
    Column("is_above_scopes", "boolean", "The unit adds up several delivered scopes.", True),
]

REPORT_LINE_COLUMNS = [
    Column("line_id", "string", "<statement>:<line_code>", required=True),
    Column("statement", "string", "operating or investment.", required=True),
    Column("line_code", "string", "Code of the line, unique within the statement.", True),
    Column("parent_line_id", "string", "The subtotal the line adds into; empty for the top."),
    Column("line_name", "string", "The line's label as printed (Finnish).", required=True),
    Column(
        "line_type",
        "string",
        "leaf: a line booked; subtotal: computed from the lines below it.",
        required=True,
        constraints={"enum": ["leaf", "subtotal"]},
    ),
    Column("sort_order", "integer", "Presentation order within the statement."),
    Column(
        "direction",
        "string",
        "revenue or expenditure, from the line's usual sign; empty where it can be either.",
        constraints={"enum": ["revenue", "expenditure"]},
    ),
    Column("municipality_code", "string", "The municipality a line of its own belongs to."),
]


def _org_table(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "org_id": org_id(u["municipality_code"], u["org_code"]),
            "municipality_code": u["municipality_code"],
            "org_code": u["org_code"],
            "parent_org_id": org_id(u["municipality_code"], u["parent_org_code"])
            if u["parent_org_code"]
            else None,
            "org_level": u["org_level"],
            "org_name": u["org_name_fi"],
            "short_name": u["short_name"],
            "scope_code": u["scope_code"],
            "is_booking_unit": u["is_booking_unit"],
            "is_above_scopes": u["is_above_scopes"],
        }
        for u in units
    ]


def _line_table(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "line_id": line_id(r["statement"], r["line_code"]),
            "statement": r["statement"],
            "line_code": r["line_code"],
            "parent_line_id": line_id(r["statement"], r["parent_code"])
            if r["parent_code"]
            else None,
            "line_name": r["name_fi"],
            "line_type": r["line_type"],
            "sort_order": r["sort_order"],
            "direction": _direction(r["normal_sign"]),
            "municipality_code": r["municipality_code"],
        }
        for r in lines
    ]


def _ancestors(key: Any, parent_of: dict[Any, Any]) -> list[Any]:
    """key and every key above it, bottom first."""
    chain, seen = [key], {key}
    while (parent := parent_of.get(chain[-1])) is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
    return chain


def _budget_line_table(marts: _Marts) -> list[dict[str, Any]]:
    period = marts.period
    year, month = period["fiscal_year"], period["reporting_month"]
    units = {(u["municipality_code"], u["org_code"]): u for u in marts.units}
    unit_parent = {
        key: (key[0], u["parent_org_code"]) for key, u in units.items() if u["parent_org_code"]
    }
    lines = {(r["statement"], r["line_code"]): r for r in marts.lines}
    line_parent = {key: (key[0], r["parent_code"]) for key, r in lines.items() if r["parent_code"]}
    table = []
    order = {s: i for i, (s, _) in enumerate(STATEMENTS)}
    for row in sorted(
        marts.booked,
        key=lambda r: (
            r["municipality_code"],
            order[r["statement"]],
            r["org_code"],
            lines[(r["statement"], r["line_code"])]["sort_order"],
        ),
    ):
        unit_key = (row["municipality_code"], row["org_code"])
        unit = units[unit_key]
        levels: dict[str, Any] = {}
        for key in _ancestors(unit_key, unit_parent):
            above = units[key]
            level = _LEVEL_OF.get(above["org_level"], above["org_level"])
            levels[f"{level}_code"] = above["org_code"]
            levels[f"{level}_name"] = above["org_name_fi"]
        line_key = (row["statement"], row["line_code"])
        line = lines[line_key]
        path = [code for _, code in reversed(_ancestors(line_key, line_parent))]
        table.append(
            {
                "reporting_period": period["reporting_period"],
                "fiscal_year": year,
                "reporting_month": month,
                "period_start": f"{year}-01-01",
                "period_end": f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}",
                "org_id": org_id(*unit_key),
                **{f"{level}_{part}": None for level in ORG_LEVELS for part in ("code", "name")},
                **levels,
                "org_code": row["org_code"],
                "org_name": unit["org_name_fi"],
                "org_level": unit["org_level"],
                "scope_code": row["scope_code"],
                "line_id": line_id(*line_key),
                "statement": row["statement"],
                "line_code": row["line_code"],
                "line_name": line["name_fi"],
                "line_parent_code": line["parent_code"],
                "line_path": "/".join(path),
                "line_sort_order": line["sort_order"],
                "direction": _direction(line["normal_sign"]),
                **{m: row[m] for m in MEASURES},
                "source_load_id": row["source_load_id"],
                "source_file": row["source_file"],
                "source_sha256": row["source_sha256"],
            }
        )
    return table


# --- the descriptor ------------------------------------------------------------------------


def _measure_model(period: dict[str, Any]) -> dict[str, Any]:
    year, month = period["fiscal_year"], period["reporting_month"]
    end = f"{month:02d}-{calendar.monthrange(year, month)[1]:02d}"

    def span(measure: str) -> dict[str, str]:
        fiscal_year = year - 1 if measure.startswith("prior_year") else year
        to_date = measure in ("actual", "prior_year_same_period_actual")
        return {
            "start": f"{fiscal_year}-01-01",
            "end": f"{fiscal_year}-{end}" if to_date else f"{fiscal_year}-12-31",
        }

    measures = {}
    for name in MEASURES:
        base = name.removesuffix("_external")
        title, phase = BASE_MEASURES[base]
        measure: dict[str, Any] = {
            "source": name,
            "resource": "budget_lines",
            "currency": CURRENCY,
            "factor": 1,
            "title": title + (", external items" if name != base else ""),
        }
        if phase:
            measure["phase"] = phase
        measure["fiscalPeriod"] = span(base)
        measure["items"] = "external" if name != base else "all"
        measures[name] = measure
    return measures


def _attributes(**sources: str | dict[str, str]) -> dict[str, dict[str, str]]:
    attributes = {}
    for key, value in sources.items():
        attribute = {"source": value} if isinstance(value, str) else dict(value)
        attribute["resource"] = "budget_lines"
        attributes[key] = attribute
    return attributes


def _dimension_model() -> dict[str, Any]:
    levels: dict[str, str | dict[str, str]] = {}
    above = None
    for level in ORG_LEVELS:
        levels[f"{level}_code"] = {"source": f"{level}_code"} | (
            {"parent": f"{above}_code"} if above else {}
        )
        levels[f"{level}_name"] = {"source": f"{level}_name", "labelfor": f"{level}_code"}
        above = level
    return {
        "fiscal_period": {
            "dimensionType": "datetime",
            "attributes": _attributes(
                reporting_period="reporting_period",
                fiscal_year="fiscal_year",
                month="reporting_month",
                start="period_start",
                end="period_end",
            ),
            "primaryKey": "reporting_period",
        },
        "administrative_classification": {
            "dimensionType": "classification",
            "classificationType": "administrative",
            "attributes": _attributes(
                id="org_id",
                code="org_code",
                label={"source": "org_name", "labelfor": "code"},
                level="org_level",
                scope="scope_code",
                **levels,
            ),
            "primaryKey": "id",
        },
        "economic_classification": {
            "dimensionType": "classification",
            "classificationType": "economic",
            "attributes": _attributes(
                id="line_id",
                statement="statement",
                code="line_code",
                label={"source": "line_name", "labelfor": "code"},
                parent_code="line_parent_code",
                path="line_path",
                sort_order="line_sort_order",
            ),
            "primaryKey": "id",
        },
        "direction": {
            "dimensionType": "other",
            "attributes": _attributes(direction="direction"),
            "primaryKey": "direction",
        },
        "delivery": {
            "dimensionType": "fact",
            "attributes": _attributes(
                load_id="source_load_id", file="source_file", sha256="source_sha256"
            ),
            "primaryKey": "load_id",
        },
    }


def _resource(
    name: str, title: str, columns: Sequence[Column], primary_key: list[str], **schema: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "profile": "tabular-data-resource",
        "path": f"{DATA_DIR}/{name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [c.field() for c in columns],
            "missingValues": [""],
            "primaryKey": primary_key,
            **schema,
        },
    }


def _descriptor(marts: _Marts, generation: dict[str, Any] | None) -> dict[str, Any]:
    period = marts.period
    year = period["fiscal_year"]
    municipalities = sorted(
        {u["municipality_code"]: u["municipality_name_fi"] for u in marts.units}.items()
    )
    names = ", ".join(name for _, name in municipalities)
    label = period["label_fi"]
    sources = sorted(
        {
            (r["source_file"], r["source_load_id"], r["source_sha256"])
            for r in marts.booked
            if r["source_load_id"]
        }
    )
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "profiles": {"fiscal": "*", "tabular": "*"},
        "name": f"kuntaseuranta-{period['reporting_period']}",
        "title": f"Budget follow-up {label}: {names}",
        "description": (
            f"Budget vs. actual of the operating statement (JHS 192) and of investments, "
            f"January to the end of {period['reporting_period']}, as booked per organisation "
            "unit and report line. Amounts in euros, income positive and expenses negative; "
            "subtotals and units above the booking units add up the rows through "
            "org_units.csv and report_lines.csv."
        ),
        "countryCode": "fi",
        "granularity": "aggregated",
        "fiscalPeriod": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "keywords": ["budget", "municipal finance", "JHS 192", *(c for c, _ in municipalities)],
        "sources": [
            {"title": f"{file} (load {load_id}, sha256 {sha256})"}
            for file, load_id, sha256 in sources
        ],
        "resources": [
            _resource(
                "budget_lines",
                "Booked figures per unit and report line",
                _budget_line_columns(marts.comments),
                ["org_id", "line_id"],
                foreignKeys=[
                    {
                        "fields": ["org_id"],
                        "reference": {"resource": "org_units", "fields": ["org_id"]},
                    },
                    {
                        "fields": ["line_id"],
                        "reference": {"resource": "report_lines", "fields": ["line_id"]},
                    },
                ],
            ),
            _resource(
                "org_units",
                f"Organisation of {period['reporting_period']}",
                ORG_UNIT_COLUMNS,
                ["org_id"],
                foreignKeys=[
                    {
                        "fields": ["parent_org_id"],
                        "reference": {"resource": "", "fields": ["org_id"]},
                    }
                ],
            ),
            _resource(
                "report_lines",
                "Report lines and their hierarchy",
                REPORT_LINE_COLUMNS,
                ["line_id"],
                foreignKeys=[
                    {
                        "fields": ["parent_line_id"],
                        "reference": {"resource": "", "fields": ["line_id"]},
                    }
                ],
            ),
        ],
        "model": {"measures": _measure_model(period), "dimensions": _dimension_model()},
    }
    if generation:
        descriptor["sources"].insert(
            0,
            {
                "title": f"kuntaseuranta warehouse, generation {generation['id']} "
                "(marts fct_budget_vs_actual, fct_investments, dim_org_units, "
                "dim_report_lines, dim_reporting_periods)"
            },
        )
        if generation.get("created"):
            descriptor["created"] = generation["created"]
    return descriptor


# --- writing -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # as the mart holds it, never in exponent form
    return str(value)


def _write_csv(path: Path, columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)  # RFC 4180, as Table Schema's default dialect
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([_cell(row[c.name]) for c in columns])
        out.flush()
        os.fsync(out.fileno())


def _write_package(folder: Path, marts: _Marts, generation: dict[str, Any] | None) -> dict:
    descriptor = _descriptor(marts, generation)
    tables = {
        "budget_lines": _budget_line_table(marts),
        "org_units": _org_table(marts.units),
        "report_lines": _line_table(marts.lines),
    }
    columns = {
        "budget_lines": _budget_line_columns(marts.comments),
        "org_units": ORG_UNIT_COLUMNS,
        "report_lines": REPORT_LINE_COLUMNS,
    }
    for resource in descriptor["resources"]:
        path = folder / resource["path"]
        _write_csv(path, columns[resource["name"]], tables[resource["name"]])
        resource["bytes"] = path.stat().st_size
        resource["hash"] = f"sha256:{sha256_of(path)}"
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    with (folder / DESCRIPTOR).open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    fsync_dir(folder / DATA_DIR)
    fsync_dir(folder)
    return descriptor


# --- the booked figures add up to the marts ------------------------------------------------


def _reconcile_sql(csv_path: Path) -> str:
    types = {c.name: "VARCHAR" for c in _budget_line_columns({})}
    types |= {m: "DECIMAL(18,2)" for m in MEASURES}
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())

    def expected(m: str) -> str:
        if not m.endswith("_external"):
            return f"sum(l.{m}) as {m}"
        base = m.removesuffix("_external")
        # the marts' rule: null where some figure behind it is not split into items
        return (
            f"case when sum(l.{base}) is null then null "
            f"when count(*) filter (where l.{base} is not null and l.{m} is null) > 0 "
            f"then null else coalesce(sum(l.{m}), 0) end as {m}"
        )

    marts = " union all ".join(
        f"select '{s}' as statement, municipality_code, org_code, line_code, "
        f"{', '.join(MEASURES)} from marts.{t} where reporting_period = $period"
        for s, t in STATEMENTS
    )
    differs = " or ".join(f"m.{x} is distinct from r.{x}" for x in MEASURES)
    statements = ", ".join(f"'{s}'" for s, _ in STATEMENTS)
    return f"""
        with recursive
        org_up(municipality_code, org_code, ancestor_code) as (
            select municipality_code, org_code, org_code from marts.dim_org_units
            where reporting_period = $period
            union all
            select o.municipality_code, o.org_code, u.parent_org_code
            from org_up o
            inner join marts.dim_org_units u
                on u.reporting_period = $period
                and u.municipality_code = o.municipality_code
                and u.org_code = o.ancestor_code
            where u.parent_org_code is not null
        ),
        line_up(statement, line_code, ancestor_code) as (
            select statement, line_code, line_code from marts.dim_report_lines
            where statement in ({statements})
            union all
            select l.statement, l.line_code, r.parent_code
            from line_up l
            inner join marts.dim_report_lines r
                on r.statement = l.statement and r.line_code = l.ancestor_code
            where r.parent_code is not null
        ),
        leaves as (
            select * from read_csv({sql_literal(str(csv_path))}, header = true, auto_detect = false,
                columns = {{{columns}}})
        ),
        rolled as (
            select l.municipality_code, o.ancestor_code as org_code, l.statement,
                u.ancestor_code as line_code, {", ".join(expected(m) for m in MEASURES)}
            from leaves l
            inner join org_up o
                on o.municipality_code = l.municipality_code and o.org_code = l.org_code
            inner join line_up u
                on u.statement = l.statement and u.line_code = l.line_code
            group by all
        ),
        marts as ({marts})
        select
            coalesce(m.municipality_code, r.municipality_code) as municipality_code,
            coalesce(m.org_code, r.org_code) as org_code,
            coalesce(m.statement, r.statement) as statement,
            coalesce(m.line_code, r.line_code) as line_code,
            m.municipality_code is not null as in_marts,
            r.municipality_code is not null as in_package,
            ({differs}) or m.municipality_code is null or r.municipality_code is null
                as differs,
            {", ".join(f"m.{x} as mart_{x}, r.{x} as package_{x}" for x in MEASURES)}
        from marts m
        full outer join rolled r
            on r.municipality_code = m.municipality_code and r.org_code = m.org_code
            and r.statement = m.statement and r.line_code = m.line_code
    """


def reconcile(
    con: duckdb.DuckDBPyConnection, csv_path: Path, reporting_period: str
) -> tuple[int, list[str]]:
    """Add the booked figures read back from the package's CSV up through the period's
    organisation and report lines, and compare every measure with every row of the marts:
    (rows compared, the differences)."""
    rows = _rows(con, _reconcile_sql(csv_path), {"period": reporting_period})
    problems = []
    for r in rows:
        if not r["differs"]:
            continue
        where = f"{r['municipality_code']} {r['org_code']} {r['statement']} {r['line_code']}"
        if not r["in_marts"]:
            problems.append(f"{where}: in the package, not in the marts")
        elif not r["in_package"]:
            problems.append(f"{where}: in the marts, not in the package")
        else:
            for m in MEASURES:
                if r[f"mart_{m}"] != r[f"package_{m}"]:
                    problems.append(
                        f"{where} {m}: marts {r[f'mart_{m}']}, package adds up to "
                        f"{r[f'package_{m}']}"
                    )
    return len(rows), problems


# --- the export ----------------------------------------------------------------------------

_OURS = re.compile(r"^\.(?P<name>.+)\.(?:partial|replaced)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _check_out(out: Path) -> None:
    """Refuse an output folder that holds anything but a package this command wrote: the
    export replaces the folder whole."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder for the package")
    for entry in out.iterdir():
        if entry.name == DESCRIPTOR and entry.is_file():
            continue
        csv_only = entry.is_dir() and all(p.suffix == ".csv" for p in entry.iterdir())
        if entry.name == DATA_DIR and csv_only:
            continue
        raise ExportError(
            f"{out} holds other files than a Fiscal Data Package ({entry.name}); the export "
            "replaces its folder whole: give an empty or new folder with --out"
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Folders an export killed before it finished left beside the package."""
    if not out.parent.is_dir():
        return
    for entry in out.parent.iterdir():
        match = _OURS.match(entry.name)
        if match and match["name"] == out.name and not _alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)


def _aside(out: Path, kind: str) -> Path:
    return out.with_name(f".{out.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _move_into_place(staged: Path, out: Path) -> None:
    """Replace out with the staged package: a reader sees the old package or the new one,
    each whole (between the two renames, briefly, none)."""
    old = _aside(out, "replaced") if out.exists() else None
    if old:
        os.rename(out, old)
    try:
        os.rename(staged, out)
    except OSError:
        if old:
            os.rename(old, out)
        raise
    fsync_dir(out.parent)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _generation(database: Path) -> dict[str, Any] | None:
    """The publication the file belongs to (generations/<id>/generation.json)."""
    generation = read_generation(database.parent)
    if not generation.manifest:
        return None
    created = None
    if generation.published_at:
        from datetime import datetime

        try:
            moment = datetime.fromisoformat(generation.published_at)
            created = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            created = None
    return {"id": generation.id, "created": created}


def export_fdp(
    warehouse_file: Path, reporting_period: str | None = None, out_dir: Path | None = None
) -> ExportedPackage:
    """Write the Fiscal Data Package of a reporting period (default: the latest) from the
    published warehouse to out_dir (default: default_out_dir), replacing a package there.

    The package is written into a folder beside out_dir and moved into place only once it
    validates and its figures add up to the marts; otherwise ExportError, and out_dir is
    as it was. Opens the published file read-only and reads only the marts.
    """
    if reporting_period is not None:
        reporting_period = str(ReportingPeriod.parse(reporting_period))
    if not Path(warehouse_file).is_file():
        raise ExportError(f"no published warehouse at {warehouse_file}: run `warehouse run`")
    # The file the link points at now: the whole export reads that one publication.
    database = Path(os.path.realpath(warehouse_file))
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise ExportError(f"cannot open {warehouse_file}: {str(exc).splitlines()[0]}") from exc
    with con:
        marts = _read(con, reporting_period)
        period = marts.period["reporting_period"]
        out = Path(out_dir) if out_dir else default_out_dir(warehouse_file, period)
        _check_out(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out)
        staged = _aside(out, "partial")
        generation = _generation(database)
        try:
            staged.mkdir()
            descriptor = _write_package(staged, marts, generation)
            problems = validate_package(staged / DESCRIPTOR)
            reconciled = 0
            if not problems:
                budget_lines = staged / descriptor["resources"][0]["path"]
                reconciled, problems = reconcile(con, budget_lines, period)
            if problems:
                shown = "\n  - ".join(problems[:20])
                more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
                raise ExportError(
                    f"the Fiscal Data Package of {period} does not validate; nothing was "
                    f"exported ({len(problems)} problem(s)):\n  - {shown}{more}"
                )
            _move_into_place(staged, out)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    counts = {s: sum(1 for r in marts.booked if r["statement"] == s) for s, _ in STATEMENTS}
    return ExportedPackage(
        reporting_period=period,
        folder=out,
        descriptor=out / DESCRIPTOR,
        budget_lines=counts,
        org_units=len(marts.units),
        report_lines=len(marts.lines),
        reconciled_rows=reconciled,
        generation=generation["id"] if generation else None,
        validator=validator_version(),
    )
