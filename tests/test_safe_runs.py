"""Safe runs: one writer at a time, one consistent publication, recovery from leftovers.

Most of these work on a warehouse folder of the test's own holding the embedded run's
published set (DuckDB file, Parquet, report), so that publication, kills, full disks,
stale WALs and damaged files are exercised on the real files without a pipeline run each.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli import main
from orchestration.defs.resources import WarehouseFiles
from orchestration.warehouse import failures, housekeeping, lock
from orchestration.warehouse.paths import DEFAULT_DELIVERY_DIR
from orchestration.warehouse.publish import (
    MANIFEST,
    DamagedWarehouse,
    Layout,
    current_generation,
    current_target,
    export_marts,
    generations,
    prepare_staging,
    publish,
    recover,
    sha256_of,
    start_working_copy,
)
from tests.conftest import PipelineRun, copy_published
from tests.deliveries import deliver, restate_leaf

PYTHON = sys.executable
STATE_SQL = """
    select (select count(*) from raw.load_log),
           (select actual from marts.fct_budget_vs_actual
            where reporting_period = '2023-03' and org_code = 'VIRE'
              and line_code = 'avustukset')
"""
NEW_ACTUAL = -2900


# --- a published set of the test's own -----------------------------------------------


def adopt_embedded(embedded_run: PipelineRun, folder: Path) -> Layout:
    """folder/warehouse/w.duckdb with the embedded run's DuckDB file, Parquet and report,
    as a warehouse published before generations; recover() adopts it as generation one."""
    root = folder / "warehouse"
    root.mkdir(parents=True)
    layout = Layout(root / "w.duckdb")
    source = embedded_run.published.parent
    shutil.copyfile(embedded_run.published, layout.published)
    shutil.copytree(source / "parquet", root / "parquet")
    shutil.copytree(source / "report", root / "report")
    notes = recover(layout)
    assert any("adopted the single-file warehouse" in n for n in notes), notes
    return layout


def stage_new_state(layout: Layout) -> None:
    """A working file as a run leaves it before publication: the embedded warehouse with
    VIRE's Q1 avustukset restated to -2 900 (one more delivery in the load log), and the
    report staged."""
    start_working_copy(layout)
    with duckdb.connect(str(layout.working)) as con:
        con.execute(
            "update marts.fct_budget_vs_actual set actual = ? where reporting_period = "
            "'2023-03' and org_code = 'VIRE' and line_code = 'avustukset'",
            [NEW_ACTUAL],
        )
        con.execute(
            "insert into raw.load_log select 'restated-load', reporting_period, extract_kind,"
            " source_file, 'sha', row_count, encoding, delimiter, now()::timestamp, "
            "municipality_code, scope_code from raw.load_log limit 1"
        )
    prepare_staging(layout)
    report = current_generation(layout).path / "report"
    for path in report.iterdir():
        shutil.copyfile(path, layout.staged_report / path.name)


def publish_staged(layout: Layout, run_id: str = "run-new") -> None:
    export_marts(layout.working, layout.staged_parquet)
    publish(layout, run_id)


def whole_set(layout: Layout) -> tuple:
    """What a reader sees through the stable paths, checked to be one whole generation:
    every file as its manifest recorded it, and the Parquet agreeing with the DuckDB file.
    Returns the DuckDB state (deliveries, VIRE's Q1 avustukset)."""
    generation = current_generation(layout)
    assert generation is not None
    files = generation.manifest["files"]
    assert files, "a generation records its files"
    for name, recorded in files.items():
        assert sha256_of(generation.path / name) == recorded["sha256"], name
    with duckdb.connect(str(layout.published), read_only=True) as con:
        state = tuple(con.execute(STATE_SQL).fetchall()[0])
        from_parquet = con.execute(
            "select actual from read_parquet(?) where reporting_period = '2023-03' "
            "and org_code = 'VIRE' and line_code = 'avustukset'",
            [str(layout.parquet_link / "fct_budget_vs_actual.parquet")],
        ).fetchall()[0][0]
    assert from_parquet == state[1]  # Parquet and DuckDB of the same generation
    assert (layout.report_link / "osavuosikatsaus_2023-03_HEINOLA_HYTO.pdf").exists()
    assert (layout.published.resolve().parent) == generation.path
    return state


def leftovers(layout: Layout) -> list[str]:
    found = [p.name for p in layout.generations_dir.iterdir() if p.name.startswith(".")]
    found += [p.name for p in layout.root.iterdir() if p.name.endswith(".switching")]
    if layout.build_dir.exists():
        found.append(layout.build_dir.name)
    return found


@pytest.fixture
def published_set(embedded_run: PipelineRun, tmp_path: Path) -> Layout:
    return adopt_embedded(embedded_run, tmp_path)


def cli(*argv: str, warehouse: Path) -> tuple[int, str]:
    out = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as mp,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        mp.setenv("KUNTASEURANTA_WAREHOUSE", str(warehouse))
        mp.delenv("KUNTASEURANTA_WORKING", raising=False)
        mp.delenv("DAGSTER_HOME", raising=False)
        code = main(list(argv))
    return code, out.getvalue()


# --- publication is one set -------------------------------------------------------------


def test_a_publication_switches_the_duckdb_file_parquet_and_report_together(
    published_set: Layout,
):
    layout = published_set
    old = whole_set(layout)
    first = current_generation(layout)
    stage_new_state(layout)
    assert whole_set(layout) == old  # staged is not visible
    publish_staged(layout)
    new = whole_set(layout)
    assert new == (old[0] + 1, NEW_ACTUAL) and old[1] != NEW_ACTUAL
    generation = current_generation(layout)
    assert generation.base == first.id  # the previous generation is kept, for rollback
    assert [g.id for g in generations(layout)] == [first.id, generation.id]
    assert generation.manifest["periods"] == ["2023-03"]
    assert leftovers(layout) == []
    # Each stable path readers use is a link through `current`.
    for path in (layout.published, layout.parquet_link, layout.report_link):
        assert path.is_symlink() and os.readlink(path).startswith("current/")


# A publication killed at its Nth step. The steps are counted by wrapping what changes
# the file system (renames, links, removals, the manifest) and each mart's Parquet export.
KILLER = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    import orchestration.warehouse.publish as p

    layout = p.Layout(Path(sys.argv[1]))
    kill_at = int(sys.argv[2])
    calls = 0

    def counted(fn):
        def wrapper(*args, **kwargs):
            global calls
            calls += 1
            if calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)
        return wrapper

    for name in ("replace", "rename", "symlink"):
        setattr(os, name, counted(getattr(os, name)))
    shutil.rmtree = counted(shutil.rmtree)
    p._write_manifest = counted(p._write_manifest)
    p._fsync_tree = counted(p._fsync_tree)
    p._identifier = counted(p._identifier)  # once per mart exported
    p.export_marts(layout.working, layout.staged_parquet)
    p.publish(layout, "run-new")
    print(calls)
""")


def _publish_killed_at(layout: Layout, kill_at: int) -> int:
    done = subprocess.run(
        [PYTHON, "-c", KILLER, str(layout.published), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if kill_at:
        assert done.returncode == -signal.SIGKILL, done.stderr
        return kill_at
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_a_publication_killed_at_any_step_leaves_readers_one_whole_set(
    published_set: Layout, tmp_path: Path
):
    template = published_set
    old = whole_set(template)
    stage_new_state(template)

    def fresh(name: str) -> Layout:
        root = tmp_path / name / "warehouse"
        shutil.copytree(template.root, root, symlinks=True)
        return Layout(root / template.name)

    steps = _publish_killed_at(fresh("count"), 0)
    assert steps > 13  # every mart's export and every step of the switch
    seen = []
    for kill_at in range(1, steps + 1):
        layout = fresh(f"kill-{kill_at}")
        _publish_killed_at(layout, kill_at)
        seen.append(whole_set(layout))  # readers see one whole generation
        notes = recover(layout)  # what the next run does first
        assert whole_set(layout) == seen[-1]
        assert leftovers(layout) == []
        if seen[-1] == old:
            assert notes, f"killed at step {kill_at}: the next run says what it removed"
    new = (old[0] + 1, NEW_ACTUAL)
    assert set(seen) == {old, new}
    # Before the switch readers keep the old set, after it they have the new one.
    assert seen == sorted(seen, key=lambda s: s == new)


def test_a_full_disk_during_publication_leaves_the_published_set_and_says_why(
    published_set: Layout, tmp_path: Path
):
    small = tmp_path / "small"
    small.mkdir()
    used = sum(p.stat().st_size for p in published_set.root.rglob("*") if p.is_file())
    mounted = _mount_tmpfs(small, size=used + 48 * 1024 * 1024)
    try:
        root = small / "warehouse"
        shutil.copytree(published_set.root, root, symlinks=True)
        layout = Layout(root / published_set.name)
        old = whole_set(layout)
        stage_new_state(layout)  # the working copy and the report fit ...
        if mounted:
            # ... and then the disk is full.
            with open(small / "filler", "wb") as filler, contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
        else:  # no tmpfs here: the failure the operating system would give, simulated
            _simulate_enospc_in_export()
        before = current_target(layout)
        with pytest.raises((OSError, duckdb.Error)) as failed:
            publish_staged(layout)
        said = failures.describe_exception(failed.value)
        assert said.startswith("No space left on device while writing "), said
        assert str(root) in said
        assert current_target(layout) == before
        assert whole_set(layout) == old
        # Space again: the next run cleans up after the failed one and publishes.
        (small / "filler").unlink(missing_ok=True)
        _restore_export()
        recover(layout)
        stage_new_state(layout)
        publish_staged(layout)
        assert whole_set(layout) == (old[0] + 1, NEW_ACTUAL)
    finally:  # a failed assertion must not leave the file system mounted
        _restore_export()
        if mounted:
            subprocess.run(["umount", str(small)], check=True)


def _mount_tmpfs(folder: Path, size: int, options: str = "") -> bool:
    """A small file system of its own (root on Linux); False where the machine refuses."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}{options}", "tmpfs", str(folder)],
        capture_output=True,
    )
    return done.returncode == 0


_real_write_manifest = None


def _simulate_enospc_in_export() -> None:
    import errno

    import orchestration.warehouse.publish as p

    global _real_write_manifest
    _real_write_manifest = p._write_manifest

    def full(folder, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / MANIFEST))

    p._write_manifest = full


def _restore_export() -> None:
    import orchestration.warehouse.publish as p

    if _real_write_manifest is not None:
        p._write_manifest = _real_write_manifest


def test_a_read_only_warehouse_folder_is_refused_with_its_cause(
    published_set: Layout, tmp_path: Path
):
    folder = tmp_path / "ro"
    folder.mkdir()
    if not _mount_tmpfs(folder, size=64 * 1024 * 1024):
        pytest.fail("this test needs root and tmpfs (the CI machines have both)")
    try:
        root = folder / "warehouse"
        shutil.copytree(published_set.root, root, symlinks=True)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        code, output = cli("run", str(DEFAULT_DELIVERY_DIR), warehouse=root / "w.duckdb")
        assert code == 1
        assert "FAILED before the run started: the folder is read-only while writing" in output
        assert "The published warehouse is unchanged" in output
        assert "Traceback" not in output
        # Readers still read it.
        assert whole_set(Layout(root / "w.duckdb"))
    finally:
        subprocess.run(["umount", str(folder)], check=True)


# --- recovery from what readers and killed runs leave behind ------------------------------


def test_a_stale_wal_never_makes_the_published_warehouse_unreadable(published_set: Layout):
    layout = published_set
    old = whole_set(layout)
    # An analyst's read-write session (DuckDB CLI, DBeaver) writes, then dies.
    session = textwrap.dedent("""
        import os, sys, duckdb
        con = duckdb.connect(sys.argv[1])
        con.execute("create table main.scratch as select 1 as x")
        os._exit(0)
    """)
    subprocess.run([PYTHON, "-c", session, str(layout.published)], check=True)
    database = current_generation(layout).database(layout.name)
    wal = database.with_name(database.name + ".wal")
    assert wal.exists()  # beside the generation's file: DuckDB resolves the links
    assert whole_set(layout) == old
    notes = recover(layout)
    assert any("left a WAL" in n for n in notes), notes
    stage_new_state(layout)
    publish_staged(layout)
    assert whole_set(layout) == (old[0] + 1, NEW_ACTUAL)  # new readers are not affected
    # A WAL that does not belong to its file (as the old single-file publish left them).
    # DuckDB's v1.0.0 storage format, which BI clients down to DuckDB 1.1 read, does not
    # tie a WAL to its file: readers replay it (here the analyst's table), as they would
    # a read-write session's on that file, until the next publication, which does not
    # carry its changes.
    new_database = current_generation(layout).database(layout.name)
    shutil.copyfile(wal, new_database.with_name(new_database.name + ".wal"))
    assert _scratch_tables(layout.published) == 1
    notes = recover(layout)
    assert any("left a WAL" in n for n in notes), notes
    assert whole_set(layout) == (old[0] + 1, NEW_ACTUAL)


def _scratch_tables(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select count(*) from duckdb_tables() where table_name = 'scratch'"
        ).fetchone()[0]


def test_a_damaged_published_file_is_found_before_a_run_uses_it_and_rollback_restores(
    published_set: Layout, delivery_copy: Path
):
    layout = published_set
    old = whole_set(layout)
    first = current_generation(layout)
    stage_new_state(layout)
    publish_staged(layout)
    damaged = current_generation(layout)
    database = damaged.database(layout.name)
    with database.open("r+b") as f:  # truncated, as a full disk or a bad copy leaves it
        f.truncate(database.stat().st_size // 2)
    code, status = cli("status", warehouse=layout.published)
    assert code == 1 and "Traceback" not in status
    (line,) = [s for s in status.splitlines() if s.startswith("DAMAGED")]
    assert f"`warehouse rollback` makes generation {first.id}" in line
    with pytest.raises(DamagedWarehouse, match="is damaged"):
        start_working_copy(layout)
    # A run refuses before loading anything, and says what to do.
    code, output = cli("run", str(delivery_copy), "--no-wait", warehouse=layout.published)
    assert code == 1, output
    assert "REFUSED: the published warehouse" in output and "is damaged" in output
    assert "warehouse rollback" in output
    assert "Traceback" not in output
    code, output = cli("rollback", warehouse=layout.published)
    assert code == 0, output
    assert f"readers now see generation {first.id}" in output
    assert whole_set(layout) == old
    code, status = cli("status", warehouse=layout.published)
    assert code == 0 and "DAMAGED" not in status


def test_rollback_refuses_when_nothing_earlier_is_kept(published_set: Layout):
    code, output = cli("rollback", warehouse=published_set.published)
    assert code == 1
    assert "is not kept" in output or "earlier generation" in output


# --- one writer at a time ---------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from orchestration.warehouse.lock import warehouse_lock
    with warehouse_lock(Path(sys.argv[1]), "holder-run"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


@contextlib.contextmanager
def held(root: Path, seconds: float = 60.0):
    holder = subprocess.Popen(
        [PYTHON, "-c", HOLDER, str(root), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_a_second_run_refuses_at_once_or_waits_a_bounded_time(published_set: Layout):
    layout = published_set
    before = current_target(layout)
    with held(layout.root):
        holder = lock.current_holder(layout.root)
        assert holder is not None and holder.run_id == "holder-run"
        started = time.monotonic()
        code, output = cli("run", "--no-wait", warehouse=layout.published)
        assert code == 1 and time.monotonic() - started < 10
        assert "REFUSED: another run holds the warehouse: run holder-run (pid" in output
        assert "The published warehouse is unchanged" in output
        started = time.monotonic()
        code, output = cli("run", "--wait", "1.5", warehouse=layout.published)
        waited = time.monotonic() - started
        assert code == 1 and 1.5 <= waited < 10
        assert "Waiting for run holder-run" in output
        assert "still holds the warehouse after 2 s of waiting" in output
        code, output = cli("rollback", "--no-wait", warehouse=layout.published)
        assert code == 1 and "another run holds the warehouse" in output
    assert current_target(layout) == before
    assert lock.current_holder(layout.root) is None


def test_the_lock_is_released_by_the_kernel_when_its_holder_dies(tmp_path: Path):
    with held(tmp_path) as holder:
        assert lock.current_holder(tmp_path) is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        with lock.warehouse_lock(tmp_path, "next", wait_seconds=0):
            assert lock.previous_holder(tmp_path).run_id == "holder-run"
            assert lock.held_here(tmp_path)
            with lock.warehouse_lock(tmp_path, "next", wait_seconds=0):  # re-entrant
                pass
            assert lock.held_here(tmp_path)
        assert not lock.held_here(tmp_path)


def test_runs_started_by_dagster_hold_the_lock_through_their_resource(tmp_path: Path):
    """Sensor, schedule, UI and backfill runs all go through WarehouseFiles."""

    @dg.asset
    def probe(warehouse_files: WarehouseFiles) -> None:
        assert lock.held_here(warehouse_files.layout.root)

    root = tmp_path / "warehouse"
    files = WarehouseFiles(
        published_path=str(root / "w.duckdb"),
        working_path=str(root / ".build" / "w.duckdb"),
        evidence_dir=str(root / "validation"),
        lock_wait_seconds=0,
    )
    root.mkdir()
    with held(root):
        result = dg.materialize([probe], resources={"warehouse_files": files}, raise_on_error=False)
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_failure]
        said = failures.describe(failure.event_specific_data.error)
        assert "another run holds the warehouse: run holder-run" in said
    assert dg.materialize([probe], resources={"warehouse_files": files}).success


# A separate process, as a BI tool is: SQLAlchemy with duckdb-engine, read-only (the way
# Superset connects), a new connection per query, until told to stop; its last query
# starts after it was told, so it reads what was published before.
READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import sqlalchemy as sa
    path, stop, sql = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True},
                              poolclass=sa.pool.NullPool)
    stopping = False
    while not stopping:
        stopping = stop.exists()
        try:
            with engine.connect() as con:
                row = con.execute(sa.text(sql)).fetchall()[0]
            print(json.dumps({"state": [str(v) for v in row]}), flush=True)
        except Exception as exc:
            print(json.dumps({"error": repr(exc)}), flush=True)
        time.sleep(0.1)
""")


def test_two_runs_at_once_both_land_while_readers_read(embedded_run: PipelineRun, tmp_path: Path):
    """Two people start a run on one warehouse while a BI tool polls it and an analyst
    holds a session open: the second run waits for the first and names it, both
    deliveries land, readers see only whole publications and never an error, and the
    analyst keeps the snapshot they opened. The warehouse's path has an apostrophe and
    spaces (no SQL is built by pasting paths)."""
    from tests.faults_common import STATE_SQL as READ_SQL
    from tests.faults_common import run_env, state

    folder = tmp_path / "Kunnan 'talous' data"
    published = copy_published(embedded_run, folder)
    q2 = deliver(tmp_path / "inbox", "2023-06")
    restated = deliver(tmp_path / "restated", "2023-03")
    restate_leaf(restated, "VIRE", "avustukset", "-1900", "-2900")
    old = state(published)
    held_session = duckdb.connect(str(published), read_only=True)  # an analyst's session
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [PYTHON, "-c", READER, str(published), str(stop), READ_SQL],
        stdout=subprocess.PIPE,
        text=True,
    )
    env = run_env(published)  # both runs, one after the other (the second waits)
    warehouse = str(Path(PYTHON).parent / "warehouse")
    first_log = tmp_path / "first.log"
    try:
        with first_log.open("w") as out:  # a file, not a pipe: dbt prints hundreds of lines
            first = subprocess.Popen([warehouse, "run", str(q2)], env=env, stdout=out)
        deadline = time.monotonic() + 60
        while lock.current_holder(published.parent) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        holder = lock.current_holder(published.parent)
        assert holder is not None
        # Runs started with --no-wait at several moments of the first (loading, dbt)
        # refuse at once, naming it, and touch nothing of it.
        for delay in (0.0, 4.0, 8.0):
            time.sleep(delay)
            started = time.monotonic()
            probe = subprocess.run(
                [warehouse, "run", str(restated), "--no-wait"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert probe.returncode == 1, probe.stdout
            assert f"another run holds the warehouse: run {holder.run_id}" in probe.stdout
            assert time.monotonic() - started < 15
        assert first.poll() is None  # still running: the probes did not end it
        second = subprocess.run(
            [warehouse, "run", str(restated)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        first.wait(timeout=600)
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=60)
    first_output = first_log.read_text()
    assert first.returncode == 0, first_output
    assert second.returncode == 0, second.stdout
    assert f"Waiting for run {holder.run_id}" in second.stdout
    assert "succeeded" in first_output and "succeeded" in second.stdout
    # The session opened before both publications still reads its own whole snapshot.
    assert tuple(held_session.execute(READ_SQL).fetchall()[0]) == old
    held_session.close()
    with duckdb.connect(str(published), read_only=True) as con:
        loads = con.execute(
            "select reporting_period, count(*) from raw.load_log group by 1 order by 1"
        ).fetchall()
        actual = con.execute(
            "select reporting_period, actual from marts.fct_budget_vs_actual "
            "where org_code = 'VIRE' and line_code = 'avustukset' order by 1"
        ).fetchall()
    # Q2 whole, and Q1's restated extracts beside the eight first delivered.
    assert loads[1] == ("2023-06", 8) and loads[0][0] == "2023-03" and loads[0][1] > 8
    assert actual[0] == ("2023-03", NEW_ACTUAL) and actual[1][0] == "2023-06"
    assert current_generation(Layout(published)).manifest["periods"] == ["2023-03", "2023-06"]
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["error"] for line in lines if "error" in line] == []
    observed = {tuple(line["state"]) for line in lines if "state" in line}
    final = tuple(str(v) for v in state(published))
    assert tuple(str(v) for v in old) in observed and final in observed
    assert len(observed) <= 3  # before, after the first publication, after the second


# --- causes, housekeeping, hand-run dbt ---------------------------------------------------


def test_a_failed_step_is_described_by_its_cause_not_its_wrapper(tmp_path: Path):
    import errno

    target = tmp_path / "warehouse" / "part.parquet"

    @dg.asset
    def writes() -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    @dg.asset
    def locked() -> None:
        raise lock.WarehouseBusy("another run holds the warehouse: run abc (pid 1)")

    for asset, expected in (
        (writes, f"No space left on device while writing {target}"),
        (locked, "WarehouseBusy: another run holds the warehouse: run abc (pid 1)"),
    ):
        result = dg.materialize([asset], raise_on_error=False)
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        error = failure.step_failure_data.error
        assert error.message.startswith("dagster._core.errors.DagsterExecutionStepExecution")
        assert failures.describe(error) == expected
    # What DuckDB says when the disk is full names the file it was writing.
    duck = duckdb.IOException(f'IO Error: Could not write file "{target}": No space left')
    assert failures.describe_exception(duck) == f"No space left on device while writing {target}"


def test_evidence_and_run_history_are_pruned_to_the_kept_number(tmp_path: Path):
    layout = Layout(tmp_path / "warehouse" / "w.duckdb")
    for i in range(5):
        folder = layout.evidence_dir / f"run-{i}"
        folder.mkdir(parents=True)
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
    assert housekeeping.prune_evidence(layout, keep=2) == ["run-2", "run-1", "run-0"]
    assert sorted(p.name for p in layout.evidence_dir.iterdir()) == ["run-3", "run-4"]

    @dg.asset
    def tiny() -> None:
        return None

    job = dg.define_asset_job(housekeeping.JOB_NAME, selection=[tiny])
    definitions = dg.Definitions(assets=[tiny], jobs=[job])
    with dg.instance_for_test() as instance:
        for _ in range(4):
            definitions.resolve_job_def(housekeeping.JOB_NAME).execute_in_process(instance=instance)
        newest = instance.get_run_ids(limit=2)
        assert housekeeping.prune_run_history(instance, keep=2) == 2
        assert instance.get_run_ids() == newest


def test_a_run_leaves_no_build_output_in_the_source_tree(embedded_run: PipelineRun):
    from orchestration.warehouse.paths import DBT_PROJECT_DIR

    target = DBT_PROJECT_DIR / "target"
    per_run = [p.name for p in target.iterdir() if p.name.startswith("warehouse_dbt_models")]
    assert per_run == []
    # The run's own work folder is gone once it has published.
    assert not (embedded_run.published.parent / ".build").exists()


def test_dbt_run_by_hand_builds_a_development_file_not_the_published_one(
    published_set: Layout, tmp_path: Path
):
    from orchestration.warehouse.dbt_project import DBT_PROJECT
    from orchestration.warehouse.dbt_state import PARTIAL_PARSE
    from orchestration.warehouse.paths import DBT_PROJECT_DIR

    layout = published_set
    dev = tmp_path / "dev.duckdb"
    env = {**os.environ, "KUNTASEURANTA_WAREHOUSE": str(layout.published)}
    env["KUNTASEURANTA_DBT_DEV_DATABASE"] = str(dev)
    env["DBT_LOG_PATH"] = str(tmp_path / "logs")
    state = DBT_PROJECT.project_dir / DBT_PROJECT.target_path / PARTIAL_PARSE
    state_before = state.read_bytes()
    published_before = sha256_of(layout.published.resolve())
    warehouse = str(Path(PYTHON).parent / "warehouse")
    copied = subprocess.run([warehouse, "dev-database"], env=env, capture_output=True, text=True)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    built = subprocess.run(
        [str(Path(PYTHON).parent / "dbt"), "build", "--select", "stg_org_units", "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    with duckdb.connect(str(dev), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_org_units").fetchall()[0][0] > 0
    assert sha256_of(layout.published.resolve()) == published_before
    assert state.read_bytes() == state_before  # the pipeline's parse state is its own
    assert json.loads((current_generation(layout).path / MANIFEST).read_text())["files"]
