"""Quality of the mechanism-kind scheme (ontology/mechanism-kinds.ttl): labels, definitions,
hierarchy and the alternative labels a drafter matches in report text."""

from __future__ import annotations

import re
from collections import defaultdict

import networkx as nx
import pytest
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import SKOS

from govkg.namespace import GK, ID, KIND



@pytest.fixture(scope="module")
def kinds(onto):
    ks = sorted(onto.subjects(RDF.type, GK.MechanismKind))
    assert len(ks) >= 40
    return ks


def _by_lang(g, s, p):
    out = defaultdict(list)
    for o in g.objects(s, p):
        out[o.language].append(str(o))
    return out


def test_every_kind_has_one_preflabel_and_one_definition_per_language(onto, kinds):
    for k in kinds:
        pref, definition = _by_lang(onto, k, SKOS.prefLabel), _by_lang(onto, k, SKOS.definition)
        assert set(pref) == {"zh", "en"} and all(len(v) == 1 for v in pref.values()), (k, pref)
        assert set(definition) == {"zh", "en"} and all(len(v) == 1 for v in definition.values()), (k, definition)
        assert re.search(r"[\u4e00-\u9fff]", pref["zh"][0]) and not re.search(r"[\u4e00-\u9fff]", pref["en"][0])


def test_rdfs_label_is_the_preflabel(onto, kinds):
    for k in kinds:
        assert set(onto.objects(k, RDFS.label)) == set(onto.objects(k, SKOS.prefLabel)), k


def test_iri_is_the_pinyin_slug_of_the_zh_label(onto, kinds):
    from govkg.slug import slugify

    for k in kinds:
        zh = _by_lang(onto, k, SKOS.prefLabel)["zh"][0]
        assert str(k) == str(KIND._NS) + slugify(zh), (k, zh)


def test_every_kind_is_in_the_scheme_and_tops_are_exactly_those_without_broader(onto, kinds):
    for k in kinds:
        assert (k, SKOS.inScheme, GK.MechanismKinds) in onto, k
        broader = set(onto.objects(k, SKOS.broader))
        assert all((b, RDF.type, GK.MechanismKind) in onto for b in broader), (k, broader)
        is_top = (k, SKOS.topConceptOf, GK.MechanismKinds) in onto
        assert is_top == (not broader), k
        assert (k, RDFS.isDefinedBy, URIRef("https://w3id.org/govkg/ontology")) in onto


def test_no_cycles_in_broader(onto, kinds):
    g = nx.DiGraph((str(k), str(b)) for k in kinds for b in onto.objects(k, SKOS.broader))
    assert nx.is_directed_acyclic_graph(g), nx.find_cycle(g)


def test_alt_labels_are_unique_across_kinds_and_never_another_kinds_name(onto, kinds):
    owner = {}
    for k in kinds:
        for lit in onto.objects(k, SKOS.prefLabel):
            key = (str(lit).casefold(), lit.language)
            assert key not in owner, f"{lit!r} names both {owner[key]} and {k}"
            owner[key] = k
    for k in kinds:
        alts = list(onto.objects(k, SKOS.altLabel))
        assert any(a.language == "zh" for a in alts), f"{k} has no zh keyword"
        for lit in alts:
            key = (str(lit).casefold(), lit.language)
            assert key not in owner, f"{lit!r} is a label of {owner[key]} and an altLabel of {k}"
            owner[key] = k


def test_definitions_name_no_entity_of_the_data_and_no_number(graph, onto, kinds):
    names = {str(lit) for s, lit in graph.subject_objects(RDFS.label)
             if str(s).startswith(str(ID)) and lit.language == "zh" and len(str(lit)) >= 3}
    assert len(names) > 50
    for k in kinds:
        for d in onto.objects(k, SKOS.definition):
            assert not re.search(r"\d", d), (k, str(d))
            hits = [n for n in names if n in str(d)]
            assert not hits, f"definition of {k} names {hits}"


def test_audit_placements(onto):
    """The misplacements the 2026-11-26 audit found stay fixed."""
    def broader(k):
        return set(onto.transitive_objects(k, SKOS.broader)) - {k}

    assert KIND.maodunjiufenhuajie not in broader(KIND.zhengcexuanjiang)
    assert KIND.xieshangyishi not in broader(KIND.zhongchougongjian)
    assert KIND.jingxihuaguanli not in broader(KIND.suqiuzhibanjizhi)
    assert KIND.bianminfuwu not in broader(KIND.jiuyefuwu)
    assert broader(KIND.zhianlianfang) == {KIND.pinganjianshe}
    assert broader(KIND.zhengqiandongyuan) == {KIND.chengshigengxin}
    assert (KIND.juminzizhi, SKOS.topConceptOf, GK.MechanismKinds) in onto


def test_keywords_find_the_kinds_in_report_wording(onto):
    """A drafter matching labels and keywords in a sentence proposes the expected kinds."""
    index = {}
    for p in (SKOS.prefLabel, SKOS.altLabel):
        for k, lit in onto.subject_objects(p):
            if lit.language == "zh" and (k, RDF.type, GK.MechanismKind) in onto:
                index[str(lit)] = k

    def kinds_in(sentence):
        return {k for label, k in index.items() if label in sentence}

    # invented sentences, in the style of a report
    assert KIND.yingjixiangying in kinds_in("抗击台风过程中,村民小组打通村内道路。")
    assert KIND.yishitangyishihui in kinds_in("打造议事堂,完善议事规则。")
    assert KIND.zhengqiandongyuan in kinds_in("党员入户做工作,消除动迁障碍。")
    assert KIND.juminzizhi in kinds_in("逐渐形成居民自我管理、自我服务的模式。")
    assert KIND.pinganjianshe in kinds_in("监控接入镇综治平台。")


def test_emergency_response_definition_is_general(onto):
    en = _by_lang(onto, KIND.yingjixiangying, SKOS.definition)["en"][0]
    zh = _by_lang(onto, KIND.yingjixiangying, SKOS.definition)["zh"][0]
    assert "typhoon" in en and "台风" in zh
    assert _by_lang(onto, KIND.yingjixiangying, SKOS.prefLabel) == {"zh": ["应急响应"], "en": ["emergency response"]}


def test_comprehensive_governance_is_the_english_of_zongzhi(onto):
    """综治 is "comprehensive governance" wherever the scheme translates it."""
    for k in onto.subjects(RDF.type, GK.MechanismKind):
        zh = " ".join(str(o) for o in onto.objects(k, SKOS.definition) if o.language == "zh")
        en = " ".join(str(o) for o in onto.objects(k, SKOS.definition) if o.language == "en")
        if "综治" in zh:
            assert "comprehensive governance" in en or "comprehensive-governance" in en, k
            assert "public-security platform" not in en
