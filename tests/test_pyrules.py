"""The quality rules govkg runs in Python (``govkg.pyrules``) and the rewritten composed-label rule give the
same violations as their SPARQL definitions (the .rq text, run on Oxigraph, is the oracle)."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import ORG, PROV, SKOS

from govkg.namespace import GK, ID, SCHEMA
from govkg.pyrules import IN_PYTHON, unstated_identity
from govkg.query import run_query, to_store
from govkg.resources import checks
from govkg.validate import run_checks, validate

RULE = "unstated-identity"
MESSAGE = ("the label names {}, which none of its evidence sentences names: an identity the report does not state; "
           "mark it inferred: {}")


def _oracle(graph_or_store, rule: str, text: str | None = None) -> list[tuple[str, str]]:
    """The rows of the rule's SPARQL text, run as SPARQL."""
    rows = run_query(graph_or_store, text if text is not None else checks()[rule]).as_dicts()
    return sorted({(d["entity"], d["message"]) for d in rows})


def _copy(graph: Graph) -> Graph:
    g = Graph()
    for t in graph:
        g.add(t)
    return g


def _area(g: Graph, slug: str, zh: str, en: str | None = None) -> URIRef:
    node = ID[f"area/{slug}"]
    g.add((node, RDF.type, SCHEMA.AdministrativeArea))
    g.add((node, RDFS.label, Literal(zh, lang="zh")))
    if en:
        g.add((node, RDFS.label, Literal(en, lang="en")))
    return node


def _org(g: Graph, slug: str, zh: str, *sentences: str, evidence: bool = True) -> URIRef:
    node = ID[f"org/{slug}"]
    g.add((node, RDF.type, ORG.Organization))
    g.add((node, RDFS.label, Literal(zh, lang="zh")))
    if evidence:
        ev = BNode()
        g.add((node, GK.evidence, ev))
        for s in sentences:
            g.add((ev, PROV.value, Literal(s)))
    return node


@pytest.fixture(scope="module")
def crafted() -> Graph:
    """Organizations and places that exercise every clause of the rule."""
    g = Graph()
    _area(g, "haikoushi", "海口市", "Haikou")
    _area(g, "meilanqu", "美兰区")
    _area(g, "meilan", "美兰")  # inside 美兰区: a nested name
    _area(g, "kouzhen", "口镇")  # shares 口 with 海口市, but in no label
    _area(g, "jiangyuancun", "江源村")
    _org(g, "a", "海口市美兰区江源村党支部", "海口市江源村党支部带头。")  # 美兰区 and 美兰 unstated
    _org(g, "b", "美兰区江源村党支部", "美兰区江源村党支部带头。")  # every name stated: none
    _org(g, "c", "江源村村委会", "村委会牵头。", "江源村的村委会。")  # stated in the second sentence: none
    inferred = _org(g, "d", "美兰区政府", "区政府部署。")
    g.add((inferred, GK.inferred, Literal(True)))  # marked: none
    draft = _org(g, "e", "美兰区街道办", "街道办部署。")
    g.add((draft, GK.curationStatus, GK.Draft))  # a draft: none
    _org(g, "f", "美兰区综治中心", evidence=False)  # no evidence: none
    _org(g, "g", "海口市文明办")  # evidence without a sentence: 海口市 unstated
    two = _org(g, "h", "江源村合作社", "合作社。")  # two zh labels, and an en one naming Haikou
    g.add((two, RDFS.label, Literal("海口市合作社", lang="zh")))
    g.add((two, RDFS.label, Literal("Haikou cooperative", lang="en")))
    g.add((ID["area/x"], RDFS.label, Literal("合作", lang="zh")))  # a label, but not of an area: not a place
    return g


def test_the_python_rule_finds_what_the_sparql_text_finds_on_a_crafted_graph(crafted):
    found = unstated_identity(to_store(crafted))
    assert found == _oracle(crafted, RULE)
    expected = {("a", "美兰区", "海口市美兰区江源村党支部"), ("a", "美兰", "海口市美兰区江源村党支部"),
                ("g", "海口市", "海口市文明办"), ("h", "江源村", "江源村合作社"), ("h", "海口市", "海口市合作社")}
    assert found == sorted((str(ID[f"org/{e}"]), MESSAGE.format(n, label)) for e, n, label in expected)


def test_no_violation_without_places_or_matches():
    g = Graph()
    _org(g, "a", "江源村党支部", "江源村党支部带头。")
    assert unstated_identity(to_store(g)) == [] == _oracle(g, RULE)
    _area(g, "meilanqu", "美兰区")
    assert unstated_identity(to_store(g)) == [] == _oracle(g, RULE)


def test_the_python_rule_finds_what_the_sparql_text_finds_on_the_bundled_graph(graph):
    """The bundled graph (no violation), then a copy whose organizations get a second zh label that
    names a place: some named in their sentences (no violation), most not."""
    assert unstated_identity(to_store(graph)) == [] == _oracle(graph, RULE)
    g = _copy(graph)
    places = sorted(str(o) for s in g.subjects(RDF.type, SCHEMA.AdministrativeArea)
                    for o in g.objects(s, RDFS.label) if o.language == "zh")
    orgs = sorted(set(g.subjects(RDF.type, ORG.Organization)))
    assert len(places) > 3 and len(orgs) > 10
    for i, org in enumerate(orgs):
        label = next(str(o) for o in g.objects(org, RDFS.label) if o.language == "zh")
        g.add((org, RDFS.label, Literal(places[i % len(places)] + label, lang="zh")))
    found = unstated_identity(to_store(g))
    assert len(found) > 10
    assert found == _oracle(g, RULE)


def test_validate_runs_the_python_rule_under_the_rule_name_and_not_the_sparql_text(crafted):
    """The .rq text is the rule's definition, not what runs: a rule named in IN_PYTHON runs its
    Python version whatever text is given."""
    assert set(IN_PYTHON) <= set(checks())
    found = run_checks(crafted, {RULE: "not SPARQL at all"})
    assert [(v.rule, v.focus, v.message) for v in found] == [(RULE, e, m) for e, m in _oracle(crafted, RULE)]
    report = validate(crafted)
    assert [v for v in report.violations if v.rule == RULE] == found
    assert f"checks/{RULE}-violation.rq" in report.rules_run


# --- composed-label-without-note: MINUS over the pairs found once instead of a NOT EXISTS per entity -------

COMPOSED = "composed-label-without-note"
#: The rule's text before the rewrite (a FILTER NOT EXISTS per entity; minutes at 2,000 sites): the oracle.
COMPOSED_BEFORE = """
SELECT DISTINCT ?entity ?message WHERE {
  VALUES ?cls { gk:Mechanism org:Organization }
  ?entity a ?cls ; rdfs:label ?label ; gk:evidence ?ev .
  FILTER (LANG(?label) = "zh")
  FILTER NOT EXISTS { ?entity a gk:EventResponse }
  FILTER NOT EXISTS { ?entity skos:editorialNote ?note }
  FILTER NOT EXISTS { ?entity gk:curationStatus gk:Draft }
  FILTER NOT EXISTS { ?entity gk:evidence/prov:value ?sentence . FILTER (CONTAINS(STR(?sentence), STR(?label))) }
  BIND (CONCAT("label not found in its evidence and no label_note (skos:editorialNote) says it is ours: ",
               STR(?label)) AS ?message)
}"""


def test_composed_label_finds_what_it_found_before_on_a_crafted_graph():
    g = Graph()
    _org(g, "a", "江源村党支部", "江源村党支部带头。")  # in its sentence: none
    _org(g, "b", "“四大实招”社区", "打造社企融合社区。")  # composed: a violation
    noted = _org(g, "c", "三方议事会", "议事。")
    g.add((noted, SKOS.editorialNote, Literal("Ours.", lang="en")))  # noted: none
    draft = _org(g, "d", "草稿会", "议事。")
    g.add((draft, GK.curationStatus, GK.Draft))  # a draft: none
    response = _org(g, "e", "应急小组", "救灾。")
    g.add((response, RDF.type, GK.EventResponse))  # an event response: none
    mech = ID["mechanism/m"]
    g.add((mech, RDF.type, GK.Mechanism))
    for label in ("议事堂", "议事堂机制"):  # two zh labels: the second is composed
        g.add((mech, RDFS.label, Literal(label, lang="zh")))
    for sentence in ("建立议事堂。", "另一句。"):  # two evidence nodes, the label in one
        ev = BNode()
        g.add((mech, GK.evidence, ev))
        g.add((ev, PROV.value, Literal(sentence)))
    other = _org(g, "f", "江源村党支部", "别的句子。")  # the same label as a, not in its own sentence
    _org(g, "g", "无证据", evidence=False)  # no evidence: none
    found = _oracle(g, COMPOSED)
    assert found == _oracle(g, COMPOSED, COMPOSED_BEFORE)
    assert [(e, m.rpartition(": ")[2]) for e, m in found] == sorted(
        [(str(ID["org/b"]), "“四大实招”社区"), (str(mech), "议事堂机制"), (str(other), "江源村党支部")])


def test_composed_label_finds_what_it_found_before_on_the_bundled_graph(graph):
    g = _copy(graph)
    entities = sorted({s for c in (GK.Mechanism, ORG.Organization) for s in g.subjects(RDF.type, c)})
    for i, e in enumerate(entities):  # a shortened label (mostly still in the sentence) or a longer one
        label = next(str(o) for o in g.objects(e, RDFS.label) if o.language == "zh")
        g.add((e, RDFS.label, Literal(label[1:] if i % 2 else label + "工作法", lang="zh")))
    found = _oracle(g, COMPOSED)
    assert len(found) > 5
    assert found == _oracle(g, COMPOSED, COMPOSED_BEFORE)
