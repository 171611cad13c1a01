"""SHACL shapes and quality rules: the bundled graph conforms, and each rule catches what it is for."""

from __future__ import annotations

import pytest
from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import PROV, SKOS

from govkg.namespace import GK, ID, KIND, SCHEMA
from govkg.resources import checks
from govkg.validate import run_checks, run_shacl, validate


def test_bundled_graph_conforms(graph):
    report = validate(graph)
    assert report.conforms, str(report)
    assert "shacl:ontology/shapes.ttl" in report.rules_run
    assert len(report.rules_run) == 1 + len(checks())


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

    return [
        ("missing-label", drop_en_label, SITE),
        ("missing-evidence", drop_evidence, OUTCOME),
        ("number-without-unit", drop_unit, OUTCOME),
        ("undeclared-term", undeclared_kind, KIND._NS["no-such-kind"]),
        ("undeclared-term", undeclared_property, URIRef(str(GK._NS) + "populaton")),
        ("untyped-number", string_number, OUTCOME),
        ("missing-definition", drop_definition, GK.Mechanism),
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
