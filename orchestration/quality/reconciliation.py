"""The reconciliation gate: Great Expectations suites over the printed-vs-computed figures.

Each check validates the rows of `marts.fct_control_total_reconciliation` that belong
to it. The rows are fetched from DuckDB into a DataFrame and validated there: GX's SQL
path over duckdb-engine reads its cursor after closing the connection and sees nothing.
A check passes only when GX says so, no expectation raised, every expectation looked at
every row, and there was at least one row: an empty or unreadable result never passes,
unless the check has nothing to judge (not_applicable): a delivery printing no
service-area figures (a board's TULOT / MENOT per department) or having no investments.
The department (scope) totals check always applies: every delivery prints its totals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # offline machines: no usage reports

RECONCILIATION_TABLE = "marts.fct_control_total_reconciliation"

CHECKS: dict[str, str] = {
    "leaf_figures_match_control": "Each service area's booked leaf figures equal their printed "
    "figures exactly (all six columns).",
    "service_area_subtotals_reconcile": "Each service area's leaf lines add up to every printed "
    "subtotal (Toimintatuotot ... Tilikauden tulos), within the rounding of the printed unit.",
    "department_totals_reconcile": "The service areas add up to every printed department figure "
    "(every line, every measure, TULOT/MENOT/NETTO), within the rounding of the printed unit.",
    "investment_totals_reconcile": "Investment projects, and the figures booked on investment "
    "accounts, add up to the printed service-area and department investment totals, within "
    "the rounding of the printed unit.",
}

FIGURE_COLUMNS = [
    "org_code",
    "statement",
    "line_code",
    "measure",
    "expected_value",
    "computed_value",
    "difference",
    "tolerance",
    "reconciliation_status",
]


@dataclass
class CheckOutcome:
    check_name: str
    passed: bool
    rows: int
    failing: list[dict[str, Any]] = field(default_factory=list)
    rounding: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why the gate could not judge
    result_json: Path | None = None
    summary_html: Path | None = None  # the project's own page: readable offline
    data_docs: Path | None = None
    not_applicable: str | None = None  # why the check had nothing to judge

    def summary(self) -> str:
        if self.not_applicable:
            return f"{self.check_name} passed: not applicable ({self.not_applicable})"
        verdict = "passed" if self.passed else "FAILED"
        text = (
            f"{self.check_name} {verdict}: {self.rows} figures, "
            f"{len(self.rounding)} rounding differences, {len(self.failing)} failing"
        )
        return "; ".join([text, *self.problems])


# The check the printed totals of every delivery's scope fall in: never without figures.
ALWAYS_APPLIES = "department_totals_reconcile"


def not_applicable(con: duckdb.DuckDBPyConnection, check_name: str) -> str | None:
    """Why a check without figures has nothing to judge, or None when its empty result
    must fail: the check that always applies, an empty reconciliation table, or
    investments delivered with no printed totals to reconcile them against."""
    if check_name == ALWAYS_APPLIES:
        return None
    (printed,) = con.execute(f"select count(*) from {RECONCILIATION_TABLE}").fetchall()[0]
    if printed == 0:
        return None
    if check_name == "investment_totals_reconcile":
        (invested,) = con.execute("select count(*) from marts.fct_investments").fetchall()[0]
        return None if invested else "no investments are delivered or printed"
    return "the deliveries print no service-area figures"


def fetch_check_rows(
    con: duckdb.DuckDBPyConnection, check_name: str, reporting_period: str | None = None
) -> pd.DataFrame:
    """The reconciliation rows of one check, as a DataFrame (decimals kept exact)."""
    where = "check_name = ?" + (" and reporting_period = ?" if reporting_period else "")
    params = [check_name, reporting_period] if reporting_period else [check_name]
    cursor = con.execute(
        f"select * from {RECONCILIATION_TABLE} where {where} "
        "order by reporting_period, org_code, statement, line_code, measure",
        params,
    )
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns)


def _as_gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats for GX. The excess is computed exactly in SQL; its sign survives."""
    converted = frame.copy()
    for column in (
        "expected_value",
        "computed_value",
        "difference",
        "tolerance",
        "excess_over_tolerance",
    ):
        if column in converted:
            converted[column] = pd.to_numeric(converted[column].astype("object"), errors="coerce")
    return converted


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if v is not None and not isinstance(v, str) else v) for k, v in row.items()}
        for row in frame.reindex(columns=FIGURE_COLUMNS).astype("object").to_dict("records")
    ]


def _raised(exception_info: dict[str, Any]) -> str | None:
    """The message of an exception GX caught, whether reported flat or per metric."""
    if "raised_exception" in exception_info:
        return (
            exception_info.get("exception_message") if exception_info["raised_exception"] else None
        )
    for detail in exception_info.values():
        if isinstance(detail, dict) and (
            detail.get("exception_message") or detail.get("exception_traceback")
        ):
            return str(detail.get("exception_message") or "see the traceback in the evidence")
    return None


def run_check(
    frame: pd.DataFrame, check_name: str, evidence_dir: Path, not_applicable: str | None = None
) -> CheckOutcome:
    """Validate one check's rows with Great Expectations and keep the evidence. A check
    without rows passes only when `not_applicable` says why it has nothing to judge."""
    if frame.empty and not_applicable:
        return _not_applicable(check_name, evidence_dir, not_applicable)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    evidence_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    docs_dir = evidence_dir / "data_docs" / check_name
    context.add_data_docs_site(
        site_name="reconciliation",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(check_name)
        .add_batch_definition_whole_dataframe("reporting_period")
    )
    suite = context.suites.add(
        gx.ExpectationSuite(name=check_name, meta={"description": CHECKS[check_name]})
    )
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="expected_value"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="computed_value"))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="excess_over_tolerance", max_value=0)
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=check_name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{check_name}_gate",
            validation_definitions=[validation],
            actions=[
                gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["reconciliation"])
            ],
            result_format={"result_format": "COMPLETE"},
        )
    )
    gx_frame = _as_gx_frame(frame)
    result = checkpoint.run(batch_parameters={"dataframe": gx_frame})
    (validation_result,) = result.run_results.values()

    problems = []
    for expectation in validation_result.results:
        name = expectation.expectation_config.type
        raised = _raised(expectation.exception_info)
        if raised is not None:
            problems.append(f"{name} raised: {raised}")
        counted = expectation.result.get("element_count")
        if counted is not None and counted != len(frame):
            problems.append(f"{name} looked at {counted} of {len(frame)} rows")
    if frame.empty:
        problems.append("no figures to reconcile: an empty result never passes")
    absent = [c for c in FIGURE_COLUMNS if c not in frame.columns]
    if absent:
        problems.append(f"columns missing from the result: {', '.join(absent)}")
    status = frame.get("reconciliation_status", pd.Series(index=frame.index, dtype="object"))

    outcome = CheckOutcome(
        check_name=check_name,
        passed=bool(validation_result.success) and not problems,
        rows=len(frame),
        failing=_records(frame[status.isin(["mismatch", "missing"])]),
        rounding=_records(frame[status == "rounding"]),
        problems=problems,
    )
    outcome.result_json = evidence_dir / f"{check_name}.json"
    outcome.result_json.write_bytes(
        _evidence_json(
            {
                "check": check_name,
                "description": CHECKS[check_name],
                "passed": outcome.passed,
                "figures": outcome.rows,
                "problems": problems,
                "failing": outcome.failing,
                "rounding": outcome.rounding,
                "great_expectations": validation_result.to_json_dict(),
            }
        )
    )
    outcome.summary_html = write_summary_page(outcome, evidence_dir)
    index = docs_dir / "index.html"
    outcome.data_docs = index if index.exists() else None
    return outcome


def _evidence_json(evidence: dict[str, Any]) -> bytes:
    """The evidence as indented UTF-8 JSON (orjson: some 20 times faster than the standard
    library's indenting encoder on a long history's figures)."""
    import orjson

    return orjson.dumps(evidence, option=orjson.OPT_INDENT_2, default=str)


def _not_applicable(check_name: str, evidence_dir: Path, reason: str) -> CheckOutcome:
    evidence_dir.mkdir(parents=True, exist_ok=True)
    outcome = CheckOutcome(check_name, passed=True, rows=0, not_applicable=reason)
    outcome.result_json = evidence_dir / f"{check_name}.json"
    outcome.result_json.write_bytes(
        _evidence_json(
            {
                "check": check_name,
                "description": CHECKS[check_name],
                "passed": True,
                "figures": 0,
                "not_applicable": reason,
                "problems": [],
                "failing": [],
                "rounding": [],
            }
        )
    )
    outcome.summary_html = write_summary_page(outcome, evidence_dir)
    return outcome


# The figures a page lists in full; beyond it the page counts them (the JSON has all).
PAGE_FIGURES = 200
_PAGE_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
    "th,td{border:1px solid #bbb;padding:2px 6px;font-size:90%}td.n{text-align:right}"
    ".failed{color:#a00}.passed{color:#060}"
)


def write_summary_page(outcome: CheckOutcome, evidence_dir: Path) -> Path:
    """One self-contained HTML page for the check (inline style, no script, no link
    outside the folder): the verdict, the figures that fail and the rounding
    differences, readable without network access. Great Expectations' data docs load
    their scripts from CDNs."""
    from html import escape

    def table(figures: list[dict[str, Any]]) -> str:
        numeric = ("expected_value", "computed_value", "difference", "tolerance")
        columns = ("org_code", "statement", "line_code", "measure", *numeric)
        columns += ("reconciliation_status",)
        head = "".join(f"<th>{escape(c)}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td{' class=n' if c in numeric else ''}>{escape(str(f.get(c, '')))}</td>"
                for c in columns
            )
            + "</tr>"
            for f in figures[:PAGE_FIGURES]
        )
        more = (
            f"<p>… and {len(figures) - PAGE_FIGURES} more in {escape(outcome.check_name)}.json</p>"
            if len(figures) > PAGE_FIGURES
            else ""
        )
        return f"<table><tr>{head}</tr>{rows}</table>{more}" if figures else "<p>None.</p>"

    verdict = "passed" if outcome.passed else "failed"
    problems = "".join(f"<li>{escape(p)}</li>" for p in outcome.problems)
    body = (
        f"<h1>{escape(outcome.check_name)}</h1>"
        f"<p>{escape(CHECKS.get(outcome.check_name, ''))}</p>"
        f'<p class="{verdict}"><strong>{escape(outcome.summary())}</strong></p>'
        + (f"<ul>{problems}</ul>" if problems else "")
        + f"<h2>Failing figures ({len(outcome.failing)})</h2>{table(outcome.failing)}"
        + f"<h2>Rounding differences within tolerance ({len(outcome.rounding)})</h2>"
        + table(outcome.rounding)
    )
    page = evidence_dir / f"{outcome.check_name}.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(outcome.check_name)}</title><style>{_PAGE_STYLE}</style></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return page


def format_figures(figures: list[dict[str, Any]], limit: int = 50) -> str:
    """A Markdown table a controller can act on."""
    header = (
        "| unit | statement | line | measure | expected | computed | difference | "
        "tolerance | status |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header] + [
        f"| {f['org_code']} | {f['statement']} | {f['line_code']} | {f['measure']} | "
        f"{f['expected_value']} | {f['computed_value']} | {f['difference']} | "
        f"{f['tolerance']} | {f['reconciliation_status']} |"
        for f in figures[:limit]
    ]
    if len(figures) > limit:
        lines.append(f"\n... and {len(figures) - limit} more")
    return "\n".join(lines)
