"""`warehouse contracts`: the extract contracts as Markdown (docs/extract_contracts.md)."""

from __future__ import annotations

import argparse

from orchestration.cli.common import EXIT_OK
from orchestration.ingest.contracts_doc import contracts_markdown


def cmd_contracts(args: argparse.Namespace) -> int:
    print(contracts_markdown(), end="")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    contracts = sub.add_parser("contracts", help="print the extract contracts as Markdown")
    contracts.set_defaults(func=cmd_contracts)
