"""One writer at a time: an OS file lock beside the published warehouse.

Every run holds the lock for its whole life, however it was started (the CLI, a sensor,
the schedule, the Dagster UI, a backfill). It is an `flock` on `.lock` in the warehouse
folder: the kernel releases it when the process ends, however it ends, so there is no
stale lock to clean up by hand. The holder writes who it is into the file, so a second
run can name the run it waits for, and the next holder can name a run that left its
working files behind.

Within one process the lock is re-entrant: the CLI takes it before it starts Dagster
(to wait or refuse with a message), and the run's resource, in the same process, then
finds it already held.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".lock"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse (and we were not to wait, or waited long enough)."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) the lock, as the holder wrote it."""

    pid: int
    run_id: str
    command: str
    started_at: str
    host: str

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id else "a run"
        return f"{run} (pid {self.pid} on {self.host}, started {self.started_at}: {self.command})"


@dataclass
class _Held:
    fd: int
    depth: int
    previous: Holder | None  # who held the lock before this process took it


_held: dict[str, _Held] = {}


def lock_path(warehouse_root: Path) -> Path:
    return Path(warehouse_root) / LOCK_NAME


def _read_holder(fd: int) -> Holder | None:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", errors="replace")
        data = json.loads(text)
        return Holder(**{k: data.get(k, "") for k in Holder.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def current_holder(warehouse_root: Path) -> Holder | None:
    """The run holding the warehouse now, or None when no run does."""
    path = lock_path(warehouse_root)
    if not path.exists():
        return None
    key = str(path.resolve())
    if key in _held:
        return _read_holder(_held[key].fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or Holder(0, "", "unknown", "", "")
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _write_holder(fd: int, run_id: str) -> None:
    holder = {
        "pid": os.getpid(),
        "run_id": run_id,
        "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[
            :300
        ],
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
    }
    data = json.dumps(holder).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def held_here(warehouse_root: Path) -> bool:
    return str(lock_path(warehouse_root).resolve()) in _held


def previous_holder(warehouse_root: Path) -> Holder | None:
    """Who held the lock before this process took it (for naming a run that died)."""
    held = _held.get(str(lock_path(warehouse_root).resolve()))
    return held.previous if held else None


@contextlib.contextmanager
def warehouse_lock(
    warehouse_root: Path,
    run_id: str = "",
    wait_seconds: float = 3600.0,
    on_wait: Callable[[Holder | None], None] | None = None,
    poll_seconds: float = 0.5,
) -> Iterator[None]:
    """Hold the warehouse for the duration of the block.

    wait_seconds: how long to wait for a run in progress (0: refuse at once). on_wait is
    told the holder once when waiting starts (and again if another run takes over).
    Raises WarehouseBusy naming the run in progress.
    """
    root = Path(warehouse_root)
    root.mkdir(parents=True, exist_ok=True)
    path = lock_path(root)
    key = str(path.resolve())
    if key in _held:  # this process holds it already (the CLI, then the run's resource)
        _held[key].depth += 1
        try:
            yield
        finally:
            _held[key].depth -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wait_seconds, on_wait, poll_seconds)
        _held[key] = _Held(fd, 1, _read_holder(fd))
        _write_holder(fd, run_id)
        try:
            yield
        finally:
            del _held[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(
    fd: int,
    wait_seconds: float,
    on_wait: Callable[[Holder | None], None] | None,
    poll_seconds: float,
) -> None:
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    told: Holder | None = None
    first = True
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _read_holder(fd)
        if time.monotonic() >= deadline:
            what = holder.describe() if holder else "another run"
            if wait_seconds <= 0:
                raise WarehouseBusy(f"another run holds the warehouse: {what}") from None
            raise WarehouseBusy(
                f"another run still holds the warehouse after {wait_seconds:.0f} s of waiting: "
                f"{what}"
            ) from None
        if on_wait is not None and (first or holder != told):
            on_wait(holder)
            told, first = holder, False
        time.sleep(min(poll_seconds, max(deadline - time.monotonic(), 0.01)))


def waiting_line(holder: Holder | None, wait_seconds: float) -> str:
    """What a run says while it waits for the one in progress."""
    what = holder.describe() if holder else "another run"
    return f"Waiting for {what} to finish (at most {wait_seconds:.0f} s)"


def default_wait_seconds() -> float:
    """How long a run waits for the one in progress (KUNTASEURANTA_LOCK_WAIT, seconds)."""
    return float(os.environ.get("KUNTASEURANTA_LOCK_WAIT", "3600"))
