"""The type checker on the package: mypy, with pyproject.toml's ``[tool.mypy]`` settings, on govkg as it
is installed (graph/ as govkg, visualize/ as govkg.visualize, ...), must find no error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Folder of the checkout -> where it sits in the package (pyproject.toml's package-dir).
LAYOUT = {"graph": "govkg", "visualize": "govkg/visualize", "ontology": "govkg/ontology", "data": "govkg/data"}


def _package_tree(where: Path) -> Path:
    """``where/govkg``: the package as installed, made of symbolic links to the checkout's files.

    mypy finds modules by folder name and cannot follow setuptools' editable-install finder,
    which maps ``govkg`` onto graph/; the links give it the installed layout."""
    top = where / "govkg"
    top.mkdir()
    for entry in (ROOT / "graph").iterdir():
        (top / entry.name).symlink_to(entry)
    for folder, target in LAYOUT.items():
        if folder != "graph":
            (where / target).symlink_to(ROOT / folder)
    return top


def _mypy(where: Path) -> subprocess.CompletedProcess:
    _package_tree(where)
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run([sys.executable, "-m", "mypy", "-p", "govkg", "--config-file", str(ROOT / "pyproject.toml"),
                           "--cache-dir", str(where / ".mypy_cache"), "--no-error-summary", "--show-error-codes"],
                          cwd=where, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_package_passes_the_type_checker(tmp_path):
    res = _mypy(tmp_path)
    out = res.stdout.replace("govkg/visualize/", "visualize/").replace("govkg/", "graph/")
    assert res.returncode == 0 and not res.stderr.strip(), f"mypy found errors:\n{out}{res.stderr}"


def test_the_type_checker_reports_a_planted_error(tmp_path):
    """The settings leave the check live: a module that breaks a declared type fails it, named with its line."""
    (tmp_path / "planted.py").write_text('"""A planted type error."""\n\nn: int = "one"\n', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "mypy", "planted.py", "--config-file", str(ROOT / "pyproject.toml"),
                          "--cache-dir", str(tmp_path / ".mypy_cache")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 1
    assert 'planted.py:3: error: Incompatible types in assignment' in res.stdout


def test_the_package_is_marked_typed():
    """PEP 561: graph/py.typed ships with the package, so other projects' checkers read our annotations."""
    assert (ROOT / "graph" / "py.typed").is_file()
    assert '"py.typed"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
