"""Ending a process that has imported much, without the interpreter's teardown."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable


def end_process(code: int, last: Callable[[], None] | None = None) -> None:
    """End this process once its work is done and has closed what it wrote.

    After Dagster, dbt, DuckDB or Great Expectations are imported, tearing the interpreter
    down module by module (the garbage collector going over every object) takes 1-3 s
    after the last line is printed. The other threads finish, the exit handlers run
    (logging flushes), the output is flushed, `last` runs, and the process ends as it
    would after them.
    """
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    if last is not None:
        last()
    os._exit(code)
