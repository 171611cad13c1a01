"""The import graph of govkg read with ``ast``: its modules, and the govkg modules each imports (imports
inside functions too), shared by tests/test_imports.py and tests/test_architecture.py."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

__all__ = ["ROOT", "PACKAGES", "Import", "module_name", "modules", "imports", "edges", "private_names_used"]

ROOT = Path(__file__).resolve().parent.parent
#: Folder -> package, as pyproject.toml's package-dir maps them.
PACKAGES = {"graph": "govkg", "visualize": "govkg.visualize", "ontology": "govkg.ontology", "data": "govkg.data"}


class Import(NamedTuple):
    """One import of a govkg module: the module, the names taken from it, the line, whether it runs
    inside a function (when the function is called) rather than when the module is loaded, and the
    name it binds to the module itself (``model`` for ``from . import model``; else None)."""

    target: str
    names: list[str]
    line: int
    in_function: bool
    alias: str | None = None


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` (a file of one of ``PACKAGES``' folders)."""
    folder = path.relative_to(ROOT).parts[0]
    parts = [PACKAGES[folder], *path.relative_to(ROOT / folder).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(folders=tuple(PACKAGES)) -> dict[str, Path]:
    """``{dotted name: file}`` of every module of ``folders``."""
    found = {}
    for folder in folders:
        for p in sorted((ROOT / folder).rglob("*.py")):
            found[module_name(p)] = p
    return found


def _nodes(tree: ast.AST):
    """``(node, inside a function)`` for every node of ``tree``."""
    todo = [(tree, False)]
    while todo:
        node, inside = todo.pop()
        yield node, inside
        deeper = inside or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        todo += [(child, deeper) for child in ast.iter_child_nodes(node)]


def imports(name: str, path: Path, known: dict) -> list[Import]:
    """Every import of a module of ``known`` in the module ``name`` at ``path``, in the order of the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node, inside in _nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [Import(a.name, [], node.lineno, inside, a.asname) for a in node.names if a.name in known]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            out += [Import(f"{target}.{a.name}", [], node.lineno, inside, a.asname or a.name)
                    for a in node.names if f"{target}.{a.name}" in known]
            taken = [n for n in names if f"{target}.{n}" not in known]
            if target in known and (taken or not subs):  # ``from . import sub`` imports only the submodule
                out.append(Import(target, taken, node.lineno, inside))
    return sorted(out, key=lambda i: (i.line, i.target))


def edges() -> dict[str, set[str]]:
    """``{module: the other govkg modules it imports}`` over every module."""
    known = modules()
    return {m: {i.target for i in imports(m, p, known) if i.target != m} for m, p in known.items()}


def private_names_used(name: str, path: Path, known: dict) -> list[tuple[str, int]]:
    """``(module.name, line)`` of every private name (``_x``, not ``__x__``) the module ``name`` takes from
    another govkg module: imported from it, or read as an attribute of it (``model._x`` after
    ``from . import model``)."""
    found, aliases = [], {}
    for i in imports(name, path, known):
        if i.target == name:
            continue
        found += [(f"{i.target}.{n}", i.line) for n in i.names if n.startswith("_") and not n.startswith("__")]
        if i.alias:
            aliases[i.alias] = i.target
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            found.append((f"{aliases[node.value.id]}.{node.attr}", node.lineno))
    return found
