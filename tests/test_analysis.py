"""Tests of govkg.analysis on a fixture folder and on the article's data."""

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rdflib import Graph, RDF
from scipy import sparse

import govkg
from govkg import analysis as A
from govkg.cli import cli
from govkg.errors import NotFoundError
from govkg.shared import Incidence
from govkg.namespace import GK, ID, KIND

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURE, sources_dirs=[])


@pytest.fixture(scope="module")
def real():
    return govkg.build_graph()


def slug(iri):
    return str(iri).rsplit("/", 1)[-1]


def test_shared_mechanisms_and_kinds(graph):
    mech = A.shared_columns(graph, "mechanism")
    assert [(slug(d["iri"]), d["site_count"]) for d in mech] == [("wangge", 2), ("yishitang", 2), ("zhiyuandui", 2)]
    kinds = {slug(d["iri"]): d["site_count"] for d in A.shared_columns(graph, "kind")}
    assert kinds["wanggehuaguanli"] == 3 and kinds["jingxihuaguanli"] == 3
    assert kinds["zhiyuanhuzhu"] == 2 and "huzhuyanglao" not in kinds


def test_similarity_matrix_is_jaccard_over_mechanisms_and_kinds(graph):
    sites, S = A.similarity_matrix(graph)
    i, j, k = (sites.index(ID[f"site/{s}"]) for s in ("jia", "yi", "bing"))
    # jia: 3 mechanisms + 6 kinds; yi: 4 + 7; shared 3 + 6 -> 9 / 11
    assert S[i, j] == pytest.approx(9 / 11)
    # jia & bing share wanggehuaguanli + jingxihuaguanli: 2 / (9 + 6 - 2)
    assert S[i, k] == pytest.approx(2 / 13)
    assert np.allclose(S, S.T)
    top = A.similar_to(graph, "甲社区", k=1)
    assert slug(top[0]["iri"]) == "yi" and top[0]["similarity"] == pytest.approx(round(9 / 11, 4))


def test_similar_to_other_metrics(graph):
    ov = A.similar_to(graph, "jia", metric="overlap")
    assert ov[0]["similarity"] == 1.0  # jia's features are a subset of yi's
    cos = A.similar_to(graph, "jia", metric="cosine")
    assert cos[0]["similarity"] == pytest.approx(round(9 / np.sqrt(9 * 11), 4))


def test_sites_sharing_and_pairs(graph):
    assert [slug(s) for s in A.sites_sharing(graph, "乙村")] == ["jia"]
    assert sorted(slug(s) for s in A.sites_sharing(graph, "丙社区", level="kind")) == ["jia", "yi"]
    p = A.shared_pairs(graph, 3)
    assert [(slug(p.sites[a]), slug(p.sites[b]), int(c)) for a, b, c in zip(p.i, p.j, p.shared)] == [("jia", "yi", 3)]
    assert len(A.shared_pairs(graph, 4)) == 0


def test_shared_pairs_matches_bare_product_and_blocks():
    M = sparse.random(300, 40, density=0.15, random_state=1, format="csr")
    M.data[:] = 1
    M = M.astype(np.int32)
    sites = [ID[f"site/s{i}"] for i in range(300)]
    inc = Incidence(sites, [ID[f"mechanism/m{j}"] for j in range(40)], M)
    idx = A.SiteIndex(sites, inc, inc, inc, sparse.csr_matrix((40, 40)), {}, {})
    C = sparse.triu(M @ M.T, k=1).tocoo()
    want = sorted((int(a), int(b), int(c)) for a, b, c in zip(C.row, C.col, C.data) if c >= 3)
    for block in (7, 64, 1000):
        p = A.shared_pairs(idx, 3, block_rows=block)
        assert list(zip(p.i.tolist(), p.j.tolist(), p.shared.tolist())) == want


def test_centrality_and_bridging(graph):
    mech = A.centrality(graph, "mechanism")
    assert {slug(d["iri"]) for d in mech} == {"yishitang", "wangge", "zhiyuandui", "huzhu", "bing-jiankong", "bing-wangge"}
    # the mechanism projection links mechanisms used at a common site
    deg = {slug(d["iri"]): d["degree"] for d in mech}
    assert deg["yishitang"] == pytest.approx(3 / 5)  # linked to wangge, zhiyuandui, huzhu
    assert deg["bing-jiankong"] == pytest.approx(1 / 5)
    assert mech == sorted(mech, key=lambda d: (-d["betweenness"], -d["degree"], d["iri"]))
    bridges = {slug(d["iri"]): d["site_count"] for d in A.bridging_organizations(graph)}
    # the alliance is active at both sites; the party branch realizes a mechanism used at both
    assert bridges == {"lianmeng": 2, "jia-dangzhibu": 2}


def test_communities_reproducible(graph):
    a = A.communities(graph)
    b = A.communities(graph)
    assert a == b
    assert sum(c["size"] for c in a) == 3
    together = [c for c in a if {slug(s["iri"]) for s in c["sites"]} >= {"jia", "yi"}]
    assert together


def test_kind_cooccurrence(graph):
    rows = A.kind_cooccurrence(graph)
    pairs = {(slug(r["a"]["iri"]), slug(r["b"]["iri"])): r for r in rows}
    r = pairs[("wanggehuaguanli", "yishitangyishihui")]
    assert r["sites"] == 2 and r["support"] == pytest.approx(round(2 / 3, 4))
    assert r["lift"] == pytest.approx(round((2 / 3) / (1 * 2 / 3), 4))
    # a kind is never paired with its own broader kind
    assert ("jingxihuaguanli", "wanggehuaguanli") not in pairs


def test_suggest_explains(graph):
    res = A.suggest(graph, "甲社区")
    top = res["suggestions"][0]
    assert slug(top["iri"]) == "huzhuyanglao"  # the narrower kind, not its broader 志愿互助
    assert all(slug(s["iri"]) != "zhiyuanhuzhu" for s in res["suggestions"])
    assert top["explanation"]["en"] == "used by Yi Village, which shares 6 kinds with you"
    assert "乙村" in top["explanation"]["zh"]
    assert [slug(m["iri"]) for m in top["used_by"][0]["mechanisms"]] == ["huzhu"]
    # bing could adopt deliberation (from jia and yi)
    bing = {slug(s["iri"]) for s in A.suggest(graph, "bing")["suggestions"]}
    assert "yishitangyishihui" in bing


def test_unknown_site_suggests_closest(graph):
    assert slug(A.suggest(graph, "甲社")["site"]["iri"]) == "jia"  # a prefix is enough
    with pytest.raises(NotFoundError) as e:
        A.suggest(graph, "丁社区")
    assert "甲社区" in e.value.suggestions or "丙社区" in e.value.suggestions


def test_no_shared_mechanisms_is_empty_not_a_crash():
    g = Graph()
    for s in ("a", "b"):
        g.add((ID[f"site/{s}"], RDF.type, GK.DemonstrationSite))
        g.add((ID[f"mechanism/{s}"], GK.usedAt, ID[f"site/{s}"]))
        g.add((ID[f"mechanism/{s}"], GK.mechanismKind, KIND[["bianminfuwu", "jiuyefuwu"][s == "b"]]))
    res = A.analyze(g)
    assert res["shared_mechanisms"] == [] and res["shared_kinds"] == []
    assert any("No named mechanism" in m["en"] for m in res["messages"])
    assert A.suggest(g, "a")["suggestions"] == []
    assert "message" in A.suggest(g, "a")
    assert len(A.shared_pairs(g, 1)) == 0
    empty = A.analyze(Graph())
    assert empty["counts"]["sites"] == 0 and empty["communities"] == []


def test_index_from_triples_equals_graph_index(graph, tmp_path):
    p = tmp_path / "g.nt"
    p.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    fast = A.index_from_file(p)
    slow = A.site_index(graph)
    assert fast.sites == slow.sites
    assert fast.mechanisms.columns == slow.mechanisms.columns
    assert (fast.mechanisms.matrix != slow.mechanisms.matrix).nnz == 0
    assert fast.kinds.columns == slow.kinds.columns
    assert (fast.kinds.matrix != slow.kinds.matrix).nnz == 0
    assert fast.organizations.columns == slow.organizations.columns
    assert fast.label(ID["site/yi"]) == "乙村"


def test_site_outcomes(graph):
    outs = {slug(o["iri"]): o for o in A.site_outcomes(graph, "甲社区")}
    assert outs["jia-wenti"]["value"] == 28 and outs["jia-wenti"]["unit"] == "件"
    assert outs["jia-wenti"]["evidence"] == ["运用议事堂处置问题28件。"]
    assert slug(outs["jia-wenti"]["mechanism"]["iri"]) == "yishitang"
    yi = A.site_outcomes(graph, "yi")[0]
    assert yi["comparator"] == "MoreThan" and yi["unit"] == "人"


def test_real_article_sites(real):
    mech = {d["label"]["zh"]: {s["label"]["zh"] for s in d["sites"]} for d in A.shared_columns(real)}
    assert mech["“椰智荟”议事堂"] == {"高新社区", "江源村"}
    assert {"光阳社区", "坡巷社区"} in mech.values()  # “社区合伙人”
    assert A.analyze(real)["counts"]["sites"] == 8


def test_cli_analyze_suggest(tmp_path):
    r = CliRunner()
    res = r.invoke(cli, ["--data", str(FIXTURE), "analyze", "--json"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.output[res.output.index("{"):])
    assert data["counts"]["sites"] == 3
    res = r.invoke(cli, ["--data", str(FIXTURE), "analyze", "--lang", "en"])
    assert res.exit_code == 0 and "3 sites" in res.output
    res = r.invoke(cli, ["--data", str(FIXTURE), "suggest", "甲社区", "--lang", "en"])
    assert res.exit_code == 0 and "used by Yi Village" in res.output
    res = r.invoke(cli, ["--data", str(FIXTURE), "suggest", "丁社区"])
    assert res.exit_code == 1 and "Did you mean" in res.output
