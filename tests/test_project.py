"""The project's promises to a newcomer: README commands, CI, layout."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "the README opens with a bash block of the two commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_has_exactly_two_commands():
    run, test = readme_commands()
    assert "streamlit run dashboard.py" in run and "requirements.txt" in run
    assert "pytest" in test and "requirements-dev.txt" in test


def test_ci_runs_both_readme_commands_exactly_as_written_in_fresh_venvs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in readme_commands():
        assert command in ci.splitlines(), command
    assert "python3 -m venv" in ci and 'export PATH="$VIRTUAL_ENV/bin:$PATH"' in ci
    assert "check-requirements" in ci
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".ci-venv/" in ignored, "the CI venvs live in the clone and are never committed"


def test_layout():
    for name in (
        "dashboard.py",
        "pages",
        "analytics",
        "data",
        "tests",
        "requirements.txt",
        "README.md",
        "docs/METRICS.md",
    ):
        assert (ROOT / name).exists(), name
    assert not list((ROOT / "data").glob("*.py")), "data/ holds data, not code"


def run(*cmd: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", *cmd], cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    out = run("ruff", "check", ".")
    assert out.returncode == 0, out.stdout + out.stderr
    out = run("ruff", "format", "--check", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_analytics_is_fully_typed():
    out = run("mypy")  # configuration in pyproject.toml: analytics/, no untyped definitions
    assert out.returncode == 0, out.stdout + out.stderr
