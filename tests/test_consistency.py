"""OWL 2 consistency of the ontology and the data, checked by HermiT (bundled with owlready2; needs java)."""

from __future__ import annotations

import pytest
from govkg.namespace import ID
from govkg.resources import ontology_graph
from rdflib import OWL, RDF, XSD, Graph, Literal

pytestmark = [pytest.mark.requires("java"), pytest.mark.slow]


def _hermit(graph: Graph, tmp_path) -> None:
    """Run HermiT on ``graph``; raises ``OwlReadyInconsistentOntologyError`` when inconsistent.

    ``owl:imports`` are dropped (no network; the W3C terms we use are declared by use), and
    xsd:date values become xsd:dateTime: xsd:date is not in the OWL 2 datatype map HermiT
    implements, and the day is all a date says.
    """
    import owlready2

    g = Graph()
    for s, p, o in graph:
        if p == OWL.imports:
            continue
        if isinstance(o, Literal) and o.datatype == XSD.date:
            o = Literal(f"{o}T00:00:00Z", datatype=XSD.dateTime)
        g.add((s, p, o))
    path = tmp_path / "govkg.nt"
    g.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load(format="ntriples")
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []


def test_ontology_and_data_are_consistent(graph, tmp_path):
    _hermit(graph, tmp_path)


def test_an_inconsistency_is_found(tmp_path):
    import owlready2

    g = ontology_graph()
    g.add((ID["site/nowhere"], RDF.type, OWL.Nothing))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(g, tmp_path)
