"""The closed namespaces in govkg.namespace list exactly the terms the ontology declares."""

from importlib.resources import files

import pytest
from rdflib import Graph

from govkg import vocab
from govkg.namespace import GK, KIND, UNIT


def _terms(filename, ns):
    g = Graph().parse(data=files("govkg.ontology").joinpath(filename).read_text(encoding="utf-8"), format="turtle")
    prefix = str(ns)
    return {str(s)[len(prefix):] for s in set(g.subjects()) if str(s).startswith(prefix) and len(str(s)) > len(prefix)}


def test_gk_namespace_in_sync_with_ontology():
    declared = set(GK.__annotations__)
    in_ttl = _terms("govkg.ttl", GK._NS)
    assert declared == in_ttl, (
        "GK out of sync with ontology/govkg.ttl: "
        f"missing in namespace.py {sorted(in_ttl - declared)}, not in the ontology {sorted(declared - in_ttl)}")


def test_kind_and_unit_are_open_namespaces_of_the_ontology_files():
    # kinds and units are curated data of the ontology files, not a hand-copied term list
    assert KIND["yishitangyishihui"] == KIND._NS["yishitangyishihui"]
    assert {"yishitangyishihui", "yingjixiangying"} <= _terms("mechanism-kinds.ttl", KIND)
    assert {"wanyuan", "mu"} <= _terms("units.ttl", UNIT)


@pytest.mark.parametrize("name", sorted(vocab.ENUMS))
def test_every_vocabulary_term_is_declared_in_the_ontology(name):
    declared = {GK._NS[t] for t in GK.__annotations__}
    table = vocab.ENUMS[name]
    assert table and set(table.values()) <= declared


def test_period_phrases_have_distinct_slugs():
    slugs = [p.slug for p in vocab.PERIODS.values()]
    assert len(slugs) == len(set(slugs))


def test_namespace_is_closed():
    with pytest.raises(AttributeError):
        GK.Mechansim  # noqa: B018 - the misspelling is the point
    assert str(GK.Mechanism) == "https://w3id.org/govkg/ontology#Mechanism"
