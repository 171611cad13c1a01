"""Which sentence of which report puts a mechanism at a site: the evidence of every site–mechanism link."""

from __future__ import annotations

from rdflib import RDF, Graph

from ..namespace import GK, ID
from .outcomes import evidence_of, sources

__all__ = ["link_evidence"]

_USE = GK.MechanismUse  # schema v2: the qualified use of a mechanism at a site
_MECHANISM = GK.mechanism


def link_evidence(graph: Graph) -> dict:
    """``{(mechanism IRI, site IRI): [{"text", "source"}]}`` for every ``gk:usedAt`` link of ``graph``.

    With schema v2 the evidence of the link is that of its ``gk:MechanismUse`` (``gk:mechanism``,
    ``gk:site``, ``gk:evidence``). Without it, a mechanism's evidence quoted for a use at a
    site (``…/evidence/use/<site>/…``) belongs to that site, and the rest of its evidence to
    the site(s) whose file describes it. ``source`` is ``{"iri", "label", "date", "url", …}``
    (see ``govkg.analysis.outcomes.sources``); an empty list means the data quotes nothing.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> ev = link_evidence(_example_graph())
    >>> len(ev), all(v == [] for v in ev.values())
    (9, True)
    """
    srcs = sources(graph)
    out: dict = {(m, s): [] for m, s in graph.subject_objects(GK.usedAt)}
    uses = list(graph.subjects(RDF.type, _USE))
    if uses:
        for u in uses:
            m, s = graph.value(u, _MECHANISM), graph.value(u, GK.site)
            if m is not None and s is not None:
                out.setdefault((m, s), []).extend(evidence_of(graph, u, srcs))
        return out
    use_prefix = str(ID) + "evidence/use/"
    for m in {m for m, _ in out}:
        sites = {s for mm, s in out if mm == m}
        by_site: dict = {}
        rest = []
        for e in evidence_of(graph, m, srcs):
            iris = [str(x) for x in graph.objects(m, GK.evidence)]
            node = next((x for x in iris if _quote(graph, x) == e["text"]), "")
            site_slug = node[len(use_prefix):].split("/", 1)[0] if node.startswith(use_prefix) else None
            site = next((s for s in sites if str(s).rsplit("/", 1)[-1] == site_slug), None)
            if site is not None:
                by_site.setdefault(site, []).append(e)
            else:
                rest.append(e)
        for s in sites:
            out[(m, s)] = by_site.get(s) or ([] if s in by_site else list(rest))
    return out


def _quote(graph: Graph, iri: str) -> str:
    from rdflib import URIRef
    from rdflib.namespace import PROV

    v = graph.value(URIRef(iri), PROV.value)
    return "" if v is None else str(v)
