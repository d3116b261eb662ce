"""The layout rules a reviewer would otherwise check by hand (STYLE.md)."""

import ast
import re
from pathlib import Path

import pytest

from core.settings import field_names

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 300


def python_files(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", python_files("agent"), ids=str)
def test_agent_imports_nothing_from_the_control_plane(path):
    assert not imported_roots(path) & {"core", "web"}


@pytest.mark.parametrize("path", python_files("core"), ids=str)
def test_core_has_no_web_imports(path):
    assert not imported_roots(path) & {"web", "litestar"}


@pytest.mark.parametrize(
    "path", python_files("core") + python_files("web") + python_files("agent"), ids=str
)
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_every_setting_is_documented_in_the_settings_file_and_docs():
    toml = (ROOT / "litestar.toml").read_text()
    docs = (ROOT / "docs/configuration.md").read_text()
    for name in field_names():
        assert re.search(rf"^{name} = ", toml, re.M), f"{name} missing from litestar.toml"
        assert f"| `{name}` |" in docs, f"{name} missing from docs/configuration.md"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    head = readme[:600]
    assert "make up" in head and "make test" in head
    assert (ROOT / ".ci/run").read_text().strip().splitlines()[-1] == "make test"
