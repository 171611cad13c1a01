"""The quality rules added after the second reading of the Haikou data (issue 21): each passes on the
bundled graph and on drafts, and catches a bad case planted in a copy of the graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import ORG, SKOS

import govkg
from govkg.draft import draft_report, write_draft
from govkg.namespace import GK, ID, KIND, SOSA
from govkg.resources import checks
from govkg.validate import run_checks, validate

RULES = ("composed-label-without-note", "kind-basis-outside-evidence", "subject-elsewhere-without-mark",
         "unstated-identity", "inferred-kind-without-reason")
FIXTURES = Path(__file__).parent / "fixtures" / "draft"
HALL = ID["mechanism/yezhihuiyishitang"]
OUTCOME = ID["outcome/gaoxinshequ-pingtaitousu-chulijianshu"]
BRANCH = ID["org/jiangyuancundangzhibu"]
FORMULA = ID["mechanism/yibensanzhuasijusangongcheng"]  # 昌炳's formula: its three kinds are inferred


@pytest.fixture(scope="module")
def rules():
    found = checks()
    assert set(RULES) <= set(found)
    return {n: found[n] for n in RULES}


def _copy(graph):
    g = Graph()
    for t in graph:
        g.add(t)
    return g


def _relabel(g, node, zh):
    g.remove((node, RDFS.label, next(o for o in g.objects(node, RDFS.label) if o.language == "zh")))
    g.add((node, RDFS.label, Literal(zh, lang="zh")))


def test_rules_pass_on_the_bundled_graph(graph, rules):
    assert run_checks(graph, rules) == []
    assert set(graph.objects(FORMULA, GK.inferredKind)) == {KIND[k] for k in ("huanjingzhengzhi", "jiuyefuwu", "duoyuangongzhi")}


def _accept_as_drafted(text: str) -> str:
    """A data file as a curator who accepts every drafted entry unchanged leaves it: status accepted,
    and the mechanisms the drafter left untyped (a kind must be chosen before acceptance) left out,
    with the references to them."""
    import yaml

    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        return text
    untyped = {m["id"] for m in doc.get("mechanisms") or [] if not m.get("kinds")}

    def walk(node):
        if isinstance(node, dict):
            if node.get("status") == "draft":
                node["status"] = "accepted"
            for key in [k for k, v in node.items() if isinstance(v, str) and v in untyped and k != "id"]:
                del node[key]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            node[:] = [x for x in node if not (isinstance(x, str) and x in untyped)]
            for v in node:
                walk(v)

    if untyped:
        doc["mechanisms"] = [m for m in doc["mechanisms"] if m["id"] not in untyped] or None
        if doc["mechanisms"] is None:
            del doc["mechanisms"]
    walk(doc)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_rules_pass_on_what_the_drafter_writes(tmp_path, rules):
    """`govkg draft` output built with --include-drafts: its entries are drafts, which these rules leave
    to the curator's review; the drafted graph has entries every rule would look at (mechanisms,
    organizations, outcomes)."""
    out = tmp_path / "lanhu" / "data"
    write_draft(draft_report(FIXTURES / "lanhu.txt", source_id="lanhu-test", publisher="蓝湖日报/Lanhu Daily"),
                out, text_path=FIXTURES / "lanhu.txt")
    g = govkg.build_graph(out, sources_dirs=[out / "sources"], include_drafts=True)
    assert any(g.subjects(GK.curationStatus, GK.Draft))
    assert all(any(g.subjects(RDF.type, t)) for t in (GK.Mechanism, ORG.Organization, GK.Outcome))
    assert run_checks(g, rules) == []


@pytest.mark.parametrize("report", ["lanhu", "hexi"])
def test_drafts_once_accepted_carry_the_marks_the_rules_ask_for(tmp_path, rules, report):
    """A curator who accepts every drafted entry as it is (status accepted) gets no violation of
    these rules: the drafter writes a label_note on the labels it composes (“甲”“乙”2支志愿服务队)."""
    out = tmp_path / report / "data"
    write_draft(draft_report(FIXTURES / f"{report}.txt", source_id=f"{report}-test", publisher="蓝湖日报/Lanhu Daily"),
                out, text_path=FIXTURES / f"{report}.txt")
    for path in out.rglob("*.yaml"):
        path.write_text(_accept_as_drafted(path.read_text(encoding="utf-8")), encoding="utf-8")
    g = govkg.build_graph(out, sources_dirs=[out / "sources"])
    assert not any(g.subjects(GK.curationStatus, GK.Draft))
    assert run_checks(g, rules) == []
    if report == "hexi":  # “银发先锋”“小红帽”2支志愿服务队: two composed labels, each with its note
        assert len([s for s in g.subjects(SKOS.editorialNote, None) if "/org/" in str(s)]) >= 2


def composed_label(g):
    _relabel(g, HALL, "“椰智荟”议事堂与三方议事机制")  # joins two names of the sentence: ours


def kind_basis_of_other_words(g):
    g.add((HALL, SKOS.scopeNote, Literal("kind 社企融合: a community-enterprise integrated community (社企融合社区).", lang="en")))


def inferred_kind_of_other_words(g):
    g.add((HALL, SKOS.scopeNote, Literal("kind 多元共治 (inferred): the section's 多元主体 take part.", lang="en")))


def subject_elsewhere(g):
    g.remove((OUTCOME, SOSA.hasFeatureOfInterest, None))
    g.add((OUTCOME, SOSA.hasFeatureOfInterest, ID["area/haikoushi"]))  # a fact of the city, at 高新社区


def unstated_identity(g):
    _relabel(g, BRANCH, "美兰区江源村党支部")  # the sentences name 江源村, never 美兰区
    g.add((BRANCH, SKOS.editorialNote, Literal("The district is the site's.", lang="en")))  # explained, not marked


def inferred_kind_not_a_kind(g):
    g.add((HALL, GK.inferredKind, KIND["jiuyefuwu"]))


def inferred_kind_without_reason(g):
    g.remove(next((FORMULA, SKOS.scopeNote, n) for n in g.objects(FORMULA, SKOS.scopeNote) if "就业服务 (inferred)" in n))


PLANTED = [
    ("composed-label-without-note", composed_label, HALL, (HALL, SKOS.editorialNote, Literal("Ours.", lang="en"))),
    ("kind-basis-outside-evidence", kind_basis_of_other_words, HALL, None),
    ("kind-basis-outside-evidence", inferred_kind_of_other_words, HALL, None),
    ("subject-elsewhere-without-mark", subject_elsewhere, OUTCOME, (OUTCOME, GK.inferred, Literal(True))),
    ("unstated-identity", unstated_identity, BRANCH, (BRANCH, GK.inferred, Literal(True))),
    ("inferred-kind-without-reason", inferred_kind_not_a_kind, HALL, (HALL, GK.mechanismKind, KIND["jiuyefuwu"])),
    ("inferred-kind-without-reason", inferred_kind_without_reason, FORMULA, None),
]


@pytest.mark.parametrize("rule, plant, focus, fix", PLANTED, ids=[f"{r}-{p.__name__}" for r, p, _f, _x in PLANTED])
def test_rule_catches_the_planted_case(graph, rules, rule, plant, focus, fix):
    g = _copy(graph)
    plant(g)
    found = run_checks(g, rules)
    assert [(v.rule, v.focus) for v in found] == [(rule, str(focus))], found
    assert not validate(g).conforms
    if fix is not None:  # the mark the rule asks for silences it
        g.add(fix)
        if fix[1] == GK.mechanismKind:  # a counted inferred kind still needs its reason
            g.add((HALL, SKOS.scopeNote, Literal("kind 就业服务 (inferred): the hall's 银发人才 (a reading).", lang="en")))
        if fix[1] == GK.inferred:
            g.add((fix[0], GK.inferenceReason, Literal("Why.", lang="en")))
        assert run_checks(g, {rule: rules[rule]}) == []


def test_a_draft_is_left_to_review(graph, rules):
    g = _copy(graph)
    composed_label(g)
    g.add((HALL, GK.curationStatus, GK.Draft))
    assert run_checks(g, {"composed-label-without-note": rules["composed-label-without-note"]}) == []
