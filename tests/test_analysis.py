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


def test_similarity_sees_the_kind_hierarchy(graph):
    # kinds closed under broader: jia {议事堂议事会, 协商议事, 网格化管理, 精细化管理, 志愿服务队, 志愿互助};
    # yi the same + 互助养老; bing {网格化管理, 精细化管理, 视频监控, 数字治理}
    sites, S = A.similarity_matrix(graph, weight="none")
    i, j, k = (sites.index(ID[f"site/{s}"]) for s in ("jia", "yi", "bing"))
    assert S[i, j] == pytest.approx(6 / 7)
    assert S[i, k] == pytest.approx(2 / 8)
    assert np.allclose(S, S.T)
    _, M = A.similarity_matrix(graph, by="mechanisms", weight="none")
    assert M[i, j] == pytest.approx(3 / 4) and M[i, k] == 0  # yi runs 4 named mechanisms


def test_idf_weighs_rare_shared_practices_more(graph):
    idf = lambda df: np.log(4 / df)  # noqa: E731  ln((n + 1) / df), n = 3 sites
    sites, S = A.similarity_matrix(graph)
    i, j, k = (sites.index(ID[f"site/{s}"]) for s in ("jia", "yi", "bing"))
    shared = 4 * idf(2) + 2 * idf(3)
    assert S[i, j] == pytest.approx(shared / (shared + idf(1)))
    assert S[i, k] == pytest.approx(2 * idf(3) / (shared + 2 * idf(1)))
    # the kind every site has (网格化管理) counts less than a rarer shared one, and still counts
    X, cols = A.features(graph)
    w = dict(zip((slug(c) for c in cols), A.feature_weights(X)))
    assert 0 < w["wanggehuaguanli"] < w["yishitangyishihui"]
    top = A.similar_to(graph, "甲社区", k=1)
    assert slug(top[0]["iri"]) == "yi" and top[0]["similarity"] == pytest.approx(round(S[i, j], 4))


def test_similarity_options_are_checked(graph):
    with pytest.raises(govkg.GovkgError):
        A.similarity_matrix(graph, by="organizations")
    with pytest.raises(govkg.GovkgError):
        A.similar_to(graph, "jia", weight="tfidf")


def test_similar_to_other_metrics(graph):
    ov = A.similar_to(graph, "jia", metric="overlap", weight="none")
    assert ov[0]["similarity"] == 1.0  # jia's features are a subset of yi's
    cos = A.similar_to(graph, "jia", metric="cosine", weight="none")
    assert cos[0]["similarity"] == pytest.approx(round(6 / np.sqrt(6 * 7), 4))


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
    idx = A.SiteIndex(sites, inc, inc, inc, sparse.csr_matrix((40, 40)), {}, {}, inc)
    C = sparse.triu(M @ M.T, k=1).tocoo()
    want = sorted((int(a), int(b), int(c)) for a, b, c in zip(C.row, C.col, C.data) if c >= 3)
    for block in (7, 64, 1000):
        p = A.shared_pairs(idx, 3, block_rows=block)
        assert list(zip(p.i.tolist(), p.j.tolist(), p.shared.tolist())) == want


def test_centrality_and_bridging(graph):
    mech = A.centrality(graph, "mechanism")
    # ties share a rank and say how many they are
    for d in mech:
        same = [e for e in mech if (e["betweenness"], e["degree"]) == (d["betweenness"], d["degree"])]
        assert d["tied"] == len(same) and {e["rank"] for e in same} == {d["rank"]}
    assert len(A.centrality(graph, "mechanism", top=1)) == mech[0]["tied"]
    assert {slug(d["iri"]) for d in mech} == {"yishitang", "wangge", "zhiyuandui", "huzhu", "bing-jiankong", "bing-wangge"}
    # the mechanism projection links mechanisms used at a common site
    deg = {slug(d["iri"]): d["degree"] for d in mech}
    assert deg["yishitang"] == pytest.approx(3 / 5)  # linked to wangge, zhiyuandui, huzhu
    assert deg["bing-jiankong"] == pytest.approx(1 / 5)
    assert mech == sorted(mech, key=lambda d: (-d["betweenness"], -d["degree"], d["iri"]))
    bridges = {slug(d["iri"]): d["site_count"] for d in A.bridging_organizations(graph)}
    # the alliance is active at both sites; the party branch realizes a mechanism used at both
    assert bridges == {"lianmeng": 2, "jia-dangzhibu": 2}


def test_communities_come_with_modularity_and_a_verdict(graph):
    a = A.communities(graph)
    assert a == A.communities(graph)
    assert sum(c["size"] for c in a["communities"]) == 3
    assert isinstance(a["modularity"], float)
    # 3 sites: never shown, with the reason
    assert a["meaningful"] is False and "3 sites" in a["reason"]["en"] and "3 个示范点" in a["reason"]["zh"]
    loose = A.communities(graph, min_sites=1, min_modularity=-1)
    assert loose["meaningful"] is True and loose["reason"] is None
    high = A.communities(graph, min_sites=1, min_modularity=0.99)
    assert high["meaningful"] is False and "modularity" in high["reason"]["en"]


def test_real_communities_left_out(real):
    c = A.communities(real)
    assert c["meaningful"] is False and c["modularity"] < 0.3 and "8 sites" in c["reason"]["en"]
    shown = A.analyze(real)["communities"]
    assert shown["communities"] == [] and shown["reason"] == c["reason"]  # no groups handed out that mean nothing


def test_kind_cooccurrence(graph):
    rows = A.kind_cooccurrence(graph)
    pairs = {(slug(r["a"]["iri"]), slug(r["b"]["iri"])): r for r in rows}
    # 网格化管理 is at all 3 sites: lift with anything is exactly 1 (chance), so it is left out
    assert ("wanggehuaguanli", "yishitangyishihui") not in pairs
    r = pairs[("yishitangyishihui", "zhiyuanfuwudui")]
    assert r["sites"] == 2 and r["n_sites"] == 3 and r["support"] == pytest.approx(round(2 / 3, 4))
    assert r["lift"] == pytest.approx(round((2 / 3) / (2 / 3 * 2 / 3), 4))
    assert all(x["lift"] > 1 and x["sites"] >= 2 for x in rows)
    # a kind is never paired with its own broader kind
    assert ("jingxihuaguanli", "wanggehuaguanli") not in pairs


def test_real_cooccurrence_only_above_chance(real):
    rows = A.kind_cooccurrence(real)
    assert rows and all(r["lift"] > 1 and r["n_sites"] == 8 for r in rows)


def test_suggest_explains_each_score_in_words(graph):
    res = A.suggest(graph, "甲社区")
    top = res["suggestions"][0]
    assert slug(top["iri"]) == "huzhuyanglao"  # the narrower kind, not its broader 志愿互助
    assert all(slug(s["iri"]) != "zhiyuanhuzhu" for s in res["suggestions"])
    sims = {slug(n["iri"]): n["similarity"] for n in res["neighbors"]}
    total = sum(sims.values())
    assert top["score"] == pytest.approx(round(sims["yi"] / total, 4))
    en = top["explanation"]["en"]
    assert en.startswith("Of the 2 sites most like Jia Community, Yi Village (similarity")
    assert f"score {top['score']:.2f} = {sims['yi']:.3f} ÷ {total:.3f}" in en
    scores = [x["score"] for x in res["suggestions"]]
    assert all(x["tied"] == (scores.count(x["score"]) > 1) for x in res["suggestions"])
    assert "乙村" in top["explanation"]["zh"] and "得分" in top["explanation"]["zh"]
    assert [slug(m["iri"]) for m in top["used_by"][0]["mechanisms"]] == ["huzhu"]
    # bing: sites like it also use deliberation (jia and yi)
    bing = {slug(s["iri"]) for s in A.suggest(graph, "bing")["suggestions"]}
    assert "yishitangyishihui" in bing
    with pytest.raises(govkg.GovkgError):
        A.suggest(graph, "jia", neighbors=0)


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
    assert empty["counts"]["sites"] == 0 and empty["communities"]["communities"] == []


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
    assert outs["jia-wenti"]["value"] == 28 and outs["jia-wenti"]["unit"]["text"] == "件"
    assert [e["text"] for e in outs["jia-wenti"]["evidence"]] == ["运用议事堂处置问题28件。"]
    assert slug(outs["jia-wenti"]["mechanism"]["iri"]) == "yishitang"
    assert outs["jia-wenti"]["label"]["en"]  # what is measured, not its IRI
    yi = next(o for o in A.site_outcomes(graph, "yi") if not o["claim"])
    assert slug(yi["comparator"]["iri"]) == "ontology#MoreThan" or yi["comparator"]["label"]["en"] == "more than"
    assert yi["unit"]["text"] == "人"


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
    assert res.exit_code == 0 and "Yi Village (similarity" in res.output
    res = r.invoke(cli, ["--data", str(FIXTURE), "suggest", "丁社区"])
    assert res.exit_code == 1 and "Did you mean" in res.output


def test_analysis_package_has_no_import_cycle():
    """govkg.analysis never imports back the modules built on it, and its modules import in one direction."""
    import ast

    root = Path(A.__file__).parent
    deps = {}
    for f in root.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = node.module or ""
                if node.level == 1:
                    names |= {base} if base else {a.name for a in node.names}
                else:
                    names.add("../" + base)
        deps[f.stem] = {n.split(".")[0] for n in names}
    for mod, ds in deps.items():
        assert not ds & {"../shared", "../report", "../exports", "../cli", "../cli_analysis", "../cli_query", "../convert"}, mod
    seen, stack = set(), []

    def visit(m):
        assert m not in stack, f"import cycle: {' -> '.join(stack + [m])}"
        if m in seen:
            return
        stack.append(m)
        for d in deps.get(m, ()):
            if d in deps and d != "__init__":
                visit(d)
        stack.pop()
        seen.add(m)

    for m in deps:
        if m != "__init__":
            visit(m)
    from govkg import shared

    assert shared.find_site is A.find_site  # one find_site
