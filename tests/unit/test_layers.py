"""The import graph of the project's own modules: layers point one way, and no module imports itself back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "ingest", "vectorstore")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every import of every module (at the top, inside functions, under TYPE_CHECKING alike)."""
    files = [ROOT / "ui.py", *(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets.add(node.module)
                targets.update(f"{node.module}.{a.name}" for a in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph, if it has one (depth-first search); package __init__ re-exports are not edges back."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt in PACKAGES:  # `from ingest import x` reads the package's re-exports, not a module
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_back():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_layers_point_one_way():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith(("ingest", "vectorstore")):
            assert not {t for t in targets if t.startswith(("assistant", "ui"))}, f"{name} imports a layer above it"
        if name.startswith("assistant") and name != "assistant.cli":  # the CLI hands `article-qa ui` over
            assert "ui" not in targets, f"{name} imports the window"
    assert "assistant.cli" not in graph["ui"], "the window never imports the command line"
    assert "assistant.api" not in graph["assistant.chain"], "the LangChain wiring takes the pieces, not the facade"
