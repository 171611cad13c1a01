"""The read commands answer from the build's store (issue 17 item 2): the same output as from the whole graph, nothing parsed."""

from __future__ import annotations

import sys

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

import govkg
from govkg.build import build
from govkg.cli import cli


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A scratch copy of the bundled data, built (the build's store, index and evidence beside it)."""
    import shutil

    from conftest import DATA

    root = tmp_path_factory.mktemp("readers")
    data = root / "data"
    shutil.copytree(DATA, data)
    build(data, root / "build")
    (root / "nobuild").mkdir()
    return data, root


def _run(data, *args, build_dir=None):
    extra = ["--build-dir", str(build_dir)] if build_dir is not None else []
    r = CliRunner().invoke(cli, ["--data", str(data), *extra, *args])
    assert r.exit_code in (0, 1), (r.exit_code, r.stderr, r.exception)
    return r.exit_code, r.stdout


COMMANDS = [
    ("outcomes",), ("outcomes", "--site", "高新社区", "-f", "json"), ("outcomes", "--mechanism", "议事", "-f", "csv"),
    ("outcomes", "--kind", "mediation", "--lang", "en"), ("outcomes", "--site", "nowhere"),
    ("cite", "高新社区"), ("cite", "“椰智荟”议事堂", "-f", "bibtex"),
    ("cite", "source/haikou-jicengzhili-shifandian-2024", "-f", "csl-json"), ("cite", "no such node"),
    ("validate",), ("validate", "--json"),
    ("export", "-f", "nt"), ("export", "-f", "turtle"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_command_from_the_store_answers_as_from_the_graph(built, monkeypatch, args):
    data, root = built
    old = _run(data, *args, build_dir=root / "nobuild")  # no build there: compiled in memory, as before
    module = sys.modules["govkg.build"]
    for name in ("load_graph", "build_graph"):
        monkeypatch.setattr(module, name, lambda *a, **k: pytest.fail("the whole graph was loaded"))
    new = _run(data, *args)
    assert new == old


def _written(data, fmt, out, build_dir=None):
    code, text = _run(data, "export", "-f", fmt, "-o", str(out), build_dir=build_dir)
    assert code == 0, text
    return sorted(p for p in out.parent.iterdir())


@pytest.mark.parametrize("fmt,suffix", [("graphml", "graphml"), ("gexf", "gexf"), ("csv", "csv"), ("qca", "csv")])
def test_network_exports_from_the_store_are_the_same_files(built, tmp_path, monkeypatch, fmt, suffix):
    data, root = built
    old = _written(data, fmt, tmp_path / "old" / f"x.{suffix}", build_dir=root / "nobuild")
    monkeypatch.setattr(sys.modules["govkg.build"], "load_graph", lambda *a, **k: pytest.fail("graph loaded"))
    monkeypatch.setattr(Graph, "parse", lambda *a, **k: pytest.fail("graph parsed"))
    new = _written(data, fmt, tmp_path / "new" / f"x.{suffix}")
    assert [p.name for p in old] == [p.name for p in new]
    for a, b in zip(old, new):
        assert a.read_bytes() == b.read_bytes(), a.name
    if fmt == "graphml":
        G = nx.read_graphml(new[0])
        assert G.nodes["https://w3id.org/govkg/id/site/gaoxinshequ"]["label_zh"] == "高新社区"


@pytest.mark.parametrize("fmt", ["json-ld", "trig"])
def test_rdf_exports_are_isomorphic_to_the_graph(built, tmp_path, monkeypatch, fmt):
    data, root = built
    monkeypatch.setattr(sys.modules["govkg.build"], "load_graph", lambda *a, **k: pytest.fail("graph loaded"))
    code, text = _run(data, "export", "-f", fmt)
    assert code == 0
    monkeypatch.undo()
    whole = govkg.load_graph(data, root / "build")
    if fmt == "trig":
        ds = Dataset()
        ds.parse(data=text, format="trig")
        got = Graph()
        for t in ds.graph(URIRef("https://w3id.org/govkg/id/graph")):
            got.add(t)
    else:
        got = Graph().parse(data=text, format="json-ld")
    assert len(got) == len(whole) and isomorphic(got, whole)


def test_library_functions_take_the_opened_build(built):
    from govkg.analysis.outcomes import outcomes
    from govkg.cite import citation
    from govkg.convert import to_networkx
    from govkg.exports import to_csv, to_qca
    from govkg.report import report_blocks

    data, root = built
    g, h = govkg.load_graph(data, root / "build"), govkg.open(root / "build")
    for kw in ({}, {"site": "江源村"}, {"mechanism": "椰智荟"}, {"kind": "grid"}):
        assert outcomes(h, **kw) == outcomes(g, **kw)
    assert citation(h, "Gaoxin Community") == citation(g, "Gaoxin Community")
    for lang in ("zh", "en"):
        assert report_blocks(h, lang) == report_blocks(g, lang)
    assert to_csv(h) == to_csv(g) and to_qca(h, level="specific") == to_qca(g, level="specific")
    a, b = to_networkx(h), to_networkx(g)
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(keys=True, data=True)) == list(b.edges(keys=True, data=True))


def test_report_from_the_store(built, tmp_path, monkeypatch):
    data, root = built
    old = tmp_path / "old.html"
    _run(data, "report", "-o", str(old), "--lang", "en", build_dir=root / "nobuild")
    monkeypatch.setattr(sys.modules["govkg.build"], "load_graph", lambda *a, **k: pytest.fail("graph loaded"))
    monkeypatch.setattr(Graph, "parse", lambda *a, **k: pytest.fail("graph parsed"))
    new = tmp_path / "new.html"
    code, text = _run(data, "report", "-o", str(new), "--lang", "en")
    assert code == 0, text
    assert new.read_bytes() == old.read_bytes()
    assert "Gaoxin Community" in new.read_text(encoding="utf-8")


VIEWS = [(), ("--view", "mechanisms"), ("--view", "full"), ("--view", "similarity", "--top-k", "2", "--lang", "en"),
         ("--focus", "椰智荟", "--depth", "2"), ("--view", "full", "--focus", "高新社区")]


@pytest.mark.parametrize("args", VIEWS, ids=[" ".join(a) or "matrix" for a in VIEWS])
def test_viz_from_the_store_is_the_same_page(built, tmp_path, monkeypatch, args):
    data, root = built
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    code, text = _run(data, "viz", *args, "-o", str(old), build_dir=root / "nobuild")
    assert code == 0, text
    monkeypatch.setattr(sys.modules["govkg.build"], "load_graph", lambda *a, **k: pytest.fail("graph loaded"))
    monkeypatch.setattr(Graph, "parse", lambda *a, **k: pytest.fail("graph parsed"))
    code, text2 = _run(data, "viz", *args, "-o", str(new))
    assert code == 0 and text2.replace(str(new), "") == text.replace(str(old), "")
    assert new.read_bytes() == old.read_bytes()


def test_figure_from_the_store_is_the_same_figure(built, tmp_path, monkeypatch):
    from govkg.visualize.figures import kind_matrix

    data, root = built
    old, new = tmp_path / "old.png", tmp_path / "new.png"
    assert _run(data, "figure", "-o", str(old), build_dir=root / "nobuild")[0] == 0
    monkeypatch.setattr(sys.modules["govkg.build"], "load_graph", lambda *a, **k: pytest.fail("graph loaded"))
    monkeypatch.setattr(Graph, "parse", lambda *a, **k: pytest.fail("graph parsed"))
    assert _run(data, "figure", "-o", str(new))[0] == 0
    assert new.read_bytes() == old.read_bytes()
    monkeypatch.undo()
    assert kind_matrix(govkg.open(root / "build")) == kind_matrix(govkg.load_graph(data, root / "build"))


def test_serve_pages_come_from_the_store(built):
    """The views and the report served by ``govkg serve`` (a real process) on a fresh build are the pages
    ``govkg viz``/``govkg report`` write from the graph compiled in memory."""
    import signal
    import subprocess
    import tempfile
    import urllib.request
    from pathlib import Path

    import psutil

    from govkg.report import write_report
    from govkg.visualize.html import write_viz

    data, root = built
    exe = str(Path(sys.executable).with_name("govkg"))
    p = subprocess.Popen([exe, "--data", str(data), "--build-dir", str(root / "build"), "serve", "--port", "0",
                          "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert "http://" in line, line + p.stderr.read()
        url = line.split("query page ")[1].split()[0]
        got = {}
        for name in ("views/mechanisms.html", "views/similarity.html", "report.en.html"):
            with urllib.request.urlopen(url + name, timeout=60) as r:
                got[name] = r.read()
    finally:
        kids = psutil.Process(p.pid).children(recursive=True)
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
        psutil.wait_procs(kids, timeout=5)
    g = govkg.build_graph(data)
    with tempfile.TemporaryDirectory() as tmp:
        for view in ("mechanisms", "similarity"):
            assert got[f"views/{view}.html"] == write_viz(g, Path(tmp) / "v.html", view=view).path.read_bytes()
        assert got["report.en.html"] == write_report(g, Path(tmp) / "report.html", "en")[-1].read_bytes()
