"""SHACL shapes and quality rules: the bundled graph conforms, and each rule catches what it is for."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from govkg.namespace import GK, ID, KIND, SCHEMA
from govkg.resources import checks, warnings
from govkg.validate import run_checks, run_shacl, validate


def test_bundled_graph_conforms(graph):
    report = validate(graph)
    assert report.conforms, str(report)
    assert "shacl:ontology/shapes.ttl" in report.rules_run
    assert len(report.rules_run) == 1 + len(checks()) + len(warnings())
    assert report.warnings == []  # one report: nothing to review


def test_warning_rules_are_listed_but_never_fail(graph):
    g = _copy(graph)
    other = ID["outcome/gaoxinshequ-pingtaitousu-chulijianshu-second"]
    for p, o in graph.predicate_objects(OUTCOME):
        g.add((other, p, o))
    g.remove((other, SCHEMA.value, None))
    g.add((other, SCHEMA.value, Literal(25)))
    g.add((other, GK.sameMeasureAs, OUTCOME))
    report = validate(g)
    assert report.conforms, str(report)
    assert [(w.rule, w.focus) for w in report.warnings] == [("conflicting-values", str(OUTCOME))]
    assert "warning(s) to review" in str(report) and "25" in report.warnings[0].message
    assert report.as_dict()["warnings"][0]["rule"] == "conflicting-values"


def test_every_check_file_is_a_violation_rule():
    names = set(checks())
    assert {"missing-label", "missing-evidence", "number-without-unit", "undeclared-term",
            "missing-definition"} <= names


def _copy(graph):
    g = type(graph)()
    for t in graph:
        g.add(t)
    return g


SITE = ID["site/gaoxinshequ"]
OUTCOME = ID["outcome/gaoxinshequ-pingtaitousu-chulijianshu"]
FALL = ID["outcome/gaoxinshequ-tousuxiajianglv"]
HALL = ID["mechanism/yezhihuiyishitang"]


def _mutations():
    def drop_en_label(g):
        g.remove((SITE, RDFS.label, Literal("Gaoxin Community", lang="en")))

    def drop_evidence(g):
        g.remove((OUTCOME, GK.evidence, None))
        g.remove((OUTCOME, PROV.wasDerivedFrom, None))

    def drop_unit(g):
        g.remove((OUTCOME, SCHEMA.unitCode, None))

    def undeclared_kind(g):
        m = ID["mechanism/yezhihuiyishitang"]
        g.add((m, GK.mechanismKind, KIND._NS["no-such-kind"]))

    def undeclared_property(g):
        g.add((SITE, URIRef(str(GK._NS) + "populaton"), Literal(1)))

    def string_number(g):
        g.remove((OUTCOME, SCHEMA.value, None))
        g.add((OUTCOME, SCHEMA.value, Literal("24")))

    def drop_definition(g):
        g.remove((GK.Mechanism, SKOS.definition, None))

    def drop_direction(g):
        g.remove((FALL, GK.direction, None))

    def drop_reason(g):
        g.add((OUTCOME, GK.inferred, Literal(True)))

    def lowercase_party(g):
        g.add((HALL, DCTERMS.description, Literal("Set up by the village's party branch.", lang="en")))

    def chinese_in_english(g):
        g.add((SITE, DCTERMS.description, Literal("A community of 秀英街道 with many firms", lang="en")))

    def drop_primary_source(g):
        g.remove((HALL, PROV.hadPrimarySource, None))

    def unquoted_kind_basis(g):
        g.add((HALL, SKOS.scopeNote, Literal("kind 社企融合: it brings firms and residents together.", lang="en")))

    return [
        ("missing-label", drop_en_label, SITE),
        ("missing-evidence", drop_evidence, OUTCOME),
        ("number-without-unit", drop_unit, OUTCOME),
        ("undeclared-term", undeclared_kind, KIND._NS["no-such-kind"]),
        ("undeclared-term", undeclared_property, URIRef(str(GK._NS) + "populaton")),
        ("untyped-number", string_number, OUTCOME),
        ("missing-definition", drop_definition, GK.Mechanism),
        ("change-without-direction", drop_direction, FALL),
        ("inferred-without-reason", drop_reason, OUTCOME),
        ("lowercase-party", lowercase_party, HALL),
        ("chinese-in-english-text", chinese_in_english, SITE),
        ("kind-basis-without-report-words", unquoted_kind_basis, HALL),
        ("missing-source", drop_primary_source, HALL),
    ]


@pytest.mark.parametrize("rule, mutate, focus", _mutations(), ids=lambda x: x if isinstance(x, str) else "")
def test_rule_catches_its_violation(graph, rule, mutate, focus):
    g = _copy(graph)
    assert (SITE, RDF.type, GK.DemonstrationSite) in g
    mutate(g)
    found = [v for v in run_checks(g) if v.rule == rule]
    assert sorted({v.focus for v in found}) == [str(focus)], found
    assert not validate(g).conforms


def test_shacl_reports_missing_unit_and_wrong_datatype(graph):
    g = _copy(graph)
    g.remove((OUTCOME, SCHEMA.unitCode, None))
    g.remove((OUTCOME, SCHEMA.value, None))
    g.add((OUTCOME, SCHEMA.value, Literal("24", datatype=XSD.string)))
    violations = [v for v in run_shacl(g) if v.focus == str(OUTCOME)]
    paths = {v.path for v in violations}
    assert {"schema:unitCode", "schema:value"} <= paths, violations
    messages = {v.path: v.message for v in violations}  # the unit and the datatype constraints fired
    assert "a number needs exactly one unit" in messages["schema:unitCode"], violations
    assert "xsd:integer or xsd:decimal" in messages["schema:value"], violations


def test_report_text_is_readable(graph):
    g = _copy(graph)
    g.remove((SITE, RDFS.label, Literal("Gaoxin Community", lang="en")))
    text = str(validate(g))
    assert "violation" in text and str(SITE) in text and "@en" in text
