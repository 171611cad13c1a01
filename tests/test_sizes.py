"""Sizes in graph/: a module over 500 lines or a function over 80 lines says why in its module docstring,
on a line of its own: ``Long module: <reason>`` or ``Long function ``name``: <reason>`` (``name`` as
``function`` or ``Class.method``).

A module counts all its lines. A function counts its own lines: its docstring is not counted, nor
the functions and classes defined inside it, which are measured on their own (a ``register()``
holding a module's click commands is as long as its commands, each one measured)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
_REASON = re.compile(r"^\s*Long (module|function ``(?P<name>[\w.]+)``): (?P<why>\S.*)$")


def _own_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of ``fn`` less its docstring and the functions and classes defined in it."""
    n = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1

    def nested(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield child.end_lineno - min([child.lineno, *(d.lineno for d in child.decorator_list)]) + 1
            else:
                yield from nested(child)

    return n - sum(nested(fn))


def _long_parts(text: str) -> tuple[int, list[tuple[str, int]]]:
    """``(lines of the module, [(qualified name, lines) of each function over MAX_FUNCTION_LINES])``."""
    found = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                n = _own_lines(child)
                if n > MAX_FUNCTION_LINES:
                    found.append((name, n))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(text), "")
    return len(text.splitlines()), found


def _reasons(text: str) -> tuple[bool, set[str]]:
    """Whether the module docstring gives a reason for the module's length, and the functions it gives one for."""
    doc = ast.get_docstring(ast.parse(text)) or ""
    module, functions = False, set()
    for line in doc.splitlines():
        m = _REASON.match(line)
        if m and m.group("name"):
            functions.add(m.group("name"))
        elif m:
            module = True
    return module, functions


def test_the_size_checker_sees_long_functions_and_reasons():
    body = "\n".join(f"        x{i} = {i}" for i in range(81))
    text = f'"""A module.\n\nLong function ``C.f``: a planted one.\n"""\n\n\nclass C:\n    def f(self):\n{body}\n'
    assert _long_parts(text)[1] == [("C.f", 82)]
    doc = '    """' + "\n".join(["x"] * 90) + '"""\n'
    inner = "\n".join(f"        y{i} = {i}" for i in range(81))
    text2 = f"def g():\n{doc}    def h():\n{inner}\n    return h\n"
    assert _long_parts(text2)[1] == [("g.h", 82)]  # g's docstring and g.h do not make g long
    assert _reasons(text) == (False, {"C.f"})
    assert _reasons('"""A module.\n\nLong module: it is.\n"""\n') == (True, set())
    assert _reasons('"""A module.\n\nLong function ``f``:\n"""\n') == (False, set())  # a reason must be written


def test_long_modules_and_functions_say_why():
    missing = []
    for path in sorted((ROOT / "graph").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines, functions = _long_parts(text)
        module_ok, explained = _reasons(text)
        rel = path.relative_to(ROOT).as_posix()
        if lines > MAX_MODULE_LINES and not module_ok:
            missing.append(f"{rel}: {lines} lines (add 'Long module: <why>' to its docstring, or split it)")
        missing += [f"{rel}: function {name} has {n} lines (add 'Long function ``{name}``: <why>', or split it)"
                    for name, n in functions if name not in explained]
    assert not missing, "\n".join(missing)
