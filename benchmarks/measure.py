"""Run one command as a child process; measure its wall time and the peak memory of its tree.

Peak memory is the largest sum of the resident set sizes (RSS) of the child and every
process below it (dbt, DuckDB, a browser...), sampled every 50 ms. The tree is read from
/proc on Linux; elsewhere psutil is used when it is installed (it is not a dependency of
the project), and memory is reported as unknown otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

MIB = 1024 * 1024
SAMPLE_INTERVAL_S = 0.05
_PROC = Path("/proc")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Measurement:
    """One measured command: what ran, how long it took and its peak memory."""

    name: str
    command: list[str]
    exit_code: int
    wall_s: float
    peak_rss_mib: float | None
    samples: int
    stdout_log: str
    stderr_log: str

    def as_dict(self) -> dict:
        return asdict(self)


def _parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc/<pid>/stat."""
    parents = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name is in parentheses and may itself hold spaces or ')'.
        fields = stat.rpartition(")")[2].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _descendants(root: int, parents: Mapping[int, int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, ()))
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        resident_pages = int((_PROC / str(pid) / "statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident_pages * _PAGE_SIZE


def _tree_rss_proc(root: int) -> int:
    return sum(_rss_bytes(pid) for pid in _descendants(root, _parent_pids()))


def _tree_rss_psutil(root: int) -> int:
    import psutil

    try:
        process = psutil.Process(root)
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in tree:
        with contextlib.suppress(psutil.Error):  # ended between listing and reading
            total += member.memory_info().rss
    return total


def tree_rss_reader() -> Callable[[int], int] | None:
    """The function that sums a process tree's RSS on this system, if there is one."""
    if (_PROC / "self" / "statm").exists():
        return _tree_rss_proc
    try:
        import psutil  # noqa: F401
    except ImportError:
        return None
    return _tree_rss_psutil


class _PeakSampler(threading.Thread):
    """Samples a process tree's RSS until stopped; keeps the peak."""

    def __init__(self, root: int, reader: Callable[[int], int]) -> None:
        super().__init__(daemon=True)
        self._root, self._reader = root, reader
        self._stop_event = threading.Event()
        self.peak_bytes, self.samples = 0, 0

    def run(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, self._reader(self._root))
            self.samples += 1
            if self._stop_event.wait(SAMPLE_INTERVAL_S):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(
    name: str,
    command: Sequence[str | Path],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run the command to its end with output in log_dir; never raises on a failed exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_log, stderr_log = log_dir / "stdout.log", log_dir / "stderr.log"
    argv = [str(part) for part in command]
    reader = tree_rss_reader()
    with stdout_log.open("wb") as out, stderr_log.open("wb") as err:
        start = time.perf_counter()
        # A session of its own: an interrupted benchmark can stop the whole tree it started.
        child = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
        sampler = _PeakSampler(child.pid, reader) if reader else None
        if sampler:
            sampler.start()
        try:
            exit_code = child.wait()
        except BaseException:
            _stop_tree(child)
            raise
        finally:
            if sampler:
                sampler.stop()
        wall_s = time.perf_counter() - start
    return Measurement(
        name=name,
        command=argv,
        exit_code=exit_code,
        wall_s=round(wall_s, 3),
        peak_rss_mib=round(sampler.peak_bytes / MIB, 1) if sampler else None,
        samples=sampler.samples if sampler else 0,
        stdout_log=str(stdout_log),
        stderr_log=str(stderr_log),
    )


def _stop_tree(child: subprocess.Popen) -> None:
    """Stop the process group this module started for the child (and only that one)."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
