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


def _link_evidence(graph, mechanisms=(), sites=None):
    """The evidence of the site links of a graph; of an opened build (``govkg.open``), read from its
    store for ``mechanisms`` only (and their links to ``sites`` when given)."""
    if _is_open_build(graph):
        return graph.link_evidence(mechanisms, sites)
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


def shared_mechanisms(graph: GraphOrBuild, name: str | None = None, *, kind: bool = False, min_sites: int | None = None,
                      top: int | None = None, site_limit: int | None = None) -> dict:
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
    top : int, optional
        Keep the first ``top`` mechanisms and the first ``top`` kinds (in the order below);
        None: all. Only the entries kept are assembled (their evidence read), so a national
        graph answers "the 20 most shared mechanisms" without reading every link.
    site_limit : int, optional
        List at most this many sites of an entry (the first by IRI), and of a kind at most this
        many mechanisms; ``site_count`` stays the whole count, and ``sites_omitted`` and
        ``mechanisms_omitted`` say how many were left out. None: every site and mechanism.

    Returns
    -------
    dict
        ``{"mechanisms": [...], "kinds": [...], "total": {"mechanisms": n, "kinds": n}}``; each
        entry ``{"iri", "label": {"zh", "en"}, "sites": [{"iri", "label"}], "site_count"}`` (and
        ``"match"`` when ``name`` is given: for a mechanism ``exact``, ``prefix`` or
        ``substring``; for a kind one of ``govkg.analysis.matching.KIND_MATCH``: ``exact``,
        ``alt``, ``prefix``, ``substring``, ``word``, ``definition`` or ``narrower``); a
        mechanism's sites carry ``evidence`` (``[{"text", "source"}]``: the sentence that puts it
        there and its report) and it lists its ``kinds``; a kind lists its ``mechanisms`` and
        ``broader``. With an RDF graph every site also says whether its link is ``inferred``:
        true when only the curators' inferences put the mechanism or kind there (an inferred
        use, mechanism or kind; ``govkg.analysis.inference``). Sorted by match, site count,
        then IRI; ``total`` counts the entries before ``top``.

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
    for what, v in (("min_sites", min_sites), ("top", top), ("site_limit", site_limit)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise GovkgError(f"{what} must be a whole number, 1 or more, got {v!r}")
    index = site_index(graph)
    min_sites = min_sites if min_sites is not None else 1 if name else 2
    mechs: list | None = None  # None: every column (the IRIs made only for the entries kept)
    kinds: list | None = None
    score: dict = {}
    kscore: dict = {}
    if name is not None:
        mechs, kinds = list(index.mechanisms.columns), list(index.kinds.columns)
        ranked = [] if kind else rank_matches(name, mechs, lambda c: index.labels.get(c, {}))
        ranked_k = kind_matches(name, index)
        if not ranked and not ranked_k:
            pool = ([] if kind else mechs) + kinds
            names = [t for c in pool for t in index.labels.get(c, {}).values() if t]
            raise NotFoundError("kind" if kind else "mechanism or kind", name, closest(name, names))
        score, kscore = {c: sc for sc, c in ranked}, {c: sc for sc, c in ranked_k}
        mechs, kinds = [m for m in mechs if m in score], [k for k in kinds if k in kscore]
    M, K = index.csc("mechanism"), index.csc("kind")
    mechs, n_m = _ranked(mechs, index.mechanisms.columns, M.getnnz(axis=0), score, min_sites, top)
    kinds, n_k = _ranked(kinds, index.kinds.columns, K.getnnz(axis=0), kscore, min_sites, top)
    marks: tuple = _inferred(graph, index) or (lambda m, s: {}, lambda k, s: {})
    out_m = _mechanism_entries(graph, index, mechs, M, site_limit, marks[0], score if name is not None else None)
    out_k = _kind_entries(index, kinds, K, site_limit, marks[1], kscore if name is not None else None)
    return {"mechanisms": out_m, "kinds": out_k, "total": {"mechanisms": n_m, "kinds": n_k}}


def _ranked(wanted, columns, counts, score: dict, min_sites: int, top: int | None) -> tuple[list, int]:
    """``([(term, column)], n)``: the terms of ``wanted`` (None: every column) used at ``min_sites`` sites
    or more, sorted by match score, site count and IRI, the first ``top`` of them; ``n`` counts them
    before the cut.

    Every column is ranked by its count alone, in numpy: the columns are sorted by IRI, so a
    stable sort keeps IRI order among equal counts, and only the ``top`` kept become terms (the
    49,113 mechanisms of 200,000 sites are not made into IRIs to show 50).

    Examples
    --------
    >>> cols, counts = ["urn:a", "urn:b", "urn:c", "urn:d"], [2, 5, 1, 5]
    >>> _ranked(None, cols, counts, {}, 2, 2), _ranked(cols, cols, counts, {"urn:a": 3}, 2, None)
    (([('urn:b', 1), ('urn:d', 3)], 3), ([('urn:a', 0), ('urn:b', 1), ('urn:d', 3)], 3))
    """
    import numpy as np

    if wanted is None:
        n = np.asarray(counts).ravel()
        cand = np.flatnonzero(n >= min_sites)
        order = cand[np.argsort(-n[cand], kind="stable")]
        return [(columns[j], j) for j in (order if top is None else order[:top]).tolist()], len(order)
    positions = getattr(columns, "positions", None)  # an opened index's IriList: no IRI made for the lookup
    col = {c: positions()[str(c)] for c in wanted} if positions is not None else {c: j for j, c in enumerate(columns)}
    keep = [(c, col[c]) for c in wanted if counts[col[c]] >= min_sites]
    keep.sort(key=lambda cj: (-score.get(cj[0], 0), -int(counts[cj[1]]), str(cj[0])))
    return (keep if top is None else keep[:top]), len(keep)


def _column(index, A, j: int, site_limit: int | None) -> tuple[list, int]:
    """``(sites, count)``: the sites of column ``j`` of the CSC matrix ``A`` (the first ``site_limit``
    by IRI) and how many there are."""
    import numpy as np

    rows = np.sort(A.indices[A.indptr[j]:A.indptr[j + 1]])
    return [index.sites[i] for i in (rows if site_limit is None else rows[:site_limit]).tolist()], len(rows)


def _sites_of(index, sites: list, count: int, link, evidence=None, m=None) -> dict:
    """The ``sites`` (with ``site_count``, and ``sites_omitted`` when cut) of one entry."""
    out = {"site_count": count,
           "sites": [entry(index, s, **({"evidence": evidence.get((m, s), [])} if evidence is not None else {}),
                           **link(s)) for s in sites]}
    if count > len(sites):
        out["sites_omitted"] = count - len(sites)
    return out


def _mechanism_entries(graph, index, mechs: list, M, site_limit: int | None, mark, score: dict | None) -> list:
    """The entries of the mechanisms ``mechs`` (``[(iri, column)]``), their shown sites' evidence read
    for these links only."""
    shown = {m: _column(index, M, j, site_limit) for m, j in mechs}
    evidence = _link_evidence(graph, [m for m, _ in mechs], {s for sites, _n in shown.values() for s in sites})
    direct: dict = {}
    if _is_open_build(graph):
        direct = graph.direct_kinds([m for m, _ in mechs])
    elif isinstance(graph, Graph):
        from .namespace import GK

        direct = {m: sorted(graph.objects(m, GK.mechanismKind)) for m, _ in mechs}
    MK = index.mechanism_kinds.tocsr()
    out = []
    for m, j in mechs:
        sites, count = shown[m]
        ks = direct.get(m) or [index.kinds.columns[c] for c in MK[j].indices.tolist()]
        e = entry(index, m, **_sites_of(index, sites, count, lambda s: mark(m, s), evidence, m),
                  kinds=[entry(index, k) for k in sorted(ks)])
        if score is not None:
            e["match"] = _MATCH[score[m]]
        out.append(e)
    return out


def _kind_entries(index, kinds: list, K, site_limit: int | None, mark, score: dict | None) -> list:
    """The entries of the kinds ``kinds`` (``[(iri, column)]``), each with its mechanisms and broader kinds."""
    import numpy as np

    MKc = index.mechanism_kinds.tocsc()
    out = []
    for k, j in kinds:
        sites, count = _column(index, K, j, site_limit)
        cols = np.unique(MKc.indices[MKc.indptr[j]:MKc.indptr[j + 1]])  # sorted column numbers = IRI order
        up = index.broader.get(k, ())
        parents = sorted(p for p in up if not any(p in index.broader.get(q, ()) for q in up))
        shown = cols if site_limit is None else cols[:site_limit]
        e = entry(index, k, **_sites_of(index, sites, count, lambda s: mark(k, s)),
                  mechanisms=[entry(index, index.mechanisms.columns[c]) for c in shown.tolist()],
                  broader=[entry(index, b) for b in parents])
        if len(shown) < len(cols):
            e["mechanisms_omitted"] = len(cols) - len(shown)
        if score is not None:
            e["match"] = KIND_MATCH[score[k]]
        out.append(e)
    return out


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
    # order and ties from the scores alone (rows are in IRI order: a stable sort keeps it within a
    # score), then only the sites shown are assembled: at 200,000 sites an entry for every site cost 6 s
    rows = np.delete(np.arange(len(index.sites)), i)
    order = rows[np.argsort(-s[rows], kind="stable")]
    values, freq = np.unique(s[rows], return_counts=True)
    tied = dict(zip(values.tolist(), (freq > 1).tolist()))
    if top is not None:
        order = order[:top]
    M, K = index.mechanisms.matrix, index.kinds.matrix.tocsr()
    mine = M.indices[M.indptr[i]:M.indptr[i + 1]].tolist()
    evidence = _link_evidence(graph, [index.mechanisms.columns[c] for c in mine],
                              {me, *(index.sites[j] for j in order.tolist())})

    def cols(A, r):
        return set(A.indices[A.indptr[r]:A.indptr[r + 1]].tolist())

    out = []
    for j in order.tolist():
        other = index.sites[j]
        common_m = sorted(cols(M, i) & cols(M, j))
        common_k = most_specific(index, cols(K, i) & cols(K, j))
        mechs = []
        for c in common_m:
            m = index.mechanisms.columns[c]
            mechs.append(entry(index, m, evidence={str(me): evidence.get((m, me), []),
                                                   str(other): evidence.get((m, other), [])}))
        out.append(entry(index, other, similarity=float(s[j]), shared_count=int(count[j]),
                         shared={"mechanisms": mechs, "kinds": [entry(index, k) for k in common_k]},
                         tied=tied[float(s[j])]))
    return {"site": entry(index, me), "by": by, "weight": weight, "similar": out}
