"""Causes, not wrappers: one line saying why a step failed.

Dagster wraps an exception raised in a step ("Error occurred while executing op ...") and
DuckDB wraps the operating system's ("IO Error: Could not write file ..."). A person
running the pipeline needs the innermost cause, in words they can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class ErrorInfo(Protocol):
    message: str
    cls_name: str | None
    cause: ErrorInfo | None
    context: ErrorInfo | None


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    say: str


# Checked in order against the innermost message (and the ones around it).
_RULES = [
    _Rule(re.compile(r"No space left|ENOSPC|Errno 28\b", re.I), "No space left on device"),
    _Rule(re.compile(r"Read-only file system|EROFS|Errno 30\b", re.I), "the folder is read-only"),
    _Rule(re.compile(r"Permission denied|EACCES|Errno 13\b", re.I), "permission denied"),
    _Rule(re.compile(r"Disk quota exceeded|EDQUOT|Errno 122\b", re.I), "disk quota exceeded"),
    _Rule(
        re.compile(r"Could not set lock on file|Conflicting lock", re.I),
        "another process holds the file",
    ),
    _Rule(re.compile(r"another run (still )?holds the warehouse", re.I), ""),
]
# 'Could not write file "/x/y"' (DuckDB, its quotes escaped when it nests JSON).
_QUOTED_PATH = re.compile(r"""(?:file|directory|path)\s+(?:\\?"(/[^"\\]+)\\?"|'(/[^']+)')""", re.I)
_OS_PATH = re.compile(r"\[Errno \d+\] [^:]+: '([^']+)'")
_WRAPPERS = ("Error occurred while executing", "Error occurred while")


def chain(error: ErrorInfo | None) -> list[ErrorInfo]:
    """The error and its causes, outermost first."""
    found: list[ErrorInfo] = []
    while error is not None and len(found) < 20:
        found.append(error)
        error = error.cause or error.context
    return found


def _path_in(message: str) -> str | None:
    """The file path the message names, if it names one."""
    match = _OS_PATH.search(message) or _QUOTED_PATH.search(message)
    return next((g for g in match.groups() if g), None) if match else None


def describe(error: ErrorInfo | None) -> str:
    """One line: the innermost cause, translated where the operating system is the cause."""
    errors = chain(error)
    if not errors:
        return "unknown error"
    messages = [_clean(e.message) for e in errors]
    for rule in _RULES:
        for message in reversed(messages):  # innermost first
            if rule.pattern.search(message):
                if not rule.say:
                    return message
                path = next((p for p in map(_path_in, reversed(messages)) if p), None)
                return f"{rule.say} while writing {path}" if path else f"{rule.say}: {message}"
    meaningful = [m for m in messages if m and not m.startswith(_WRAPPERS)]
    return meaningful[-1] if meaningful else messages[-1]


def describe_exception(exc: BaseException) -> str:
    """The same line for an exception in hand (the CLI's own steps)."""
    return describe(_as_info(exc))


@dataclass
class _Info:
    message: str
    cls_name: str | None
    cause: _Info | None
    context: _Info | None


def _as_info(exc: BaseException | None, depth: int = 0) -> _Info | None:
    if exc is None or depth > 20:
        return None
    return _Info(
        f"{type(exc).__name__}: {exc}",
        type(exc).__name__,
        _as_info(exc.__cause__, depth + 1),
        _as_info(exc.__context__, depth + 1) if exc.__cause__ is None else None,
    )


def _clean(message: str) -> str:
    line = " ".join(message.strip().split())
    # "duckdb.duckdb.IOException: IO Error: ..." -> "IO Error: ..."
    line = re.sub(r"^[\w.]+(Exception|Error): (?=\w+ Error: )", "", line)
    # "orchestration.warehouse.lock.WarehouseBusy: ..." -> "WarehouseBusy: ..."
    return re.sub(r"^(?:\w+\.)+(?=\w+: )", "", line)
