"""The words the drafter reads from the ontology: unit texts and mechanism-kind labels and keywords."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import SKOS

from ..namespace import GK, KIND, SCHEMA, UNIT

__all__ = ["Vocabulary", "vocabulary"]


@dataclass(frozen=True)
class Vocabulary:
    """Units and mechanism kinds as the drafter uses them.

    ``units`` maps the unit as a report writes it (``schema:unitText``: 万元, 场次, %) to the
    unit id; ``unit_en`` maps a unit id to its English label. ``kind_words`` maps each kind id
    to its Chinese label and alternative labels (``skos:altLabel``), the keywords a
    mechanism's name or sentence is matched against; ``kind_labels`` holds (zh, en) labels.
    """

    units: dict[str, str]
    unit_en: dict[str, str]
    kind_words: dict[str, tuple[str, ...]]
    kind_labels: dict[str, tuple[str, str]]

    def unit_texts(self) -> list[str]:
        """Unit texts, longest first (so 万元 wins over 元, 场次 over 场)."""
        return sorted(self.units, key=len, reverse=True)


def _local(iri, ns) -> str:
    return str(iri)[len(str(ns._NS)):]


def _text(g: Graph, node, prop, lang: str) -> str | None:
    for o in g.objects(node, prop):
        if getattr(o, "language", None) == lang:
            return str(o)
    return None


def from_graph(g: Graph) -> Vocabulary:
    """Read units and kinds from an ontology graph.

    Examples
    --------
    >>> from govkg.resources import ontology_graph
    >>> v = from_graph(ontology_graph())
    >>> v.units["万元"], v.unit_en["mu"].startswith("mu")
    ('wanyuan', True)
    >>> "议事堂议事会" in v.kind_words["yishitangyishihui"]
    True
    """
    units, unit_en = {}, {}
    for u in g.subjects(RDF.type, GK.Unit):
        uid = _local(u, UNIT)
        for t in g.objects(u, SCHEMA.unitText):
            units[str(t)] = uid
        unit_en[uid] = _text(g, u, RDFS.label, "en") or uid
    kind_words, kind_labels = {}, {}
    for k in g.subjects(RDF.type, GK.MechanismKind):
        kid = _local(k, KIND)
        zh = _text(g, k, RDFS.label, "zh") or _text(g, k, SKOS.prefLabel, "zh") or kid
        en = _text(g, k, RDFS.label, "en") or _text(g, k, SKOS.prefLabel, "en") or kid
        words = [zh]
        for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            words += [str(o) for o in g.objects(k, p) if getattr(o, "language", None) in ("zh", None)]
        kind_words[kid] = tuple(dict.fromkeys(w for w in words if w))
        kind_labels[kid] = (zh, en)
    return Vocabulary(units, unit_en, dict(sorted(kind_words.items())), kind_labels)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary of the shipped ontology (read once)."""
    from ..resources import ontology_graph

    return from_graph(ontology_graph())
