"""Which site–mechanism and site–kind links the report states, and which rest only on the curators' inferences."""

from __future__ import annotations

from rdflib import RDF, Graph, Literal

from ..namespace import GK

__all__ = ["stated_links"]

_TRUE = Literal(True)


def stated_links(graph: Graph, broader: dict) -> tuple[set, set]:
    """``(mechanism–site pairs, kind–site pairs)`` that some stated link gives.

    A mechanism is at a site by the report's words when one of its uses there
    (``gk:MechanismUse``) is marked ``gk:inferred`` neither on the use nor on the mechanism
    (a ``gk:usedAt`` without a use node counts as stated). A kind is at a site by the report's
    words when such a mechanism has the kind, or a narrower one, not marked ``gk:inferredKind``.
    Every other link of the incidence rests only on inferences.

    Parameters
    ----------
    graph : rdflib.Graph
    broader : dict
        ``{kind: frozenset(its broader kinds, transitively)}`` (``SiteIndex.broader``).

    Returns
    -------
    tuple of set
        ``{(mechanism IRI, site IRI)}`` and ``{(kind IRI, site IRI)}``, as rdflib terms.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> from govkg.analysis.index import site_index
    >>> g = _example_graph()
    >>> mechs, kinds = stated_links(g, site_index(g).broader)
    >>> len(mechs) == len(set(g.subject_objects(GK.usedAt)))
    True
    """
    def inferred(node) -> bool:
        return (node, GK.inferred, _TRUE) in graph

    pairs = set(graph.subject_objects(GK.usedAt))
    used: dict[tuple, bool] = {}  # (m, s) -> stated by some use?
    for u in graph.subjects(RDF.type, GK.MechanismUse):
        m, s = graph.value(u, GK.mechanism), graph.value(u, GK.site)
        if m is not None and s is not None:
            used[(m, s)] = used.get((m, s), False) or not (inferred(u) or inferred(m))
    mechs = {p for p in pairs if used.get(p, True)}
    kinds: set = set()
    for m, s in mechs:
        guessed = set(graph.objects(m, GK.inferredKind))
        for k in graph.objects(m, GK.mechanismKind):
            if k not in guessed:
                kinds.update((x, s) for x in {k, *broader.get(k, ())})
    return mechs, kinds
