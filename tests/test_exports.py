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
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")  # BOM by default: Excel reads the Chinese right
    nodes = list(csv.DictReader(io.StringIO(paths[0].read_text(encoding="utf-8-sig"))))
    edges = list(csv.DictReader(io.StringIO(paths[1].read_text(encoding="utf-8-sig"))))
    assert {r["id"]: r["cls"] for r in nodes}[str(ID["site/bing"])] == "site"
    assert {"source": str(ID["mechanism/wangge"]), "target": str(ID["site/yi"]), "predicate": "gk:usedAt",
            "label": "usedAt"} in edges
    (tmp_path / "out").mkdir()
    folder = export(graph, "csv", tmp_path / "out", bom=False)
    assert [q.name for q in folder] == ["nodes.csv", "edges.csv"]
    assert folder[0].read_text(encoding="utf-8").startswith("id,")


def test_qca_table_against_graph(graph, tmp_path):
    table, book = export(graph, "qca", tmp_path / "qca.csv")
    assert table.suffix == ".csv" and book.name == "qca-codebook.csv"
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    idx = site_index(graph)
    K = idx.kinds.matrix.toarray()
    top = [j for j, k in enumerate(idx.kinds.columns) if not idx.broader.get(k)]
    cols = [str(idx.kinds.columns[j]).rsplit("/", 1)[-1] for j in top]
    assert list(rows[0])[3:3 + len(cols)] == cols  # one level: the top kinds only
    for r in rows:
        i = idx.sites.index(ID[f"site/{r['case']}"])
        assert [int(r[c]) for c in cols] == [int(K[i, j]) for j in top]
    yi = next(r for r in rows if r["case"] == "yi")
    assert yi["zhiyuanhuzhu"] == "1" and "huzhuyanglao" not in yi
    codes = {r["column"]: r for r in csv.DictReader(io.StringIO(book.read_text(encoding="utf-8-sig")))}
    assert codes["zhiyuanhuzhu"]["level"] == "top" and codes["zhiyuanhuzhu"]["label_zh"] == "志愿互助"
    assert codes["jingxihuaguanli"]["sites_coded_1"] == "3"
    # 3 cases: more conditions than cases is said in the codebook
    assert ("WARNING" in codes) == (len(cols) > 3)


def test_qca_specific_level_and_outcome(graph):
    from govkg.exports import to_qca

    table, book = to_qca(graph, level="specific", outcome="issues handled")
    rows = list(csv.DictReader(io.StringIO(table)))
    jia = next(r for r in rows if r["case"] == "jia")
    assert jia["yishitangyishihui"] == "1" and "xieshangyishi" not in jia  # no broader kinds at this level
    assert jia["outcome"] == "28" and next(r for r in rows if r["case"] == "bing")["outcome"] == ""
    assert "not calibrated" in book
    with pytest.raises(GovkgError):
        to_qca(graph, level="middle")


def test_qca_wants_a_csv_name(graph, tmp_path):
    with pytest.raises(GovkgError, match=r"\.csv"):
        export(graph, "qca", tmp_path / "table.qca")
    assert not list(tmp_path.iterdir())


def test_real_qca_warns_conditions_outnumber_cases(tmp_path):
    real = govkg.build_graph()
    idx = site_index(real)
    n_top = sum(1 for k in idx.kinds.columns if not idx.broader.get(k))
    assert n_top > 8
    _, book = export(real, "qca", tmp_path / "q.csv")
    text = book.read_text(encoding="utf-8-sig")
    assert f"{n_top} conditions outnumber the 8 cases" in text


def test_outputs_are_safe_for_spreadsheets_and_xml(tmp_path):
    from govkg.exports import to_csv, to_gexf, to_graphml

    g = govkg.build_graph(FIXTURE, sources_dirs=[])
    from rdflib import Literal, RDFS

    g.add((ID["site/jia"], RDFS.label, Literal("=HYPERLINK(\"http://x\")\x07\x1b", lang="en")))
    nodes, _ = to_csv(g)
    assert "'=HYPERLINK" in nodes and ",=HYPERLINK" not in nodes
    for data, read in ((to_graphml(g), nx.read_graphml), (to_gexf(g), nx.read_gexf)):
        assert b"\x07" not in data and b"\x1b" not in data
        assert read(io.BytesIO(data)).nodes[str(ID["site/jia"])]["label_zh"] == "甲社区"


def test_unknown_format_and_atomic(graph, tmp_path):
    with pytest.raises(GovkgError):
        export(graph, "xlsx", tmp_path / "x.xlsx")
    p = tmp_path / "g.graphml"
    p.write_text("old")
    export(graph, "graphml", p)
    assert p.read_text(encoding="utf-8").startswith("<?xml")
    assert not [q for q in tmp_path.iterdir() if q.name.endswith(".tmp")]
