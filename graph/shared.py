"""Mechanisms shared across sites, and sites ranked by what they share, each link with its evidence."""

from __future__ import annotations

from rdflib import Graph

from .analysis.index import Incidence, entry, incidence_of, site_index
from .analysis.labels import label, labels
from .analysis.matching import KIND_MATCH, best_matches, closest, find_site, kind_matches, match_score, rank_matches
from .args import GraphOrBuild
from .errors import GovkgError, NotFoundError


__all__ = [
    "Incidence", "incidence", "labels", "label", "sites", "find_site", "match_score", "best_matches",
    "rank_matches", "shared_mechanisms", "similar_sites",
]

_MATCH = {3: "exact", 2: "prefix", 1: "substring"}


def sites(graph) -> list:
    """All demonstration sites, sorted by IRI."""
    return list(site_index(graph).sites)


def incidence(graph, level: str = "mechanism") -> Incidence:
    """The site × mechanism (or site × kind) incidence matrix.

    Parameters
    ----------
    graph : rdflib.Graph or SiteIndex
    level : {"mechanism", "kind", "specific"}
        ``"kind"`` rolls kinds up along ``skos:broader``: a site that uses a narrower kind
        also uses every broader one; ``"specific"`` keeps only the most specific kinds.

    Returns
    -------
    Incidence
        Rows are the sites (sorted by IRI); columns the mechanisms or kinds in use.

    Raises
    ------
    GovkgError
        For another ``level``.

    Examples
    --------
    >>> from govkg import build_graph
    >>> inc = incidence(build_graph(), "mechanism")
    >>> len(inc.sites), inc.matrix.shape[0]
    (8, 8)
    """
    if level not in ("mechanism", "kind", "specific"):
        raise GovkgError(f"level must be 'mechanism', 'kind' or 'specific', not {level!r}")
    return incidence_of(site_index(graph), level)


def _is_open_build(graph) -> bool:
    return type(graph).__name__ == "OpenBuild"


def _link_evidence(graph, mechanisms=()):
    """The evidence of the site links of a graph; of an opened build (``govkg.open``), read from its
    store for ``mechanisms`` only."""
    if _is_open_build(graph):
        return graph.link_evidence(mechanisms)
    if not isinstance(graph, Graph):
        return {}
    from .analysis.provenance import link_evidence

    return link_evidence(graph)


def _inferred(graph, index):
    """``(mechanism, site) -> bool`` and ``(kind, site) -> bool``: does the link rest only on inferences?

    For an opened build (``govkg.open``) only the mechanisms that carry a mark (``gk:inferred`` on
    them or on a use, or a ``gk:inferredKind``) are read from the store: every link of any other
    mechanism is stated, so a kind at a site is stated when an unmarked mechanism there has it."""
    from .analysis.inference import stated_links

    if isinstance(graph, Graph):
        mechs, kinds = stated_links(graph, index.broader)
        return lambda m, s: {"inferred": (m, s) not in mechs}, lambda k, s: {"inferred": (k, s) not in kinds}
    if not _is_open_build(graph):
        return None
    marked = graph.marked_mechanisms()
    if not marked:
        return lambda m, s: {"inferred": False}, lambda k, s: {"inferred": False}
    mechs, kinds = stated_links(graph.subgraph(marked), index.broader)
    M, MK = index.mechanisms.matrix.tocsr(), index.mechanism_kinds.tocsr()
    unmarked_kinds: dict = {}

    def stated_kinds(s):  # the kinds (with their broader kinds) of the unmarked mechanisms at site s
        if s not in unmarked_kinds:
            i = index.row[s]
            out: set = set()
            for j in M.indices[M.indptr[i]:M.indptr[i + 1]].tolist():
                if index.mechanisms.columns[j] not in marked:
                    for c in MK.indices[MK.indptr[j]:MK.indptr[j + 1]].tolist():
                        k = index.kinds.columns[c]
                        out.update((k, *index.broader.get(k, ())))
            unmarked_kinds[s] = out
        return unmarked_kinds[s]

    def mech(m, s):
        return {"inferred": m in marked and (m, s) not in mechs}

    def kind(k, s):
        return {"inferred": (k, s) not in kinds and k not in stated_kinds(s)}

    return mech, kind


def shared_mechanisms(graph: GraphOrBuild, name: str | None = None, *, kind: bool = False, min_sites: int | None = None) -> dict:
    """Mechanisms (named instances) and kinds used at several sites, or the ones matching ``name``.

    Parameters
    ----------
    graph : rdflib.Graph
    name : str, optional
        When given, every mechanism whose zh/en label (or id) matches it (exact labels first,
        then labels starting with it, then labels containing it; quotes and case ignored),
        and every kind matching it by meaning (``govkg.analysis.matching.kind_matches``: its
        zh/en labels, altLabels and definition, English words stemmed) with the kinds
        narrower than a kind whose label matched.
    kind : bool
        Match ``name`` against kinds only.
    min_sites : int, optional
        Keep entries used at this many sites or more (default 2 without ``name``, 1 with).

    Returns
    -------
    dict
        ``{"mechanisms": [...], "kinds": [...]}``; each entry ``{"iri", "label": {"zh", "en"},
        "sites": [{"iri", "label"}], "site_count"}`` (and ``"match"`` when ``name`` is given: for
        a mechanism ``exact``, ``prefix`` or ``substring``; for a kind one of
        ``govkg.analysis.matching.KIND_MATCH``: ``exact``, ``alt``, ``prefix``, ``substring``,
        ``word``, ``definition`` or ``narrower``); a mechanism's sites carry ``evidence``
        (``[{"text", "source"}]``: the sentence that puts it there and its report) and it
        lists its ``kinds``; a kind lists its ``mechanisms`` and ``broader``. With an RDF graph
        every site also says whether its link is ``inferred``: true when only the curators'
        inferences put the mechanism or kind there (an inferred use, mechanism or kind;
        ``govkg.analysis.inference``). Sorted by match, site count, then IRI.

    Raises
    ------
    NotFoundError
        When ``name`` matches nothing; the closest labels are suggested.

    Examples
    --------
    >>> from govkg import build_graph
    >>> res = shared_mechanisms(build_graph(), "椰智荟")
    >>> [s["label"]["zh"] for s in res["mechanisms"][0]["sites"]]
    ['高新社区', '江源村']
    """
    if name is not None and not isinstance(name, str):
        raise GovkgError(f"name must be text (a mechanism or kind), not {type(name).__name__}")
    index = site_index(graph)
    mech_inc, kind_inc = index.mechanisms, index.kinds
    if min_sites is None:
        min_sites = 1 if name else 2
    if isinstance(min_sites, bool) or not isinstance(min_sites, int) or min_sites < 1:
        raise GovkgError(f"min_sites must be a whole number, 1 or more, got {min_sites!r}")
    score: dict = {}
    mechs, kinds = list(mech_inc.columns), list(kind_inc.columns)
    if name is not None:
        ranked = [] if kind else rank_matches(name, mechs, lambda c: index.labels.get(c, {}))
        ranked_k = kind_matches(name, index)
        if not ranked and not ranked_k:
            pool = ([] if kind else mechs) + kinds
            names = [t for c in pool for t in index.labels.get(c, {}).values() if t]
            raise NotFoundError("kind" if kind else "mechanism or kind", name, closest(name, names))
        score = {c: sc for sc, c in ranked}
        kscore = {c: sc for sc, c in ranked_k}
        mechs = [m for m in mechs if m in score]
        kinds = [k for k in kinds if k in kscore]
    marks: tuple = _inferred(graph, index) or (lambda m, s: {}, lambda k, s: {})
    M, MK = mech_inc.matrix.tocsc(), index.mechanism_kinds.tocsr()
    K = kind_inc.matrix.tocsc()
    mcol = {m: j for j, m in enumerate(mech_inc.columns)}
    kcol = {k: j for j, k in enumerate(kind_inc.columns)}
    counts = M.getnnz(axis=0)
    wanted = [m for m in mechs if counts[mcol[m]] >= min_sites]
    evidence = _link_evidence(graph, wanted)
    direct = {}
    if _is_open_build(graph):
        direct = graph.direct_kinds(wanted)
    elif isinstance(graph, Graph):
        from .namespace import GK

        direct = {m: sorted(graph.objects(m, GK.mechanismKind)) for m in mechs}

    def sort(out):
        return sorted(out, key=lambda d: (-d.pop("_score"), -d["site_count"], d["iri"]))

    out_m = []
    for m in mechs:
        j = mcol[m]
        used = [index.sites[i] for i in sorted(M.indices[M.indptr[j]:M.indptr[j + 1]].tolist())]
        if len(used) < min_sites:
            continue
        ks = direct.get(m) or [kind_inc.columns[c] for c in MK[j].indices.tolist()]
        e = entry(index, m, site_count=len(used), _score=score.get(m, 0),
                  sites=[entry(index, s, evidence=evidence.get((m, s), []), **marks[0](m, s)) for s in used],
                  kinds=[entry(index, k) for k in sorted(ks)])
        if name is not None:
            e["match"] = _MATCH[score[m]]
        out_m.append(e)
    out_k = []
    MKc = index.mechanism_kinds.tocsc()
    for k in kinds:
        j = kcol[k]
        rows = sorted(K.indices[K.indptr[j]:K.indptr[j + 1]].tolist())
        if len(rows) < min_sites:
            continue
        its = set(MKc.indices[MKc.indptr[j]:MKc.indptr[j + 1]].tolist())
        ms = sorted(mech_inc.columns[c] for c in its)
        parents = sorted(p for p in index.broader.get(k, ()) if not any(p in index.broader.get(q, ()) for q in index.broader.get(k, ())))
        e = entry(index, k, site_count=len(rows), _score=kscore.get(k, 0) if name is not None else 0,
                  sites=[entry(index, index.sites[i], **marks[1](k, index.sites[i])) for i in rows],
                  mechanisms=[entry(index, m) for m in ms], broader=[entry(index, b) for b in parents])
        if name is not None:
            e["match"] = KIND_MATCH[kscore[k]]
        out_k.append(e)
    return {"mechanisms": sort(out_m), "kinds": sort(out_k)}


def most_specific(index, columns) -> list:
    """The kinds of ``columns`` (kind column numbers) that are no ancestor of another of them, sorted by IRI."""
    ks = {index.kinds.columns[c] for c in columns}
    above = set().union(*(index.broader.get(k, frozenset()) for k in ks)) if ks else set()
    return sorted(ks - above)


def similar_sites(graph: GraphOrBuild, site: str, *, top: int | None = None, by: str = "kinds", weight: str = "idf") -> dict:
    """The other sites ranked by similarity to ``site`` (``govkg.analysis.similarity.FORMULA``).

    ``by`` chooses the features (``"kinds"``: kinds closed under broader kinds, the default;
    ``"mechanisms"``: named mechanisms), ``weight`` their weights (``"idf"``, default, or
    ``"none"``: plain Jaccard). Ties are kept in IRI order and flagged ``tied``. Every other
    site is listed, those sharing nothing last. Whatever ``by`` is, each entry lists the named
    mechanisms the two sites share (with the evidence for each site) and the kinds they share,
    the most specific ones only (a shared kind is left out when a narrower shared kind is listed).

    Parameters
    ----------
    graph : rdflib.Graph
    site : str
        A site id or its zh/en label (bound as a value; see ``find_site``).
    top : int, optional
        Keep the first ``top`` sites.

    Returns
    -------
    dict
        ``{"site": {"iri", "label"}, "by", "weight", "similar": [{"iri", "label", "similarity",
        "shared_count", "tied", "shared": {"mechanisms": [{"iri", "label", "evidence":
        {site IRI: [{"text", "source"}]}}], "kinds": [...]}}]}``; ``shared_count`` is the
        number of shared features.

    Examples
    --------
    >>> from govkg import build_graph
    >>> res = similar_sites(build_graph(), "高新社区")
    >>> len(res["similar"]), res["similar"][0]["label"]["zh"]
    (7, '江源村')
    """
    from collections import Counter

    import numpy as np

    from .analysis.similarity import feature_weights, features, similarity_scores

    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise GovkgError(f"top must be a whole number, 1 or more, got {top!r}")
    index = site_index(graph)
    me = find_site(index, site)
    i = index.row[me]
    X, _ = features(index, by)
    w = feature_weights(X, weight)
    x = np.zeros(X.shape[1])
    x[X.indices[X.indptr[i]:X.indptr[i + 1]]] = 1.0
    s, count = similarity_scores(X, x, "jaccard", w)
    s = np.round(s, 4)
    M, K = index.mechanisms.matrix, index.kinds.matrix.tocsr()
    mine = M.indices[M.indptr[i]:M.indptr[i + 1]].tolist()
    evidence = _link_evidence(graph, [index.mechanisms.columns[c] for c in mine])

    def cols(A, r):
        return set(A.indices[A.indptr[r]:A.indptr[r + 1]].tolist())

    out = []
    for j, other in enumerate(index.sites):
        if j == i:
            continue
        common_m = sorted(cols(M, i) & cols(M, j))
        common_k = most_specific(index, cols(K, i) & cols(K, j))
        mechs = []
        for c in common_m:
            m = index.mechanisms.columns[c]
            mechs.append(entry(index, m, evidence={str(me): evidence.get((m, me), []),
                                                   str(other): evidence.get((m, other), [])}))
        out.append(entry(index, other, similarity=float(s[j]), shared_count=int(count[j]),
                         shared={"mechanisms": mechs, "kinds": [entry(index, k) for k in common_k]}))
    out.sort(key=lambda d: (-d["similarity"], d["iri"]))
    freq = Counter(d["similarity"] for d in out)  # list.count per site was quadratic (5.6 s at 20,000 sites)
    for d in out:
        d["tied"] = freq[d["similarity"]] > 1
    if top is not None:
        out = out[:top]
    return {"site": entry(index, me), "by": by, "weight": weight, "similar": out}
