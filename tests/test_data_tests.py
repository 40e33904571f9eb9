"""The dbt data tests every run makes: one `column_rules` test per model (its key, the
columns that must have a value, the accepted values, the references and the units of
its period's tree) in one query each. Run here as the pipeline compiled them, on the
embedded run's marts as built and on a copy broken rule by rule."""

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
    # 41 models and 4 seeds; a few views (the flattened helpers) have no rules of their own.
    assert len(compiled) >= 40
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
        # A key twice; an org_code missing from two rows of other lines; a line_type not
        # accepted; a unit outside the period's tree; a line not in the dimension.
        con.execute(
            f"insert into {fact} select * from {fact} where line_code = 'toimintakulut' limit 1"
        )
        for line in ("avustukset", "palvelujen_ostot"):
            con.execute(
                f"update {fact} set org_code = null where rowid = "
                f"(select min(rowid) from {fact} where line_code = '{line}')"
            )
        con.execute(f"update {fact} set line_type = 'other' where line_code = 'toimintakate'")
        con.execute(
            f"update {fact} set org_code = 'NOWHERE' where rowid = "
            f"(select min(rowid) from {fact} where line_code = 'toimintatuotot')"
        )
        con.execute(f"update {fact} set line_code = 'no_such_line' where line_code = 'vuokrakulut'")
        subtotals = con.execute(
            f"select count(*) from {fact} where line_code = 'toimintakate'"
        ).fetchall()[0][0]
        rents = con.execute(
            f"select count(*) from {fact} where line_code = 'no_such_line'"
        ).fetchall()[0][0]
    assert rows > 100 and subtotals > 0 and rents > 0
    assert _broken_rules(broken, compiled[RULES]) == sorted(
        [
            (f"a key ({KEY}) in more than one row", 1),
            ("org_code is null", 2),
            ("line_type not in ('leaf', 'subtotal')", subtotals),
            ("line_code not in dim_report_lines.line_code", rents),
            ("org_code not a unit of its period in dim_org_units", 1),
        ]
    )
