"""The package reads as its data flows: each stage of ``sim/`` imports only the stages before it.

Stages, in order: ``inputs`` -> ``model`` -> ``analysis`` -> ``experiments`` -> ``outputs`` ->
``app``, and the command line (the ``sim/cli/`` package) on top. Every import counts, at the
top of a module or inside a function, under ``TYPE_CHECKING`` or not: each is a dependency a
reader has to follow. Imports are read from the source with ``ast``, so nothing is imported to
test it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sim"
STAGES = ("inputs", "model", "analysis", "experiments", "outputs", "app", "cli")
"""The stages in the order the data flows; ``cli`` (the command line) sits on top of all of them."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int | None:
    """The stage index of a ``sim`` module; ``None`` for the package itself."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    top = parts[1]
    if top in STAGES:
        return STAGES.index(top)
    raise AssertionError(f"{module}: not in a stage folder ({', '.join(STAGES)}); find its floor first")


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The ``sim`` modules that ``module`` imports (a name imported from a package counts as its module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import sim.inputs.config as c` and the like
                target = target.rpartition(".")[0]
            if target.startswith("sim") and target != module:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_import_reader_sees_relative_and_absolute_imports():
    graph = import_graph()
    assert "sim.inputs.config" in graph["sim.inputs.costing"]  # from .config import ...
    assert any(m.startswith("sim.inputs.") for m in graph["sim.model.pathway"])  # from ..inputs.config import
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_each_stage_imports_only_earlier_stages():
    backwards = []
    for module, targets in import_graph().items():
        own = stage_of(module)
        for target in sorted(targets):
            theirs = stage_of(target)
            if own is not None and theirs is not None and theirs > own:
                backwards.append(f"{module} ({STAGES[own]}) imports {target} ({STAGES[theirs]})")
    assert not backwards, "imports against the flow of data:\n" + "\n".join(backwards)


def test_no_import_circle():
    """No module imports one that imports it back, however far round (issue 21 broke the last two:
    sim/cli.py <-> sim/cli_business.py, and sim/experiments/runner.py <-> checkpoint.py <-> executors.py)."""
    found = [sorted(c) for c in circles(import_graph())]
    assert not found, f"import circles (a type or a helper is on the wrong side): {found}"
