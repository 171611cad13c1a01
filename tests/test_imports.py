"""The import graph of govkg, read with ``ast`` (imports inside functions count too): no import cycle
and no private name imported from another module, except those listed below with their reason (none now)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Folder -> package, as pyproject.toml's package-dir maps them.
PACKAGES = {"graph": "govkg", "visualize": "govkg.visualize", "ontology": "govkg.ontology", "data": "govkg.data"}

#: Cycles that are known and not yet broken, each a set of modules, with why it stays this round.
#: A cycle found must be one of these or a part of one; any other cycle (or a known one that grows) fails.
KNOWN_CYCLES: dict[frozenset, str] = {}

#: Private names imported from another module that are known, with why they stay this round.
KNOWN_PRIVATE: dict[str, str] = {}


def _module_name(path: Path) -> str:
    folder = path.relative_to(ROOT).parts[0]
    parts = [PACKAGES[folder], *path.relative_to(ROOT / folder).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for folder in PACKAGES:
        for p in sorted((ROOT / folder).rglob("*.py")):
            found[_module_name(p)] = p
    return found


def _imports(name: str, path: Path, modules: dict) -> list[tuple[str, list[str], int]]:
    """``(module imported, names taken from it, line)`` for every import of a govkg module in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            out += [(s, [], node.lineno) for s in subs]
            taken = [n for n in names if f"{target}.{n}" not in modules]
            if target in modules and (taken or not subs):  # ``from . import sub`` imports only the submodule
                out.append((target, taken, node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: {t for t, _n, _l in _imports(m, p, modules) if t != m} for m, p in modules.items()}


def _cycles(edges: dict[str, set[str]]) -> list[frozenset]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_cycles_and_only_them():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_imports_inside_functions():
    edges = _graph()
    assert "govkg.query" in edges["govkg.counts"]  # counts.counts imports run_query in the function
    assert "govkg.draft.decisions" in edges["govkg.draft.accept"]


def test_no_new_import_cycle():
    new = [sorted(c) for c in _cycles(_graph()) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"import cycles (imports inside functions count): {new}"


def test_no_new_private_import_across_modules():
    modules = _modules()
    found = {}
    for m, p in modules.items():
        for target, names, line in _imports(m, p, modules):
            for n in names:
                if n.startswith("_") and not n.startswith("__") and target != m:
                    found[f"{target}.{n}"] = f"{p.relative_to(ROOT)}:{line}"
    new = {k: v for k, v in found.items() if k not in KNOWN_PRIVATE}
    assert not new, f"private names imported from another module (give them a public name): {new}"
