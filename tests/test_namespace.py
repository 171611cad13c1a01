"""The closed namespaces in govkg.namespace list exactly the terms the ontology declares."""

from importlib.resources import files

import pytest
from rdflib import Graph

from govkg.namespace import GK, KIND, UNIT


def _terms(filename, ns):
    g = Graph().parse(data=files("govkg.ontology").joinpath(filename).read_text(encoding="utf-8"), format="turtle")
    prefix = str(ns)
    return {str(s)[len(prefix):] for s in set(g.subjects()) if str(s).startswith(prefix) and len(str(s)) > len(prefix)}


@pytest.mark.parametrize("filename, cls", [
    ("govkg.ttl", GK), ("mechanism-kinds.ttl", KIND), ("units.ttl", UNIT),
])
def test_namespace_in_sync_with_ontology(filename, cls):
    declared = set(cls.__annotations__)
    in_ttl = _terms(filename, cls._NS)
    assert declared == in_ttl, (
        f"{cls.__name__} out of sync with ontology/{filename}: "
        f"missing in namespace.py {sorted(in_ttl - declared)}, not in the ontology {sorted(declared - in_ttl)}")


def test_namespace_is_closed():
    with pytest.raises(AttributeError):
        GK.Mechansim  # noqa: B018 - the misspelling is the point
    assert str(GK.Mechanism) == "https://w3id.org/govkg/ontology#Mechanism"
