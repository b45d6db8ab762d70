"""Every route that answers 202 hands its operation over through the one function that
commits, enqueues and abandons the operation if the broker cannot take it
(``operations.commit_and_enqueue``, tested in tests/engine/test_commit_and_enqueue.py); none
commits or enqueues by itself."""

from __future__ import annotations

import ast
from pathlib import Path

from ledger.core.settings import PROJECT_ROOT

ROUTES = PROJECT_ROOT / "api/routes"
DEPS = PROJECT_ROOT / "api/deps.py"
HANDOVER = "operations.commit_and_enqueue"
FORBIDDEN = ("session.commit", "dispatcher.enqueue", "operations.submit", "operations.execute")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(path: Path) -> dict[str, Function]:
    tree = ast.parse(path.read_text())
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _called(function: Function) -> set[str]:
    return {ast.unparse(c.func) for c in ast.walk(function) if isinstance(c, ast.Call)}


def _answers_202(function: Function) -> bool:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "status_code":
                    value = ast.unparse(keyword.value)
                    if "ACCEPTED" in value or "202" in value:
                        return True
    return False


def _hands_over(name: str, local: dict[str, Function], seen: set[str]) -> bool:
    """Whether calling ``name`` reaches commit_and_enqueue (through this module's helpers or
    ``api.deps.accepted``)."""
    if name in seen:
        return False
    seen.add(name)
    if name == "accepted":
        return HANDOVER in _called(_functions(DEPS)["accepted"])
    function = local.get(name)
    if function is None:
        return False
    calls = _called(function)
    return HANDOVER in calls or any(_hands_over(call, local, seen) for call in calls)


def test_every_202_route_hands_its_operation_over_through_commit_and_enqueue() -> None:
    routes: list[str] = []
    for path in sorted(ROUTES.glob("*.py")):
        local = _functions(path)
        for name, function in local.items():
            if not _answers_202(function):
                continue
            routes.append(f"{path.stem}.{name}")
            where = f"api/routes/{path.name}: {name}"
            assert _hands_over(name, local, set()), f"{where} does not use commit_and_enqueue"
            own = _called(function)
            assert not [c for c in own if c.endswith(FORBIDDEN)], f"{where} commits by itself"
    # the market, settlement, P2P and registration routes are all found
    assert {r.split(".")[0] for r in routes} >= {"market", "settlement", "p2p", "pods", "uvams"}
    assert len(routes) >= 45, routes
