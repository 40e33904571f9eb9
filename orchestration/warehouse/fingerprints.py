"""Fingerprints of what a publication was built from: is a run's input new?

A generation's manifest keeps `inputs`:

- `models`: a hash of the dbt project (models, macros, tests, its configuration) and the
  reference data its seeds load (`seeds/reference/`). When it differs from the current
  generation's, every model is rebuilt from raw (a full refresh): the incremental models'
  history was built by other SQL or other reference data.
- `code`: a hash of everything else that shapes what is published: the loader's rules,
  the checks, the report (the `orchestration` package), the profile library, the pinned
  versions and the settings read from the environment.
- `deliveries`: one entry per delivery the warehouse holds, carried from generation to
  generation: its reporting period, municipality and scope, and a digest of its folder
  (every file's name and contents, the period and the `--scope` asked for). A restated
  delivery replaces the entry of its period and scope.

A run whose every delivery's digest is among the current generation's, with the same
`models` and `code`, would load nothing new and rebuild the same bytes:
`unchanged_reasons()` (with publish.rebuild_reasons, which also checks the published
files) says so before anything starts, and the published files are left as they are.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestration.warehouse.paths import (
    DBT_PROJECT_DIR,
    PROJECT_ROOT,
    REFERENCE_DIR,
    profiles_dir,
)

# Bump when the digest's recipe changes: an older generation's digests then never match.
RECIPE = "1"
# Settings that change what a run publishes (the rest tune how it runs).
SETTINGS = ("KUNTASEURANTA_REPORT_PERIODS", "KUNTASEURANTA_PROFILES")
_DBT_PARTS = ("dbt_project.yml", "profiles.yml", "packages.yml", "models", "macros", "tests")


# SHA-256 of files hashed already in this process (the loader hashes every extract as it
# reads it), by path, size, modification time and inode: a large ledger is read once.
_KNOWN: dict[tuple[str, int, int, int], str] = {}


def _identity(path: Path, info: os.stat_result) -> tuple[str, int, int, int]:
    return (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)


def remember(path: Path, before: os.stat_result, digest: str) -> None:
    """Record the SHA-256 of a file hashed elsewhere, if it did not change meanwhile
    (`before`: its stat when the hashing started)."""
    after = path.stat()
    if _identity(path, after) == _identity(path, before):
        _KNOWN[_identity(path, after)] = digest


def file_digest(path: Path) -> str:
    known = _KNOWN.get(_identity(path, path.stat()))
    if known is not None:
        return known
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files(root: Path) -> list[Path]:
    """The regular files under root (root itself when it is a file), hidden ones and
    caches left out, in a stable order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            # Regular files only: a link or a device in a delivery is never read (the
            # loader refuses or ignores it), and reading one could block.
            if not name.startswith(".") and stat.S_ISREG(path.lstat().st_mode):
                found.append(path)
    return found


def _tree_digest(roots: Iterable[Path], base: Path, extra: Iterable[str] = ()) -> str:
    digest = hashlib.sha256(f"recipe {RECIPE}\0".encode())
    for item in extra:
        digest.update(f"{item}\0".encode())
    for root in roots:
        for path in _files(root):
            try:
                name = str(path.relative_to(base))
            except ValueError:
                name = str(path)
            digest.update(f"{name}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


def models_fingerprint() -> str:
    """The dbt project and the reference data its seeds load."""
    return _tree_digest(
        [*(DBT_PROJECT_DIR / part for part in _DBT_PARTS), REFERENCE_DIR], PROJECT_ROOT
    )


def code_fingerprint() -> str:
    """The pipeline's code, the profile library, the pinned versions and the settings."""
    settings = [f"{name}={os.environ.get(name, '')}" for name in SETTINGS]
    roots = [
        PROJECT_ROOT / "orchestration",
        profiles_dir(),
        PROJECT_ROOT / "pyproject.toml",
        PROJECT_ROOT / "constraints.txt",
    ]
    return _tree_digest(roots, PROJECT_ROOT, settings)


def delivery_digest(folder: Path, period: str, scope: str = "") -> str:
    """A delivery folder's identity: every file's name and contents, with the reporting
    period and the scope the run is asked to read it as."""
    digest = hashlib.sha256(f"recipe {RECIPE}\0period {period}\0scope {scope}\0".encode())
    for path in _files(folder):
        digest.update(f"{path.relative_to(folder)}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    models: str
    code: str

    @classmethod
    def now(cls) -> Fingerprint:
        return cls(models_fingerprint(), code_fingerprint())


def carried_deliveries(previous: list[dict], loaded: list[dict]) -> list[dict]:
    """The deliveries a generation holds: the base generation's, each replaced by the run's
    delivery of the same period, municipality and scope."""

    def identity(entry: dict) -> tuple:
        return (entry["reporting_period"], entry["municipality_code"], entry["scope_code"])

    replaced = {identity(entry) for entry in loaded}
    kept = [entry for entry in previous if identity(entry) not in replaced]
    return sorted([*kept, *loaded], key=identity)


def unchanged_reasons(
    inputs: dict | None, fingerprint: Fingerprint, digests: dict[str, str]
) -> list[str]:
    """Why a run of the deliveries (folder -> digest) is not a no-op against a
    generation's `inputs`: empty when every delivery, the models and the code are as
    published."""
    if not inputs:
        return ["the published generation does not record what it was built from"]
    reasons = []
    if inputs.get("models") != fingerprint.models:
        reasons.append("the dbt models or the reference data changed")
    if inputs.get("code") != fingerprint.code:
        reasons.append("the pipeline's code, profiles or settings changed")
    held = {entry["digest"] for entry in inputs.get("deliveries", [])}
    new = [folder for folder, digest in digests.items() if digest not in held]
    if new:
        reasons.append(f"new or changed deliveries: {', '.join(new)}")
    return reasons
