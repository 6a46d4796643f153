"""The apps depend one way, and no module imports itself back through another.

    audit  <-  cables  <-  redaction  <-  workflow  <-  releases  <-  api

An app imports only the apps to its left (a model's foreign key named by string
counts as an import).  A lower app that must start higher work sends a signal
(``cables.signals``) or queues a task by name (``config.celery.queue_task``).
``config`` is the floor every app may stand on (settings, the Celery app, logging),
except its URLconf and WSGI entry, which stand on top of everything.

Every import counts, including those inside functions: an import hidden in a
function to dodge a circle is still a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ["audit", "cables", "redaction", "workflow", "releases", "api"]
TOP = {"config.urls", "config.wsgi"}  # may import every app
RANK = {app: n for n, app in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module (or package), dotted
    line: int


def project_modules() -> dict[str, Path]:
    modules = {}
    for top in [*LAYERS, "config"]:
        for path in (REPO / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Import(module, sub if sub in known else base, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # "app.Model" in a foreign key is a dependency like any import.
            app, dot, name = node.value.partition(".")
            if dot and app in RANK and name[:1].isupper() and name.isidentifier():
                yield Import(module, f"{app}.models", node.lineno)


def all_imports() -> list[Import]:
    modules = project_modules()
    known = set(modules)
    return [imp for mod, path in modules.items() for imp in imports_of(mod, path, known)]


def layer(module: str) -> int | None:
    """The module's rank; None for what stands outside the layers (config's top)."""
    if module in TOP:
        return None
    top = module.split(".")[0]
    if top == "config":
        return -1
    return RANK.get(top)


def upward(imports: list[Import]) -> list[str]:
    found = []
    for imp in imports:
        source, target = layer(imp.module), layer(imp.target)
        if source is None or target is None:
            if target is None and source is not None and imp.target.split(".")[0] in RANK:
                found.append(f"{imp.module}:{imp.line} imports {imp.target}")
            continue
        if target > source:
            found.append(f"{imp.module}:{imp.line} imports {imp.target}")
    return found


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of project modules (Tarjan), largest first."""
    known = set(project_modules())
    graph: dict[str, set[str]] = {m: set() for m in known}
    for imp in imports:
        if imp.target in known and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


def test_apps_are_installed_in_layer_order():
    from django.conf import settings

    project_apps = [app for app in settings.INSTALLED_APPS if app in RANK]
    assert project_apps == LAYERS


def test_no_app_imports_an_app_above_it():
    assert upward(all_imports()) == []


def test_no_module_imports_itself_back():
    assert cycles(all_imports()) == []


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        ("cables.ingest", "from workflow import permissions", "cables.ingest:1 imports workflow"),
        ("redaction.dry_run", "def f():\n    import releases.models", "redaction.dry_run:2"),
        ("cables.models", "x = 'workflow.SweepRun'", "cables.models:1 imports workflow.models"),
        ("config.celery", "from cables import tasks", "config.celery:1 imports cables"),
    ],
)
def test_the_check_sees_upward_imports(tmp_path, module, code, expected):
    """The checks themselves would fail on an upward import, however it is written."""
    path = tmp_path / "m.py"
    path.write_text(code)
    found = upward(list(imports_of(module, path, set(project_modules()))))
    assert found and found[0].startswith(expected)


def test_the_check_sees_a_circle():
    a = Import("workflow.sweep", "workflow.tasks", 1)
    b = Import("workflow.tasks", "workflow.sweep", 1)
    assert ["workflow.sweep", "workflow.tasks"] in cycles([a, b])
