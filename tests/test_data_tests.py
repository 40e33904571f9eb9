"""The checks every run makes on what dbt builds.

- The marts have enforced contracts (dbt_project.yml): every column with its declared type,
  and their keys, not-null columns and value lists as constraints DuckDB enforces on write.
- The rules left over are one `column_rules` test per model (a key that may hold nulls, the
  columns that must have a value and the accepted values of the views, the references and
  the units of its period's tree) in one query each. Run here as the pipeline compiled
  them, on the embedded run's marts as built and on a copy broken rule by rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PipelineRun

RULES = "rules_fct_budget_vs_actual.sql"
KEY = "reporting_period, municipality_code, org_code, line_code"


def _compiled(run: PipelineRun) -> dict[str, str]:
    """The run's compiled column_rules tests: name -> SQL."""
    assert run.result is not None
    compiled = run.published.parent / "validation" / run.result.run_id / "dbt" / "compiled"
    return {p.name: p.read_text(encoding="utf-8") for p in compiled.rglob("rules_*.sql")}


def _broken_rules(database: Path, sql: str) -> list[tuple[str, int]]:
    catalog = re.search(r'from "([^"]+)"\."', sql).group(1)
    with duckdb.connect() as con:
        con.execute(f"attach '{database}' as \"{catalog}\" (read_only)")
        return sorted(con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def compiled(embedded_run: PipelineRun) -> dict[str, str]:
    return _compiled(embedded_run)


def test_every_model_has_its_rules_and_they_hold(embedded_run: PipelineRun, compiled):
    # 41 models and 4 seeds; a few views (the flattened helpers) have no rules of their own,
    # and the marts whose contract enforces all of theirs have none left.
    assert len(compiled) >= 35
    assert RULES in compiled and "rules_stg_ledger.sql" in compiled
    for name, sql in compiled.items():
        assert _broken_rules(embedded_run.published, sql) == [], name


def test_each_broken_rule_is_named_with_its_rows(
    embedded_run: PipelineRun, compiled, tmp_path: Path
):
    broken = tmp_path / embedded_run.published.name
    shutil.copyfile(embedded_run.published, broken)
    with duckdb.connect(str(broken)) as con:
        fact = "marts.fct_budget_vs_actual"
        rows = con.execute(f"select count(*) from {fact}").fetchall()[0][0]
        # A key twice (the incremental mart's key is a rule, not a constraint); a unit
        # outside the period's tree; a line not in the dimension.
        con.execute(
            f"insert into {fact} select * from {fact} where line_code = 'toimintakulut' limit 1"
        )
        con.execute(
            f"update {fact} set org_code = 'NOWHERE' where rowid = "
            f"(select min(rowid) from {fact} where line_code = 'toimintatuotot')"
        )
        con.execute(f"update {fact} set line_code = 'no_such_line' where line_code = 'vuokrakulut'")
        rents = con.execute(
            f"select count(*) from {fact} where line_code = 'no_such_line'"
        ).fetchall()[0][0]
    assert rows > 100 and rents > 0
    assert _broken_rules(broken, compiled[RULES]) == sorted(
        [
            (f"a key ({KEY}) in more than one row", 1),
            ("line_code not in dim_report_lines.line_code", rents),
            ("org_code not a unit of its period in dim_org_units", 1),
        ]
    )


def test_the_rules_of_a_view_computed_once_name_its_broken_rows(
    embedded_run: PipelineRun, compiled, tmp_path: Path
):
    # int_ledger_measures_pivoted is a view its rules read once (evaluate_once): a
    # delivered ledger row of a unit outside the organisation breaks its tree rule.
    sql = compiled["rules_int_ledger_measures_pivoted.sql"]
    assert " as materialized (" in sql
    assert _broken_rules(embedded_run.published, sql) == []
    broken = tmp_path / embedded_run.published.name
    shutil.copyfile(embedded_run.published, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "insert into raw.ledger select * replace ('NOWHERE' as org_code) from raw.ledger "
            "where line_code = 'henkilostokulut' and scenario = 'actual' limit 1"
        )
    assert _broken_rules(broken, sql) == [("org_code not a unit of its period in stg_org_units", 1)]


def test_the_marts_keep_their_contract_and_duckdb_enforces_its_constraints(
    embedded_run: PipelineRun, tmp_path: Path
):
    import json

    from orchestration.warehouse.dbt_project import DBT_PROJECT

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    assert len(marts) == 17
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        for name, node in marts.items():
            assert node["config"]["contract"]["enforced"] is True, name
            # Declared in types both DuckDB and Spark know (string for DuckDB's varchar).
            declared = [
                (
                    c["name"],
                    con.execute(f"select typeof(cast(null as {c['data_type']}))")
                    .fetchone()[0]
                    .lower(),
                )
                for c in node["columns"].values()
            ]
            built = con.execute(
                "select column_name, lower(data_type) from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [name],
            ).fetchall()
            assert built == declared, name  # names, order and types as published
        keys = dict(
            con.execute(
                "select table_name, constraint_column_names from duckdb_constraints() "
                "where schema_name = 'marts' and constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        )
    # The dimensions' keys; the facts' keys are rules (DuckDB keeps a key's index in memory).
    assert keys == {
        "dim_org_units": ["reporting_period", "municipality_code", "org_code"],
        "dim_reporting_periods": ["reporting_period"],
    }
    # Rows that break a constraint are refused on write, naming what they break.
    broken = tmp_path / embedded_run.published.name
    shutil.copyfile(embedded_run.published, broken)
    fact = "marts.fct_budget_vs_actual"
    refused = {
        "NOT NULL constraint failed: fct_budget_vs_actual.org_code": (
            f"update {fact} set org_code = null where line_code = 'avustukset'"
        ),
        'CHECK constraint failed on table "fct_budget_vs_actual" with expression '
        "CHECK((line_type IN": (
            f"update {fact} set line_type = 'other' where line_code = 'toimintakate'"
        ),
        "violates primary key constraint": (
            "insert into marts.dim_org_units select * from marts.dim_org_units limit 1"
        ),
        "NOT NULL constraint failed: fct_investments.line_code": (
            "update marts.fct_investments set line_code = null"
        ),
        'CHECK constraint failed on table "dim_org_units"': (
            "update marts.dim_org_units set level_depth = 9"
        ),
    }
    with duckdb.connect(str(broken)) as con:
        for expected, statement in refused.items():
            with pytest.raises(duckdb.ConstraintException, match=re.escape(expected)):
                con.execute(statement)
        # The same statements on rows that keep the rules are taken.
        con.execute(f"update {fact} set line_type = 'subtotal' where line_code = 'toimintakate'")
        con.execute("update marts.dim_org_units set level_depth = level_depth")
