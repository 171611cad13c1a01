"""Units (ontology/units.ttl) and govkg.units: quantity kinds, factors to a base unit, and
amounts written as a reader would write them, on real values of the bundled data."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from rdflib import RDF, RDFS, Literal, Namespace, URIRef
from rdflib.namespace import PROV, SKOS

from govkg import GovkgError
from govkg.namespace import GK, SCHEMA, UNIT
from govkg.units import QUDT, format_amount, to_base

QK = Namespace("http://qudt.org/vocab/quantitykind/")
QUNIT = Namespace("http://qudt.org/vocab/unit/")
# The QUDT terms units.ttl uses, looked up in qudt/qudt-public-repo (commit 8b9168d, 2026-08):
# src/main/rdf/vocab/quantitykinds/VOCAB_QUDT-QUANTITY-KINDS-ALL.ttl and .../unit/VOCAB_QUDT-UNITS-ALL.ttl.
QUDT_QUANTITY_KINDS = {QK[k] for k in ("Count", "Population", "Currency", "Area", "Length", "Time", "DimensionlessRatio", "Dimensionless")}
QUDT_UNITS = {QUNIT[u] for u in ("CCY_CNY", "M2", "M", "KiloM", "SEC", "DAY", "HR", "UNITLESS", "PERCENT")}


@pytest.fixture(scope="module")
def units(onto):
    us = sorted(onto.subjects(RDF.type, GK.Unit))
    assert len(us) >= 25
    return us


def test_every_unit_has_a_quantity_kind_a_multiplier_and_labels(onto, units):
    for u in units:
        assert set(onto.objects(u, QUDT.hasQuantityKind)) <= QUDT_QUANTITY_KINDS and onto.value(u, QUDT.hasQuantityKind), u
        m = onto.value(u, QUDT.conversionMultiplier)
        assert isinstance(m, Literal) and Decimal(str(m)) > 0, u
        assert set(onto.objects(u, RDFS.label)) == set(onto.objects(u, SKOS.prefLabel)), u
        assert {lit.language for lit in onto.objects(u, SKOS.prefLabel)} == {"zh", "en"}, u
        assert {lit.language for lit in onto.objects(u, SKOS.definition)} == {"zh", "en"}, u
        assert len(list(onto.objects(u, SCHEMA.unitText))) == 1, u
        for m in onto.objects(u, SKOS.exactMatch):
            assert m in QUDT_UNITS, (u, m)


def test_base_units(onto, units):
    """A unit without qudt:scalingOf is its own base (multiplier 1); a base of ours is itself a
    base of the same quantity kind; every other base is a QUDT unit."""
    for u in units:
        base = onto.value(u, QUDT.scalingOf)
        if base is None:
            assert Decimal(str(onto.value(u, QUDT.conversionMultiplier))) == 1, u
        elif str(base).startswith(str(UNIT._NS)):
            assert onto.value(base, QUDT.scalingOf) is None, (u, base)
            assert onto.value(base, QUDT.hasQuantityKind) == onto.value(u, QUDT.hasQuantityKind), (u, base)
        else:
            assert base in QUDT_UNITS, (u, base)


@pytest.mark.parametrize("value, unit, base, expected", [
    (606, "万元", UNIT.yuan, 6_060_000),
    (1, "亩", QUNIT.M2, Fraction(10000, 15)),
    (3200, "亩", QUNIT.M2, Fraction(3200 * 10000, 15)),
    (11.5, "公里", QUNIT.M, 11_500),
    (Decimal("1.2"), "万人", UNIT.ren, 12_000),
    (33, "%", QUNIT.UNITLESS, Fraction(33, 100)),
    (25, "天", QUNIT.SEC, 25 * 86_400),
    (132, "名", UNIT.ren, 132),
])
def test_to_base_factors(value, unit, base, expected):
    got, got_base = to_base(value, unit)
    assert got_base == base
    assert got == pytest.approx(float(expected), rel=1e-15)
    if Fraction(expected).denominator == 1:
        assert isinstance(got, int) and got == expected


def test_counting_units_keep_their_own_base():
    bases = {to_base(1, u)[1] for u in ("个", "支", "项", "家", "户", "人", "件")}
    assert len(bases) == 7
    assert to_base(5, "hu") == (5, UNIT.hu)
    assert to_base(5, UNIT.jia) == (5, UNIT.jia)


def test_money_is_comparable_across_units():
    assert to_base(606, "万元")[1] == to_base(5000, "元")[1] == UNIT.yuan
    assert to_base(606, "万元")[0] > to_base(5000, "元")[0]


def test_to_base_does_not_round_mu():
    # 3200 亩 is 2,133,333.33… m², not 3200 × 666.67 = 2,133,344
    assert abs(to_base(3200, "mu")[0] - 2_133_333.333) < 0.001


def _outcome(graph, value, unit_text):
    for o in graph.subjects(RDF.type, GK.Outcome):
        v = graph.value(o, SCHEMA.value)
        if v is not None and Decimal(str(v)) == Decimal(str(value)) and str(graph.value(o, SCHEMA.unitText)) == unit_text:
            sentences = [str(graph.value(e, PROV.value)) for e in graph.objects(o, GK.evidence)]
            return v, graph.value(o, SCHEMA.unitCode), graph.value(o, GK.comparator), sentences
    pytest.fail(f"no outcome {value}{unit_text} in the bundled data")


@pytest.mark.parametrize("value, unit_text, en, zh", [
    (606, "万元", "6.06 million yuan", "606万元"),
    (1500, "亩", "more than 1,500 mu", "1500余亩"),
    (3200, "亩", "3,200 mu", "3200亩"),
    (1260, "万元", "12.6 million yuan", "1260万元"),
    (33, "%", "33%", "33%"),
    (132, "人", "132 people", "132人"),
    (11.5, "公里", "11.5 km", "11.5公里"),
    (1.2, "万人", "12,000 people", "1.2万人"),
])
def test_format_real_amounts(graph, value, unit_text, en, zh):
    """Values, units and comparators as the bundled data holds them; zh as the report writes them."""
    v, unit, comparator, sentences = _outcome(graph, value, unit_text)
    assert format_amount(v, unit, lang="en", comparator=comparator) == en
    assert format_amount(v, unit, lang="zh", comparator=comparator) == zh
    assert any(zh in s for s in sentences), sentences


def test_every_outcome_of_the_data_converts_and_renders(graph):
    """Every outcome converts and renders in both languages; where the report writes the number
    in Arabic digits right before the unit, the zh rendering is the report's own text."""
    checked = 0
    for o in graph.subjects(RDF.type, GK.Outcome):
        v, unit, comp = graph.value(o, SCHEMA.value), graph.value(o, SCHEMA.unitCode), graph.value(o, GK.comparator)
        text = str(graph.value(o, SCHEMA.unitText))
        to_base(v, unit)
        assert format_amount(v, unit, "en", comp)
        zh = format_amount(v, unit, "zh", comp)
        plain = format_amount(v, unit, "zh")
        sentences = [str(graph.value(e, PROV.value)) for e in graph.objects(o, GK.evidence)]
        if comp == GK.Exactly and any(re.search(rf"(?<![\d.]){re.escape(plain)}", s) for s in sentences):
            assert any(zh in s for s in sentences), (zh, sentences)
            checked += 1
        assert zh.startswith(("约", "超过")) or text in zh
    assert checked >= 40


def test_format_amount_english_forms():
    assert format_amount(1, "户") == "1 household"
    assert format_amount(2, "户") == "2 households"
    assert format_amount(2.5, "万元") == "25,000 yuan"
    assert format_amount(120000, "万元") == "1.2 billion yuan"
    assert format_amount(12345.6789, "万元") == "123,456,789 yuan"
    assert format_amount(50, "人", comparator=GK.Approximately) == "approximately 50 people"
    assert format_amount(90, "%", lang="zh", comparator="MoreThan") == "超过90%"
    assert format_amount(1500, "mu", comparator="more-than") == format_amount(1500, UNIT.mu, comparator=GK.MoreThan) == "more than 1,500 mu"
    assert format_amount(20, "场", lang="zh", comparator="more-than") == "20余场"
    assert format_amount(Literal("11.5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")), "gongli", lang="zh") == "11.5公里"


@pytest.mark.parametrize("call", [
    lambda: to_base(1, "斤"),
    lambda: to_base(1, UNIT._NS["jin"]),
    lambda: to_base("606", "万元"),
    lambda: to_base(float("nan"), "万元"),
    lambda: to_base(True, "万元"),
    lambda: format_amount(1, "吨"),
    lambda: format_amount(1, "万元", lang="fr"),
    lambda: format_amount(1, "万元", comparator="at most"),
    lambda: format_amount(1, "万元", comparator="range"),
    lambda: format_amount(Decimal("Infinity"), "万元"),
])
def test_bad_input_is_a_govkg_error(call):
    with pytest.raises(GovkgError):
        call()
