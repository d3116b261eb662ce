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


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """(dotted name, line) of every import anywhere in the file: inside functions and under
    TYPE_CHECKING too (a type-only import hides a cycle in the design, it does not remove it).
    `from a.b import c` gives `a.b.c`, which may name a module or something inside `a.b`."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names += [
                (base if alias.name == "*" else f"{base}.{alias.name}", node.lineno)
                for alias in node.names
            ]
    return names


def import_graph(packages: list[str], root: Path = ROOT) -> dict[str, dict[str, int]]:
    """module → {module of the same packages it imports: first line}; a name inside a module
    counts as an import of that module."""
    paths = {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    paths = {name: p for name, p in paths.items() if "migrations" not in p.parts}

    def owner(name: str) -> str:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, dict[str, int]] = {}
    for module, path in paths.items():
        edges = graph.setdefault(module, {})
        for name, line in imported_names(path, root):
            target = owner(name)
            if target and target != module:
                edges.setdefault(target, line)
    return graph


def import_cycles(graph: dict[str, dict[str, int]]) -> list[frozenset[str]]:
    """The groups of modules that reach each other through imports (each a cycle or more)."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo += graph.get(module, {})
        return seen

    reach = {module: reachable(module) for module in graph}
    groups = {
        frozenset({m} | {n for n in reach[m] if m in reach[n]}) for m in graph if m in reach[m]
    }
    return sorted(groups, key=sorted)


@pytest.mark.parametrize("path", python_files("agent"), ids=str)
def test_agent_imports_nothing_from_the_control_plane(path):
    assert not imported_roots(path) & {"core", "web"}


@pytest.mark.parametrize("path", python_files("core"), ids=str)
def test_core_has_no_web_imports(path):
    assert not imported_roots(path) & {"web", "litestar"}


@pytest.mark.parametrize("path", python_files("core"), ids=str)
def test_core_takes_only_the_protocol_from_the_agent(path):
    from_agent = [
        f"{name} (line {line})"
        for name, line in imported_names(path)
        if name.split(".")[0] == "agent"
        and not (name + ".").startswith("agent.protocol.")
        # agent/__init__.py holds only the version string (the agent image's tag), and it runs
        # on any import of agent.protocol anyway
        and name != "agent.__version__"
    ]
    assert not from_agent, "core/ may import agent.protocol only"


# Import cycles in core/ and agent/ found when this check arrived (issue 15), each the group of
# modules that reach each other. Do not add to it: break a new cycle instead. The list may only
# shrink: when a group gets smaller or goes away, the test fails until the list says so too.
KNOWN_CYCLES: list[set[str]] = []


def describe(group: frozenset[str], graph: dict[str, dict[str, int]]) -> str:
    return "\n".join(
        f"  {a} imports {b} (line {line})"
        for a in sorted(group)
        for b, line in graph[a].items()
        if b in group
    )


def test_no_import_cycles_in_core_and_agent_beyond_the_known_ones():
    graph = import_graph(["core", "agent"])
    found = import_cycles(graph)
    known = [frozenset(group) for group in KNOWN_CYCLES]
    new = [group for group in found if not any(group <= old for old in known)]
    assert not new, "new import cycle(s):\n" + "\n\n".join(describe(g, graph) for g in new)
    listed = [sorted(group) for group in found]
    assert sorted(found, key=sorted) == sorted(known, key=sorted), (
        f"a known cycle shrank or is gone: set KNOWN_CYCLES to {listed}"
    )


def test_the_cycle_check_sees_imports_in_functions_and_type_only_ones(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    (package / "c.py").write_text("from pkg.a import f\n")
    graph = import_graph(["pkg"], root=tmp_path)
    assert import_cycles(graph) == [frozenset({"pkg.a", "pkg.b"})]


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
