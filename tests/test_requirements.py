"""A fresh install has everything: each import is declared, each range bounded, each module loads.

The shared checker (../shared/tools/check-requirements) runs in CI too; this file does not need
it: it reads the code's imports itself, so the promise holds in a clone without ../shared.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata as md
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

CODE_DIRS = ("analytics", "ui", "pages", "bench", "tests")
REQUIREMENT_FILES = ("requirements.txt", "requirements-dev.txt")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(file: str) -> list[tuple[str, str]]:
    """(distribution, version spec) of each requirement line; ``-r`` includes are left out."""
    lines = []
    for raw in (ROOT / file).read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _NAME.match(line)
        assert match, f"{file}: cannot read {raw!r}"
        lines.append((match.group(1), match.group(3).replace(" ", "")))
    return lines


def declared() -> set[str]:
    return {_norm(name) for file in REQUIREMENT_FILES for name, _ in requirement_lines(file)}


def code_files() -> list[Path]:
    files = [ROOT / "dashboard.py", *(ROOT / ".ci").glob("*.py")]
    for folder in CODE_DIRS:
        files += [p for p in (ROOT / folder).rglob("*.py") if "work" not in p.parts]
    return files


def third_party_imports() -> dict[str, str]:
    """Top-level module -> the first file importing it, for modules outside the stdlib/project."""
    local = {p.stem for p in ROOT.glob("*.py")} | {p.name for p in ROOT.iterdir() if p.is_dir()}
    found: dict[str, str] = {}
    for path in code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local | {"__future__"}:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_requirement_has_a_bounded_range():
    for file in REQUIREMENT_FILES:
        for name, spec in requirement_lines(file):
            assert re.search(r">=[0-9]", spec) and re.search(r"<[0-9]", spec), (
                f"{file}: {name} needs a bounded range (>=x,<y), has {spec!r}"
            )


def test_the_packages_the_code_relies_on_are_declared_with_the_tested_major():
    specs = {
        _norm(name): spec for file in REQUIREMENT_FILES for name, spec in requirement_lines(file)
    }
    assert specs["sqlglot"] == ">=30.0,<31"  # the ClickHouse seam uses sqlglot 30's expressions
    assert specs["pandas-stubs"].startswith(">=3.")  # matches pandas 3
    for name in ("pyarrow", "ruff", "mypy", "pandas-stubs", "playwright", "chdb"):
        assert name in specs, name


def test_every_imported_module_is_declared():
    distributions = md.packages_distributions()
    missing = []
    for module, where in sorted(third_party_imports().items()):
        names = {_norm(d) for d in distributions.get(module, [])} or {_norm(module)}
        if not names & declared():
            missing.append(f"{module} (imported in {where})")
    assert not missing, "imported but not in requirements*.txt: " + ", ".join(missing)


def test_the_shared_requirements_checker_agrees():
    tool = ROOT.parent / "shared" / "tools" / "check-requirements"
    if not tool.exists():
        if IN_CI:
            pytest.fail(f"CI runs with ../shared beside the clone; {tool} is missing")
        pytest.skip(f"{tool} is not beside this clone (CI has it)")
    out = subprocess.run(
        [sys.executable, str(tool)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr


def _modules() -> list[str]:
    names = []
    for folder in ("analytics", "ui", "bench", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "work" in path.parts or path.name == "__main__.py":
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_of_the_project_imports():
    """In a fresh process, so that nothing this test run has loaded hides a missing module."""
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    out = subprocess.run(
        [sys.executable, "-c", code, *_modules()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_every_module_the_pages_and_the_clickhouse_engine_load_lazily_is_installed():
    """Pages and dashboard.py are scripts (they draw when imported), and some modules are
    imported inside functions (sqlglot, chdb, clickhouse_connect): each is findable."""
    for module in third_party_imports():
        assert importlib.util.find_spec(module) is not None, f"{module} is not installed"


def test_the_clickhouse_engine_loads_without_a_missing_module():
    importlib.import_module("analytics.engine.dialect")
    importlib.import_module("analytics.engine.clickhouse")
    importlib.import_module("clickhouse_connect")
