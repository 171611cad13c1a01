"""Tests of govkg.convert: the typed multigraph and the bipartite site graphs."""

from pathlib import Path

import networkx as nx
import pytest


import govkg
from govkg.convert import site_kind_graph, site_mechanism_graph, to_networkx
from govkg.namespace import GK, ID, KIND

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURE, sources_dirs=[])


def test_typed_multigraph_classes_and_labels(graph):
    G = to_networkx(graph)
    assert isinstance(G, nx.MultiDiGraph)
    jia = G.nodes[str(ID["site/jia"])]
    assert jia["cls"] == "site" and jia["label_zh"] == "甲社区" and jia["label_en"] == "Jia Community"
    assert "gk:DemonstrationSite" in jia["types"].split()
    assert G.nodes[str(ID["mechanism/yishitang"])]["cls"] == "mechanism"
    assert G.nodes[str(KIND.yishitangyishihui)]["cls"] == "kind"
    assert G.nodes[str(ID["org/lianmeng"])]["cls"] == "organization"
    out = G.nodes[str(ID["outcome/jia-wenti"])]
    assert out["cls"] == "outcome" and out["value"] == 28 and out["unitText"] == "件" and out["comparator"] == "Exactly"


def test_one_shared_mechanism_is_one_node_with_two_edges(graph):
    G = to_networkx(graph)
    m = str(ID["mechanism/yishitang"])
    used = sorted(v for _, v, k in G.out_edges(m, keys=True) if k == "gk:usedAt")
    assert used == [str(ID["site/jia"]), str(ID["site/yi"])]
    # materialized super-property dcterms:type is not a second edge
    assert not any(k == "dcterms:type" for _, _, k in G.edges(keys=True))


def test_ontology_terms_are_not_nodes(graph):
    G = to_networkx(graph)
    assert str(GK.Mechanism) not in G
    assert all(not n.startswith(str(GK._NS)) for n in G)


def test_input_not_mutated(graph):
    before = len(graph)
    to_networkx(graph)
    site_kind_graph(graph)
    assert len(graph) == before


def test_bipartite_site_mechanism(graph):
    B = site_mechanism_graph(graph)
    assert nx.is_bipartite(B)
    sites = {n for n, d in B.nodes(data=True) if d["bipartite"] == 0}
    assert sites == {str(ID[f"site/{s}"]) for s in ("jia", "yi", "bing")}
    assert B.degree(str(ID["mechanism/wangge"])) == 2
    assert B.nodes[str(ID["site/yi"])]["label_zh"] == "乙村"


def test_bipartite_site_kind_rolls_up(graph):
    B = site_kind_graph(graph)
    jia = set(B.neighbors(str(ID["site/jia"])))
    assert str(KIND.yishitangyishihui) in jia and str(KIND.xieshangyishi) in jia
    assert B.nodes[str(KIND.xieshangyishi)]["cls"] == "kind"


def test_real_data_shared_mechanism():
    g = govkg.build_graph()
    B = site_mechanism_graph(g)
    shared = [n for n, d in B.nodes(data=True) if d["bipartite"] == 1 and B.degree(n) >= 2]
    labels = {B.nodes[n]["label_zh"] for n in shared}
    assert "“椰智荟”议事堂" in labels
