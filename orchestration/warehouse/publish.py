"""Build in a working file, publish generations: the DuckDB file, its Parquet export and
the report switch together, in one atomic step.

The warehouse folder (the parent of the readers' file, `KUNTASEURANTA_WAREHOUSE`):

    warehouse.duckdb -> current/warehouse.duckdb     what readers open (read-only)
    parquet          -> current/parquet              every mart as Parquet
    report           -> current/report               the interim report, HTML and PDF
    current          -> generations/<id>             the one link a publication switches
    generations/<id>/                                a publication: the three together and
                                                     generation.json (hashes, deliveries)
    .build/                                          the run in progress: working file,
                                                     staged generation, dbt's output
    .lock                                            the run lock (orchestration.warehouse.lock)
    validation/<run id>/                             each run's reconciliation evidence
    recovered/                                       what a run set aside (stale WALs)
    .dbt-state/                                      dbt's parse state for this warehouse

A run never writes what readers see. It copies the current generation's file (checking
it against the hash recorded when it was published) to its working file, loads and builds
there, stages the new generation beside the others, and only when every blocking check
has passed switches `current` with one rename. A kill or a full disk at any instant leaves
readers the previous generation whole, or the new one whole. Open readers keep the
snapshot they have (the old generation is kept; DuckDB resolves the links, so its WAL, if
a read-write session leaves one, stays beside the file it belongs to).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.warehouse import lock
from orchestration.warehouse.fingerprints import (
    Fingerprint,
    carried_deliveries,
    file_digest,
    unchanged_reasons,
)

# BI tools bundle their own, often older, DuckDB (Metabase's and DBeaver's drivers): the
# warehouse is written in the oldest storage format DuckDB writes. DuckDB 1.1 and newer
# open it; 1.0 cannot read the primary-key indexes DuckDB 2.0 writes even in that format
# ("expected end of object, but found field id: 103"). The format is fixed when a file
# is created: a warehouse created in a newer one is copied into this one (see
# start_working_copy).
STORAGE_COMPATIBILITY_VERSION = "v1.0.0"
OLDEST_CLIENT = "1.1.0"
MANIFEST = "generation.json"
_CHUNK = 4 * 1024 * 1024


class DamagedWarehouse(RuntimeError):
    """The published warehouse does not open or read whole: it is not used as a base."""


@dataclass(frozen=True)
class Layout:
    """Where a warehouse keeps its published generations and a run's work."""

    published: Path
    working_override: Path | None = None

    @property
    def root(self) -> Path:
        return self.published.parent

    @property
    def name(self) -> str:
        return self.published.name

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    @property
    def generations_dir(self) -> Path:
        return self.root / "generations"

    @property
    def build_dir(self) -> Path:
        return self.root / ".build"

    @property
    def working(self) -> Path:
        return self.working_override or self.build_dir / self.name

    @property
    def staging(self) -> Path:
        """The generation a run prepares; renamed into generations/ when complete."""
        return self.build_dir / "generation"

    @property
    def staged_parquet(self) -> Path:
        return self.staging / "parquet"

    @property
    def staged_report(self) -> Path:
        return self.staging / "report"

    @property
    def dbt_target(self) -> Path:
        """dbt's artefacts and logs for the run in progress (outside the source tree)."""
        return self.build_dir / "dbt"

    @property
    def dbt_state(self) -> Path:
        """dbt's partial-parse state for this warehouse's working file, kept between runs."""
        return self.root / ".dbt-state"

    @property
    def evidence_dir(self) -> Path:
        return self.root / "validation"

    @property
    def recovered_dir(self) -> Path:
        return self.root / "recovered"

    @property
    def parquet_link(self) -> Path:
        return self.root / "parquet"

    @property
    def report_link(self) -> Path:
        return self.root / "report"

    def links(self) -> dict[Path, str]:
        """Each stable path readers use -> where it points, through `current`."""
        return {
            self.published: f"current/{self.name}",
            self.parquet_link: "current/parquet",
            self.report_link: "current/report",
        }


@dataclass(frozen=True)
class Generation:
    """One publication: its folder and what generation.json says of it."""

    path: Path
    manifest: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def base(self) -> str | None:
        """The generation the run built on (rollback goes there)."""
        return self.manifest.get("base")

    @property
    def published_at(self) -> str:
        return self.manifest.get("published_at", "")

    @property
    def run_id(self) -> str:
        return self.manifest.get("run_id", "")

    def database(self, name: str) -> Path:
        return self.path / name

    def describe(self) -> str:
        periods = ", ".join(self.manifest.get("periods", [])) or "no periods"
        when = self.published_at or "unknown time"
        return f"generation {self.id} (published {when}; periods {periods})"


def layout_for(published: Path, working: Path | None = None) -> Layout:
    default = Path(published).parent / ".build" / Path(published).name
    override = Path(working) if working and Path(working) != default else None
    return Layout(Path(published), override)


# --- reading what is published ----------------------------------------------------------


def read_generation(path: Path) -> Generation:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    return Generation(path, manifest)


def current_generation(layout: Layout) -> Generation | None:
    link = layout.current_link
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return read_generation(target) if target.is_dir() else None


def generations(layout: Layout) -> list[Generation]:
    """Every complete generation, oldest first."""
    if not layout.generations_dir.is_dir():
        return []
    found = [
        read_generation(p)
        for p in layout.generations_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".")
    ]
    return sorted(found, key=lambda g: (g.published_at, g.id))


def sha256_of(path: Path, copy_to: Path | None = None) -> str:
    """The file's SHA-256, read once; with copy_to, written there in the same pass."""
    digest = hashlib.sha256()
    with path.open("rb") as f, copy_to.open("wb") if copy_to else contextlib.nullcontext() as out:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            if out is not None:
                out.write(chunk)
    return digest.hexdigest()


def check_readable(path: Path) -> None:
    """Open the file read-only and read every table whole: DuckDB verifies each block's
    checksum as it reads it. Raises DamagedWarehouse with DuckDB's own words."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database()"
            ).fetchall()
            for schema, table in tables:
                name = f"{_identifier(schema)}.{_identifier(table)}"
                con.execute(f"select count(*), sum(hash(t)) from {name} as t").fetchall()
    except duckdb.Error as exc:
        raise DamagedWarehouse(_first_line(exc)) from exc


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --- at the start of a run (the lock held) ----------------------------------------------


@contextlib.contextmanager
def held_for_run(
    layout: Layout,
    run_id: str,
    wait_seconds: float,
    on_wait: Callable[[lock.Holder | None], None] | None = None,
) -> Iterator[list[str]]:
    """The warehouse locked for a run's whole life, with what earlier runs left behind
    handled first; yields what recovery found. Recovery is done by whoever takes the lock
    in this process (the CLI, or the run's resource when Dagster started the run)."""
    first = not lock.held_here(layout.root)
    with lock.warehouse_lock(layout.root, run_id, wait_seconds, on_wait=on_wait):
        yield recover(layout) if first else []


def recover(layout: Layout) -> list[str]:
    """Handle what killed runs and readers left behind; say what was found.

    Runs with the lock held, before anything of the run is written: the working files and
    staged generation of a run that did not finish are removed, an old single-file
    warehouse is adopted as the first generation, and a WAL that no longer fits its file
    is set aside.
    """
    notes: list[str] = []
    if layout.build_dir.exists() and not any(layout.build_dir.iterdir()):
        layout.build_dir.rmdir()
    if layout.build_dir.exists():
        shutil.rmtree(layout.build_dir)
        previous = lock.previous_holder(layout.root)
        who = previous.describe() if previous else "an earlier run"
        notes.append(
            f"removed the working files of {who}, which did not publish ({layout.build_dir.name}/)"
        )
    if layout.working_override is not None:
        _remove_database(layout.working_override)
    for stale in _stale_partials(layout):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
        notes.append(f"removed {stale.name}, left by a publication that was interrupted")
    notes += _adopt_single_file(layout)
    notes += _remove_never_switched(layout)
    notes += _check_wal(layout)
    return notes


def _remove_never_switched(layout: Layout) -> list[str]:
    """A generation complete in generations/ but never made current: its publication was
    killed between the rename and the switch. (One rolled back from says so.)"""
    current = current_generation(layout)
    if current is None:
        return []
    notes = []
    for other in generations(layout):
        never = other.base == current.id and not other.manifest.get("rolled_back_at")
        if never and other.published_at >= current.published_at and other.id != current.id:
            shutil.rmtree(other.path)
            notes.append(f"removed {other.id}, a publication interrupted before its switch")
    return notes


def _stale_partials(layout: Layout) -> list[Path]:
    found = []
    if layout.generations_dir.is_dir():
        found += [p for p in layout.generations_dir.iterdir() if p.name.startswith(".")]
    if layout.root.is_dir():
        found += [
            p
            for p in layout.root.iterdir()
            if p.name.endswith((".publishing", ".switching")) and p.name.startswith(".")
        ]
    return found


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def _remove_database(path: Path) -> None:
    for candidate in (path, _wal(path)):
        candidate.unlink(missing_ok=True)


def _adopt_single_file(layout: Layout) -> list[str]:
    """A warehouse published before generations (a plain file, parquet/ and report/
    folders) becomes generation `adopted-...`, so the next publication switches as usual
    and the old state is the one rollback returns to."""
    published = layout.published
    if published.is_symlink() or not published.is_file():
        return []
    notes = []
    wal = _wal(published)
    if wal.exists():
        notes += _set_aside(layout, wal, "a WAL beside the single-file warehouse")
    try:
        check_readable(published)
    except DamagedWarehouse as exc:
        raise DamagedWarehouse(
            f"the published warehouse {published} is damaged: {exc}. It was not used; "
            "restore it from a backup, or move it away and load the deliveries again"
        ) from exc
    stamp = _stamp()
    generation = layout.generations_dir / f"adopted-{stamp}"
    partial = layout.generations_dir / f".adopting-{stamp}"
    partial.mkdir(parents=True)
    try:
        os.link(published, partial / layout.name)
    except OSError:
        shutil.copyfile(published, partial / layout.name)
    for name in ("parquet", "report"):
        folder = layout.root / name
        if folder.is_dir() and not folder.is_symlink():
            shutil.copytree(folder, partial / name)
        else:
            (partial / name).mkdir()
    _write_manifest(partial, layout.name, run_id="", base=None, periods=[], loads=[])
    _fsync_tree(partial)
    os.rename(partial, generation)
    fsync_dir(layout.generations_dir)
    _switch(layout, generation)
    _ensure_links(layout)
    notes.append(
        f"adopted the single-file warehouse {published.name} as {generation.name} "
        "(published files now live in generations/, reached through current/)"
    )
    return notes


def _check_wal(layout: Layout) -> list[str]:
    """A WAL beside the published file is a read-write session's: alive (readers are then
    locked out, which we can only report) or dead (its uncheckpointed changes were never
    part of a publication). One that makes the file unreadable is set aside."""
    generation = current_generation(layout)
    if generation is None:
        return []
    database = generation.database(layout.name)
    wal = _wal(database)
    if not wal.exists():
        return []
    try:
        duckdb.connect(str(database), read_only=True).close()
    except duckdb.Error as exc:
        message = _first_line(exc)
        if "lock" in message.lower():
            return [
                "a process holds the published warehouse read-write, which locks every "
                f"reader out until it closes ({message}); readers should open it "
                "read-only. This run publishes a new generation beside it."
            ]
        return _set_aside(layout, wal, f"a WAL that made the published file unreadable ({message})")
    return [
        f"a read-write session left a WAL beside {generation.id}/{layout.name}; its "
        "changes were never part of a publication and the next generation does not carry "
        "them"
    ]


def _set_aside(layout: Layout, path: Path, what: str) -> list[str]:
    layout.recovered_dir.mkdir(parents=True, exist_ok=True)
    target = layout.recovered_dir / f"{_stamp()}-{path.name}"
    os.replace(path, target)
    return [f"set aside {what}: {target.relative_to(layout.root)}"]


def start_working_copy(layout: Layout) -> list[str]:
    """The run's working file: a verified copy of the current generation, or a new file.

    Raises DamagedWarehouse when the published file does not read whole.
    """
    working = layout.working
    working.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(working)
    generation = current_generation(layout)
    if generation is None and layout.current_link.is_symlink():
        raise DamagedWarehouse(
            f"{layout.current_link} points at {os.readlink(layout.current_link)}, which is "
            "missing: the published warehouse is gone; `warehouse rollback --to ID` makes a "
            "kept generation current"
        )
    if generation is None:
        config = {"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION}
        duckdb.connect(str(working), config=config).close()
        return []
    source = generation.database(layout.name)
    try:
        digest = sha256_of(source, copy_to=working)
    except FileNotFoundError as exc:
        raise DamagedWarehouse(f"{source} is missing") from exc
    try:
        changed = verify(layout, generation, working, digest)
    except DamagedWarehouse as exc:
        _remove_database(working)
        raise DamagedWarehouse(f"{exc} It was not used as the base of this run.") from exc
    notes = [f"{changed}, so the run builds on it as it is"] if changed else []
    return notes + convert_to_compatible_format(working)


def storage_version(path: Path) -> str:
    """The storage format a DuckDB file is written in, as DuckDB tags it ('v1.0.0+')."""
    with duckdb.connect() as con:
        con.execute(f"attach {_literal(str(path))} as db (read_only)")
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = 'db'"
        ).fetchone()[0]
    return tags.get("storage_version", "?")


def convert_to_compatible_format(working: Path) -> list[str]:
    """A working copy of a file in a newer storage format (a warehouse created before the
    format was lowered) is copied, whole, into a file of STORAGE_COMPATIBILITY_VERSION."""
    found = storage_version(working)
    if found == f"{STORAGE_COMPATIBILITY_VERSION}+":
        return []
    converted = working.with_name(f".{working.name}.converting")
    _remove_database(converted)
    with duckdb.connect() as con:
        con.execute(f"attach {_literal(str(working))} as source (read_only)")
        con.execute(
            f"attach {_literal(str(converted))} as target "
            f"(storage_version '{STORAGE_COMPATIBILITY_VERSION}')"
        )
        con.execute("copy from database source to target")
    _remove_database(working)
    os.replace(converted, working)
    return [
        f"the published file is in DuckDB's storage format {found}; this run's is in "
        f"{STORAGE_COMPATIBILITY_VERSION}+, which DuckDB {OLDEST_CLIENT} and newer open"
    ]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def verify(layout: Layout, generation: Generation, database: Path, digest: str) -> str | None:
    """Is `database` (the generation's file or a copy of it, whose hash is `digest`) as
    it was published? None when it is; a note when it changed but reads whole; raises
    DamagedWarehouse, naming the remedy, when it does not read whole."""
    expected = generation.manifest.get("files", {}).get(layout.name, {}).get("sha256")
    if digest == expected:
        return None
    try:
        check_readable(database)
    except DamagedWarehouse as exc:
        raise DamagedWarehouse(damage_message(layout, generation, str(exc))) from exc
    if expected is None:  # adopted, or published before hashes were recorded
        return None
    return (
        f"the published file of {generation.id} changed after it was published (a "
        "read-write session?); it reads whole"
    )


def damage_message(layout: Layout, generation: Generation, cause: str) -> str:
    previous = _generation_by_id(layout, generation.base)
    remedy = (
        f"`warehouse rollback` makes {previous.describe()} current again; then run the "
        f"deliveries of {generation.id} again ({_loads_text(generation)})"
        if previous is not None
        else "no earlier generation is kept: restore the folder from a backup, or move it "
        "away and load the deliveries again"
    )
    return f"the published warehouse ({generation.id}/{layout.name}) is damaged: {cause}. {remedy}."


def _loads_text(generation: Generation) -> str:
    loads = generation.manifest.get("loads", [])
    if not loads:
        return "see its generation.json"
    files = sorted({f"{x['reporting_period']}/{x['source_file']}" for x in loads})
    return ", ".join(files[:8]) + (f" and {len(files) - 8} more" if len(files) > 8 else "")


RUN_LOADS = "loads.json"


def record_run_loads(layout: Layout, loads: list[dict]) -> None:
    """What the run loaded (new and restated extracts), for its generation's manifest."""
    layout.build_dir.mkdir(parents=True, exist_ok=True)  # the working file may be elsewhere
    (layout.build_dir / RUN_LOADS).write_text(json.dumps(loads), encoding="utf-8")


def run_loads(layout: Layout) -> list[dict]:
    """What the run loaded so far (record_run_loads)."""
    return _run_loads(layout)


RUN_INPUTS = "inputs.json"


def record_run_inputs(layout: Layout, deliveries: list[dict], fingerprint: Fingerprint) -> None:
    """What the run is built from (fingerprints.py): its deliveries (period, municipality,
    scope, digest, folder) and the models' and code's fingerprints."""
    layout.build_dir.mkdir(parents=True, exist_ok=True)
    inputs = {"models": fingerprint.models, "code": fingerprint.code, "deliveries": deliveries}
    (layout.build_dir / RUN_INPUTS).write_text(json.dumps(inputs), encoding="utf-8")


def _generation_inputs(layout: Layout, base: Generation | None) -> dict | None:
    """The run's inputs with the deliveries the base generation holds carried forward;
    None when the run did not record them (a publication outside the warehouse job)."""
    try:
        run = json.loads((layout.build_dir / RUN_INPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    previous = ((base.manifest.get("inputs") or {}) if base else {}).get("deliveries", [])
    return {**run, "deliveries": carried_deliveries(previous, run["deliveries"])}


def models_changed(layout: Layout, fingerprint: str) -> str | None:
    """Why every model must be rebuilt from raw: the current generation was built by other
    models or reference data (or does not say by which). None when it was not."""
    generation = current_generation(layout)
    if generation is None:
        return None  # nothing published: every model is built from nothing anyway
    inputs = generation.manifest.get("inputs") or {}
    if inputs.get("models") == fingerprint:
        return None
    if not inputs:
        return f"{generation.id} does not record the models it was built by"
    return f"the dbt models or the reference data changed since {generation.id}"


def rebuild_reasons(layout: Layout, digests: dict[str, str]) -> list[str]:
    """Why a run of the deliveries (folder -> fingerprints.delivery_digest) would change
    what is published. Empty when it would not: every delivery, the models and the code
    are what the current generation was built from, and every published file is as it was
    published."""
    generation = current_generation(layout)
    if generation is None:
        return ["nothing is published yet"]
    reasons = unchanged_reasons(generation.manifest.get("inputs"), Fingerprint.now(), digests)
    if reasons:
        return reasons
    altered = _altered_files(generation)
    if altered:
        shown = ", ".join(altered[:3]) + (f" and {len(altered) - 3} more" if altered[3:] else "")
        return [f"published files changed after publication: {shown}"]
    return []


def _altered_files(generation: Generation) -> list[str]:
    """The generation's files that are not as its manifest records them (its size and
    modification time first; the hash only where they differ)."""
    altered = []
    for name, recorded in sorted(generation.manifest.get("files", {}).items()):
        path = generation.path / name
        try:
            stat = path.stat()
        except OSError:
            altered.append(name)
            continue
        if stat.st_size == recorded.get("bytes") and stat.st_mtime_ns == recorded.get("mtime_ns"):
            continue
        if stat.st_size != recorded.get("bytes") or file_digest(path) != recorded.get("sha256"):
            altered.append(name)
    return altered


def carry_forward_reports(layout: Layout, rendered_periods: set[str]) -> list[str]:
    """Put the published reports of every period not in `rendered_periods` (those the run
    rendered or loaded) into the staged generation, so a publication holds every period's
    reports and only the run's periods are rendered again.
    Linked, not copied, where the file system allows (generations are never written in
    place). Returns the periods carried."""
    published = layout.report_link
    carried = set()
    if not published.is_dir():
        return []
    for path in sorted(published.iterdir()):
        parts = path.name.split("_")  # osavuosikatsaus_<period>_<municipality>[_<scope>]
        if len(parts) < 3 or parts[0] != "osavuosikatsaus" or parts[1] in rendered_periods:
            continue  # a report of a period this run renders, or of an older naming
        target = layout.staged_report / path.name
        try:
            os.link(path.resolve(), target)
        except OSError:
            shutil.copyfile(path, target)
        carried.add(parts[1])
    return sorted(carried)


def _run_loads(layout: Layout) -> list[dict]:
    try:
        return json.loads((layout.build_dir / RUN_LOADS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def _periods(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' "
            "and table_name = 'load_log'"
        ).fetchall()[0][0]
        if not exists:
            return []
        return [
            p
            for (p,) in con.execute(
                "select distinct reporting_period from raw.load_log order by 1"
            ).fetchall()
        ]


# --- publication ------------------------------------------------------------------------


def prepare_staging(layout: Layout) -> Path:
    """An empty staged generation for this run (replacing any earlier attempt's)."""
    if layout.staging.exists():
        shutil.rmtree(layout.staging)
    layout.staged_parquet.mkdir(parents=True)
    layout.staged_report.mkdir(parents=True)
    return layout.staging


def checkpoint(database: Path) -> None:
    """Everything in the main file, nothing left in a WAL."""
    with duckdb.connect(str(database)) as con:
        con.execute("CHECKPOINT")


def export_marts(database: Path, parquet_dir: Path) -> list[Path]:
    """Every mart as a Parquet file, for tools without a (recent enough) DuckDB driver."""
    parquet_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for table in tables:
            target = parquet_dir / f"{table}.parquet"
            con.table(f"marts.{_identifier(table)}").write_parquet(str(target))
            written.append(target)
    return written


def publish(layout: Layout, run_id: str, keep: int | None = None) -> Generation:
    """Make the staged generation (parquet/ and report/ already written) current.

    The working file moves into it, its hash is recorded, the folder is renamed into
    generations/ and `current` is switched with one rename; older generations beyond
    `keep` (besides the current one and what it was built on) are removed.
    """
    staging = layout.staging
    if not staging.is_dir():
        raise RuntimeError(f"nothing staged to publish in {staging}")
    checkpoint(layout.working)
    database = staging / layout.name
    _move(layout.working, database)
    base = current_generation(layout)
    _write_manifest(
        staging,
        layout.name,
        run_id=run_id,
        base=base.id if base else None,
        periods=_periods(database),
        loads=_run_loads(layout),
        inputs=_generation_inputs(layout, base),
    )
    _fsync_tree(staging)
    generation_path = layout.generations_dir / f"{_stamp()}-{run_id[:8] or 'run'}"
    layout.generations_dir.mkdir(parents=True, exist_ok=True)
    os.rename(staging, generation_path)
    fsync_dir(layout.generations_dir)
    fsync_dir(staging.parent)
    _switch(layout, generation_path)
    _ensure_links(layout)
    # Published: the run's work is done. Its dbt artefacts (compiled SQL, run results,
    # dbt.log) go with its evidence, which housekeeping prunes.
    if layout.dbt_target.is_dir():
        evidence = layout.evidence_dir / run_id
        evidence.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(evidence / "dbt", ignore_errors=True)
        os.replace(layout.dbt_target, evidence / "dbt")
    shutil.rmtree(layout.build_dir, ignore_errors=True)
    prune_generations(layout, keep_generations() if keep is None else keep)
    return read_generation(generation_path)


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # a working file on another file system: copy it
            raise
        shutil.copyfile(source, target)
        _remove_database(source)


def _write_manifest(
    folder: Path,
    name: str,
    run_id: str,
    base: str | None,
    periods: list,
    loads: list,
    inputs: dict | None = None,
) -> None:
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        files[str(path.relative_to(folder))] = {
            "sha256": sha256_of(path),
            "bytes": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }
    manifest = {
        "run_id": run_id,
        # To the microsecond: generations are ordered by it, and two can come in a second.
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "base": base,
        "database": name,
        "periods": periods,
        "loads": loads,
        # What the generation was built from (fingerprints.py): a run of the same is a no-op.
        "inputs": inputs,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _switch(layout: Layout, generation: Path) -> None:
    """Point `current` at the generation: one rename of a new link over the old."""
    relative = os.path.relpath(generation, layout.root)
    tmp = layout.root / ".current.switching"
    tmp.unlink(missing_ok=True)
    os.symlink(relative, tmp)
    os.replace(tmp, layout.current_link)
    fsync_dir(layout.root)


def _ensure_links(layout: Layout) -> None:
    """The stable paths readers use, each a link through `current`. A folder or file an
    older layout left there is moved into the adopted generation first."""
    for path, target in layout.links().items():
        if path.is_symlink() and os.readlink(path) == target:
            continue
        tmp = path.with_name(f".{path.name}.switching")
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)  # copied into the adopted generation by _adopt_single_file
        os.replace(tmp, path)
    fsync_dir(layout.root)


def keep_generations() -> int:
    """Earlier generations kept for rollback (KUNTASEURANTA_KEEP_GENERATIONS, default 1)."""
    return max(int(os.environ.get("KUNTASEURANTA_KEEP_GENERATIONS", "1")), 0)


def _generation_by_id(layout: Layout, generation_id: str | None) -> Generation | None:
    if not generation_id:
        return None
    path = layout.generations_dir / generation_id
    return read_generation(path) if path.is_dir() else None


def prune_generations(layout: Layout, keep: int) -> list[str]:
    """Keep the current generation and the `keep` it was built on, one after the other."""
    current = current_generation(layout)
    if current is None:
        return []
    kept = {current.id}
    generation: Generation | None = current
    for _ in range(keep):
        generation = _generation_by_id(layout, generation.base if generation else None)
        if generation is None:
            break
        kept.add(generation.id)
    removed = []
    for other in generations(layout):
        if other.id not in kept:
            shutil.rmtree(other.path, ignore_errors=True)
            removed.append(other.id)
    return removed


def rollback(layout: Layout, to: str | None = None) -> tuple[Generation, Generation]:
    """Make an earlier generation current again: by default the one the current was built
    on. Returns (the generation left, the one now current)."""
    current = current_generation(layout)
    if current is None:
        raise RuntimeError(f"nothing is published in {layout.root}")
    target = _generation_by_id(layout, to or current.base)
    if target is None:
        kept = ", ".join(g.id for g in generations(layout) if g.id != current.id) or "none"
        if not to and not current.base:
            raise RuntimeError(
                f"{current.id} is the first publication: there is no earlier generation to "
                "roll back to"
            )
        raise RuntimeError(f"{to or current.base} is not kept; earlier generations kept: {kept}")
    if target.id == current.id:
        raise RuntimeError(f"{target.id} is already current")
    check_readable(target.database(layout.name))
    manifest = dict(current.manifest)
    manifest["rolled_back_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    (current.path / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _switch(layout, target.path)
    _ensure_links(layout)
    return read_generation(current.path), target


def current_target(layout: Layout) -> str | None:
    """What `current` points at now: compared before and after a run, it says whether
    anything readers see has changed."""
    try:
        return os.readlink(layout.current_link)
    except OSError:
        return None


# --- durability -------------------------------------------------------------------------


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        fsync_dir(path)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (renames, new files) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
