"""Labels of terms in zh and en, read one way for every consumer."""

from __future__ import annotations

from rdflib import RDFS, Graph

__all__ = ["labels", "label", "label_dict", "pick"]


def label_dict(lit_pairs) -> dict:
    """``{subject: {"zh": …, "en": …}}`` from ``(subject, literal)`` pairs (first label per language wins).

    A literal tagged ``zh``/``zh-…`` is Chinese, ``en``/``en-…`` or untagged English.

    Examples
    --------
    >>> from rdflib import Literal
    >>> label_dict([("x", Literal("甲", lang="zh")), ("x", Literal("Jia", lang="en"))])
    {'x': {'zh': '甲', 'en': 'Jia'}}
    """
    out: dict = {}
    for s, lit in lit_pairs:
        lang = (getattr(lit, "language", None) or "").lower()
        d = out.setdefault(s, {})
        key = "zh" if lang.startswith("zh") else "en" if (lang.startswith("en") or not lang) else None
        if key and key not in d:
            d[key] = str(lit)
    return out


def labels(graph: Graph, iri) -> dict:
    """The zh and en labels of ``iri`` as ``{"zh": …, "en": …}`` (empty text when missing).

    Examples
    --------
    >>> from rdflib import Graph, Literal, RDFS, URIRef
    >>> g = Graph(); x = URIRef("urn:x")
    >>> g.add((x, RDFS.label, Literal("高新社区", lang="zh"))) and None
    >>> labels(g, x)
    {'zh': '高新社区', 'en': ''}
    """
    d = label_dict((iri, o) for o in graph.objects(iri, RDFS.label)).get(iri, {})
    return {"zh": d.get("zh", ""), "en": d.get("en", "")}


def pick(ls: dict, lang: str = "zh", default: str = "") -> str:
    """The label in ``lang`` from ``{"zh", "en"}``, else the other language, else ``default``.

    Examples
    --------
    >>> pick({"zh": "甲", "en": ""}, "en")
    '甲'
    """
    other = "en" if lang == "zh" else "zh"
    return ls.get(lang) or ls.get(other) or default


def label(graph: Graph, iri, lang: str = "zh") -> str:
    """The label of ``iri`` in ``lang``, falling back to the other language, then the IRI."""
    return pick(labels(graph, iri), lang, str(iri))
