"""Loading into raw: lineage, exact decimals, idempotence, restatement, atomicity."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import loading as loader
from orchestration.ingest.contracts import CONTRACTS
from orchestration.ingest.loading import load_delivery
from orchestration.ingest.validation import validate_delivery

ALL = list(CONTRACTS.values())


def _load(db: Path, folder: Path) -> list[loader.ExtractLoad]:
    with duckdb.connect(str(db)) as con:
        return load_delivery(con, validate_delivery(folder), ALL)


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every raw table's full content, for before/after comparisons."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
                "ORDER BY 1"
            ).fetchall()
        ]
        return {t: con.execute(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall() for t in tables}


def test_every_row_lands_with_its_lineage_and_exact_amount(delivery_copy: Path, tmp_path: Path):
    db = tmp_path / "w.duckdb"
    loads = _load(db, delivery_copy)
    assert {(x.kind, x.rows, x.status) for x in loads} == {
        ("organisation", 7, "loaded"),
        ("ledger", 184, "loaded"),
        ("control_totals", 570, "loaded"),
        ("investments", 12, "loaded"),
        ("investment_projects", 3, "loaded"),
        ("goals", 17, "loaded"),
        ("goal_metrics", 25, "loaded"),
        ("narratives", 28, "loaded"),
    }
    sha = hashlib.sha256((delivery_copy / "ledger.csv").read_bytes()).hexdigest()
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT amount, unit, _source_file, _source_sha256, _source_line, "
            "_reporting_period, typeof(amount) FROM raw.ledger WHERE org_code = 'HYTE' "
            "AND line_code = 'henkilostokulut' AND fiscal_year = 2023 AND period = 3"
        ).fetchone()
        lines = (delivery_copy / "ledger.csv").read_text(encoding="utf-8-sig").splitlines()
        assert lines[row[4] - 1] == "2023;3;HYTE;henkilostokulut;actual;-82967;1"
        assert row[:4] == (Decimal(-82967), "1", "ledger.csv", sha)
        assert row[5:] == ("2023-03", "DECIMAL(18,4)")
        log = con.execute(
            "SELECT extract_kind, row_count, sha256, encoding FROM raw.load_log "
            "WHERE extract_kind = 'ledger'"
        ).fetchall()
        assert log == [("ledger", 184, sha, "utf-8-sig")]
        goal = con.execute(
            "SELECT status, org_codes FROM raw.goals WHERE goal_id = 'K01'"
        ).fetchone()
        assert goal == ("partially_achieved", "OPKOU|HYTE")
        occupancy = con.execute(
            "SELECT observed_on, observed_value FROM raw.goal_metrics WHERE goal_id = 'K12' "
            "AND unit = '%' AND month(observed_on) = 2"
        ).fetchall()
        assert [(str(d), v) for d, v in occupancy] == [("2023-02-28", Decimal("76.55"))]


def test_loading_the_same_files_again_changes_nothing(delivery_copy: Path, tmp_path: Path):
    db = tmp_path / "w.duckdb"
    _load(db, delivery_copy)
    before = _snapshot(db)
    again = _load(db, delivery_copy)
    assert {x.status for x in again} == {"unchanged"}
    assert _snapshot(db) == before


def test_a_restated_extract_is_kept_beside_the_first_delivery(delivery_copy: Path, tmp_path: Path):
    db = tmp_path / "w.duckdb"
    _load(db, delivery_copy)
    before = _snapshot(db)
    ledger = delivery_copy / "ledger.csv"
    text = ledger.read_text(encoding="utf-8-sig")
    ledger.write_text(
        text.replace(
            "2023;3;VIRE;avustukset;actual;-1900;1", "2023;3;VIRE;avustukset;actual;-2900;1"
        ),
        encoding="utf-8-sig",
    )
    loads = {x.kind: x.status for x in _load(db, delivery_copy)}
    assert loads.pop("ledger") == "restated"
    assert set(loads.values()) == {"unchanged"}
    after = _snapshot(db)
    assert {t for t in after if after[t] != before[t]} == {"ledger", "load_log"}
    with duckdb.connect(str(db), read_only=True) as con:
        versions = con.execute(
            "SELECT l.amount FROM raw.ledger l JOIN raw.load_log g ON g.load_id = l._load_id "
            "WHERE org_code = 'VIRE' AND line_code = 'avustukset' AND fiscal_year = 2023 "
            "AND period = 3 ORDER BY g.loaded_at, g.load_id"
        ).fetchall()
        assert sorted(v[0] for v in versions) == [Decimal(-2900), Decimal(-1900)]
        assert con.execute("SELECT count(*) FROM raw.ledger").fetchone()[0] == 2 * 184


def test_a_restated_delivery_without_an_optional_extract_withdraws_it(
    delivery_copy: Path, tmp_path: Path
):
    """A delivery is whole: restated without goals and investments, the period has none
    (the earlier rows stay in raw, no longer current); delivered again, they are back."""
    db = tmp_path / "w.duckdb"
    _load(db, delivery_copy)
    kept = tmp_path / "kept"
    kept.mkdir()
    for kind in ("goals", "goal_metrics", "investments", "investment_projects"):
        (delivery_copy / f"{kind}.csv").rename(kept / f"{kind}.csv")
    loads = {x.kind: x.status for x in _load(db, delivery_copy)}
    assert {k: v for k, v in loads.items() if v != "unchanged"} == {
        "goals": "withdrawn",
        "goal_metrics": "withdrawn",
        "investments": "withdrawn",
        "investment_projects": "withdrawn",
    }
    latest = (
        "SELECT extract_kind, sha256, row_count FROM raw.load_log l WHERE loaded_at = "
        "(SELECT max(loaded_at) FROM raw.load_log m WHERE m.extract_kind = l.extract_kind) "
        "ORDER BY 1"
    )
    with duckdb.connect(str(db), read_only=True) as con:
        current = {kind: (sha, rows) for kind, sha, rows in con.execute(latest).fetchall()}
        assert current["investments"] == ("withdrawn", 0)
        assert current["ledger"][1] == 184  # the rest of the delivery as it was
        assert con.execute("SELECT count(*) FROM raw.investments").fetchone()[0] == 12
    # Withdrawn once is enough: loading the same folder again changes nothing.
    assert {x.status for x in _load(db, delivery_copy)} == {"unchanged"}
    for path in kept.iterdir():
        path.rename(delivery_copy / path.name)
    loads = {x.kind: x.status for x in _load(db, delivery_copy)}
    assert loads["investments"] == "restated" and loads["ledger"] == "unchanged"


def test_a_failure_midway_leaves_the_warehouse_exactly_as_it_was(
    delivery_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = tmp_path / "w.duckdb"
    _load(db, delivery_copy)
    # A second period arrives; the write dies after some of its tables are in.
    q2 = delivery_copy.parent / "2023-06"
    q2.mkdir()
    for f in delivery_copy.iterdir():
        text = f.read_text(encoding="utf-8-sig").replace("2023;3;", "2023;6;")
        (q2 / f.name).write_text(text, encoding="utf-8")
    before = _snapshot(db)
    real_insert, calls = loader._insert_rows, []

    def dying_insert(*args, **kwargs):
        calls.append(args[1].contract.kind)
        if len(calls) == 4:
            raise OSError("disk full")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(loader, "_insert_rows", dying_insert)
    with pytest.raises(OSError, match="disk full"):
        _load(db, q2)
    assert len(calls) == 4
    assert _snapshot(db) == before
    monkeypatch.setattr(loader, "_insert_rows", real_insert)
    assert {x.status for x in _load(db, q2)} == {"loaded"}


def test_a_run_that_only_withdraws_an_extract_does_not_say_nothing_is_new(
    capsys: pytest.CaptureFixture[str],
):
    from types import SimpleNamespace

    from orchestration.cli.run import _print_loads
    from orchestration.pipeline import TableLoad

    def printed(*loads: TableLoad) -> str:
        rows = sum(load.rows for load in loads if load.status != "unchanged")
        _print_loads(SimpleNamespace(loads=list(loads), rows_loaded=rows, models_built=[]))
        return capsys.readouterr().out

    ledger = TableLoad("raw/ledger", 184, "unchanged", "ledger.csv")
    assert printed(ledger).endswith("Nothing new: every extract was loaded before.\n")
    out = printed(ledger, TableLoad("raw/goals", 0, "withdrawn", ""))
    assert "raw/goals                    0 rows withdrawn (not in the delivery)" in out
    assert out.endswith("0 new rows loaded. Withdrawn: raw/goals.\n")
