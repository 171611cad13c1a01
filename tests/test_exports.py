"""Tests of govkg.exports: GraphML and GEXF that networkx reads back, CSV lists, the QCA table."""

import csv
import io
from pathlib import Path

import networkx as nx
import pytest

import govkg
from govkg.analysis import site_index
from govkg.errors import GovkgError
from govkg.exports import FORMATS, export
from govkg.namespace import ID

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURE, sources_dirs=[])


def test_formats():
    assert FORMATS == ("graphml", "gexf", "csv", "qca")


def test_graphml_opens_with_networkx(graph, tmp_path):
    [p] = export(graph, "graphml", tmp_path / "g.graphml")
    G = nx.read_graphml(p)
    n = G.nodes[str(ID["site/yi"])]
    assert n["cls"] == "site" and n["label_zh"] == "乙村" and n["label_en"] == "Yi Village"
    assert G.nodes[str(ID["mechanism/yishitang"])]["cls"] == "mechanism"
    assert G.number_of_edges(str(ID["mechanism/yishitang"]), str(ID["site/yi"])) == 1


def test_gexf_parses(graph, tmp_path):
    [p] = export(graph, "gexf", tmp_path / "g.gexf")
    G = nx.read_gexf(p)
    assert G.nodes[str(ID["site/jia"])]["label"] == "甲社区"
    assert G.nodes[str(ID["org/lianmeng"])]["cls"] == "organization"
    import xml.etree.ElementTree as ET

    ET.parse(p)  # well-formed XML


def test_csv_node_and_edge_lists(graph, tmp_path):
    paths = export(graph, "csv", tmp_path / "govkg.csv")
    assert [q.name for q in paths] == ["govkg-nodes.csv", "govkg-edges.csv"]
    nodes = list(csv.DictReader(io.StringIO(paths[0].read_text(encoding="utf-8"))))
    edges = list(csv.DictReader(io.StringIO(paths[1].read_text(encoding="utf-8"))))
    assert {r["id"]: r["cls"] for r in nodes}[str(ID["site/bing"])] == "site"
    assert {"source": str(ID["mechanism/wangge"]), "target": str(ID["site/yi"]), "predicate": "gk:usedAt",
            "label": "usedAt"} in edges
    folder = export(graph, "csv", tmp_path / "out")
    assert [q.name for q in folder] == ["nodes.csv", "edges.csv"]


def test_qca_table_against_graph(graph, tmp_path):
    table, book = export(graph, "qca", tmp_path / "qca.csv")
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    idx = site_index(graph)
    K = idx.kinds.matrix.toarray()
    cols = [str(k).rsplit("/", 1)[-1] for k in idx.kinds.columns]
    for r in rows:
        i = idx.sites.index(ID[f"site/{r['case']}"])
        assert [int(r[c]) for c in cols] == K[i].tolist()
    yi = next(r for r in rows if r["case"] == "yi")
    assert yi["huzhuyanglao"] == "1" and yi["zhiyuanhuzhu"] == "1" and yi["shipinjiankong"] == "0"
    codes = {r["column"]: r for r in csv.DictReader(io.StringIO(book.read_text(encoding="utf-8")))}
    assert book.name == "qca-codebook.csv"
    assert codes["huzhuyanglao"]["broader"] == "zhiyuanhuzhu" and codes["huzhuyanglao"]["label_zh"] == "互助养老"
    assert codes["wanggehuaguanli"]["sites_coded_1"] == "3"


def test_unknown_format_and_atomic(graph, tmp_path):
    with pytest.raises(GovkgError):
        export(graph, "xlsx", tmp_path / "x.xlsx")
    p = tmp_path / "g.graphml"
    p.write_text("old")
    export(graph, "graphml", p)
    assert p.read_text(encoding="utf-8").startswith("<?xml")
    assert not [q for q in tmp_path.iterdir() if q.name.endswith(".tmp")]
