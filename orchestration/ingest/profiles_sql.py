"""A large CSV export converted by its profile in DuckDB, not row by row in Python.

The same conversion as profiles.convert, as SQL over the export read by DuckDB: every
value cleaned by the same steps, the scenarios of a wide export unpivoted, the units of
the hierarchy gathered, the amounts turned into the report sign as exact text (never a
float). It takes only what it can decide exactly; anything else (a value a step cannot
handle, an amount in another format, a unit in two places, a record over several lines,
a file that is not UTF-8, the `absolute` sign) makes it give way to the Python
conversion, which names every problem with its line and column. The two agree on every
export both can read (tests/test_profiles.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb

from orchestration.ingest.contracts import CONTRACTS, sql_literal
from orchestration.ingest.periods import ReportingPeriod

# The profile's objects (profiles.py, which calls this module) come in untyped here, so
# that the two modules do not import each other: a _Getter, a Mapping, a Profile, an _Export.
_Getter = _Export = Mapping = Profile = FieldSpec = Any


class GiveWay(Exception):
    """The export needs the Python conversion (which names its problems)."""


_SPACES = "[ \u00a0\u202f\u2009]"


def _column(position: int) -> str:
    return f"c{position}"


def _text(position: int) -> str:
    return f"trim(coalesce({_column(position)}, ''))"


def _normal_sql(value: str) -> str:
    return f"lower(regexp_replace({value}, '\\s+', ' ', 'g'))"


def _value_sql(getter: _Getter, period: ReportingPeriod | None, name: str) -> tuple[str, str]:
    """(SQL of the field's text, SQL true where the value cannot be decided here)."""
    spec: FieldSpec = getter.spec
    if spec.source == "folder":
        if period is None:
            raise GiveWay
        value = period.fiscal_year if name == "fiscal_year" else period.month
        return sql_literal(str(value)), "false"
    if getter.position is None:
        return sql_literal(str(spec.value)), "false"
    if spec.lookup is not None:
        raise GiveWay
    value = _text(getter.position)
    bad = []
    if spec.strip_prefix:
        prefix = sql_literal(spec.strip_prefix)
        value = (
            f"(CASE WHEN starts_with({value}, {prefix}) "
            f"THEN trim({value}[{len(spec.strip_prefix) + 1}:]) ELSE {value} END)"
        )
    if spec.pattern is not None:
        pattern = sql_literal(spec.pattern)
        bad.append(f"({value} <> '' AND NOT regexp_matches({value}, {pattern}))")
        value = (
            f"(CASE WHEN {value} = '' THEN '' ELSE trim(regexp_extract({value}, {pattern}, 1)) END)"
        )
    if spec.part == "code":
        value = f"split_part({value}, ' ', 1)"
    elif spec.part == "name":
        value = (
            f"(CASE WHEN strpos({value}, ' ') > 0 "
            f"THEN trim({value}[strpos({value}, ' ') + 1:]) ELSE '' END)"
        )
    if spec.map is not None:
        cases = " ".join(
            f"WHEN {sql_literal(' '.join(k.split()).lower())} THEN {sql_literal(v)}"
            for k, v in spec.map.items()
        )
        mapped = f"(CASE {_normal_sql(value)} {cases} ELSE NULL END)"
        bad.append(f"({value} <> '' AND {mapped} IS NULL)")
        value = f"(CASE WHEN {value} = '' THEN '' ELSE {mapped} END)"
    return value, " OR ".join(bad) or "false"


def _amount_sql(position: int, profile: Profile) -> tuple[str, str]:
    """(the amount as exact text in the report sign, SQL true where it is undecided)."""
    numbers = profile.numbers
    raw = f"regexp_replace({_text(position)}, '{_SPACES}', '', 'g')"
    if numbers.thousands_separator.strip():
        raw = f"replace({raw}, {sql_literal(numbers.thousands_separator)}, '')"
    if numbers.decimal_separator == ",":
        shape, plain = "^-?[0-9]+(,[0-9]+)?$", f"replace({raw}, ',', '.')"
    else:
        shape, plain = "^-?[0-9]+([.][0-9]+)?$", raw
    bad = f"({raw} <> '' AND NOT regexp_matches({raw}, '{shape}'))"
    if numbers.sign == "ledger":
        plain = (
            f"(CASE WHEN {plain} = '' THEN '' WHEN starts_with({plain}, '-') "
            f"THEN {plain}[2:] ELSE '-' || {plain} END)"
        )
    elif numbers.sign != "report":
        raise GiveWay
    # Never exactly three decimals: 1.234 could be read as a thousands group.
    three = f"regexp_matches({plain}, '[.][0-9]{{3}}$')"
    text = f"(CASE WHEN {three} THEN {plain} || '0' ELSE {plain} END)"
    return text, bad


def convert_in_duckdb(
    export: _Export,
    mapping: Mapping,
    profile: Profile,
    period: ReportingPeriod | None,
    folder: Path,
    physical_lines: int,
) -> tuple[Path, object, list[tuple[int, list[str]]]]:
    """(the contract-shaped file, each record's export line, the organisation's rows);
    raise GiveWay when the Python conversion must do it."""
    contract = CONTRACTS[profile.extract]
    if export.encoding not in ("utf-8", "utf-8-sig") or not export.delimiter:
        raise GiveWay
    width = len(export.header)
    columns = "{" + ", ".join(f"'{_column(i)}': 'VARCHAR'" for i in range(width)) + "}"
    with duckdb.connect() as con:
        con.execute("SET preserve_insertion_order = true")
        try:
            con.execute(
                f"""
                CREATE TEMP TABLE _export AS
                SELECT row_number() OVER () AS _record, *
                FROM read_csv($path, header = false, skip = $skip, delim = $delim,
                    quote = '"', escape = '"', columns = {columns}, strict_mode = true,
                    null_padding = true, all_varchar = true, auto_detect = false)
                """,
                {"path": str(export.path), "skip": export.header_line, "delim": export.delimiter},
            )
        except duckdb.Error:
            raise GiveWay from None
        (records,) = con.execute("SELECT count(*) FROM _export").fetchone()
        if export.header_line + records != physical_lines:
            raise GiveWay  # blank lines or a record over several lines: count them in Python
        fields: dict[str, str] = {}
        bad: list[str] = []
        for name, getter in mapping.getters.items():
            fields[name], undecided = _value_sql(getter, period, name)
            bad.append(undecided)
        for name in ("fiscal_year", "period"):
            if name in contract.column_names and name not in fields:
                if period is None:
                    raise GiveWay
                value = period.fiscal_year if name == "fiscal_year" else period.month
                fields[name] = sql_literal(str(value))
        units_sql = None
        if mapping.levels:
            parent = "''"
            parts = []
            for index, (level, code_getter, name_getter) in enumerate(mapping.levels):
                code, undecided = _value_sql(code_getter, period, "org_code")
                bad += [undecided, f"({code} = '')"]
                name = code
                if name_getter is not None:
                    name, undecided = _value_sql(name_getter, period, "name_fi")
                    bad.append(undecided)
                parts.append(
                    f"SELECT {code} AS code, {sql_literal(level)} AS level, {parent} AS parent, "
                    f"{name} AS name, _record, {index} AS depth FROM _export"
                )
                parent = code
            units_sql = " UNION ALL ".join(parts)
            fields["cost_centre" if "cost_centre" in contract.column_names else "org_code"] = parent
        selects = []
        if mapping.scenarios:
            for k, (scenario, (position, _, scenario_period)) in enumerate(
                mapping.scenarios.items()
            ):
                amount, undecided = _amount_sql(position, profile)
                bad.append(undecided)
                row = dict(fields, scenario=sql_literal(scenario), amount=amount)
                if scenario_period is not None:
                    row["period"] = sql_literal(str(scenario_period))
                elif scenario in ("budget", "original_budget", "budget_changes"):
                    row["period"] = "'12'"
                selects.append((row, k, f"{_text(position)} <> ''"))
        else:
            amount_getter = mapping.getters["amount"]
            if amount_getter.position is None:
                raise GiveWay
            amount, undecided = _amount_sql(amount_getter.position, profile)
            bad.append(undecided)
            selects.append((dict(fields, amount=amount), 0, "true"))
        undecided_sql = " OR ".join(f"coalesce({b}, true)" for b in bad if b != "false") or "false"
        (undecided_rows,) = con.execute(
            f"SELECT count(*) FILTER (WHERE {undecided_sql}) FROM _export"
        ).fetchone()
        if undecided_rows:
            raise GiveWay
        names = contract.column_names
        union = " UNION ALL ".join(
            "SELECT "
            + ", ".join(f"{row.get(c, sql_literal(''))} AS {c}" for c in names)
            + f", _record, {k} AS _k FROM _export WHERE {where}"
            for row, k, where in selects
        )
        con.execute(f"CREATE TEMP TABLE _converted AS {union}")
        organisation: list[tuple[int, list[str]]] = []
        if units_sql is not None:
            con.execute(
                f"CREATE TEMP TABLE _units AS SELECT code, level, parent, "
                f"arg_min(name, _record) AS name, min(_record) AS first, min(depth) AS depth "
                f"FROM ({units_sql}) GROUP BY code, level, parent"
            )
            (doubled,) = con.execute(
                "SELECT count(*) FROM (SELECT code FROM _units GROUP BY code HAVING count(*) > 1)"
            ).fetchone()
            if doubled:
                raise GiveWay  # a unit in two places: the Python conversion names the rows
            organisation = [
                (export.header_line + first, [code, level, parent, name or code, ""])
                for code, level, parent, name, first in con.execute(
                    "SELECT code, level, parent, name, first FROM _units ORDER BY first, depth"
                ).fetchall()
            ]
        target = folder / (export.path.stem + ".csv")
        written = ", ".join(f"nullif({c}, '') AS {c}" for c in names)  # empty, not ""
        con.execute(
            f"COPY (SELECT {written} FROM _converted ORDER BY _record, _k) "
            "TO $target (HEADER, DELIMITER ';', QUOTE '\"')",
            {"target": str(target)},
        )
        lines = con.execute(
            f"SELECT ({export.header_line} + _record)::BIGINT AS line FROM _converted "
            "ORDER BY _record, _k"
        ).fetchnumpy()["line"]
    return target, lines, organisation


def scratch_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="kuntaseuranta-profile-")
