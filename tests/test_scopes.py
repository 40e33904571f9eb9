"""Scoped deliveries: a city's departments and several cities side by side, restatements of
one scope, reorganisations between periods, and any month end.

One warehouse is built up by two runs on top of the embedded run (the welfare division's
2023-03), and the tests read what each run published:

1. the technical division of Heinola delivers its own 2023-03, and another city its 2023-03;
2. the technical division restates its 2023-03, the welfare division delivers 2024-03
   after a reorganisation (VIRE renamed KULT, with an org_mapping), and the other city
   delivers 1-4 and 1-8 of 2023: four periods with gaps in one run.

The technical division and the other city carry the welfare division's figures under
other codes and names (tests/deliveries.py), so every expected figure is known from the
embedded report.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import load_delivery
from orchestration.ingest.reading import ExtractRefused
from orchestration.ingest.scope import ScopeProblem, scope_of
from orchestration.ingest.validation import validate_delivery
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR
from tests.conftest import PipelineRun, copy_published, run_pipeline
from tests.deliveries import (
    OTHER_CITY_CODES,
    OTHER_CITY_NAMES,
    TECHNICAL_CODES,
    TECHNICAL_NAMES,
    move_to_period,
    recode,
    restate_leaf,
)

FIGURES = "actual, budget, prior_year_actual, prior_year_same_period_actual, remaining"


@dataclass(frozen=True)
class Published:
    """What one run published: its output, the marts read back, the report files."""

    run: PipelineRun
    figures: dict[tuple, tuple]  # (period, municipality, org, line) -> figures + source
    reconciliation: dict[tuple, int]  # (period, municipality, scope, status) -> figures
    completeness: dict[tuple, tuple]  # (period, municipality, org) -> (delivered, expected)
    org_units: dict[tuple, tuple]  # (period, municipality, org) -> (name, level, scope)
    reports: dict[str, bytes]  # file name -> HTML bytes
    database: Path


def _published(run: PipelineRun) -> Published:
    assert run.exit_code == 0, run.output
    with duckdb.connect(str(run.published), read_only=True) as con:
        figures = {
            r[:4]: r[4:]
            for r in con.execute(
                f"select reporting_period, municipality_code, org_code, line_code, {FIGURES}, "
                "source_load_id from marts.fct_budget_vs_actual"
            ).fetchall()
        }
        reconciliation = {
            r[:4]: r[4]
            for r in con.execute(
                "select reporting_period, municipality_code, scope_code, "
                "reconciliation_status, count(*) from marts.fct_control_total_reconciliation "
                "group by all"
            ).fetchall()
        }
        completeness = {
            r[:3]: r[3:]
            for r in con.execute(
                "select reporting_period, municipality_code, org_code, delivered_scopes, "
                "expected_scopes, completeness_label from marts.fct_delivery_completeness"
            ).fetchall()
        }
        org_units = {
            r[:3]: r[3:]
            for r in con.execute(
                "select reporting_period, municipality_code, org_code, org_name_fi, org_level, "
                "scope_code from marts.dim_org_units"
            ).fetchall()
        }
    report_dir = run.published.parent / "report"
    reports = {p.name: p.read_bytes() for p in report_dir.glob("*.html")}
    keep = run.published.parent.parent / f"published-{uuid.uuid4().hex}.duckdb"
    shutil.copyfile(run.published, keep)  # later runs publish over it
    return Published(run, figures, reconciliation, completeness, org_units, reports, keep)


@dataclass(frozen=True)
class ScopedRuns:
    embedded: Published
    technical: Published  # and the other city
    later: Published  # the restatement, the reorganisation and the months


@pytest.fixture(scope="session")
def scoped(embedded_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> ScopedRuns:
    work = tmp_path_factory.mktemp("scoped")
    embedded = _published(embedded_run)
    published = copy_published(embedded_run, work)  # the next run adopts the copy
    folders = {
        "technical": recode(
            DEFAULT_DELIVERY_DIR, work / "technical" / "2023-03", TECHNICAL_CODES, TECHNICAL_NAMES
        ),
        "other_city": recode(
            DEFAULT_DELIVERY_DIR, work / "muukunta" / "2023-03", OTHER_CITY_CODES, OTHER_CITY_NAMES
        ),
    }
    technical = _published(run_pipeline([folders["technical"], folders["other_city"]], published))

    restated = recode(
        DEFAULT_DELIVERY_DIR,
        work / "technical-restated" / "2023-03",
        TECHNICAL_CODES,
        TECHNICAL_NAMES,
    )
    restate_leaf(restated, "RAKV", "avustukset", "-1900", "-2900", department="TETO")
    folders["technical_restated"] = restated

    reorganised = recode(
        DEFAULT_DELIVERY_DIR,
        work / "welfare" / "tmp",
        {"VIRE": "KULT"},
        {"Virikkeellinen elämä": "Kulttuuri ja vapaa-aika"},
    )
    reorganised = move_to_period(reorganised, "2024-03")
    (reorganised / "org_mapping.csv").write_text(
        "old_org_code;new_org_code;share;note\nVIRE;KULT;1;Nimi ja koodi muuttuivat\n",
        encoding="utf-8",
    )
    months = [
        move_to_period(
            recode(
                DEFAULT_DELIVERY_DIR, work / "muukunta" / "tmp", OTHER_CITY_CODES, OTHER_CITY_NAMES
            ),
            period,
        )
        for period in ("2023-04", "2023-08")
    ]
    folders.update(reorganised=reorganised, april=months[0], august=months[1])
    later = _published(run_pipeline([restated, reorganised, *months], published))
    return ScopedRuns(embedded, technical, later)


def _of(published: Published, period: str, municipality: str, orgs: set[str]) -> dict:
    return {
        k[2:]: v[:-1]
        for k, v in published.figures.items()
        if k[0] == period and k[1] == municipality and k[2] in orgs
    }


WELFARE = {"HYTO", "HYTE", "OPKOU", "VAKA", "VIRE"}


def test_two_departments_delivered_one_after_the_other_are_both_in_the_marts(
    scoped: ScopedRuns,
):
    before, after = scoped.embedded, scoped.technical
    assert "(reporting period 2023-03)" in after.run.output
    # The welfare division is untouched by the technical division's delivery: every figure
    # and the delivery each names.
    welfare = {k: v for k, v in after.figures.items() if k[1] == "HEINOLA" and k[2] in WELFARE}
    assert welfare == {k: v for k, v in before.figures.items() if k[2] in WELFARE}
    assert {k[2] for k in welfare} == WELFARE
    # The technical division carries the same figures under its own codes.
    technical = _of(after, "2023-03", "HEINOLA", set(TECHNICAL_CODES.values()))
    welfare_figures = _of(after, "2023-03", "HEINOLA", WELFARE | {"HYLA"})
    assert technical == {
        (TECHNICAL_CODES[org], line): v for (org, line), v in welfare_figures.items()
    }
    # The municipality's figure is the sum of the two departments, line by line.
    for (period, municipality, org, line), values in after.figures.items():
        if org != "HEINOLA":
            continue
        parts = [after.figures[(period, municipality, d, line)][:-1] for d in ("HYTO", "TETO")]
        expected = tuple(None if a is None else a + b for a, b in zip(*parts, strict=True))[:4]
        assert values[:4] == expected, line
    assert after.figures[("2023-03", "HEINOLA", "HEINOLA", "toimintakate")][:2] == (
        Decimal("-14520634.00"),
        Decimal("-59030800.00"),
    )
    # Above the scopes there is no single source delivery.
    assert after.figures[("2023-03", "HEINOLA", "HEINOLA", "toimintakate")][-1] is None
    assert after.figures[("2023-03", "HEINOLA", "TETO", "toimintakate")][-1] is not None
    # Each department is reconciled on its own, with the welfare division's counts.
    for scope in ("HYTO", "TETO"):
        statuses = {
            k[3]: n for k, n in after.reconciliation.items() if k[1:3] == ("HEINOLA", scope)
        }
        assert statuses == {"exact": 482, "rounding": 88}, scope
    assert after.completeness[("2023-03", "HEINOLA", "HEINOLA")] == (
        2,
        2,
        "2 of 2 delivered for 2023-03",
    )
    assert "Delivered: HEINOLA 2 of 2 delivered for 2023-03" in after.run.output


def test_each_department_has_its_report_and_the_city_a_summary(scoped: ScopedRuns):
    reports = scoped.technical.reports
    assert sorted(reports) == [
        "osavuosikatsaus_2023-03_HEINOLA.html",
        "osavuosikatsaus_2023-03_HEINOLA_HYTO.html",
        "osavuosikatsaus_2023-03_HEINOLA_TETO.html",
        "osavuosikatsaus_2023-03_MUUKUNTA_HYTO.html",  # one department: no summary
    ]
    # The welfare division's interim report is the one the embedded run published.
    assert (
        reports["osavuosikatsaus_2023-03_HEINOLA_HYTO.html"]
        == (scoped.embedded.reports["osavuosikatsaus_2023-03_HEINOLA_HYTO.html"])
    )
    technical = reports["osavuosikatsaus_2023-03_HEINOLA_TETO.html"].decode()
    assert "<p>TEKNINEN TOIMIALA</p><p>TEKNINEN LAUTAKUNTA</p>" in technical  # its cover
    assert "Teknisen lautakunnan toimiala" in technical
    assert "Hyvinvointilautakunnan toimiala" not in technical
    summary = reports["osavuosikatsaus_2023-03_HEINOLA.html"].decode()
    assert "TOIMIALOJEN YHTEENVETO" in summary and "2/2 toimitettu" in summary
    # The city's net in the summary: 14 520 634 euros of expenses net of income.
    assert "-14 520 634" in summary.replace("\u00a0", " ").replace("\u2212", "-")


def test_a_restatement_of_one_department_leaves_the_other_untouched(scoped: ScopedRuns):
    before, after = scoped.technical, scoped.later

    def heinola(published: Published) -> dict:
        return {k: v for k, v in published.figures.items() if k[:2] == ("2023-03", "HEINOLA")}

    heinola_before, heinola_after = heinola(before), heinola(after)
    assert heinola_after.keys() == heinola_before.keys()
    changed = {k for k in heinola_after if heinola_after[k][:-1] != heinola_before[k][:-1]}
    chain = {
        "avustukset",
        "toimintakulut",
        "toimintakate",
        "vuosikate",
        "tilikauden_tulos",
        "tilikauden_ylijaama",
    }
    assert changed == {
        ("2023-03", "HEINOLA", org, line)
        for org in ("RAKV", "TETO", "TELA", "HEINOLA")
        for line in chain
    }
    assert heinola_after[("2023-03", "HEINOLA", "RAKV", "avustukset")][0] == Decimal("-2900.00")
    # The welfare division: same figures, same source delivery.
    assert {k: v for k, v in heinola_after.items() if k[2] in WELFARE} == {
        k: v for k, v in heinola_before.items() if k[2] in WELFARE
    }
    assert "restated" in after.run.output
    assert {k[3] for k in after.reconciliation} <= {"exact", "rounding"}


def test_two_cities_sit_side_by_side_with_the_same_codes(scoped: ScopedRuns):
    after = scoped.technical
    # The other city's welfare division has the same codes: two units each.
    assert after.org_units[("2023-03", "HEINOLA", "VAKA")][0] == "Varhaiskasvatus"
    assert after.org_units[("2023-03", "MUUKUNTA", "VAKA")][0] == "Varhaiskasvatus"
    assert after.org_units[("2023-03", "MUUKUNTA", "MUUKUNTA")][:2] == (
        "Muun kunnan kaupunki",
        "municipality",
    )
    other = _of(after, "2023-03", "MUUKUNTA", WELFARE)
    assert other == _of(scoped.embedded, "2023-03", "HEINOLA", WELFARE)
    # Each city adds up its own departments: the other city's total is its one division's.
    assert (
        after.figures[("2023-03", "MUUKUNTA", "MUUKUNTA", "toimintakate")][:4]
        == scoped.embedded.figures[("2023-03", "HEINOLA", "HYTO", "toimintakate")][:4]
    )
    statuses = {k[3] for k in after.reconciliation if k[1] == "MUUKUNTA"}
    assert statuses == {"exact", "rounding"}
    assert after.completeness[("2023-03", "MUUKUNTA", "MUUKUNTA")][:2] == (1, 1)
    assert "osavuosikatsaus_2023-03_MUUKUNTA_HYTO.html" in after.reports


def test_a_reorganisation_keeps_each_period_in_its_own_tree(scoped: ScopedRuns):
    after = scoped.later
    assert after.org_units[("2023-03", "HEINOLA", "VIRE")][0] == "Virikkeellinen elämä"
    assert ("2023-03", "HEINOLA", "KULT") not in after.org_units
    assert after.org_units[("2024-03", "HEINOLA", "KULT")] == (
        "Kulttuuri ja vapaa-aika",
        "service_area",
        "HYTO",
    )
    assert ("2024-03", "HEINOLA", "VIRE") not in after.org_units
    # The 2023 figures still read as reported, in the old tree.
    assert _of(after, "2023-03", "HEINOLA", WELFARE) == _of(
        scoped.embedded, "2023-03", "HEINOLA", WELFARE
    )
    with duckdb.connect(str(after.database), read_only=True) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                """select org_code, actual, prior_year_same_period_actual_history,
                       prior_reporting_period, history_source
                from marts.fct_prior_year_comparison
                where reporting_period = '2024-03' and line_code = 'toimintakulut'"""
            ).fetchall()
        }
        vire_2023 = con.execute(
            """select actual from marts.fct_budget_vs_actual where reporting_period = '2023-03'
            and municipality_code = 'HEINOLA' and org_code = 'VIRE'
            and line_code = 'toimintakulut'"""
        ).fetchall()[0][0]
    # KULT's prior year is VIRE's 2023 actual, carried over by the mapping.
    assert rows["KULT"] == (vire_2023, vire_2023, "2023-03", "history_mapped")
    assert rows["OPKOU"][3] == "history"
    assert rows["HYTO"][1] == rows["HYTO"][0]  # same figures a year apart
    assert "osavuosikatsaus_2024-03_HEINOLA_HYTO.html" in after.reports


def test_1_4_and_1_8_deliveries_publish_like_quarters(scoped: ScopedRuns):
    after = scoped.later
    with duckdb.connect(str(after.database), read_only=True) as con:
        periods = {
            r[0]: r[1:]
            for r in con.execute(
                "select reporting_period, reporting_month, label_fi, share_of_year_elapsed "
                "from marts.dim_reporting_periods"
            ).fetchall()
        }
        forecast = dict(
            con.execute(
                """select reporting_period, forecast_linear / actual
                from marts.fct_budget_vs_actual where municipality_code = 'MUUKUNTA'
                and org_code = 'HYTO' and line_code = 'toimintakate'"""
            ).fetchall()
        )
    assert periods["2023-04"] == (4, "1-4/2023", Decimal("0.3333"))
    assert periods["2023-08"] == (8, "1-8/2023", Decimal("0.6667"))
    assert forecast["2023-04"] == pytest.approx(3) and forecast["2023-08"] == pytest.approx(1.5)
    assert {"osavuosikatsaus_2023-04_MUUKUNTA_HYTO.html"} <= set(after.reports)
    assert {"osavuosikatsaus_2023-08_MUUKUNTA_HYTO.html"} <= set(after.reports)
    assert "osavuosikatsaus_2024-03_HEINOLA_HYTO.html" in after.reports
    assert {k[3] for k in after.reconciliation} <= {"exact", "rounding"}


# --- refusals: the loader against the warehouse the runs built (no dbt needed) -----------


@pytest.fixture
def loaded(scoped: ScopedRuns, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of the warehouse after the technical division's delivery."""
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(scoped.technical.database, copy)
    with duckdb.connect(str(copy)) as con:
        yield con


def _load(con: duckdb.DuckDBPyConnection, folder: Path, scope: str | None = None) -> list:
    return load_delivery(con, validate_delivery(folder, scope=scope), list(CONTRACTS.values()))


def _refusal(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    with pytest.raises(ExtractRefused) as refused:
        _load(con, folder)
    return [str(e) for e in refused.value.errors]


def _rows(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from raw.load_log").fetchall()[0][0]


def test_another_city_under_a_loaded_code_is_refused(loaded, tmp_path: Path):
    folder = recode(
        DEFAULT_DELIVERY_DIR, tmp_path / "x" / "tmp", {}, {"Heinolan kaupunki": "Lahti"}
    )
    folder = move_to_period(folder, "2023-06")
    before = _rows(loaded)
    errors = _refusal(loaded, folder)
    assert errors == [
        "organisation.csv:2 column 'name_fi': municipality 'HEINOLA' is loaded as "
        "'Heinolan kaupunki' (2023-03, HYTO); this delivery names it 'Lahti': expected the "
        "same name, or another code for another municipality"
    ]
    assert _rows(loaded) == before  # nothing written
    # The same city under its own name loads.
    good = move_to_period(recode(DEFAULT_DELIVERY_DIR, tmp_path / "z" / "tmp", {}, {}), "2023-06")
    assert {x.status for x in _load(loaded, good)} == {"loaded"}


def test_a_unit_in_two_scopes_of_one_period_is_refused(loaded, tmp_path: Path):
    # The technical division's tree also lists the welfare division's VAKA.
    folder = recode(
        DEFAULT_DELIVERY_DIR, tmp_path / "t" / "2023-03", TECHNICAL_CODES, TECHNICAL_NAMES
    )
    organisation = folder / "organisation.csv"
    organisation.write_text(
        organisation.read_text(encoding="utf-8") + "VAKA;service_area;TETO;Varhaiskasvatus;\n",
        encoding="utf-8",
    )
    errors = _refusal(loaded, folder)
    assert errors == [
        "organisation.csv:9 column 'org_code': unit 'VAKA' is already delivered for 2023-03 "
        "within the scope HYTO (Hyvinvointilautakunnan toimiala); expected each unit in one "
        "scope per period, so that no figure is counted twice"
    ]
    # A whole-city delivery for a period whose departments delivered separately overlaps.
    whole = recode(DEFAULT_DELIVERY_DIR, tmp_path / "w" / "2023-03", {}, {})
    with pytest.raises(ExtractRefused) as refused:
        _load(loaded, whole, scope="HEINOLA")
    assert [str(e) for e in refused.value.errors] == [
        "organisation.csv:2 column 'org_code': the scope HEINOLA contains HYTO "
        "(Hyvinvointilautakunnan toimiala), delivered for 2023-03 on its own; expected scopes "
        "that do not overlap, so that no figure is counted twice",
    ]


def test_a_unit_moved_between_scopes_must_be_declared(loaded, tmp_path: Path):
    def technical_with_vaka(period: str) -> Path:
        """The technical division's delivery with VAKA (welfare's in 2023-03) for YMPA."""
        folder = recode(
            DEFAULT_DELIVERY_DIR, tmp_path / period / "tmp", TECHNICAL_CODES, TECHNICAL_NAMES
        )
        folder = move_to_period(folder, period)
        organisation = folder / "organisation.csv"
        organisation.write_text(
            organisation.read_text(encoding="utf-8").replace("YMPA;", "VAKA;"), encoding="utf-8"
        )
        for path in folder.glob("*.csv"):
            if path.name != "organisation.csv":
                text = path.read_text(encoding="utf-8").replace(";YMPA;", ";VAKA;")
                path.write_text(text.replace("|YMPA", "|VAKA"), encoding="utf-8")
        return folder

    # In 2023-06 VAKA moves from the welfare division to the technical division.
    folder = technical_with_vaka("2023-06")
    errors = _refusal(loaded, folder)
    assert errors == [
        "organisation.csv:7 column 'parent_code': unit 'VAKA' belongs to the scope HYTO "
        "(Hyvinvointilautakunnan toimiala) in 2023-03; a unit moved between scopes must be "
        "declared in the delivery's org_mapping.csv (old_org_code;new_org_code)"
    ]
    (folder / "org_mapping.csv").write_text(
        "old_org_code;new_org_code;share;note\nVAKA;VAKA;1;Siirtyi tekniselle toimialalle\n",
        encoding="utf-8",
    )
    assert {x.status for x in _load(loaded, folder)} == {"loaded"}
    # Declared once: the next period's delivery needs no mapping.
    assert {x.status for x in _load(loaded, technical_with_vaka("2023-09"))} == {"loaded"}


# --- the scope of a delivery ---------------------------------------------------------------


def _units(text: str) -> list[dict]:
    rows = []
    for line in text.strip().splitlines():
        code, level, parent, name = line.split(";")
        rows.append(
            {"org_code": code, "org_level": level, "parent_code": parent or None, "name_fi": name}
        )
    return rows


CITY = """
KAUPUNKI;municipality;;Kaupunki
HYLA;board;KAUPUNKI;Hyvinvointilautakunta
HYTO;department;HYLA;Hyvinvointitoimiala
VAKA;service_area;HYTO;Varhaiskasvatus
TELA;board;KAUPUNKI;Tekninen lautakunta
TETO;department;TELA;Tekninen toimiala
KATU;service_area;TETO;Kadut
"""


def test_the_scope_is_read_from_the_shape_of_the_tree():
    embedded = validate_delivery(DEFAULT_DELIVERY_DIR)
    assert (embedded.scope.code, embedded.scope.level) == ("HYTO", "department")
    assert embedded.scope.path == ("HEINOLA", "HYLA")
    assert embedded.scope.members == {"HYTO", "HYTE", "OPKOU", "VAKA", "VIRE"}
    whole = scope_of(_units(CITY))
    assert (whole.code, whole.level, whole.path) == ("KAUPUNKI", "municipality", ())
    technical = [u for u in _units(CITY) if u["org_code"] not in ("HYLA", "HYTO", "VAKA")]
    assert scope_of(technical).code == "TETO"
    board = scope_of(technical, "TELA")
    assert (board.members, board.path) == ({"TELA", "TETO", "KATU"}, ("KAUPUNKI",))
    with pytest.raises(ScopeProblem, match="'HYLA' is neither under the scope TELA"):
        scope_of(_units(CITY), "TELA")
    with pytest.raises(ScopeProblem, match="neither under the scope TETO nor above it"):
        scope_of(_units(CITY), "TETO")
    with pytest.raises(ScopeProblem, match="is a service_area; a delivery covers"):
        scope_of(_units(CITY), "VAKA")
    joint = scope_of(_units(CITY.replace(";municipality;", ";joint_authority;")))
    assert joint.level == "joint_authority"
    with pytest.raises(ScopeProblem, match="the root unit 'KAUPUNKI' is a board"):
        scope_of(_units(CITY.replace(";municipality;", ";board;")))


def test_figures_above_the_scope_are_refused(delivery_copy: Path):
    control = delivery_copy / "control_totals.csv"
    lines = control.read_text(encoding="utf-8").splitlines()
    lines.append(next(line for line in lines if ";HYTO;" in line).replace(";HYTO;", ";HYLA;"))
    control.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(delivery_copy)
    assert [str(e) for e in refused.value.errors] == [
        f"control_totals.csv:{len(lines)} column 'org_code': unit 'HYLA' is above the "
        "delivery's scope HYTO; expected a unit within HYTO (the units above it add up every "
        "scope delivered)"
    ]
    # Named as the whole municipality's delivery, the same files are valid.
    assert validate_delivery(delivery_copy, scope="HEINOLA").scope.code == "HEINOLA"


def test_the_shares_of_a_split_unit_add_up_to_one(delivery_copy: Path):
    mapping = delivery_copy / "org_mapping.csv"
    mapping.write_text(
        "old_org_code;new_org_code;share;note\nOLD;VAKA;0,6;\nOLD;OPKOU;0,3;\n", encoding="utf-8"
    )
    with pytest.raises(ExtractRefused) as refused:
        validate_delivery(delivery_copy)
    assert [str(e) for e in refused.value.errors] == [
        "org_mapping.csv:2 column 'share': the shares of 'OLD' add up to 0.9; expected 1 "
        "(every figure of the old unit goes somewhere)"
    ]
    mapping.write_text(
        "old_org_code;new_org_code;share;note\nOLD;VAKA;0,6;\nOLD;OPKOU;0,4;\n", encoding="utf-8"
    )
    assert "org_mapping" in validate_delivery(delivery_copy).extracts


def test_a_warehouse_loaded_before_scopes_gets_them_from_its_organisation(
    scoped: ScopedRuns, tmp_path: Path
):
    copy = tmp_path / "old.duckdb"
    shutil.copyfile(scoped.embedded.database, copy)
    loaded = duckdb.connect(str(copy))
    loaded.execute("alter table raw.load_log drop column municipality_code")
    loaded.execute("alter table raw.load_log drop column scope_code")
    technical = recode(
        DEFAULT_DELIVERY_DIR, tmp_path / "t" / "tmp", TECHNICAL_CODES, TECHNICAL_NAMES
    )
    loads = _load(loaded, move_to_period(technical, "2023-06"))
    assert {(x.municipality_code, x.scope_code) for x in loads} == {("HEINOLA", "TETO")}
    scopes = loaded.execute(
        "select reporting_period, municipality_code, scope_code, count(*) from raw.load_log "
        "group by all order by all"
    ).fetchall()
    # Each period of the old warehouse held one delivery: its organisation names its scope.
    assert [s[:3] for s in scopes] == [
        ("2023-03", "HEINOLA", "HYTO"),
        ("2023-06", "HEINOLA", "TETO"),
    ]
    loaded.close()
