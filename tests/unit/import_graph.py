"""The import graph of the project's Python packages, read from their source with ``ast``.

Every ``import`` counts, wherever it stands: at the top of a module, inside a function, or under
``if TYPE_CHECKING:``. A module imports the modules it names and the packages holding them
(importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first).

``python tests/unit/import_graph.py`` prints the import cycles and the edges that break the
layering (see ``tests/unit/test_import_graph.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "api", "workers", "cli")
#: Generated migration scripts: loaded by Alembic, imported by nothing.
SKIPPED = ("ledger/schema/migrations/versions/",)

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of :data:`PACKAGES` by its dotted name (a package by its own name)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(SKIPPED):
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _named(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement may refer to (modules or names inside them)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            if not is_package:
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            origin = ".".join([*base, node.module] if node.module else base)
        else:
            origin = node.module or ""
        yield origin
        for alias in node.names:
            yield f"{origin}.{alias.name}"


def _with_parents(name: str, modules: Mapping[str, Path]) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            yield candidate


def import_graph(modules: Mapping[str, Path] | None = None) -> Graph:
    """Module -> the project modules it imports."""
    modules = module_files() if modules is None else modules
    graph: Graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for named in _named(node, name, is_package):
                    targets.update(_with_parents(named, modules))
        # A module's own packages run before it: they are no import of it.
        graph[name] = {
            target for target in targets if target != name and not name.startswith(target + ".")
        }
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def imports_inside_functions(modules: Mapping[str, Path] | None = None) -> list[str]:
    """``module:line imported`` for each import of a project module inside a function."""
    modules = module_files() if modules is None else modules
    found: list[str] = []
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    targets = {
                        target
                        for named in _named(node, name, is_package)
                        for target in _with_parents(named, modules)
                        if not name.startswith(target + ".")
                    }
                    if targets:
                        found.append(f"{name}:{node.lineno} {', '.join(sorted(targets))}")
    return found


def one_cycle(graph: Mapping[str, set[str]], component: Iterable[str]) -> list[str]:
    """One closed path through ``component`` (for a readable failure message)."""
    members = set(component)
    start = min(members)
    path = [start]
    seen = {start}
    node = start
    while True:
        nxt = min(target for target in graph[node] if target in members)
        if nxt in seen:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)
        seen.add(nxt)
        node = nxt


if __name__ == "__main__":
    graph = import_graph()
    for component in cycles(graph):
        print(f"{len(component)} modules: {' -> '.join(one_cycle(graph, component))}")
        print("   ", ", ".join(component))
