"""Faults: a run killed at any point leaves the published warehouse whole.

Two `warehouse run`s of a restated delivery are followed through their lives. At each of
nine points the run's whole process group is stopped (SIGSTOP) and the warehouse folder
and the run's working file are copied as they are: what a kill at that instant would
leave on disk, since a killed process writes nothing more. The points are random moments
of the first run's load and dbt build; then, in the next run, a moment while it recovers
from the first, one of its dbt build, the moment it starts staging its generation and
the moment after its publication switched `current`. Each copy must read whole as the
old or the new publication, and what the next run starts with (publish.recover, then the
verified working copy of the current generation) must succeed on it. The first run is
really killed (SIGKILL) during its dbt build, and the second recovers from that and
publishes. tests/test_safe_runs.py kills a publication at each of its own steps, which
is where a kill could mix what readers see.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.warehouse.publish import Layout, recover, start_working_copy
from tests.conftest import PipelineRun, worker_working_file
from tests.faults_common import published_and_restated, start_run, state

LOAD_AND_BUILD_POINTS = 5


@dataclass(frozen=True)
class Point:
    label: str
    # Due given the run's seconds not stopped, and those at the point before.
    due: Callable[[float, float], bool]
    kill: bool = False


@dataclass(frozen=True)
class Snapshot:
    label: str
    seen: tuple  # what a reader of the published file saw while the run was stopped
    layout: Layout  # the copy of the warehouse folder and the working file


def _group_stopped(pgid: int, timeout: float = 2.0) -> None:
    """Wait until every process of the group is stopped (SIGSTOP arrives asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("T", "t", "Z", "X"):
                running.append(stat.parent.name)
        if not running:
            return
        time.sleep(0.005)
    raise AssertionError(f"processes {running} of the run did not stop")


def _copy(published: Path, target: Path) -> Layout:
    """The warehouse folder and the run's working file as they are now, in `target`."""
    shutil.copytree(published.parent, target / "warehouse", symlinks=True)
    working = worker_working_file()
    copied = target / "working" / working.name
    copied.parent.mkdir(parents=True)
    for name in (working.name, working.name + ".wal"):
        if (working.parent / name).exists():
            shutil.copyfile(working.parent / name, copied.parent / name)
    return Layout(target / "warehouse" / published.name, copied)


def _follow(
    run: subprocess.Popen, points: list[Point], published: Path, folder: Path
) -> list[Snapshot]:
    """Stop the run at each point in turn and copy what it would leave if killed there."""
    taken: list[Snapshot] = []
    started, stopped_for, previous = time.monotonic(), 0.0, 0.0
    pending = list(points)
    try:
        while pending and run.poll() is None:
            active = time.monotonic() - started - stopped_for
            if not pending[0].due(active, previous):
                time.sleep(0.005)
                continue
            point = pending.pop(0)
            pause = time.monotonic()
            os.killpg(run.pid, signal.SIGSTOP)
            if run.poll() is not None:  # it ended just before
                break
            _group_stopped(run.pid)
            if point.kill:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
                break
            try:
                seen = state(published)  # readers open it and read it whole meanwhile
                taken.append(Snapshot(point.label, seen, _copy(published, folder / point.label)))
            finally:
                os.killpg(run.pid, signal.SIGCONT)
            stopped_for += time.monotonic() - pause
            previous = active
    except BaseException:  # a failed check leaves no stopped run behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        raise
    return taken


def test_a_run_killed_anywhere_leaves_the_published_warehouse_whole(
    embedded_run: PipelineRun, tmp_path: Path
):
    published, restated = published_and_restated(embedded_run, tmp_path)
    layout = Layout(published)
    old = state(published)
    rng = random.Random(2023)
    # The load and most of the dbt build come in the first half of a run like the embedded
    # one (plus the start of a fresh interpreter): one random moment in each fifth of the
    # first 45 % of it, then the kill.
    duration = embedded_run.seconds + 4.0
    count = LOAD_AND_BUILD_POINTS
    moments = [0.45 * duration * (i + rng.random()) / count for i in range(count)]
    kill_after, recovering_at = rng.uniform(0.2, 1.0), rng.uniform(0.5, 2.0)
    building_at = rng.uniform(0.25, 0.5) * duration
    first_points = [
        *(Point(f"build-{i}", lambda t, _, m=m: t >= m) for i, m in enumerate(moments)),
        Point("killed", lambda t, p: t >= p + kill_after, kill=True),
    ]
    first = start_run(published, restated)
    snapshots = _follow(first, first_points, published, tmp_path / "first")
    assert first.wait(timeout=600) == -signal.SIGKILL, "the first run ended before its kill"
    assert [s.label for s in snapshots] == [p.label for p in first_points[:-1]]
    assert state(published) == old  # killed while building: nothing of it is published

    switched_from = os.readlink(layout.current_link)
    second_points = [
        Point("recovering", lambda t, _: t >= recovering_at),
        Point("building", lambda t, _: t >= building_at),
        Point("staging", lambda *_: layout.staging.exists()),
        Point("published", lambda *_: os.readlink(layout.current_link) != switched_from),
    ]
    second = start_run(published, restated)
    snapshots += _follow(second, second_points, published, tmp_path / "second")
    assert second.wait(timeout=600) == 0  # the next run recovers and succeeds
    new = state(published)
    assert new != old and new[1] == -2900
    assert len(snapshots) >= 8, [s.label for s in snapshots]
    assert [s.seen for s in snapshots] == [old] * (len(snapshots) - 1) + [new], snapshots
    assert snapshots[-1].label == "published"

    # What a kill at each point would have left: the next run's recovery handles it.
    for snapshot in snapshots:
        copy = snapshot.layout
        assert state(copy.published) == snapshot.seen, snapshot.label
        recover(copy)
        assert not copy.build_dir.exists(), snapshot.label
        assert not copy.working_override.exists(), snapshot.label
        # The current generation is as it was published: its hash matches its manifest.
        assert start_working_copy(copy) == [], snapshot.label
        assert state(copy.working) == snapshot.seen, snapshot.label
