"""Measure the pipeline against a plain dbt build and hand-written baselines, in one run.

    .venv/bin/python benchmarks/benchmark.py [--quick] [--out benchmarks/results/latest.json]

Cases (each measured command is a child process: wall time and the peak RSS of its whole
process tree, sampled every 50 ms):

1. embedded: the pipeline on seeds/2023-03 into a fresh warehouse, and a plain `dbt build`
   of the same models on a copy of its result (ratio pipeline / dbt); run again at the
   end when the time budget allows, the faster run counting;
2. N rows (1M and 10M; one synthetic delivery of 2023-12 each): the DuckDB baseline, the
   pandas baseline and the pipeline into a fresh warehouse; the pipeline's marginal cost
   (its time at N rows minus its time on the embedded data) against both baselines, its
   peak memory, and the reporting year's actual total of all three cross-checked;
3. history (8M rows over the 40 quarters 2014-03..2023-12): 39 quarters onboarded in one
   run, then the 40th as an incremental run, against the 40th alone in a fresh
   warehouse; then all 40 in one run, whose marts must equal the incremental result.

Everything is written under a scratch folder (default benchmarks/.work/, recreated on
each run except its cache of generated data), never into the user's warehouse. Exit
status: 0 when every measured command succeeded, whether or not the targets were met;
1 when a command failed (why, and its output's tail, are printed); 2 on a usage error
or a missing set-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from measure import MIB, Measurement, run_measured

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
# The interpreter and tools of the venv the benchmark runs in (.venv/bin/python).
BIN = Path(sys.executable).parent
EMBEDDED_DELIVERY = ROOT / "seeds" / "2023-03"
ACCOUNT_RANGES = ROOT / "seeds" / "reference" / "account_ranges.csv"
DBT_PROJECT = ROOT / "dbt_project"
GENERATOR = ROOT / "benchmarks" / "synthetic.py"
SCRATCH_MARKER = ".benchmark-scratch"
COMPARED_TABLES = ("marts.fct_budget_vs_actual", "marts.fct_control_total_reconciliation")
MEMORY_LIMIT_MIB = 1024.0
# The ratios with a target, as the table names them after "<case label>: ".
RATIO_DBT = "pipeline / dbt build"
RATIO_DUCKDB = "marginal / DuckDB baseline"
RATIO_PANDAS = "marginal / pandas baseline"
RATIO_MEMORY = "pipeline peak / 1 GiB"
RATIO_INCREMENTAL = "incremental / alone"
RATIO_NOOP = "no-op rerun / full run"
RATIO_REPORT = "report time growth / printed rows growth"
TAIL_LINES = 25
# The CLI's line with the time of each step of a run.
STEP_LINE = re.compile(r"Step (?P<step>\w+) +(?P<seconds>\d[\d., ]*) s")
# Lines of the CLI's output that give the reason of a failed run.
REASON_PREFIXES = ("REFUSED", "FAILED", "! ", "error", "Error")


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """What one benchmark run measures."""

    sizes: tuple[int, ...]  # rows of the single-delivery cases; targets apply at the largest
    rows_period: str  # the reporting period of those deliveries
    history_rows: int
    history_periods: str  # FIRST:LAST quarter ends; the last one is the incremental quarter
    embedded_repeats: int  # the fastest of these runs counts
    seed: int
    budget_s: int  # the elapsed time the whole run should stay under
    quick: bool


FULL_PLAN = Plan(
    sizes=(1_000_000, 10_000_000),
    rows_period="2023-12",
    history_rows=8_000_000,
    history_periods="2014-03:2023-12",
    embedded_repeats=2,
    seed=7,
    budget_s=15 * 60,
    quick=False,
)
QUICK_PLAN = replace(
    FULL_PLAN,
    sizes=(100_000,),
    history_rows=100_000,
    history_periods="2022-03:2023-12",
    embedded_repeats=1,
    # Six pipeline runs and a dbt build: each pipeline run costs ~25 s before any data.
    budget_s=4 * 60,
    quick=True,
)


def quarter_ends(spec: str) -> list[str]:
    """'2014-03:2023-12' -> every quarter end from the first to the last, as YYYY-MM."""
    first, _, last = spec.partition(":")
    last = last or first
    (year, month), (last_year, last_month) = (map(int, p.split("-")) for p in (first, last))
    periods = []
    while (year, month) <= (last_year, last_month):
        periods.append(f"{year}-{month:02d}")
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return periods


def history_label(plan: Plan) -> str:
    return f"history {rows_label(plan.history_rows)}"


def expected_targets(plan: Plan, skipped: Sequence[str]) -> list[str]:
    """The table rows that judge a target, for the cases this run measures."""
    targets = []
    if "embedded" not in skipped:
        targets += [f"embedded: {RATIO_DBT}", f"embedded: {RATIO_NOOP}"]
    if plan.quick:
        return targets  # the other targets are set at scale: --quick only shows its ratios
    if "rows" not in skipped:
        largest = rows_label(max(plan.sizes))
        # The marginal costs and the report's growth are measured against the embedded run.
        against_embedded = (
            [RATIO_DUCKDB, RATIO_PANDAS, RATIO_REPORT] if "embedded" not in skipped else []
        )
        targets += [f"{largest}: {ratio}" for ratio in [*against_embedded, RATIO_MEMORY]]
    if "history" not in skipped:
        targets.append(f"{history_label(plan)}: {RATIO_INCREMENTAL}")
    return targets


def rows_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    return f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


# --------------------------------------------------------------------------- results


class CommandFailed(Exception):
    """A measured (or preparing) command exited non-zero: the case cannot go on."""

    def __init__(self, name: str, exit_code: int, stdout_log: Path, stderr_log: Path) -> None:
        super().__init__(f"{name} exited with status {exit_code}")
        self.name, self.exit_code = name, exit_code
        self.stdout_log, self.stderr_log = stdout_log, stderr_log


@dataclass
class Row:
    """One line of the printed table: a measured case or a ratio with its target."""

    case: str
    wall_s: float | None = None
    peak_mib: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


@dataclass
class Check:
    """A cross-check that the compared runs did the same work."""

    name: str
    passed: bool
    detail: str


@dataclass
class Results:
    plan: Plan
    targets: list[str] = field(default_factory=list)  # the target rows this run should give
    measurements: list[dict] = field(default_factory=list)
    generated: list[dict] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    step_times: dict[str, dict[str, float]] = field(default_factory=dict)  # per pipeline run
    cases: dict[str, dict] = field(default_factory=dict)
    # Other work on the machine inflates every timing: the load tells how much there was.
    load_at_start: list[float] | None = None

    def verdicts(self) -> dict[str, list[str]]:
        judged = {row.case: row.met for row in self.rows if row.met is not None}
        return {
            "met": [t for t in self.targets if judged.get(t) is True],
            "missed": [t for t in self.targets if judged.get(t) is False],
            "not_measured": [t for t in self.targets if t not in judged],
        }


# --------------------------------------------------------------------------- running


class Bench:
    """Runs commands in the scratch folder and records what they measured."""

    def __init__(self, scratch: Path, results: Results) -> None:
        self.scratch, self.results = scratch, results

    def measure(
        self, name: str, command: Sequence[str | Path], log_dir: Path, env: dict[str, str]
    ) -> Measurement:
        print(f"  running  {name} ...", flush=True)
        measurement = run_measured(name, command, log_dir, env=env, cwd=ROOT)
        self.results.measurements.append(measurement.as_dict())
        peak = f"{measurement.peak_rss_mib:,.0f} MiB" if measurement.peak_rss_mib else "? MiB"
        print(f"  finished {name}: {measurement.wall_s:.1f} s, {peak}", flush=True)
        if measurement.exit_code != 0:
            raise CommandFailed(
                name,
                measurement.exit_code,
                Path(measurement.stdout_log),
                Path(measurement.stderr_log),
            )
        return measurement

    def pipeline(self, name: str, case_dir: Path, deliveries: Sequence[Path]) -> Measurement:
        """`warehouse run` on the deliveries, against the case's own warehouse."""
        log_dir = case_dir / "logs" / re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")
        measurement = self.measure(
            name, [*warehouse_cli(), "run", *deliveries], log_dir, case_env(case_dir)
        )
        steps = step_times(Path(measurement.stdout_log))
        if steps:
            # What the run's own steps do not account for: start-up, imports, set-up.
            steps["other"] = round(measurement.wall_s - sum(steps.values()), 1)
            self.results.step_times[name] = steps
        return measurement

    def json_command(self, name: str, command: Sequence[str | Path], log_dir: Path) -> dict:
        """An unmeasured helper command whose last output line is JSON."""
        log_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [str(c) for c in command], cwd=ROOT, capture_output=True, text=True, check=False
        )
        (log_dir / "stdout.log").write_text(done.stdout)
        (log_dir / "stderr.log").write_text(done.stderr)
        if done.returncode != 0:
            raise CommandFailed(
                name, done.returncode, log_dir / "stdout.log", log_dir / "stderr.log"
            )
        return last_json_line(done.stdout)

    def generate(self, rows: int, periods: str) -> tuple[Path, dict]:
        """Synthetic deliveries, generated once and kept in the scratch's data cache.

        Returns their folder and the generator's JSON summary (its row counts)."""
        plan = self.results.plan
        data_dir = self.scratch / "data" / data_key(rows, periods, plan.seed)
        complete = data_dir / ".complete.json"
        if complete.exists():
            summary = json.loads(complete.read_text())
            self.results.generated.append({**summary, "cached": True})
            print(f"  cached   data {data_dir.name}", flush=True)
            warm_page_cache(data_dir)
            return data_dir, summary["generator_summary"]
        shutil.rmtree(data_dir, ignore_errors=True)
        command = [
            sys.executable, "-m", "benchmarks.synthetic", "--out", data_dir,
            "--seed", str(plan.seed), "--rows", str(rows), "--periods", periods,
        ]  # fmt: skip
        measurement = self.measure(
            f"generate {rows_label(rows)} rows {periods}",
            command,
            self.scratch / "logs" / f"generate-{data_dir.name}",
            os.environ.copy(),
        )
        summary = {
            "rows": rows,
            "periods": periods,
            "seed": plan.seed,
            "wall_s": measurement.wall_s,
            "generator_summary": last_json_line(Path(measurement.stdout_log).read_text()),
        }
        complete.write_text(json.dumps(summary))
        self.results.generated.append({**summary, "cached": False})
        return data_dir, summary["generator_summary"]


def step_times(stdout_log: Path) -> dict[str, float]:
    """The CLI's step lines (`Step dbt  17,3 s  (98 of 98 nodes)`), step -> seconds."""
    steps = {}
    for line in stdout_log.read_text(errors="replace").splitlines():
        match = STEP_LINE.match(line.rpartition("\r")[2].removeprefix("\x1b[K"))
        if match:
            steps[match["step"]] = float(match["seconds"].replace(" ", "").replace(",", "."))
    return steps


def warm_page_cache(folder: Path) -> None:
    """Read cached data once, so that no measured command pays for a cold disk read."""
    for path in folder.rglob("*.csv"):
        with path.open("rb") as f:
            while f.read(8 * MIB):
                pass


def warehouse_cli() -> list[str]:
    # `python -m orchestration.cli` is the `warehouse` console script, run from this
    # checkout (ROOT is the child's working directory), whatever the venv's install points at.
    return [sys.executable, "-m", "orchestration.cli"]


def case_env(case_dir: Path) -> dict[str, str]:
    """The child's environment: the case's own warehouse, working file and Dagster home."""
    env = os.environ.copy()
    env["KUNTASEURANTA_WAREHOUSE"] = str(published_file(case_dir))
    env["KUNTASEURANTA_WORKING"] = str(case_dir / "warehouse" / ".build" / "warehouse.duckdb")
    env["DAGSTER_HOME"] = str(case_dir / "dagster_home")
    env["KUNTASEURANTA_INBOX"] = str(case_dir / "inbox")  # never the user's inbox either
    return env


def published_file(case_dir: Path) -> Path:
    return case_dir / "warehouse" / "warehouse.duckdb"


def data_key(rows: int, periods: str, seed: int) -> str:
    """The cache key: the generator's arguments and a hash of its source."""
    source = GENERATOR.read_bytes() if GENERATOR.exists() else b""
    digest = hashlib.sha256(source).hexdigest()[:10]
    return f"rows{rows}-periods{periods.replace(':', '_')}-seed{seed}-gen{digest}"


def last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return {}


# --------------------------------------------------------------------------- cases


def embedded_case(bench: Bench, attempt: int) -> None:
    """The pipeline on the embedded data into a fresh warehouse, then dbt on its result."""
    case_root = bench.scratch / "embedded"
    case_dir = case_root / f"pipeline-{attempt}"
    pipeline = bench.pipeline(f"embedded: pipeline #{attempt}", case_dir, [EMBEDDED_DELIVERY])
    # The same delivery again: nothing is new, so nothing may be rebuilt or republished.
    before = published_files(case_dir)
    noop = bench.pipeline(f"embedded: no-op rerun #{attempt}", case_dir, [EMBEDDED_DELIVERY])
    after = published_files(case_dir)
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    said_unchanged = "Unchanged:" in Path(noop.stdout_log).read_text(encoding="utf-8")
    bench.results.checks.append(
        Check(
            f"embedded: no-op rerun #{attempt} leaves the published files byte-identical",
            not changed and said_unchanged,
            f"{len(before)} files and links compared"
            + (f"; changed: {', '.join(changed[:5])}" if changed else "")
            + ("" if said_unchanged else "; the run did not say Unchanged"),
        )
    )
    dbt = plain_dbt_build(bench, case_dir, case_root / f"dbt-{attempt}", attempt)
    runs = bench.results.cases.setdefault("embedded", {"runs": []})["runs"]
    runs.append(
        {
            **report_layout(bench, f"embedded: pipeline #{attempt}", case_dir),
            "pipeline_wall_s": pipeline.wall_s,
            "pipeline_peak_mib": pipeline.peak_rss_mib,
            "noop_wall_s": noop.wall_s,
            "noop_peak_mib": noop.peak_rss_mib,
            "dbt_wall_s": dbt.wall_s,
            "dbt_peak_mib": dbt.peak_rss_mib,
        }
    )


def report_layout(bench: Bench, run_name: str, case_dir: Path) -> dict:
    """The run's report step and how many table rows its published reports print."""
    reports = (published_file(case_dir).parent / "report").glob("*.html")
    rows = sum(path.read_text(encoding="utf-8").count("<tr") for path in reports)
    return {
        "report_s": bench.results.step_times.get(run_name, {}).get("report"),
        "printed_rows": rows,
    }


def published_files(case_dir: Path) -> dict[str, str]:
    """Every file and link of the case's warehouse folder but the lock and the run
    storage: a file's SHA-256, a link's target."""
    folder = published_file(case_dir).parent
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_file() and not path.name.endswith(".lock"):
            with path.open("rb") as handle:
                found[name] = hashlib.file_digest(handle, "sha256").hexdigest()
    return found


def plain_dbt_build(bench: Bench, pipeline_dir: Path, case_dir: Path, attempt: int) -> Measurement:
    """`dbt build` of the same models on a copy of the warehouse the pipeline published."""
    case_dir.mkdir(parents=True, exist_ok=True)
    copy = case_dir / "warehouse.duckdb"
    shutil.copyfile(published_file(pipeline_dir), copy)
    command = [
        BIN / "dbt", "build", "--project-dir", DBT_PROJECT, "--profiles-dir", DBT_PROJECT,
        "--exclude-resource-type", "unit_test", "--full-refresh",
        "--target", "pipeline", "--vars", json.dumps({"warehouse_path": str(copy)}),
        # dbt's artefacts go to the scratch, not over the project's prepared manifest.
        "--target-path", case_dir / "target", "--log-path", case_dir / "logs",
    ]  # fmt: skip
    env = os.environ.copy()
    env["KUNTASEURANTA_WAREHOUSE"] = str(copy)
    return bench.measure(f"embedded: dbt build #{attempt}", command, case_dir / "output", env)


def rows_case(bench: Bench, rows: int) -> None:
    """DuckDB, pandas and the pipeline on one delivery of `rows` ledger rows."""
    plan, label = bench.results.plan, rows_label(rows)
    data_dir, generated = bench.generate(rows, plan.rows_period)
    delivery = data_dir / plan.rows_period
    # The generator meets --rows within a few per mille; its own count is what was written.
    written = generated.get("rows_per_delivery", {}).get(plan.rows_period, rows)
    case_dir = bench.scratch / f"rows-{label}"
    case = bench.results.cases[f"rows-{label}"] = {
        "rows_asked": rows,
        "rows_written": written,
    }
    # The baselines first: a pipeline that fails still leaves them measured.
    for name, script, output in (
        ("DuckDB", "baseline_duckdb.py", ["--db", case_dir / "baseline.duckdb"]),
        ("pandas", "baseline_pandas.py", ["--out", case_dir / "aggregates.parquet"]),
    ):
        run = bench.measure(
            f"{label}: {name} baseline",
            [sys.executable, BENCHMARKS / script, delivery, "--ranges", ACCOUNT_RANGES, *output],
            case_dir / "logs" / name.lower(),
            os.environ.copy(),
        )
        case[f"{name.lower()}_wall_s"], case[f"{name.lower()}_peak_mib"] = wall_and_peak(run)
        case[f"{name.lower()}_summary"] = last_json_line(Path(run.stdout_log).read_text())
    pipeline = bench.pipeline(f"{label}: pipeline", case_dir / "pipeline", [delivery])
    case["pipeline_wall_s"], case["pipeline_peak_mib"] = wall_and_peak(pipeline)
    case.update(report_layout(bench, f"{label}: pipeline", case_dir / "pipeline"))
    case["published_mart"] = bench.json_command(
        f"{label}: read the published mart",
        [sys.executable, BENCHMARKS / "inspect_warehouse.py", "total",
         published_file(case_dir / "pipeline"), "--period", plan.rows_period],
        case_dir / "logs" / "inspect",
    )  # fmt: skip
    bench.results.checks.append(totals_check(label, case, written))


def totals_check(label: str, case: dict, rows: int) -> Check:
    """The pipeline's mart and both baselines must give the same actual total and rows."""
    published = case["published_mart"]
    summaries = {"DuckDB": case["duckdb_summary"], "pandas": case["pandas_summary"]}
    totals = {"pipeline": published.get("actual_total")}
    totals |= {name: summary.get("actual_total") for name, summary in summaries.items()}
    values = {Decimal(v) if v is not None else None for v in totals.values()}
    same_total = None not in values and len(values) == 1
    counts = {name: summary.get("ledger_rows") for name, summary in summaries.items()}
    counts["pipeline raw"] = published.get("raw_ledger_accounts_rows")
    unmapped = {name: summary.get("unmapped_rows") for name, summary in summaries.items()}
    same_rows = all(n == rows for n in counts.values()) and not any(unmapped.values())
    detail = f"actual total of {published.get('reporting_period')}: "
    detail += ", ".join(f"{name} {value}" for name, value in totals.items())
    detail += "; ledger rows: " + ", ".join(f"{name} {n}" for name, n in counts.items())
    if any(unmapped.values()):
        detail += f"; rows in no account range: {unmapped}"
    return Check(f"{label}: same work (totals, rows)", same_total and same_rows, detail)


def history_case(bench: Bench) -> None:
    """Ten years onboarded, then one quarter incremental vs alone; then the full rebuild."""
    plan = bench.results.plan
    periods = quarter_ends(plan.history_periods)
    data_dir, generated = bench.generate(plan.history_rows, plan.history_periods)
    deliveries = [data_dir / period for period in periods]
    missing = [d.name for d in deliveries if not d.is_dir()]
    if missing:
        raise RuntimeError(f"the generator wrote no folder for {', '.join(missing)}")
    *history, last = deliveries
    label = history_label(plan)
    root = bench.scratch / "history"
    onboard = bench.pipeline(
        f"{label}: onboard {len(history)} quarters", root / "incremental", history
    )
    incremental = bench.pipeline(f"{label}: {last.name} incremental", root / "incremental", [last])
    alone = bench.pipeline(f"{label}: {last.name} alone", root / "alone", [last])
    case = bench.results.cases["history"] = {
        "rows_asked": plan.history_rows,
        "rows_written": generated.get("total_rows"),
        "periods": plan.history_periods,
        "quarters": len(periods),
        "onboarded_quarters": len(history),
        "onboard_wall_s": onboard.wall_s,
        "onboard_peak_mib": onboard.peak_rss_mib,
        "incremental_wall_s": incremental.wall_s,
        "incremental_peak_mib": incremental.peak_rss_mib,
        "alone_wall_s": alone.wall_s,
        "alone_peak_mib": alone.peak_rss_mib,
        "incremental_period": last.name,
    }
    rebuild = bench.pipeline(
        f"{label}: rebuild all {len(periods)} quarters", root / "rebuild", deliveries
    )
    case.update(rebuild_wall_s=rebuild.wall_s, rebuild_peak_mib=rebuild.peak_rss_mib)
    comparison = bench.json_command(
        f"{label}: compare incremental with rebuild",
        [sys.executable, BENCHMARKS / "inspect_warehouse.py", "compare",
         published_file(root / "incremental"), published_file(root / "rebuild"),
         *(arg for table in COMPARED_TABLES for arg in ("--table", table))],
        root / "logs" / "compare",
    )  # fmt: skip
    case["incremental_vs_rebuild"] = comparison
    bench.results.checks += [equality_check(label, table) for table in comparison["tables"]]


def equality_check(label: str, table: dict) -> Check:
    name = f"{label}: incremental = rebuild, {table['table']}"
    if "equal" not in table:
        present = f"in incremental: {table['in_a']}, in rebuild: {table['in_b']}"
        # A mart neither warehouse has is not a difference (the spec says "if it exists").
        return Check(name, not table["in_a"] and not table["in_b"], f"table missing ({present})")
    detail = (
        f"{table['rows_a']} rows vs {table['rows_b']}; {table['only_in_a']} only in incremental, "
        f"{table['only_in_b']} only in rebuild (EXCEPT ALL both ways"
        + (f"; ignored {', '.join(table['ignored_columns'])}" if table["ignored_columns"] else "")
        + ")"
    )
    if table["differing_columns"]:
        detail += f"; columns that differ: {', '.join(table['differing_columns'])}"
    return Check(name, table["equal"], detail)


# --------------------------------------------------------------------------- the table


def build_table(results: Results) -> list[Row]:
    """The printed table from the cases' numbers; each ratio is also added to its case."""
    best = embedded_best(results.cases.get("embedded"))
    table = embedded_rows(best) if best else []
    largest = max(results.plan.sizes)
    for rows in results.plan.sizes:
        case = results.cases.get(f"rows-{rows_label(rows)}")
        if case:
            is_target = rows == largest and not results.plan.quick
            table += rows_case_rows(rows_label(rows), case, best, is_target)
    history = results.cases.get("history")
    if history:
        table += history_rows(history_label(results.plan), history, not results.plan.quick)
    return table


def embedded_best(case: dict | None) -> dict | None:
    """The fastest pipeline run and the fastest dbt build (each with its own peak)."""
    if not case or not case["runs"]:
        return None
    pipeline = min(case["runs"], key=lambda run: run["pipeline_wall_s"])
    dbt = min(case["runs"], key=lambda run: run["dbt_wall_s"])
    noop = min(case["runs"], key=lambda run: run["noop_wall_s"])
    case.update(
        pipeline_wall_s=pipeline["pipeline_wall_s"],
        pipeline_peak_mib=pipeline["pipeline_peak_mib"],
        dbt_wall_s=dbt["dbt_wall_s"],
        dbt_peak_mib=dbt["dbt_peak_mib"],
        noop_wall_s=noop["noop_wall_s"],
        noop_peak_mib=noop["noop_peak_mib"],
        report_s=pipeline.get("report_s"),
        printed_rows=pipeline.get("printed_rows"),
        ratio_pipeline_to_dbt=round(pipeline["pipeline_wall_s"] / dbt["dbt_wall_s"], 3),
        ratio_noop_to_pipeline=round(noop["noop_wall_s"] / pipeline["pipeline_wall_s"], 3),
    )
    return case


def embedded_rows(best: dict) -> list[Row]:
    runs = len(best["runs"])
    repeats = f"best of {runs}" if runs > 1 else "one run"
    ratio, noop = best["ratio_pipeline_to_dbt"], best["ratio_noop_to_pipeline"]
    return [
        measured_row(f"embedded: pipeline ({repeats})", best, "pipeline"),
        measured_row(f"embedded: plain dbt build ({repeats})", best, "dbt"),
        Row(f"embedded: {RATIO_DBT}", ratio=ratio, target="<= 1.5", met=ratio <= 1.5),
        measured_row(f"embedded: no-op rerun ({repeats})", best, "noop"),
        Row(f"embedded: {RATIO_NOOP}", ratio=noop, target="<= 0.1", met=noop <= 0.1),
    ]


def rows_case_rows(label: str, case: dict, best: dict | None, is_target: bool) -> list[Row]:
    """Baselines, pipeline, the pipeline's marginal cost against both, and its memory."""
    table = [
        measured_row(f"{label}: {name} baseline", case, name.lower())
        for name in ("DuckDB", "pandas")
        if f"{name.lower()}_wall_s" in case
    ]
    if "pipeline_wall_s" not in case:
        return table
    table.append(measured_row(f"{label}: pipeline", case, "pipeline"))
    case["targets_apply"] = is_target
    if best:
        marginal = case["pipeline_wall_s"] - best["pipeline_wall_s"]
        case.update(
            pipeline_marginal_s=round(marginal, 3),
            ratio_marginal_to_duckdb=round(marginal / case["duckdb_wall_s"], 3),
            ratio_marginal_to_pandas=round(marginal / case["pandas_wall_s"], 3),
        )
        table += [
            Row(f"{label}: pipeline marginal (minus embedded)", wall_s=marginal),
            target_row(
                f"{label}: {RATIO_DUCKDB}", case["ratio_marginal_to_duckdb"], "<= 1.5", is_target
            ),
            target_row(
                f"{label}: {RATIO_PANDAS}", case["ratio_marginal_to_pandas"], "< 1", is_target
            ),
        ]
    if best and best.get("report_s") and case.get("report_s"):
        printed = (
            f"{case['printed_rows']:,} table rows printed; embedded {best['printed_rows']:,} "
            f"in {best['report_s']:.1f} s"
        )
        table.append(Row(f"{label}: report step ({printed})", wall_s=case["report_s"]))
        if case["printed_rows"] and best["printed_rows"]:
            # The report's time against the tables it prints: at most in proportion.
            time_growth = case["report_s"] / best["report_s"]
            rows_growth = case["printed_rows"] / best["printed_rows"]
            case["ratio_report_growth_to_rows_growth"] = round(time_growth / rows_growth, 3)
            table.append(
                target_row(
                    f"{label}: {RATIO_REPORT}",
                    case["ratio_report_growth_to_rows_growth"],
                    "<= 1",
                    is_target,
                )
            )
    if case["pipeline_peak_mib"] is not None:
        case["ratio_peak_to_1gib"] = round(case["pipeline_peak_mib"] / MEMORY_LIMIT_MIB, 3)
        table.append(
            target_row(f"{label}: {RATIO_MEMORY}", case["ratio_peak_to_1gib"], "<= 1", is_target)
        )
    return table


def history_rows(label: str, case: dict, is_target: bool) -> list[Row]:
    period, onboarded = case["incremental_period"], case["onboarded_quarters"]
    table = [
        measured_row(f"{label}: onboard {onboarded} quarters, one run", case, "onboard"),
        measured_row(f"{label}: {period} incremental", case, "incremental"),
        measured_row(f"{label}: {period} alone, fresh warehouse", case, "alone"),
    ]
    ratio = round(case["incremental_wall_s"] / case["alone_wall_s"], 3)
    case["ratio_incremental_to_alone"] = ratio
    table.append(target_row(f"{label}: {RATIO_INCREMENTAL}", ratio, "<= 1.5", is_target))
    if "rebuild_wall_s" in case:
        table.append(
            measured_row(f"{label}: rebuild {case['quarters']} quarters, one run", case, "rebuild")
        )
    return table


def target_row(case: str, ratio: float, target: str, applies: bool) -> Row:
    """A ratio row; its target is judged only where the issue sets it (at scale)."""
    if not applies:
        return Row(case, ratio=ratio, target="(info)")
    operator, limit = target.split()
    met = ratio < float(limit) if operator == "<" else ratio <= float(limit)
    return Row(case, ratio=ratio, target=target, met=met)


def measured_row(name: str, case: dict, key: str) -> Row:
    """A table row from a case's `<key>_wall_s` and `<key>_peak_mib`."""
    return Row(name, case[f"{key}_wall_s"], case[f"{key}_peak_mib"])


def wall_and_peak(measurement: Measurement) -> tuple[float, float | None]:
    return measurement.wall_s, measurement.peak_rss_mib


# --------------------------------------------------------------------------- reporting


def machine_info() -> dict:
    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    memory_mib = None
    if hasattr(os, "sysconf"):
        memory_mib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MIB)
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "total_memory_mib": memory_mib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        **{p: version(p) for p in ("duckdb", "pandas", "dbt-core", "dbt-duckdb", "dagster")},
        "git_commit": git("rev-parse", "HEAD"),
        "git_uncommitted_changes": bool(git("status", "--porcelain")),
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages, where the system has them."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def print_table(rows: list[Row]) -> None:
    def number(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:,.{digits}f}"

    width = max(len(r.case) for r in rows)
    print(
        f"{'case':<{width}}  {'wall s':>8}  {'peak MiB':>9}  {'ratio':>6}  {'target':<10}  result"
    )
    for row in rows:
        line = (
            f"{row.case:<{width}}  {number(row.wall_s, 1):>8}  {number(row.peak_mib, 0):>9}  "
            f"{number(row.ratio, 2):>6}  {row.target:<10}  {row.verdict}"
        )
        print(line.rstrip())


def print_step_times(step_times: dict[str, dict[str, float]]) -> None:
    """Where each pipeline run's time went, as the CLI reported it."""
    names = list(dict.fromkeys(name for steps in step_times.values() for name in steps))
    width = max(len(run) for run in step_times)
    print("\nPipeline steps, seconds (other: start-up and what lies between the steps):")
    print(f"{'run':<{width}}  " + "  ".join(f"{name:>7}" for name in names))
    for run, steps in step_times.items():
        cells = (f"{steps[name]:>7.1f}" if name in steps else " " * 7 for name in names)
        print(f"{run:<{width}}  " + "  ".join(cells))


def print_report(results: Results, elapsed_s: float) -> None:
    plan = results.plan
    print()
    print(
        "Benchmark"
        + (
            " (--quick: a smoke test; only the embedded ratio is judged, the rest at full scale)"
            if plan.quick
            else ""
        )
    )
    if results.rows:
        print_table(results.rows)
    if results.step_times:
        print_step_times(results.step_times)
    if results.generated:
        print("\nSynthetic data (not timed against a target):")
        for g in results.generated:
            how = "cached" if g["cached"] else f"generated in {g['wall_s']:.1f} s"
            print(f"  {rows_label(g['rows'])} rows, periods {g['periods']}: {how}")
    if results.checks:
        print("\nChecks:")
        for check in results.checks:
            print(f"  {'ok      ' if check.passed else 'MISMATCH'}  {check.name}: {check.detail}")
    verdicts = results.verdicts()
    print(f"\nTargets: {len(verdicts['met'])} of {len(results.targets)} met.")
    for verdict in ("missed", "not_measured"):
        if verdicts[verdict]:
            label = verdict.replace("_", " ").capitalize()
            print(f"  {label} ({len(verdicts[verdict])}): {'; '.join(verdicts[verdict])}")
    for note in results.notes:
        print(f"Note: {note}")
    for failure in results.failures:
        print(f"FAILED: {failure}")
    within = "within" if elapsed_s <= plan.budget_s else "OVER"
    print(f"Elapsed: {elapsed_s:.0f} s ({within} the {plan.budget_s // 60}-minute budget)")
    print(f"Load average (1, 5, 15 min) at start {results.load_at_start}, at end {load_average()}")


def print_failure(failure: CommandFailed) -> None:
    """What went wrong: the lines that say why (refusals, failing figures), then the tail."""
    print(f"\nFAILED: {failure}")
    for label, log in (("stdout", failure.stdout_log), ("stderr", failure.stderr_log)):
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        # The CLI lists every rounding difference (~); they would push the reasons out.
        lines = [line for line in lines if not line.lstrip().startswith("~ ")]
        reasons = [line for line in lines if line.lstrip().startswith(REASON_PREFIXES)]
        if reasons:
            print(f"--- {label}: why (first {min(len(reasons), TAIL_LINES)} of {len(reasons)}) ---")
            print("\n".join(reasons[:TAIL_LINES]))
        if lines:
            print(f"--- {label} tail ({log}) ---")
            print("\n".join(lines[-TAIL_LINES:]))
    print(flush=True)


def write_json(path: Path, results: Results, started: dt.datetime, elapsed_s: float) -> None:
    document = {
        "started_at": started.isoformat(timespec="seconds"),
        "load_average": {"at_start": results.load_at_start, "at_end": load_average()},
        "elapsed_s": round(elapsed_s, 1),
        "within_budget": elapsed_s <= results.plan.budget_s,
        "plan": results.plan.__dict__,
        "machine": machine_info(),
        "cases": results.cases,
        "table": [{**r.__dict__, "result": r.verdict} for r in results.rows],
        "targets": results.verdicts(),
        "checks": [c.__dict__ for c in results.checks],
        "generated_data": results.generated,
        "measurements": results.measurements,
        "failures": results.failures,
        "notes": results.notes,
        "pipeline_step_times_s": results.step_times,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


# --------------------------------------------------------------------------- main


def manifest_problem() -> str | None:
    """Why the pipeline would run on a dbt manifest that does not match the project, if so.

    Dagster reads the manifest `make setup` prepared; one older than the models makes the
    pipeline fail (or measure other SQL) in ways that say nothing about its speed."""
    # The pipeline's own (orchestration/warehouse/dbt_project.py: PIPELINE_TARGET), which
    # `make benchmark` prepares; target/manifest.json is dbt's when run by hand.
    manifest = DBT_PROJECT / "target" / "pipeline" / "manifest.json"
    if not manifest.exists():
        return "the dbt manifest is missing"
    sources = [DBT_PROJECT / "dbt_project.yml", ACCOUNT_RANGES.parent]
    sources += [DBT_PROJECT / folder for folder in ("models", "macros", "tests")]
    files = [f for s in sources for f in ([s] if s.is_file() else s.rglob("*")) if f.is_file()]
    newer = [f for f in files if f.stat().st_mtime > manifest.stat().st_mtime]
    if newer:
        return f"the dbt manifest is older than {newer[0].relative_to(ROOT)}"
    return None


def prepare_scratch(scratch: Path) -> None:
    """Recreate the scratch folder, keeping only its cache of generated data."""
    if scratch.exists() and any(scratch.iterdir()) and not (scratch / SCRATCH_MARKER).exists():
        # Never empty a folder this script did not make (a mistyped --scratch).
        raise SystemExit(
            f"error: {scratch} is not empty and not a benchmark scratch folder "
            f"(no {SCRATCH_MARKER}); choose another --scratch"
        )
    scratch.mkdir(parents=True, exist_ok=True)
    for entry in scratch.iterdir():
        if entry.name in ("data", SCRATCH_MARKER):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (scratch / SCRATCH_MARKER).write_text("Made by benchmarks/benchmark.py: recreated each run.\n")


def repeat_embedded(bench: Bench, elapsed_s: float) -> None:
    """Run the embedded case again while the time budget allows; its fastest run counts.

    The repeats come last, when the time they would take can be weighed against what is
    left of the budget."""
    results = bench.results
    runs = results.cases.get("embedded", {}).get("runs", [])
    if not runs:
        return  # the first run failed: a repeat would not be compared with anything
    for attempt in range(len(runs) + 1, results.plan.embedded_repeats + 1):
        needed = sum(runs[-1][k] for k in ("pipeline_wall_s", "noop_wall_s", "dbt_wall_s"))
        if elapsed_s + needed > results.plan.budget_s:
            results.notes.append(
                f"embedded run #{attempt} skipped: ~{needed:.0f} s more would pass the "
                f"{results.plan.budget_s // 60}-minute budget"
            )
            return
        started = time.perf_counter()
        run_case(
            results, f"embedded data, run #{attempt}", lambda a=attempt: embedded_case(bench, a)
        )
        elapsed_s += time.perf_counter() - started


def run_case(results: Results, name: str, case: Callable[[], object]) -> object:
    """Run one case; a failed command ends that case, not the benchmark."""
    print(f"\n== {name}", flush=True)
    try:
        return case()
    except CommandFailed as failure:
        print_failure(failure)
        results.failures.append(f"{name}: {failure}")
    except Exception as error:  # one broken case must not lose the others
        traceback.print_exc()
        print(f"\nFAILED: {name}: {error}\n", flush=True)
        results.failures.append(f"{name}: {error!r}")
    return None


def build_plan(args: argparse.Namespace) -> Plan:
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    overrides = {
        "sizes": tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None,
        "history_rows": args.history_rows,
        "history_periods": args.history_periods,
        "embedded_repeats": args.repeats,
        "seed": args.seed,
    }
    return replace(plan, **{k: v for k, v in overrides.items() if v is not None})


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure the pipeline against a plain dbt build and DuckDB/pandas baselines."
    )
    parser.add_argument("--quick", action="store_true", help="a small variant (~3 minutes)")
    parser.add_argument(
        "--out", type=Path, default=BENCHMARKS / "results" / "latest.json", help="JSON results"
    )
    parser.add_argument(
        "--scratch", type=Path, default=BENCHMARKS / ".work", help="where runs write (recreated)"
    )
    parser.add_argument("--sizes", help="rows of the single-delivery cases, e.g. 1000000,10000000")
    parser.add_argument("--history-rows", type=int, help="rows over all history quarters")
    parser.add_argument("--history-periods", help="quarter ends FIRST:LAST, e.g. 2014-03:2023-12")
    parser.add_argument("--repeats", type=int, help="runs of the embedded case (fastest counts)")
    parser.add_argument("--seed", type=int, help="generator seed")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["embedded", "rows", "history"],
        help="leave a case out (development only)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan = build_plan(args)
    if len(quarter_ends(plan.history_periods)) < 2:
        # One run onboards all but the last quarter, the next adds the last one.
        print("error: --history-periods must span at least two quarter ends", file=sys.stderr)
        return 2
    problem = manifest_problem()
    if problem:
        print(f"error: {problem}: run `make setup` first (it prepares it)", file=sys.stderr)
        return 2
    scratch = args.scratch.resolve()
    prepare_scratch(scratch)
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    results = Results(plan, targets=expected_targets(plan, args.skip), load_at_start=load_average())
    bench = Bench(scratch, results)
    print(f"Scratch: {scratch}; plan: {plan}", flush=True)
    if "embedded" not in args.skip:
        run_case(results, "embedded data", lambda: embedded_case(bench, 1))
    if "rows" not in args.skip:
        for rows in plan.sizes:
            run_case(results, f"{rows_label(rows)} rows", lambda rows=rows: rows_case(bench, rows))
    if "history" not in args.skip:
        run_case(results, "ten years of history", lambda: history_case(bench))
    if "embedded" not in args.skip:
        repeat_embedded(bench, time.perf_counter() - clock)
    results.rows = build_table(results)
    elapsed_s = time.perf_counter() - clock
    write_json(args.out, results, started, elapsed_s)
    print_report(results, elapsed_s)
    print(f"Results: {args.out}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
