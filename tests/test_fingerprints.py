"""A run of what the published generation was built from is a no-op: the fingerprints
that decide it, each shown telling a change apart from no change."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from orchestration.warehouse import fingerprints
from orchestration.warehouse.fingerprints import (
    Fingerprint,
    carried_deliveries,
    delivery_digest,
    unchanged_reasons,
)
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR
from orchestration.warehouse.publish import (
    current_generation,
    layout_for,
    models_changed,
    rebuild_reasons,
)
from tests.conftest import PipelineRun

PERIOD = "2023-03"


def _digest(folder: Path, period: str = PERIOD, scope: str = "") -> str:
    return delivery_digest(folder, period, scope)


def test_a_delivery_digest_follows_its_files_not_where_they_are(tmp_path: Path):
    copy = tmp_path / "elsewhere" / PERIOD
    shutil.copytree(DEFAULT_DELIVERY_DIR, copy)
    assert _digest(copy) == _digest(DEFAULT_DELIVERY_DIR)
    os.utime(copy / "ledger.csv", (0, 0))  # touched, not changed
    assert _digest(copy) == _digest(DEFAULT_DELIVERY_DIR)
    # What changes it: the period or scope it is read as, a byte, a file more or less.
    assert _digest(copy, "2023-04") != _digest(copy)
    assert _digest(copy, scope="HYTO") != _digest(copy)
    baseline = _digest(copy)
    ledger = copy / "ledger.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b"-30250", b"-30251", 1))
    assert _digest(copy) != baseline
    changed = _digest(copy)
    (copy / "wide_account_export.toml").write_text('extract = "ledger"\n', encoding="utf-8")
    assert _digest(copy) != changed
    (copy / "wide_account_export.toml").unlink()
    (copy / "narratives.csv").rename(copy / "narratives_old.csv")
    assert _digest(copy) != changed


def _entry(period: str, scope: str, digest: str) -> dict:
    return {
        "reporting_period": period,
        "municipality_code": "HEINOLA",
        "scope_code": scope,
        "digest": digest,
        "folder": f"/in/{period}/{scope}",
    }


def test_a_restated_delivery_replaces_only_its_own_period_and_scope():
    held = [_entry("2023-03", "HYTO", "a"), _entry("2023-03", "TETO", "b")]
    held.append(_entry("2023-06", "HYTO", "c"))
    now = carried_deliveries(held, [_entry("2023-03", "HYTO", "a2")])
    assert sorted(e["digest"] for e in now) == ["a2", "b", "c"]
    assert carried_deliveries([], held) == sorted(held, key=lambda e: e["reporting_period"])


def test_the_reasons_name_what_changed():
    fingerprint = Fingerprint("models", "code")
    inputs = {"models": "models", "code": "code", "deliveries": [_entry(PERIOD, "HYTO", "a")]}
    assert unchanged_reasons(inputs, fingerprint, {"seeds/2023-03": "a"}) == []
    assert unchanged_reasons(inputs, fingerprint, {"in/2023-03": "z"}) == [
        "new or changed deliveries: in/2023-03"
    ]
    assert unchanged_reasons(inputs, Fingerprint("other", "code"), {"x": "a"}) == [
        "the dbt models or the reference data changed"
    ]
    assert unchanged_reasons(inputs, Fingerprint("models", "other"), {"x": "a"}) == [
        "the pipeline's code, profiles or settings changed"
    ]
    assert unchanged_reasons(None, fingerprint, {"x": "a"}) == [
        "the published generation does not record what it was built from"
    ]


def test_the_models_fingerprint_follows_the_sql_and_the_reference_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    project = tmp_path / "dbt_project"
    shutil.copytree(
        fingerprints.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs")
    )
    reference = tmp_path / "reference"
    shutil.copytree(fingerprints.REFERENCE_DIR, reference)
    monkeypatch.setattr(fingerprints, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(fingerprints, "REFERENCE_DIR", reference)
    monkeypatch.setattr(fingerprints, "PROJECT_ROOT", tmp_path)
    before = fingerprints.models_fingerprint()
    (project / "target").mkdir(exist_ok=True)
    (project / "target" / "manifest.json").write_text("{}", encoding="utf-8")
    assert fingerprints.models_fingerprint() == before  # build artefacts are not models
    model = next((project / "models" / "marts").rglob("*.sql"))
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    after_sql = fingerprints.models_fingerprint()
    assert after_sql != before
    chart = reference / "account_ranges.csv"
    chart.write_text(chart.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprints.models_fingerprint() != after_sql
    code = fingerprints.code_fingerprint()
    monkeypatch.setenv("KUNTASEURANTA_REPORT_PERIODS", "8")
    assert fingerprints.code_fingerprint() != code


@pytest.fixture
def published_copy(embedded_run: PipelineRun, tmp_path: Path) -> Path:
    """A copy of the embedded run's whole warehouse folder: its generations, the current
    link, the links readers use."""
    target = tmp_path / "warehouse"
    shutil.copytree(embedded_run.published.parent, target, symlinks=True)
    return target / embedded_run.published.name


def test_the_published_generation_records_what_it_was_built_from(published_copy: Path):
    layout = layout_for(published_copy)
    generation = current_generation(layout)
    inputs = generation.manifest["inputs"]
    assert inputs["models"] == fingerprints.models_fingerprint()
    assert inputs["code"] == fingerprints.code_fingerprint()
    (delivery,) = inputs["deliveries"]
    assert delivery["reporting_period"] == PERIOD
    assert (delivery["municipality_code"], delivery["scope_code"]) == ("HEINOLA", "HYTO")
    assert delivery["digest"] == _digest(DEFAULT_DELIVERY_DIR)
    assert rebuild_reasons(layout, {"seeds/2023-03": _digest(DEFAULT_DELIVERY_DIR)}) == []
    assert models_changed(layout, inputs["models"]) is None
    assert "changed since" in models_changed(layout, "other models")


def test_a_published_file_changed_since_publication_is_not_a_no_op(published_copy: Path):
    layout = layout_for(published_copy)
    generation = current_generation(layout)
    same = {"seeds/2023-03": _digest(DEFAULT_DELIVERY_DIR)}
    report = next((generation.path / "report").glob("*.html"))
    os.utime(report, (0, 0))  # a copy that kept the bytes: still as published
    assert rebuild_reasons(layout, same) == []
    report.write_text(report.read_text(encoding="utf-8") + " ", encoding="utf-8")
    (reason,) = rebuild_reasons(layout, same)
    assert reason == f"published files changed after publication: report/{report.name}"
    report.unlink()
    assert rebuild_reasons(layout, same) == [reason]


def test_a_generation_without_inputs_is_rebuilt(published_copy: Path):
    layout = layout_for(published_copy)
    generation = current_generation(layout)
    manifest_path = generation.path / "generation.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["inputs"] = None  # published before generations recorded it
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    same = {"seeds/2023-03": _digest(DEFAULT_DELIVERY_DIR)}
    assert rebuild_reasons(layout, same) == [
        "the published generation does not record what it was built from"
    ]
    assert "does not record the models" in models_changed(layout, fingerprints.models_fingerprint())


def test_a_file_hashed_by_the_loader_is_not_read_again_unless_it_changed(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    real = fingerprints.file_digest(path)
    fingerprints.remember(path, path.stat(), "hashed while loading")
    assert fingerprints.file_digest(path) == "hashed while loading"
    path.write_text("a;b\n1;3\n", encoding="utf-8")
    assert fingerprints.file_digest(path) not in ("hashed while loading", real)


def test_links_and_devices_in_a_delivery_are_not_read(tmp_path: Path):
    copy = tmp_path / PERIOD
    shutil.copytree(DEFAULT_DELIVERY_DIR, copy)
    before = _digest(copy)
    (copy / "README.txt").symlink_to("/dev/zero")  # reading it would never end
    os.mkfifo(copy / "pipe.csv")  # reading it would block
    assert _digest(copy) == before
