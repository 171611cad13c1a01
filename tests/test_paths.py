"""One default build folder rule (govkg.paths.default_build_dir) for the library, the server and the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from govkg.cli import cli
from govkg.paths import default_build_dir

ROOT = Path(__file__).resolve().parent.parent


def test_the_cli_default_is_the_library_rule(data_copy, monkeypatch):
    seen = {}

    @cli.command("_show-build-dir", hidden=True)
    def _show():  # a throwaway command that reports what the group chose
        import click

        seen["build_dir"] = click.get_current_context().obj["build_dir"]

    try:
        r = CliRunner().invoke(cli, ["--data", str(data_copy), "_show-build-dir"])
    finally:
        cli.commands.pop("_show-build-dir")
    assert r.exit_code == 0, r.output
    assert seen["build_dir"] == default_build_dir(data_copy, command=True) == data_copy.parent / "build"


def test_no_other_module_decides_where_a_build_goes():
    """``… / "build"`` is written in paths.py only (grep for the rule finds one place)."""
    places = []
    for folder in ("graph", "visualize"):
        for p in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                        and isinstance(node.right, ast.Constant) and node.right.value == "build"):
                    places.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert places and all(p.startswith("graph/paths.py:") for p in places), places
