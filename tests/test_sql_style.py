"""The dbt project's SQL style and portability.

sqlfluff lints the models as dbt's templater compiles them (dbt_project/.sqlfluff: lower
case, trailing commas, explicit aliases, cast(... as ...)), against an empty in-memory
DuckDB, so no warehouse is needed. The models stay portable SQL: engine-specific syntax
lives only in dbt_project/macros (adapter.dispatch), and a scan of every SQL file outside
it finds none of DuckDB's own constructs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.warehouse.paths import DBT_PROJECT_DIR

# What sqlfluff lints: the models and the tests (singular and generic). The dbt templater
# skips macro files on their own; their SQL is linted where the models render it.
LINTED = ("models", "macros", "tests")


@pytest.fixture(scope="module")
def lint_report() -> list[dict]:
    """sqlfluff's JSON report over the project, made once: the dbt templater compiles the
    whole project first. In a process of its own, so dbt's in-process state stays there."""
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    result = subprocess.run(
        [str(sqlfluff), "lint", *LINTED, "--format", "json", "--nocolor"],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit 0: clean; 1: violations found. Anything else is sqlfluff failing to run.
    assert result.returncode in (0, 1), result.stderr[-4000:]
    return json.loads(result.stdout)


def _violations(report: list[dict]) -> list[str]:
    return [
        f"{Path(file['filepath']).as_posix()}:{v['start_line_no']}:{v['start_line_pos']}: "
        f"{v['code']} {v['description']}"
        for file in report
        for v in file["violations"]
    ]


def test_models_lint_clean(lint_report: list[dict]) -> None:
    linted = {Path(file["filepath"]).as_posix() for file in lint_report}
    models = {
        p.relative_to(DBT_PROJECT_DIR).as_posix() for p in DBT_PROJECT_DIR.glob("models/**/*.sql")
    }
    assert models <= linted, f"not linted: {sorted(models - linted)}"
    violations = _violations(lint_report)
    assert not violations, "sqlfluff (fix with `sqlfluff fix` from dbt_project/):\n" + "\n".join(
        violations
    )


def _lint_text(sql: str) -> set[str]:
    """The rule codes the project's configuration reports on a model's text, rendered by
    the plain Jinja templater (dbt's builtins stubbed): no dbt compile needed."""
    from sqlfluff.core import FluffConfig, Linter

    config = FluffConfig.from_path(str(DBT_PROJECT_DIR), overrides={"templater": "jinja"})
    linted = Linter(config=config).lint_string(sql)
    return {violation.rule_code() for violation in linted.get_violations()}


def test_lint_reports_style_violations() -> None:
    clean = (
        "select\n"
        "    org_code,\n"
        "    cast(amount_eur as decimal(18, 2)) as amount_eur\n"
        "from {{ ref('stg_ledger') }}\n"
    )
    assert _lint_text(clean) == set()
    codes = _lint_text(
        "SELECT\n"  # upper-case keyword
        "    org_code\n"  # leading commas below
        "    , amount_eur::decimal(18, 2) as amount_eur\n"  # DuckDB cast
        "    , round(amount_eur / 1000, 1)\n"  # no alias
        "from {{ ref('stg_ledger') }} ledger\n"  # implicit table alias
    )
    assert {"CP01", "LT04", "CV11", "AL03", "AL01"} <= codes, codes


# DuckDB's own syntax (and engine type names spelled out), which the models reach through
# dbt's cross-database macros or the project's macros instead. Matched in the SQL of a
# file with its comments and Jinja removed, case-insensitively.
DUCKDB_ONLY = {
    "`::` cast": r"::",
    "string_agg / listagg": r"\b(?:string_agg|group_concat|listagg)\s*\(",
    "list / array aggregates and list functions": r"\b(?:list|array_agg|list_\w+|array_\w+)\s*\(",
    "string_split / len": r"\b(?:string_split\w*|str_split\w*|len)\s*\(",
    "struct literal or struct_pack": r"\bstruct_pack\s*\(|\{\s*'?\w+'?\s*:",
    "regular expressions": r"\bregexp_\w+\s*\(",
    "date formatting and construction": (
        r"\b(?:strftime|strptime|make_date|make_timestamp|epoch\w*)\s*\("
    ),
    "hash / md5": r"\b(?:hash|md5)\s*\(",
    "aggregate filter clause": r"\bfilter\s*\(\s*where\b",
    "qualify": r"\bqualify\b",
    "select * exclude / replace / columns()": r"\*\s*(?:exclude|replace)\b|\bcolumns\s*\(",
    "arg_max / arg_min / max_by / min_by": r"\b(?:arg_max|arg_min|max_by|min_by)\s*\(",
    "ifnull / count_if / bool_or / bool_and": r"\b(?:ifnull|count_if|bool_or|bool_and)\s*\(",
    "try_cast / safe casts": r"\btry_cast\s*\(",
    "unnest / generate_series / range": r"\b(?:unnest|generate_series|range)\s*\(",
    "split_part": r"\bsplit_part\s*\(",
    "interval arithmetic": r"\binterval\b",
    "`||` concatenation": r"\|\|",
    "engine type names (use dbt.type_string(), dbt.type_int(), amount_type() ...)": (
        r"\bas\s+(?:varchar|text|string|double|float\d*|real|int\d*|integer|bigint|smallint"
        r"|hugeint|tinyint|decimal|numeric|boolean|bool)\b"
    ),
}

_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^']|'')*'")


def duckdb_only_constructs(text: str) -> list[str]:
    """The DuckDB-only constructs in a model's raw SQL (outside Jinja, comments and string
    literals), as 'line: construct: text' for each."""

    # Blank out what is not the file's own SQL, keeping line numbers.
    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    sql = _JINJA.sub(blank, text)
    sql = _BLOCK_COMMENT.sub(blank, sql)
    sql = _LINE_COMMENT.sub(blank, sql)
    sql = _STRING.sub(blank, sql)
    found = []
    for number, line in enumerate(sql.splitlines(), start=1):
        for name, pattern in DUCKDB_ONLY.items():
            if re.search(pattern, line, re.IGNORECASE):
                found.append(f"{number}: {name}: {text.splitlines()[number - 1].strip()}")
    return found


def test_no_duckdb_only_sql_outside_macros() -> None:
    files = [
        p
        for folder in ("models", "tests")
        for p in sorted((DBT_PROJECT_DIR / folder).rglob("*.sql"))
    ]
    assert files
    found = [
        f"{p.relative_to(DBT_PROJECT_DIR)}:{finding}"
        for p in files
        for finding in duckdb_only_constructs(p.read_text(encoding="utf-8"))
    ]
    assert not found, "DuckDB-only SQL outside dbt_project/macros:\n" + "\n".join(found)


def test_portability_scan_reports_duckdb_syntax() -> None:
    sample = (
        "-- string_agg( in a comment is not SQL\n"
        "select\n"
        "    amount::decimal(18, 2) as amount,\n"
        "    string_agg(org_code, ',' order by org_code) as org_codes,\n"
        "    cast(period as varchar) as period,\n"
        "    {{ dbt.hash('org_code') }} as org_hash,\n"
        "    'md5(' as label\n"
        "from {{ ref('stg_ledger') }}\n"
        "qualify row_number() over (partition by org_code order by period) = 1\n"
    )
    found = duckdb_only_constructs(sample)
    lines = sorted({int(finding.split(":")[0]) for finding in found})
    assert lines == [3, 4, 5, 9], found
    assert any("`::` cast" in finding for finding in found)
    assert any("engine type names" in finding for finding in found)
