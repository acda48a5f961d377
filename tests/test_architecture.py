"""The module graph of src/topicbook: no import cycle, and no stage imports a later stage.

Imports are read with `ast`, at module level and inside functions (an import placed inside a
function to dodge a cycle is still an arrow); only `if TYPE_CHECKING:` blocks are skipped.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "topicbook"

# The data flow (README, "Architecture"): a module may import its own layer or an earlier one.
LAYERS = [
    {"topicbook", "errors", "ids", "pairing", "files", "progress", "languages", "config", "safezip", "names", "chars", "spreadsheet",
     "logs", "interrupts", "threads", "heap", "workers"},
    {"ingest"},
    {"deidentify", "segment"},
    {"preprocess", "cache"},
    {"codes", "qdc", "codebook", "codebook_formats"},
    {"models"},
    {"summarize", "cooccurrence", "evaluate", "stability"},
    {"align", "scoring", "sampling", "codings", "metrics", "learning", "intrusion", "verdicts", "agreement"},
    {"results"},
    {"report"},
    {"pipeline", "sweep", "export", "init", "validation", "suggestions", "decisions"},
    {"cli"},
]


def module_name(path: Path) -> str:
    parts = ["topicbook", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The topicbook modules `path` imports (a `from package import name` names the submodule
    when there is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in modules and m != here}


@cache
def module_graph() -> dict[str, set[str]]:
    files = sorted(SRC.rglob("*.py"))
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def layer_of(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "topicbook"
    for i, layer in enumerate(LAYERS):
        if key in layer:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS; add it where it belongs in the data flow")


def test_the_graph_is_read_from_the_sources() -> None:
    graph = module_graph()
    assert "topicbook.report.run_folder" in graph["topicbook.export"]
    assert "topicbook.pipeline" in graph["topicbook.cli"]  # imported inside the command functions


def test_find_cycle_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_module_graph_has_no_cycle() -> None:
    assert find_cycle(module_graph()) is None


@pytest.mark.parametrize("module", sorted(module_graph()))
def test_no_module_imports_a_later_stage(module: str) -> None:
    later = sorted(m for m in module_graph()[module] if layer_of(m) > layer_of(module))
    assert later == [], f"{module} imports later stages: {later}"
