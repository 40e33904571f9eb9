"""`warehouse export fdp`: the published warehouse's period as a Fiscal Data Package that
frictionless validates, whose model names real fields as FDP 0.3 specifies it, and whose
figures are the marts' own, to the cent."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import frictionless
import pytest

from orchestration.cli import main
from orchestration.export import fdp
from orchestration.export.fdp import ExportedPackage, ExportError, export_fdp
from orchestration.export.fdp_model import (
    BUDGET_PHASES,
    CLASSIFICATION_TYPES,
    DIMENSION_TYPES,
    model_problems,
    validate_package,
)
from tests.conftest import PipelineRun, copy_published

PERIOD = "2023-03"


@pytest.fixture(scope="module")
def exported(embedded_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory):
    return export_fdp(embedded_run.published, None, tmp_path_factory.mktemp("fdp") / PERIOD)


@pytest.fixture(scope="module")
def descriptor(exported: ExportedPackage) -> dict[str, Any]:
    return json.loads(exported.descriptor.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def marts(embedded_run: PipelineRun):
    with duckdb.connect(str(embedded_run.published), read_only=True) as con:
        yield con


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "data" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def amount(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


# The package is valid ----------------------------------------------------------------------


def test_frictionless_validates_the_package(exported: ExportedPackage):
    report = frictionless.validate(str(exported.descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert validate_package(exported.descriptor) == []
    assert sorted(p.name for p in exported.folder.iterdir()) == ["data", "datapackage.json"]
    assert sorted(p.name for p in (exported.folder / "data").iterdir()) == [
        "budget_lines.csv",
        "org_units.csv",
        "report_lines.csv",
    ]
    # Nothing is left beside the package (the folder it was staged in was moved into place).
    assert [p.name for p in exported.folder.parent.iterdir()] == [PERIOD]


def test_the_model_is_fiscal_data_package_and_names_real_fields(descriptor: dict[str, Any]):
    """FDP 0.3's structure, checked here apart from model_problems: every measure is an
    amount column in euros, every attribute's source a field of its resource."""
    assert model_problems(descriptor) == []
    fields = {
        r["name"]: {f["name"]: f["type"] for f in r["schema"]["fields"]}
        for r in descriptor["resources"]
    }
    first = descriptor["resources"][0]["name"]
    model = descriptor["model"]
    assert set(model) == {"measures", "dimensions"}
    for name, measure in model["measures"].items():
        assert fields[measure.get("resource", first)][measure["source"]] == "number", name
        assert measure["currency"] == "EUR"
        assert measure.get("phase", "approved") in BUDGET_PHASES
    phases = {m["source"]: m.get("phase") for m in model["measures"].values()}
    assert phases["original_budget"] == "approved"
    assert phases["budget"] == "adjusted"
    assert phases["actual"] == "executed"
    assert phases["forecast"] is None  # no phase of the four
    for name, dimension in model["dimensions"].items():
        attributes = dimension["attributes"]
        for key, attribute in attributes.items():
            assert attribute["source"] in fields[attribute.get("resource", first)], (name, key)
            for link in ("parent", "labelfor"):
                assert attribute.get(link, key) in attributes, (name, key, link)
        keys = dimension["primaryKey"]
        assert set([keys] if isinstance(keys, str) else keys) <= set(attributes)
        assert dimension["dimensionType"] in DIMENSION_TYPES
        if dimension["dimensionType"] == "classification":
            assert dimension["classificationType"] in CLASSIFICATION_TYPES
            assert "code" in attributes
    kinds = {
        n: d.get("classificationType", d["dimensionType"]) for n, d in model["dimensions"].items()
    }
    assert kinds["administrative_classification"] == "administrative"
    assert kinds["economic_classification"] == "economic"
    assert kinds["fiscal_period"] == "datetime"
    # The package says where it came from: the publication and the deliveries.
    assert descriptor["created"].endswith("Z")
    assert any("generation" in s["title"] for s in descriptor["sources"])
    assert any(s["title"].startswith("ledger.csv") for s in descriptor["sources"])


# ... and a broken one is not ---------------------------------------------------------------


def _copy(exported: ExportedPackage, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(exported.folder, folder)
    return folder


def test_a_broken_csv_value_is_reported(exported: ExportedPackage, tmp_path: Path):
    folder = _copy(exported, tmp_path)
    path = folder / "data" / "budget_lines.csv"
    text = path.read_text(encoding="utf-8")
    assert ",-82967.00," in text  # HYTE's personnel expenses, actual
    path.write_text(text.replace(",-82967.00,", ",-82 967.00,", 1), encoding="utf-8")
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert [4, "actual", "type-error"] in errors
    problems = validate_package(folder / "datapackage.json")
    assert any("row 4 field actual: type-error" in p for p in problems), problems
    assert any("hash-count" in p for p in problems), problems  # the bytes changed too


def test_an_unknown_unit_breaks_the_foreign_key(exported: ExportedPackage, tmp_path: Path):
    folder = _copy(exported, tmp_path)
    path = folder / "data" / "org_units.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("HEINOLA:VIRE,", "HEINOLA:VIRKE,"),
        encoding="utf-8",
    )
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:  # a descriptor that matches the edited file
        del resource["hash"]
        del resource["bytes"]
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    problems = validate_package(folder / "datapackage.json")
    assert problems and all("foreign-key" in p for p in problems), problems
    assert any('"HEINOLA:VIRE"' in p for p in problems)


def test_a_model_attribute_naming_no_field_is_reported(
    exported: ExportedPackage, descriptor: dict[str, Any], tmp_path: Path
):
    folder = _copy(exported, tmp_path)
    broken = json.loads(json.dumps(descriptor))
    broken["model"]["dimensions"]["administrative_classification"]["attributes"]["code"][
        "source"
    ] = "unit_code"
    broken["model"]["measures"]["actual"]["currency"] = "euro"
    broken["model"]["measures"]["budget"]["phase"] = "amended"
    broken["model"]["dimensions"]["direction"]["dimensionType"] = "sign"
    (folder / "datapackage.json").write_text(json.dumps(broken), encoding="utf-8")
    # The Data Package itself is still valid: the model is FDP's, beyond frictionless.
    assert frictionless.validate(str(folder / "datapackage.json")).valid
    problems = validate_package(folder / "datapackage.json")
    assert problems == [
        "model.measures.budget: 'phase' must be one of proposed, approved, adjusted, executed",
        "model.measures.actual: 'currency' must be an ISO 4217 code such as EUR",
        "model.dimensions.administrative_classification.attributes.code: source 'unit_code' "
        "is not a field of resource 'budget_lines'",
        "model.dimensions.direction: 'dimensionType' must be one of datetime, entity, "
        "classification, activity, fact, location, other",
    ]


def test_an_invalid_package_is_not_exported_and_the_earlier_one_stays(
    embedded_run: PipelineRun, exported: ExportedPackage, tmp_path: Path, monkeypatch
):
    out = _copy(exported, tmp_path)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_cell = fdp._cell
    # Amounts written with a decimal comma, as a spreadsheet might: not a Table Schema number.
    monkeypatch.setattr(
        fdp,
        "_cell",
        lambda v: real_cell(v).replace(".", ",") if isinstance(v, Decimal) else real_cell(v),
    )
    with pytest.raises(ExportError) as refused:
        export_fdp(embedded_run.published, PERIOD, out)
    assert "does not validate; nothing was exported" in str(refused.value)
    assert "type-error" in str(refused.value)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # no partial package


# The figures are the marts' ----------------------------------------------------------------

BASE = tuple(fdp.BASE_MEASURES)


def test_each_department_adds_up_to_the_marts(exported: ExportedPackage, marts):
    """Sum the CSV's rows per department and statement: every base measure equals the
    department's top line in the marts (Tilikauden ylijäämä, investments' NETTO) exactly."""
    sums: dict[tuple[str, str], dict[str, Decimal | None]] = defaultdict(
        lambda: dict.fromkeys(BASE)
    )
    for row in read_csv(exported.folder, "budget_lines"):
        figures = sums[(row["department_code"], row["statement"])]
        for m in BASE:
            if (value := amount(row[m])) is not None:
                figures[m] = (figures[m] or Decimal(0)) + value
    tops = dict(
        marts.execute(
            "select statement, line_code from marts.dim_report_lines "
            "where parent_code is null and statement in ('operating', 'investment')"
        ).fetchall()
    )
    departments = [
        code
        for (code,) in marts.execute(
            "select org_code from marts.dim_org_units "
            "where reporting_period = ? and org_level = 'department'",
            [PERIOD],
        ).fetchall()
    ]
    assert departments == ["HYTO"]
    compared = 0
    for statement, table in (
        ("operating", "fct_budget_vs_actual"),
        ("investment", "fct_investments"),
    ):
        for department in departments:
            mart = marts.execute(
                f"select {', '.join(BASE)} from marts.{table} "
                "where reporting_period = ? and org_code = ? and line_code = ?",
                [PERIOD, department, tops[statement]],
            ).fetchone()
            assert dict(zip(BASE, mart, strict=True)) == sums[(department, statement)]
            compared += 1
    assert compared == 2
    hyto = sums[("HYTO", "operating")]
    assert (hyto["budget"], hyto["actual"]) == (Decimal("-30244400.00"), Decimal("-7437415.00"))
    assert sums[("HYTO", "investment")]["actual"] == Decimal("-130976.00")


def test_every_booked_row_is_the_marts_row_to_the_cent(exported: ExportedPackage, marts):
    """Here every booked unit and line is a leaf of both trees: its row is the marts'."""
    rows = read_csv(exported.folder, "budget_lines")
    assert exported.budget_lines == {"operating": 46, "investment": 3}
    assert len(rows) == 49
    for row in rows:
        table = "fct_budget_vs_actual" if row["statement"] == "operating" else "fct_investments"
        mart = marts.execute(
            f"select {', '.join(fdp.MEASURES)} from marts.{table} "
            "where reporting_period = ? and org_code = ? and line_code = ?",
            [PERIOD, row["org_code"], row["line_code"]],
        ).fetchone()
        assert tuple(amount(row[m]) for m in fdp.MEASURES) == mart, row["line_id"]
        for m in fdp.MEASURES:  # written as the mart holds them: two decimals, no exponent
            assert row[m] == "" or row[m] == format(mart[fdp.MEASURES.index(m)], "f")
    hyte = {r["line_code"]: r for r in rows if r["org_code"] == "HYTE"}
    assert hyte["henkilostokulut"]["direction"] == "expenditure"
    assert hyte["myyntituotot"]["direction"] == "revenue"
    assert hyte["henkilostokulut"]["department_code"] == "HYTO"
    assert hyte["henkilostokulut"]["board_code"] == "HYLA"
    assert hyte["henkilostokulut"]["line_path"].startswith("tilikauden_ylijaama/")
    # Every reporting unit and line of the marts is in the code lists.
    units = read_csv(exported.folder, "org_units")
    assert {u["org_code"] for u in units} == {
        c
        for (c,) in marts.execute(
            "select org_code from marts.dim_org_units where reporting_period = ?", [PERIOD]
        ).fetchall()
    }
    assert (
        exported.reconciled_rows
        == marts.execute(
            "select (select count(*) from marts.fct_budget_vs_actual where reporting_period = $p) "
            "+ (select count(*) from marts.fct_investments where reporting_period = $p)",
            {"p": PERIOD},
        ).fetchone()[0]
    )


def _writable_copy(embedded_run: PipelineRun, tmp_path: Path) -> Path:
    return copy_published(embedded_run, tmp_path)


def test_a_figure_booked_on_a_subtotal_beside_its_parts_is_kept(
    embedded_run: PipelineRun, tmp_path: Path
):
    """A delivery can book a subtotal line and lines below it on one unit (Henkilöstökulut
    and, under it, Palkat ja palkkiot): the package has both, the subtotal's row holding
    what is booked on it itself, and they still add up to the marts."""
    warehouse = _writable_copy(embedded_run, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        ancestors = ["HYTE", "HYTO", "HYLA", "HEINOLA"]
        lines_above = [
            "henkilostokulut",
            "toimintakulut",
            "toimintakate",
            "vuosikate",
            "tilikauden_tulos",
            "tilikauden_ylijaama",
        ]
        nulls = ", ".join(f"null as {m}" for m in fdp.MEASURES if m not in ("actual", "budget"))
        for unit in ancestors:
            con.execute(
                "insert into marts.fct_budget_vs_actual by name "
                f"select * replace ('palkat_ja_palkkiot' as line_code, 'leaf' as line_type, "
                f"-1000.00 as actual, -2000.00 as budget, {nulls}, 1 as leaf_rows) "
                "from marts.fct_budget_vs_actual "
                "where reporting_period = ? and org_code = ? and line_code = 'henkilostokulut'",
                [PERIOD, unit],
            )
            con.execute(
                "update marts.fct_budget_vs_actual set leaf_rows = leaf_rows + 1 "
                "where reporting_period = ? and org_code = ? and list_contains(?, line_code)",
                [PERIOD, unit, lines_above],
            )
    package = export_fdp(warehouse, PERIOD, tmp_path / "out")
    rows = {(r["org_code"], r["line_code"]): r for r in read_csv(package.folder, "budget_lines")}
    assert package.budget_lines["operating"] == 47
    assert amount(rows[("HYTE", "palkat_ja_palkkiot")]["actual"]) == Decimal("-1000.00")
    assert amount(rows[("HYTE", "henkilostokulut")]["actual"]) == Decimal("-81967.00")
    assert amount(rows[("HYTE", "henkilostokulut")]["budget"]) == Decimal("-449100.00")
    # The prior year's figures were booked on the subtotal only: they stay there whole.
    assert amount(rows[("HYTE", "henkilostokulut")]["prior_year_actual"]) == Decimal("-710000.00")
    assert rows[("HYTE", "palkat_ja_palkkiot")]["prior_year_actual"] == ""


def test_figures_that_do_not_add_up_to_the_marts_are_refused(
    embedded_run: PipelineRun, tmp_path: Path
):
    warehouse = _writable_copy(embedded_run, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.fct_budget_vs_actual set actual = actual + 1 "
            "where reporting_period = ? and org_code = 'HYTO' and line_code = 'toimintakate'",
            [PERIOD],
        )
    with pytest.raises(ExportError) as refused:
        export_fdp(warehouse, PERIOD, tmp_path / "out")
    assert (
        "HEINOLA HYTO operating toimintakate actual: marts -7260316.00, package adds up to "
        "-7260317.00" in str(refused.value)
    )
    assert not (tmp_path / "out").exists()


# The command ---------------------------------------------------------------------------------


def test_the_command_writes_beside_the_published_warehouse(
    embedded_run: PipelineRun, tmp_path: Path, monkeypatch
):
    """By default export/fdp/<period>/ beside the warehouse, read from its marts alone."""
    warehouse = _writable_copy(embedded_run, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        schemas = [
            s
            for (s,) in con.execute(
                "select schema_name from information_schema.schemata where catalog_name = "
                "current_database() and schema_name not in ('marts', 'main')"
            ).fetchall()
        ]
        for schema in schemas:
            con.execute(f'drop schema "{schema}" cascade')
    assert "raw" in schemas
    before = warehouse.read_bytes()
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(warehouse))
    code, printed = cli("export", "fdp")
    assert code == 0, printed
    package = warehouse.parent / "export" / "fdp" / PERIOD
    assert f"Fiscal Data Package {PERIOD} from" in printed
    assert "49 budget lines (46 operating, 3 investment), 7 organisation units" in printed
    assert "add up to the 139 rows of the marts exactly" in printed
    assert str(package / "datapackage.json") in printed
    assert frictionless.validate(str(package / "datapackage.json")).valid
    assert warehouse.read_bytes() == before  # opened read-only
    # Again: the earlier package is replaced whole.
    (package / "data" / "budget_lines.csv").write_text("stale", encoding="utf-8")
    assert cli("export", "fdp", "--period", PERIOD)[0] == 0
    assert frictionless.validate(str(package / "datapackage.json")).valid
    assert sorted(p.name for p in package.parent.iterdir()) == [PERIOD]


def test_the_command_refuses_without_a_warehouse_or_period(
    embedded_run: PipelineRun, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(tmp_path / "none" / "w.duckdb"))
    code, printed = cli("export", "fdp", "--out", str(tmp_path / "out"))
    assert (code, printed) == (
        1,
        f"REFUSED: no published warehouse at {tmp_path / 'none' / 'w.duckdb'}: "
        "run `warehouse run`\n",
    )
    monkeypatch.setenv("KUNTASEURANTA_WAREHOUSE", str(embedded_run.published))
    code, printed = cli("export", "fdp", "--period", "2024-06", "--out", str(tmp_path / "out"))
    assert (code, printed) == (
        1,
        "REFUSED: reporting period 2024-06 is not in the warehouse; it has 2023-03\n",
    )
    assert cli("export", "fdp", "--period", "June", "--out", str(tmp_path / "out"))[0] == 2
    with pytest.raises(SystemExit) as usage:
        cli("export")  # no format
    assert usage.value.code == 2
    assert not (tmp_path / "out").exists()
    # A folder holding anything else is never replaced.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    code, printed = cli("export", "fdp", "--out", str(tmp_path / "mine"))
    assert code == 1
    assert "holds other files than a Fiscal Data Package (notes.txt)" in printed
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep"
