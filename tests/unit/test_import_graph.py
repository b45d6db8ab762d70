"""The project's modules import each other without cycles: every import counts, including one
inside a function or under ``if TYPE_CHECKING:`` (a cycle dodged that way is still a cycle)."""

from __future__ import annotations

from tests.unit.import_graph import cycles, import_graph, module_files, one_cycle


def test_the_graph_is_read_from_every_package() -> None:
    graph = import_graph()
    assert "ledger.core.runtime" in graph
    assert "api.app" in graph
    assert "workers.tasks" in graph
    assert "cli.main" in graph
    assert graph["ledger.core.runtime"] >= {"ledger.core.handler", "ledger.core.settings"}


def test_an_import_inside_a_function_counts(tmp_path) -> None:
    package = tmp_path / "ledger"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from ledger import b\n")
    (package / "b.py").write_text("def late():\n    from ledger.a import x\n")
    graph = import_graph(module_files(tmp_path))
    assert cycles(graph) == [["ledger.a", "ledger.b"]]


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        " -> ".join(one_cycle(graph, component)) for component in found
    )
