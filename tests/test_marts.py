"""End to end: the pipeline on the embedded data reproduces every figure the report prints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import PipelineRun

MEASURES = (
    "prior_year_actual",
    "prior_year_same_period_actual",
    "budget",
    "actual",
    "remaining",
    "realised_pct",
)


@pytest.fixture(scope="module")
def warehouse(embedded_run: PipelineRun) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        yield con


@dataclass(frozen=True)
class Unreproduced:
    statement: str
    org_code: str
    line_code: str
    measure: str
    printed: Decimal
    mart: Decimal | None
    tolerance: Decimal


def unreproduced_figures(con: duckdb.DuckDBPyConnection) -> tuple[int, list[Unreproduced]]:
    """Compare every printed figure (raw control totals) with the marts.

    Figures of service-area leaf lines must match exactly; computed subtotals and roll-ups
    within (n + 1) * u / 2 of the printed figure (n leaf rows summed, u the printed unit);
    remaining within the tolerances of budget and actual together; realised % within one
    printed step (0.1) where computed, exactly on leaf lines.
    """
    # The printed columns of the embedded report: the totals of its six measures.
    printed = con.execute(f"""
        select c.statement, c.org_code, c.line_code, c.measure, c.amount, c.unit,
               coalesce(r.same_as_line, c.line_code) as mart_line
        from raw.control_totals c
        left join reference.report_lines r
            on r.statement = c.statement and r.line_code = c.line_code
        where c.measure in ('{"', '".join(MEASURES)}') and c.item is null
    """).fetchall()
    marts = {}
    for source, statement in (
        ("fct_budget_vs_actual", "operating"),
        ("fct_investments", "investment"),
    ):
        for row in con.execute(f"""
            select f.org_code, f.line_code, {", ".join(MEASURES)}, f.leaf_rows,
                   l.line_type = 'leaf' and o.org_level = 'service_area' as is_booked
            from marts.{source} f
            join marts.dim_report_lines l
                on l.statement = '{statement}' and l.line_code = f.line_code
            join marts.dim_org_units o on o.reporting_period = f.reporting_period
                and o.municipality_code = f.municipality_code and o.org_code = f.org_code
        """).fetchall():
            marts[(statement, row[0], row[1])] = row
    problems = []
    for statement, org, line, measure, amount, unit, mart_line in printed:
        key = ("investment" if statement == "investment" else "operating", org, mart_line)
        row = marts.get(key)
        value = row[2 + MEASURES.index(measure)] if row else None
        printed_value = amount if unit == "%" else amount * int(unit)
        if row is None or value is None:
            problems.append(Unreproduced(statement, org, line, measure, printed_value, None, 0))
            continue
        leaf_rows, is_booked = row[8], row[9]
        if is_booked and statement == "operating":
            tolerance = Decimal(0)
        elif measure == "realised_pct":
            tolerance = Decimal("0.1")
        else:
            step = 1000 if measure.startswith("prior_year") else 1
            tolerance = Decimal(leaf_rows + 1) * step / 2
            if measure == "remaining":
                tolerance *= 2  # budget and actual each within their tolerance
        if abs(value - printed_value) > tolerance:
            problems.append(
                Unreproduced(statement, org, line, measure, printed_value, value, tolerance)
            )
    return len(printed), problems


def test_every_figure_printed_in_the_report_is_reproduced(warehouse):
    compared, problems = unreproduced_figures(warehouse)
    assert compared == 570
    assert problems == []


def test_leaf_lines_are_exact_and_roll_ups_differ_only_by_rounding(warehouse):
    exact = warehouse.execute("""
        select count(*) from raw.control_totals c
        join marts.fct_budget_vs_actual f using (org_code, line_code)
        where c.statement = 'operating' and c.measure = 'actual'
          and c.org_code <> 'HYTO' and (c.org_code, c.line_code) in (
              select (org_code, line_code) from raw.ledger
              where fiscal_year = 2023 and period = 3)
          and f.actual = c.amount
    """).fetchall()[0][0]
    booked = warehouse.execute(
        "select count(*) from raw.ledger where fiscal_year = 2023 and period = 3"
    ).fetchall()[0][0]
    assert exact == booked == 46
    # Computed, not copied: the department's printed TILIKAUDEN TULOS is -7 437 414,
    # its leaves add up to -7 437 415.
    assert warehouse.execute("""
        select actual, realised_pct from marts.fct_budget_vs_actual
        where org_code = 'HYTO' and line_code = 'tilikauden_tulos'
    """).fetchall() == [(Decimal("-7437415.00"), Decimal("24.6"))]


def test_the_analysts_three_questions_are_one_query_each(warehouse):
    realised = warehouse.execute("""
        select line_code, realised_pct from marts.fct_budget_vs_actual
        where org_code = 'HYTO' and reporting_period = '2023-03' order by sort_order
    """).fetchall()
    assert len(realised) == 19  # up to TILIKAUDEN YLIJÄÄMÄ, the top of the statement
    assert realised[0] == ("myyntituotot", Decimal("15.8"))
    assert ("toimintakate", Decimal("24.6")) in realised
    forecasts = warehouse.execute("""
        select org_code, budget_net, forecast_linear_net, forecast_seasonal_net,
               is_seasonal_forecast_over_budget
        from marts.fct_binding_level_follow_up
        where binding_level = 'operating_plan' order by org_code
    """).fetchall()
    assert [f[0] for f in forecasts] == ["HYTE", "OPKOU", "VAKA", "VIRE"]
    opkou = forecasts[1]
    # OPKOU: actual -4 290 541 in Q1 -> linear -17 162 164, over its -16 738 300 budget.
    assert opkou[1:3] == (Decimal("-16738300.00"), Decimal("-17162164.00"))
    partially = warehouse.execute("""
        select goal_level, goals from marts.fct_goal_status_summary
        where goal_status = 'partially_achieved' order by goal_level
    """).fetchall()
    assert partially == [("council", 3), ("operating_plan", 4)]


def test_every_mart_and_column_carries_its_description_as_a_duckdb_comment(
    embedded_run: PipelineRun,
):
    # What BI tools and SQL clients show beside the names: the dbt descriptions
    # (models/marts/_marts__models.yml), persisted by dbt as DuckDB comments.
    import json

    from orchestration.warehouse.dbt_project import DBT_PROJECT

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    described = {
        (node["name"], column): spec["description"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        for column, spec in node["columns"].items()
    }
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        comments = {
            (table, column): comment
            for table, column, comment in con.execute(
                "select table_name, column_name, comment from duckdb_columns() "
                "where schema_name = 'marts'"
            ).fetchall()
        }
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        )
    assert len(comments) > 250 and set(comments) == set(described)
    assert comments == described
    assert all(tables.values()) and len(tables) == 17
    assert "YYYY-MM" in comments[("fct_budget_vs_actual", "reporting_period")]


def test_sqlalchemy_inspects_the_marts_as_superset_does(embedded_run: PipelineRun, tmp_path):
    # Superset's dataset browser: the schemas, a schema's tables, a table's columns (with
    # their comments), read-only through duckdb-engine. On a copy: this test process
    # holds the published file open with another configuration (DuckDB allows one).
    import shutil

    import sqlalchemy as sa

    published = tmp_path / embedded_run.published.name
    shutil.copyfile(embedded_run.published, published)
    engine = sa.create_engine(
        f"duckdb:///{published}",
        connect_args={"read_only": True},
        poolclass=sa.pool.NullPool,
    )
    inspector = sa.inspect(engine)
    catalog = published.stem
    assert f"{catalog}.marts" in inspector.get_schema_names()
    tables = inspector.get_table_names(schema="marts")
    assert {"fct_budget_vs_actual", "dim_org_units", "fct_investments"} <= set(tables)
    columns = {c["name"]: c for c in inspector.get_columns("fct_budget_vs_actual", "marts")}
    assert {"reporting_period", "org_code", "line_code", "actual", "budget"} <= set(columns)
    assert columns["reporting_period"]["nullable"] is False
    assert "YYYY-MM" in columns["reporting_period"]["comment"]
    # The bi views, with their Finnish labels and descriptions.
    assert f"{catalog}.bi" in inspector.get_schema_names()
    assert {"talousarvion_toteutuma", "join_map"} <= set(inspector.get_view_names(schema="bi"))
    labelled = {c["name"]: c for c in inspector.get_columns("talousarvion_toteutuma", "bi")}
    assert "Toteutumisprosentti" in labelled["TOT-%"]["comment"]
    engine.dispose()


# --- the bi views: Finnish labels, descriptions, the join map ---------------------------

FINNISH_LEVELS = {
    "kunta",
    "kuntayhtymä",
    "lautakunta",
    "toimiala",
    "palvelualue",
    "kustannuspaikka",
}


def test_every_bi_view_and_column_carries_its_description(embedded_run: PipelineRun):
    import json

    from orchestration.warehouse.dbt_project import DBT_PROJECT

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    described = {
        (node["alias"], column): spec["description"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "bi"
        for column, spec in node["columns"].items()
    }
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        comments = {
            (view, column): comment
            for view, column, comment in con.execute(
                "select table_name, column_name, comment from duckdb_columns() "
                "where schema_name = 'bi'"
            ).fetchall()
        }
        views = dict(
            con.execute(
                "select view_name, comment from duckdb_views() where schema_name = 'bi'"
            ).fetchall()
        )
    assert comments == described and len(comments) > 100
    assert all(views.values()) and {"talousarvion_toteutuma", "join_map"} <= set(views)
    assert "Toteutumisprosentti" in comments[("talousarvion_toteutuma", "TOT-%")]


def test_bi_users_meet_the_bi_views_and_the_marts_first(warehouse: duckdb.DuckDBPyConnection):
    # BI tools list a file's schemas alphabetically; `main` is DuckDB's own, empty.
    schemas = [
        name
        for (name,) in warehouse.execute(
            "select schema_name from duckdb_schemas() "
            "where database_name = current_database() order by schema_name"
        ).fetchall()
    ]
    assert schemas == ["bi", "main", "marts", "raw", "reference", "staging", "work"]
    empty = warehouse.execute(
        "select count(*) from duckdb_tables() where schema_name = 'main' "
        "and database_name = current_database()"
    ).fetchone()[0]
    assert empty == 0


def test_the_budget_view_names_units_lines_and_measures_as_the_report_does(
    warehouse: duckdb.DuckDBPyConnection,
):
    labelled = warehouse.execute("""
        select "Kausi", "Yksikkö", "Organisaatiotaso", "Toimiala", "Rivi",
            "TA + muutokset", "TOT", "TOT-%"
        from bi.talousarvion_toteutuma
        where "Yksikkökoodi" = 'VAKA' and "Rivikoodi" = 'myyntituotot'
    """).fetchall()
    assert labelled == [
        (
            "1-3/2023",
            "Varhaiskasvatus",
            "palvelualue",
            "Hyvinvointilautakunnan toimiala",
            "Myyntituotot",
            Decimal("75000.00"),
            Decimal("16454.00"),
            Decimal("21.9"),
        )
    ]
    levels = {
        r[0] for r in warehouse.execute('select "Organisaatiotaso" from bi.organisaatio').fetchall()
    }
    assert levels <= FINNISH_LEVELS and "toimiala" in levels


def test_the_bi_views_hold_the_marts_figures_row_for_row(warehouse: duckdb.DuckDBPyConnection):
    pairs = {
        "talousarvion_toteutuma": "fct_budget_vs_actual",
        "investoinnit": "fct_investments",
    }
    for view, mart in pairs.items():
        in_view = warehouse.execute(f"""
            select "Raportointikausi", "Yksikkökoodi", "Rivikoodi", "TA", "TA + muutokset",
                "TOT", "Ennuste", "TOT-%"
            from bi.{view}
        """).fetchall()
        in_mart = warehouse.execute(f"""
            select reporting_period, org_code, line_code, original_budget, budget, actual,
                forecast, realised_pct
            from marts.{mart}
        """).fetchall()
        assert sorted(in_view, key=str) == sorted(in_mart, key=str) and len(in_mart) >= 12


def _orphans(con: duckdb.DuckDBPyConnection, join: tuple[str, str, str, str]) -> int:
    """Rows of from_table whose from_columns find no row of to_table, as the map joins."""
    from_table, from_columns, to_table, to_columns = join
    pairs = zip(from_columns.split(", "), to_columns.split(", "), strict=True)
    condition = " and ".join(f"child.{a} = parent.{b}" for a, b in pairs)
    last = from_columns.split(", ")[-1]
    return con.execute(f"""
        select count(*) from {from_table} as child
        where child.{last} is not null
        and not exists (select 1 from {to_table} as parent where {condition})
    """).fetchone()[0]


def _duplicates(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> int:
    return con.execute(f"select count(*) - count(distinct ({columns})) from {table}").fetchone()[0]


def test_the_join_map_and_the_keys_hold_on_the_published_marts(
    warehouse: duckdb.DuckDBPyConnection,
):
    joins = warehouse.execute(
        "select from_table, from_columns, to_table, to_columns from bi.join_map"
    ).fetchall()
    assert (
        "marts.fct_budget_vs_actual",
        "reporting_period, municipality_code, org_code",
        "marts.dim_org_units",
        "reporting_period, municipality_code, org_code",
    ) in joins
    assert {j[0] for j in joins} >= {"marts.fct_investments", "marts.fct_goals"}
    assert all(j[0].startswith("marts.") for j in joins)
    assert [j for j in joins if _orphans(warehouse, j)] == []
    # A join that does not hold is found by the same query.
    wrong = ("marts.fct_budget_vs_actual", "org_code", "marts.dim_report_lines", "line_code")
    assert _orphans(warehouse, wrong) > 0
    keys = warehouse.execute("select table_name, key_columns from bi.table_keys").fetchall()
    assert (
        "marts.fct_budget_vs_actual",
        "reporting_period, municipality_code, org_code, line_code",
    ) in keys
    assert [k for k in keys if _duplicates(warehouse, *k)] == []
    assert _duplicates(warehouse, "marts.fct_budget_vs_actual", "reporting_period, org_code") > 0
