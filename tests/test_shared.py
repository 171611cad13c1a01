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
        assert all(set(s) == {"iri", "label"} for s in e["sites"])


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
    assert _zh(zh["mechanisms"]) == _zh(en["mechanisms"]) == {"“椰智荟”议事堂": ["江源村", "高新社区"]}
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


def test_similar_ranks_by_jaccard_with_shared_items(graph):
    res = similar_sites(graph, "高新社区")
    assert res["site"]["label"]["zh"] == "高新社区"
    sims = res["similar"]
    assert len(sims) == 7 and "高新社区" not in {s["label"]["zh"] for s in sims}
    assert [s["jaccard"] for s in sims] == sorted((s["jaccard"] for s in sims), reverse=True)
    top = sims[0]
    assert top["label"]["zh"] == "江源村"
    assert [m["label"]["zh"] for m in top["shared"]["mechanisms"]] == ["“椰智荟”议事堂"]
    assert top["shared_count"] == len(top["shared"]["mechanisms"]) + len(top["shared"]["kinds"])


def test_similar_jaccard_matches_the_definition(graph):
    mi, ki = incidence(graph, "mechanism"), incidence(graph, "kind")

    def items(site):
        i = mi.sites.index(site)
        return ({mi.columns[j] for j in mi.matrix[i].indices} | {ki.columns[j] for j in ki.matrix[i].indices})

    res = similar_sites(graph, "gaoxinshequ")
    a = items(mi.sites[[str(s) for s in mi.sites].index(res["site"]["iri"])])
    for s in res["similar"]:
        b = items(mi.sites[[str(x) for x in mi.sites].index(s["iri"])])
        assert s["jaccard"] == round(len(a & b) / len(a | b), 4)


def test_unknown_site_suggests_closest(graph):
    with pytest.raises(NotFoundError) as exc_info:
        similar_sites(graph, "高兴社区")
    assert exc_info.value.suggestions[0] == "高新社区"
    assert "Did you mean" in str(exc_info.value)
