"""The interim report (osavuosikatsaus) for the board, rendered from the published marts.

Names are imported on first use: the `warehouse` command loads this package to build its
parser, and the PDF library takes a second to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration.report.data import ReportError, load_report
    from orchestration.report.render import (
        ReportFiles,
        render_documents,
        render_period_reports,
        render_report,
    )

_MODULES = {
    "ReportError": "data",
    "load_report": "data",
    "ReportFiles": "render",
    "render_documents": "render",
    "render_report": "render",
    "render_period_reports": "render",
}
__all__ = [
    "ReportError",
    "ReportFiles",
    "load_report",
    "render_documents",
    "render_period_reports",
    "render_report",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
