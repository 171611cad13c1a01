"""Shared fixtures: the bundled graph, the source text when at hand, and scratch data folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SOURCE_TEXT = ROOT.parent / "shared" / "sources" / "haikou-grassroots-governance-demo-sites.zh.txt"


@pytest.fixture(scope="session")
def graph():
    """The whole bundled graph (ontology + data), compiled once per session. Do not mutate."""
    import govkg

    return govkg.build_graph(DATA)


@pytest.fixture(scope="session")
def store(graph):
    """The bundled graph in an Oxigraph store."""
    from govkg.query import to_store

    return to_store(graph)


@pytest.fixture(scope="session")
def source_text():
    """The text of the first report, when ../shared/sources/ is at hand (it is in CI)."""
    if not SOURCE_TEXT.is_file():
        pytest.skip(f"source text not at hand: {SOURCE_TEXT}")
    return SOURCE_TEXT.read_text(encoding="utf-8")


@pytest.fixture
def data_copy(tmp_path):
    """A scratch copy of the bundled data folder (tmp/project/data), safe to break."""
    dst = tmp_path / "project" / "data"
    shutil.copytree(DATA, dst)
    return dst


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """A scratch copy of the data folder with a fresh build beside it (commands load the build
    instead of compiling). Commands run on it must not change it."""
    from click.testing import CliRunner

    from govkg.cli import cli

    dst = tmp_path_factory.mktemp("built") / "data"
    shutil.copytree(DATA, dst)
    r = CliRunner().invoke(cli, ["--data", str(dst), "build"])
    assert r.exit_code == 0, r.output
    return dst


@pytest.fixture
def sources_dirs():
    """Where the build looks for source texts in tests."""
    return [SOURCE_TEXT.parent] if SOURCE_TEXT.is_file() else []


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for var in ("GOVKG_DATA", "GOVKG_SOURCES"):
        monkeypatch.delenv(var, raising=False)
    yield
