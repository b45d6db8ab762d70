"""The project's modules import each other without cycles, and along the layers of
``docs/architecture.md``: the core imports no capability, a capability imports the core and the
capabilities it declares below. Every import counts, including one inside a function or under
``if TYPE_CHECKING:`` (a cycle dodged that way is still a cycle)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.import_graph import (
    cycles,
    import_graph,
    imports_inside_functions,
    module_files,
    one_cycle,
)

#: The shared core: chain, database, operations engine, runtime. ``ledger.payloads`` (the
#: payload model of each kind, checked by the engine when an operation is accepted) sits with it.
CORE = ("ledger.core", "ledger.payloads")

#: Each capability and the capabilities it may import (besides the core and itself).
CAPABILITIES: dict[str, set[str]] = {
    "ledger.registry": set(),
    # The market freezes the settlement terms of a need's awards (settlement.terms.award_terms).
    "ledger.market": {"ledger.registry", "ledger.settlement"},
    "ledger.measurements": {"ledger.registry", "ledger.market"},
    "ledger.settlement": {"ledger.registry", "ledger.market", "ledger.measurements"},
    "ledger.p2p": {"ledger.registry"},
    "ledger.uftp": {"ledger.registry", "ledger.market", "ledger.settlement"},
    "ledger.indexer": set(),
}
#: The one ``Settings`` object holds each capability's own settings model: the core's settings
#: module may import these (and only it).
SETTINGS_PARTS = {"ledger.core.settings": {"ledger.market", "ledger.market.config"}}

# Everything else composes the capabilities and may import any of them, and none of them may
# import it: ledger.capabilities (the handler table), ledger.schema (every table, for Alembic),
# ledger.dashboard, ledger.audit, ledger.baseline_eval, and api, workers, cli.


def _package(module: str) -> str | None:
    for package in (*CORE, *CAPABILITIES):
        if module == package or module.startswith(package + "."):
            return package
    return None


def _allowed(package: str) -> set[str]:
    if package in CORE:
        return set(CORE)
    return {*CORE, package, *CAPABILITIES[package]}


def layering_breaches(graph: dict[str, set[str]]) -> list[str]:
    breaches = []
    for module, targets in sorted(graph.items()):
        package = _package(module)
        if package is None:
            continue
        allowed = _allowed(package)
        parts = SETTINGS_PARTS.get(module, set())
        breaches += [
            f"{module} -> {target}"
            for target in sorted(targets)
            if _package(target) not in allowed and target not in parts
        ]
    return breaches


def test_the_graph_is_read_from_every_package() -> None:
    graph = import_graph()
    assert "ledger.core.runtime" in graph
    assert "api.app" in graph
    assert "workers.tasks" in graph
    assert "cli.main" in graph
    assert graph["ledger.core.runtime"] >= {"ledger.core.handler", "ledger.core.settings"}


def test_an_import_inside_a_function_counts(tmp_path: Path) -> None:
    package = tmp_path / "ledger"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from ledger import b\n")
    (package / "b.py").write_text("def late():\n    from ledger.a import x\n")
    graph = import_graph(module_files(tmp_path))
    assert cycles(graph) == [["ledger.a", "ledger.b"]]
    assert imports_inside_functions(module_files(tmp_path)) == ["ledger.b:2 ledger.a"]


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        " -> ".join(one_cycle(graph, component)) for component in found
    )


def test_a_layer_imports_only_the_layers_below_it() -> None:
    assert layering_breaches(import_graph()) == []


def test_the_core_importing_a_capability_is_a_breach() -> None:
    graph = {"ledger.core.operations": {"ledger.market.bids"}, "ledger.market.bids": set()}
    assert layering_breaches(graph) == ["ledger.core.operations -> ledger.market.bids"]


def test_no_ledger_module_imports_another_inside_a_function() -> None:
    """A late import hides a dependency (often one that would close a cycle)."""
    found = [entry for entry in imports_inside_functions() if entry.startswith("ledger.")]
    assert found == []
