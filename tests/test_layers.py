"""The packages are layers (cli > pipeline > definitions > defs > report | quality | export
> ingest > warehouse), library code never imports the Dagster wiring, and no package's
modules import each other in a circle: import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.warehouse.paths import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_project_keeps_its_layers_and_has_no_import_circles():
    done = lint_imports(PROJECT_ROOT, PROJECT_ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_an_upward_import_and_a_circle_break_the_contracts(tmp_path: Path):
    """The same kinds of contract on a small package that breaks both: library code
    importing the wiring, and two modules of one package importing each other."""
    text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    contracts = text[text.index("[tool.importlinter]") : text.index("[tool.pytest")]
    (tmp_path / "pyproject.toml").write_text(
        contracts.replace("orchestration", "toy"), encoding="utf-8"
    )
    packages = ["cli", "defs", "report", "quality", "export", "ingest", "warehouse"]
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "__init__.py").write_text("", encoding="utf-8")
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            **{f"toy/{p}/__init__.py": "" for p in packages},
            "toy/pipeline.py": "",
            # the CLI past the typed interface, straight into Dagster
            "toy/cli/run.py": "import dagster\n",
            "toy/definitions.py": "import toy.defs\n",
            "toy/defs/assets.py": "import toy.ingest.loading\n",
            # library code reaching up into the wiring
            "toy/warehouse/paths.py": "from toy.defs import assets\n",
            # a circle inside one package
            "toy/ingest/loading.py": "from toy.ingest import validation\n",
            "toy/ingest/validation.py": "def check():\n    from toy.ingest import loading\n",
        },
    )
    done = lint_imports(tmp_path, tmp_path / "pyproject.toml")
    assert done.returncode == 1, done.stdout
    assert "3 broken" in done.stdout
    assert "toy.cli.run -> dagster" in done.stdout
    assert "toy.warehouse.paths -> toy.defs.assets" in done.stdout
    assert "- .validation -> .loading (1 import)" in done.stdout
