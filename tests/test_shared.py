"""Shared mechanisms and similar sites on the bundled data."""

from __future__ import annotations

import pytest

from govkg.errors import NotFoundError
from govkg.shared import incidence, shared_mechanisms, similar_sites


def _zh(entries):
    return {e["label"]["zh"]: sorted(s["label"]["zh"] for s in e["sites"]) for e in entries}


def test_named_mechanisms_shared_by_two_sites(graph):
    res = shared_mechanisms(graph)
    assert _zh(res["mechanisms"]) == {
        "“椰智荟”议事堂": ["江源村", "高新社区"],
        "“社区合伙人”": ["光阳社区", "坡巷社区"],
    }
    for e in res["mechanisms"] + res["kinds"]:
        assert set(e) >= {"iri", "label", "sites", "site_count"}
        assert set(e["label"]) == {"zh", "en"} and all(e["label"].values())
        assert e["site_count"] == len(e["sites"]) >= 2
        assert all(set(s) <= {"iri", "label", "evidence", "inferred"} for s in e["sites"])


def test_kinds_are_rolled_up(graph):
    kinds = _zh(shared_mechanisms(graph)["kinds"])
    # 文山村's 三众 deliberates and co-funds but is not a standing hall (data audit of 2026-11-26)
    assert kinds["议事堂议事会"] == sorted(["高新社区", "江源村", "坡巷社区"])
    # a broader kind covers every site of its narrower kinds
    assert set(kinds["议事堂议事会"]) <= set(kinds["协商议事"])
    assert set(kinds["社区合伙人"]) <= set(kinds["多元共治"])


def test_name_matches_zh_and_en_labels(graph):
    zh = shared_mechanisms(graph, "椰智荟")
    en = shared_mechanisms(graph, "Yezhihui Deliberation Hall")
    # the hall first, then 高新社区's “柔招”, which the report names after the hall (“椰智荟”议事堂“柔招”)
    assert _zh(zh["mechanisms"]) == _zh(en["mechanisms"]) == {
        "“椰智荟”议事堂": ["江源村", "高新社区"], "“椰智荟”议事堂“柔招”": ["高新社区"]}
    assert zh["mechanisms"][0]["label"]["zh"] == en["mechanisms"][0]["label"]["zh"] == "“椰智荟”议事堂"
    # the exact hit ranks first; a label that merely contains the name follows, marked as such
    assert [m["match"] for m in en["mechanisms"]][0] == "exact"
    assert all(m["match"] != "exact" for m in en["mechanisms"][1:])
    med = shared_mechanisms(graph, "mediation", kind=True)
    assert med["mechanisms"] == []
    assert "矛盾纠纷调解队" in _zh(med["kinds"])


def test_name_is_a_value_not_query_text(graph):
    with pytest.raises(NotFoundError):
        shared_mechanisms(graph, '"} ?s ?p ?o . FILTER(true) #')


def test_unknown_name_suggests_closest(graph):
    with pytest.raises(NotFoundError) as exc_info:
        shared_mechanisms(graph, "椰智会议事堂")
    assert "“椰智荟”议事堂" in exc_info.value.suggestions


def test_min_sites_filters(graph):
    three = shared_mechanisms(graph, min_sites=3)
    assert three["mechanisms"] == []
    assert all(k["site_count"] >= 3 for k in three["kinds"])


def test_similar_ranks_by_the_one_similarity(graph):
    res = similar_sites(graph, "高新社区")
    assert res["site"]["label"]["zh"] == "高新社区" and (res["by"], res["weight"]) == ("kinds", "idf")
    sims = res["similar"]
    assert len(sims) == 7 and "高新社区" not in {s["label"]["zh"] for s in sims}
    assert [s["similarity"] for s in sims] == sorted((s["similarity"] for s in sims), reverse=True)
    top = sims[0]
    assert top["label"]["zh"] == "江源村"
    assert [m["label"]["zh"] for m in top["shared"]["mechanisms"]] == ["“椰智荟”议事堂"]
    # by kinds, the features are the kinds with their broader kinds: shared_count counts them all,
    # the listed kinds are the most specific of them
    from rdflib import URIRef

    from govkg.analysis import site_index

    broader = site_index(graph).broader
    listed = {URIRef(k["iri"]) for k in top["shared"]["kinds"]}
    assert not listed & set().union(*(broader.get(k, frozenset()) for k in listed))
    assert top["shared_count"] == len(listed | set().union(*(broader.get(k, frozenset()) for k in listed)))
    for s in sims:
        assert s["tied"] == ([x["similarity"] for x in sims].count(s["similarity"]) > 1)


def test_similar_matches_the_definition(graph):
    import math

    from govkg.analysis import features

    X, cols = features(graph)
    sites_ = [str(s) for s in incidence(graph, "mechanism").sites]
    n = len(sites_)
    df = X.getnnz(axis=0)
    w = [math.log((n + 1) / d) if d else 0 for d in df]

    def items(iri):
        r = X[sites_.index(iri)]
        return set(r.indices.tolist())

    for weight in ("idf", "none"):
        res = similar_sites(graph, "gaoxinshequ", weight=weight)
        a = items(res["site"]["iri"])
        for s in res["similar"]:
            b = items(s["iri"])
            ww = (lambda f: w[f]) if weight == "idf" else (lambda f: 1)
            want = sum(ww(f) for f in a & b) / sum(ww(f) for f in a | b)
            assert s["similarity"] == round(want, 4)


def test_shared_links_carry_their_evidence(graph):
    res = shared_mechanisms(graph, "椰智荟")
    for site in res["mechanisms"][0]["sites"]:
        assert site["evidence"], site
        for e in site["evidence"]:
            assert e["text"] and e["source"]["label"]["zh"]
    sim = similar_sites(graph, "高新社区")["similar"][0]
    ev = sim["shared"]["mechanisms"][0]["evidence"]
    assert set(ev) == {"https://w3id.org/govkg/id/site/gaoxinshequ", sim["iri"]} and all(ev.values())


def test_all_hits_ranked(graph):
    res = shared_mechanisms(graph, "议事堂", min_sites=1)
    names = [m["label"]["zh"] for m in res["mechanisms"]]
    assert "“椰智荟”议事堂" in names  # a substring hit is not hidden by a prefix hit on a kind
    order = {"exact": 0, "prefix": 1, "substring": 2}
    kind_order = {"exact": 0, "alt": 1, "prefix": 2, "substring": 3, "word": 4, "definition": 5, "narrower": 6}
    for key, o in (("mechanisms", order), ("kinds", kind_order)):
        ranks = [o[e["match"]] for e in res[key]]
        assert ranks == sorted(ranks)
    assert shared_mechanisms(graph, "椰智荟议事堂")["mechanisms"][0]["match"] == "exact"  # quotes ignored


def test_unknown_site_suggests_closest(graph):
    with pytest.raises(NotFoundError) as exc_info:
        similar_sites(graph, "高兴社区")
    assert exc_info.value.suggestions[0] == "高新社区"
    assert "Did you mean" in str(exc_info.value)


def test_no_rdflib_warning_leaks(graph, caplog, recwarn):
    import logging

    with caplog.at_level(logging.DEBUG):
        res = similar_sites(graph, "Guangyang Community")
        shared_mechanisms(graph, "Community Partners")
    assert res["site"]["label"]["zh"] == "光阳社区"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in recwarn if "rdflib" in str(w.filename) or "URI" in str(w.message)]


def test_answer_language_follows_the_question(data_copy):
    from click.testing import CliRunner

    from govkg.cli import cli

    r = CliRunner()
    en = r.invoke(cli, ["--data", str(data_copy), "similar", "Guangyang Community", "--top", "1"]).stdout
    zh = r.invoke(cli, ["--data", str(data_copy), "similar", "光阳社区", "--top", "1"]).stdout
    assert en.startswith("Sites most like Guangyang Community") and "Poxiang Community" in en
    assert zh.startswith("与光阳社区最相似的示范点") and "坡巷社区" in zh
    both = r.invoke(cli, ["--data", str(data_copy), "similar", "光阳社区", "--lang", "en", "--top", "1"]).stdout
    assert both.startswith("Sites most like Guangyang Community")
    help_text = r.invoke(cli, ["similar", "--help"]).stdout
    assert "ln((n + 1) / df(f))" in " ".join(help_text.split())


@pytest.mark.parametrize("by", ["kinds", "mechanisms"])
def test_similar_top_is_the_head_of_the_full_ranking(graph, by):
    for site in ("高新社区", "江源村", "文山村"):
        full = similar_sites(graph, site, by=by)["similar"]
        for top in (1, 3, 7):
            assert similar_sites(graph, site, by=by, top=top)["similar"] == full[:top]


def test_shared_top_and_site_limit_cut_the_full_answer(graph):
    full = shared_mechanisms(graph, min_sites=1)
    assert full["total"] == {"mechanisms": len(full["mechanisms"]), "kinds": len(full["kinds"])}
    cut = shared_mechanisms(graph, min_sites=1, top=3, site_limit=2)
    assert cut["total"] == full["total"]
    for key in ("mechanisms", "kinds"):
        assert [e["iri"] for e in cut[key]] == [e["iri"] for e in full[key][:3]]
        for short, whole in zip(cut[key], full[key]):
            assert short["site_count"] == whole["site_count"] == len(whole["sites"])
            assert short["sites"] == whole["sites"][:2]
            assert short.get("sites_omitted", 0) == max(0, whole["site_count"] - 2)
            assert "sites_omitted" not in whole
    for short, whole in zip(cut["kinds"], full["kinds"]):  # a kind lists its mechanisms, cut alike
        assert short["mechanisms"] == whole["mechanisms"][:2]
        assert short.get("mechanisms_omitted", 0) == max(0, len(whole["mechanisms"]) - 2)
    assert any(k.get("mechanisms_omitted") for k in cut["kinds"])


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "3"])
def test_shared_top_and_site_limit_must_be_whole_numbers(graph, bad):
    from govkg.errors import GovkgError

    for kw in ({"top": bad}, {"site_limit": bad}):
        with pytest.raises(GovkgError, match="whole number, 1 or more"):
            shared_mechanisms(graph, **kw)
