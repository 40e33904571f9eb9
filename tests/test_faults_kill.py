"""Faults: a run killed at any point leaves the published warehouse whole."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from pathlib import Path

import pytest

from orchestration.warehouse.publish import Layout, rollback
from tests.conftest import PipelineRun
from tests.faults_common import published_and_restated, start_run, state

# Whole runs killed at random points; tests/test_safe_runs.py kills a publication at each
# of its steps, which is where a kill could mix what readers see.
KILL_POINTS = 3
LANES = 1


@pytest.mark.parametrize("lane", range(LANES))
def test_a_run_killed_anywhere_leaves_the_published_warehouse_whole(
    embedded_run: PipelineRun, tmp_path: Path, lane: int
):
    published, restated = published_and_restated(embedded_run, tmp_path)
    old = state(published)
    # One random point in each third of a run's duration (the embedded run's, plus the
    # start of a fresh interpreter); each kill is left for the next run to clean up after.
    duration = embedded_run.seconds + 4.0
    rng = random.Random(2023)
    points = [duration * (i + rng.random()) / KILL_POINTS for i in range(KILL_POINTS)]
    points = points[lane::LANES]
    seen = []
    for point in points:
        run = start_run(published, restated)
        try:
            run.wait(timeout=point)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        seen.append(state(published))  # it opens and reads: the file is whole
        if seen[-1] != old:  # the kill came after the publish: roll back and start over
            rollback(Layout(published))
    final = start_run(published, restated)
    assert final.wait(timeout=600) == 0  # the next run succeeds
    new = state(published)
    assert new != old and new[1] == -2900
    assert set(seen) <= {old, new}
    assert seen.count(old) >= len(points) // 2  # most kills land before the publish
