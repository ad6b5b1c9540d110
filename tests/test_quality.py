"""ruff and mypy run as part of the one test command, so a clean lint is never optional."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "scraper", "tests", "bench"], ["mypy"]],
    ids=["ruff", "mypy"],
)
def test_code_is_clean(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def _top_level_imports(folder: Path) -> set[str]:
    """The top-level names of every module the package's own files import (absolute imports only)."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    # A package installed here by chance (a test extra, an earlier install) but not declared would make a fresh
    # `pip install .` (the Docker image, the README's first command) fail as the CLI starts.
    declared = {_normalised(re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0])
                for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    third_party = _top_level_imports(ROOT / "scraper") - set(sys.stdlib_module_names) - {"scraper", "__future__"}
    assert third_party, "no imports found: the scan is broken"
    missing = {}
    for module in sorted(third_party):
        distributions = {_normalised(d) for d in providers.get(module, [module])}
        if not distributions & declared:
            missing[module] = sorted(distributions)
    assert not missing, f"imported by scraper/ but not in [project] dependencies: {missing}"
