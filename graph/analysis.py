"""Network analysis of shared mechanisms: similarity, centrality, communities, co-occurrence, suggestions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import ORG, PROV, SKOS

from .errors import GovkgError, NotFoundError
from .namespace import GK, SCHEMA, SOSA
from .shared import Incidence, labels as term_labels

__all__ = [
    "SiteIndex", "Pairs", "site_index", "index_from_triples", "index_from_file", "find_site",
    "shared_columns", "sites_sharing", "similarity_scores", "similarity_matrix", "similar_to", "shared_pairs",
    "centrality", "bridging_organizations", "communities", "kind_cooccurrence", "suggest",
    "site_outcomes", "analyze", "SEED",
]

#: The seed of every randomized algorithm here (Louvain, sampled betweenness): results are reproducible.
SEED = 42


@dataclass(frozen=True)
class SiteIndex:
    """Everything the analysis reads, as sparse matrices: built once, then each query is a few
    sparse products.

    Attributes
    ----------
    sites : list
        Site IRIs; row ``i`` of every matrix.
    mechanisms, kinds : Incidence
        Site × mechanism and site × kind (rolled up along ``skos:broader``) 0/1 matrices.
    organizations : Incidence
        Site × organization: an organization is linked to a site it is active at
        (``org:hasSite``), to the sites of the mechanisms it realizes (``gk:realizedBy``),
        and an alliance to the sites of its members.
    mechanism_kinds : scipy.sparse.csr_matrix
        Mechanism × kind 0/1 (rolled up), columns as in ``kinds``.
    broader : dict
        ``{kind: frozenset of its ancestors}`` (not itself).
    labels : dict
        ``{iri: {"zh": …, "en": …}}``.
    """

    sites: list
    mechanisms: object
    kinds: object
    organizations: object
    mechanism_kinds: object
    broader: dict
    labels: dict
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def row(self) -> dict:
        """``{site IRI: row}``."""
        if "row" not in self._cache:
            self._cache["row"] = {s: i for i, s in enumerate(self.sites)}
        return self._cache["row"]

    @property
    def combined(self):
        """Site × (mechanisms + kinds) 0/1 CSR matrix: the features of the similarity."""
        if "combined" not in self._cache:
            from scipy import sparse

            self._cache["combined"] = sparse.hstack([self.mechanisms.matrix, self.kinds.matrix], format="csr")
        return self._cache["combined"]

    def csc(self, level: str = "mechanism"):
        """The incidence of ``level`` in CSC form (fast column access), cached."""
        key = "csc-" + level
        if key not in self._cache:
            self._cache[key] = _inc(self, level).matrix.tocsc()
        return self._cache[key]

    def label(self, iri, lang: str = "zh") -> str:
        """The label of ``iri`` in ``lang``, falling back to the other language, then the IRI."""
        d = self.labels.get(iri, {})
        return d.get(lang) or d.get("zh") or d.get("en") or str(iri)


@dataclass(frozen=True)
class Pairs:
    """Pairs of sites ``(sites[i[n]], sites[j[n]])``, ``i < j``, sharing ``shared[n]`` columns."""

    sites: list
    i: object
    j: object
    shared: object

    def __len__(self) -> int:
        return len(self.i)


def _inc(index: SiteIndex, level: str):
    if level == "mechanism":
        return index.mechanisms
    if level == "kind":
        return index.kinds
    if level == "organization":
        return index.organizations
    raise GovkgError(f"level must be 'mechanism', 'kind' or 'organization', not {level!r}")


def _label_dict(lit_pairs) -> dict:
    out: dict = {}
    for s, lit in lit_pairs:
        lang = (getattr(lit, "language", None) or "").lower()
        d = out.setdefault(s, {})
        key = "zh" if lang.startswith("zh") else "en" if (lang.startswith("en") or not lang) else None
        if key and key not in d:
            d[key] = str(lit)
    return out


def _closure(broader_edges: dict) -> dict:
    """``{kind: frozenset(ancestors)}`` from ``{kind: set(parents)}``."""
    out: dict = {}

    def up(k, seen):
        if k in out:
            return out[k]
        acc = set()
        for p in broader_edges.get(k, ()):
            if p not in seen:
                acc.add(p)
                acc |= up(p, seen | {p})
        out[k] = frozenset(acc)
        return out[k]

    for k in list(broader_edges):
        up(k, {k})
    return out


def _matrix(pairs, rows: dict, cols: dict):
    import numpy as np
    from scipy import sparse

    pairs = list(pairs)
    r = np.fromiter((rows[a] for a, _ in pairs), dtype=np.int32, count=len(pairs))
    c = np.fromiter((cols[b] for _, b in pairs), dtype=np.int32, count=len(pairs))
    m = sparse.csr_matrix((np.ones(len(pairs), dtype=np.int32), (r, c)), shape=(len(rows), len(cols)))
    m.data[:] = 1  # duplicates summed above: back to 0/1
    return m


def _org_sites(site_set, has_site, realized, used_at, members) -> set:
    """(site, org) links: active at, realizing a mechanism used there, or an alliance of members there."""
    links = {(s, o) for o, s in has_site if s in site_set}
    links |= {(s, o) for m, o in realized for s in used_at.get(m, ()) }
    by_org: dict = {}
    for s, o in links:
        by_org.setdefault(o, set()).add(s)
    for a, o in members:
        for s in by_org.get(o, ()):
            links.add((s, a))
    return links


def site_index(graph) -> SiteIndex:
    """The ``SiteIndex`` of an rdflib graph; an index is returned as is.

    Reads only the predicates the index needs (``graph.triples((None, p, None))`` for each)
    and assembles them exactly as ``index_from_triples`` does.

    Examples
    --------
    >>> idx = site_index(_example_graph())
    >>> idx.mechanisms.matrix.shape, idx.kinds.matrix.shape
    ((3, 6), (3, 9))
    """
    if isinstance(graph, SiteIndex):
        return graph
    if not isinstance(graph, Graph):
        raise GovkgError(f"expected an rdflib Graph or a SiteIndex, not {type(graph).__name__}")
    buckets: dict = {name: [] for name in _PREDICATES.values()}
    for iri, name in _PREDICATES.items():
        p = URIRef(iri)
        if name == "type":
            buckets["type"] = [str(s) for s in graph.subjects(RDF.type, GK.DemonstrationSite)]
        elif name == "label":
            buckets["label"] = [(str(s), o) for s, o in graph.subject_objects(p)]
        else:
            buckets[name] = [(str(s), str(o)) for s, o in graph.subject_objects(p)]
    return _index_from_buckets(buckets)


_PREDICATES = {
    str(RDF.type): "type", str(GK.usedAt): "used", str(GK.mechanismKind): "kind",
    str(SKOS.broader): "broader", str(GK.realizedBy): "real", str(ORG.hasSite): "hassite",
    str(ORG.hasMember): "member", str(RDFS.label): "label",
}


def _term_text(term) -> str:
    """The IRI or lexical form of a term from rdflib (``str``) or pyoxigraph (``.value``)."""
    v = getattr(term, "value", None)
    return v if isinstance(v, str) and not isinstance(term, (URIRef, Literal)) else str(term)


def index_from_triples(triples) -> SiteIndex:
    """A ``SiteIndex`` straight from an iterable of ``(subject, predicate, object)`` terms.

    The fast path for large graphs: one pass over the triples (rdflib terms, or
    pyoxigraph terms — anything whose ``str``/``.value`` is the IRI), no RDF store. Reads
    ``rdf:type gk:DemonstrationSite``, ``gk:usedAt``, ``gk:mechanismKind``,
    ``skos:broader``, ``gk:realizedBy``, ``org:hasSite``, ``org:hasMember`` and ``rdfs:label``.

    Examples
    --------
    >>> from rdflib import RDF
    >>> from govkg.namespace import GK, ID, KIND
    >>> t = [(ID["site/a"], RDF.type, GK.DemonstrationSite), (ID["mechanism/m"], GK.usedAt, ID["site/a"]),
    ...      (ID["mechanism/m"], GK.mechanismKind, KIND.yishitangyishihui)]
    >>> index_from_triples(t).kinds.matrix.toarray().tolist()
    [[1]]
    """
    buckets: dict = {name: [] for name in _PREDICATES.values()}
    site = str(GK.DemonstrationSite)
    keys: dict = {}  # predicate term -> bucket name or None, so each predicate is looked at once
    for s, p, o in triples:
        try:
            name = keys[p]
        except KeyError:
            name = keys[p] = _PREDICATES.get(_term_text(p))
        if name is None:
            continue
        if name == "type":
            if _term_text(o) == site:
                buckets["type"].append(_term_text(s))
        elif name == "label":
            buckets["label"].append((_term_text(s), o))
        else:
            buckets[name].append((_term_text(s), _term_text(o)))
    return _index_from_buckets(buckets)


def _index_from_buckets(b: dict) -> SiteIndex:
    """Assemble a ``SiteIndex`` from IRI strings grouped by predicate (see ``index_from_triples``).

    Works on plain strings and integer positions (hashing and sorting ``str`` is done in C,
    ``URIRef`` in Python), rolls kinds up with one sparse product, and makes ``URIRef``s only
    for the rows, columns and labels it keeps.
    """
    from scipy import sparse

    broader_e: dict = {}
    for k, parent in b["broader"]:
        broader_e.setdefault(k, set()).add(parent)
    broader = _closure(broader_e)
    site_list = sorted(set(b["type"]))
    row = {s: i for i, s in enumerate(site_list)}
    used = [(m, s) for m, s in b["used"] if s in row]
    used_at: dict = {}
    for m, s in used:
        used_at.setdefault(m, set()).add(s)
    mechs = sorted(used_at)
    mcol = {m: j for j, m in enumerate(mechs)}
    mk_raw: dict = {}
    for m, k in b["kind"]:
        if m in mcol:
            mk_raw.setdefault(m, set()).update({k} | broader.get(k, frozenset()))
    kinds = sorted({k for ks in mk_raw.values() for k in ks})
    kcol = {k: j for j, k in enumerate(kinds)}
    mk = _matrix(((m, k) for m, ks in mk_raw.items() for k in ks), mcol, kcol)
    mech_matrix = _matrix(((s, m) for m, s in used), row, mcol)
    kind_matrix = sparse.csr_matrix(mech_matrix @ mk)
    kind_matrix.data[:] = 1
    kind_matrix.eliminate_zeros()
    links = _org_sites(row, b["hassite"], b["real"], used_at, b["member"])
    orgs = sorted({o for _, o in links})
    org_matrix = _matrix(links, row, {o: j for j, o in enumerate(orgs)})

    def iris(values):
        return [URIRef(v) for v in values]

    sites_u, mechs_u, kinds_u, orgs_u = iris(site_list), iris(mechs), iris(kinds), iris(orgs)
    wanted = set(site_list) | set(mechs) | set(kinds) | set(orgs)
    labels = {URIRef(k): v for k, v in _label_dict((s, _Lit(o)) for s, o in b["label"] if s in wanted).items()}
    broader_u = {URIRef(k): frozenset(URIRef(x) for x in v) for k, v in broader.items()}
    return SiteIndex(sites_u, Incidence(sites_u, mechs_u, mech_matrix), Incidence(sites_u, kinds_u, kind_matrix),
                     Incidence(sites_u, orgs_u, org_matrix), mk, broader_u, labels)


class _Lit(str):
    """A label literal from any RDF library, as ``str`` with ``language``."""

    def __new__(cls, lit):
        obj = super().__new__(cls, getattr(lit, "value", None) if not isinstance(lit, Literal) else str(lit))
        obj.language = getattr(lit, "language", None)
        return obj


def index_from_file(path, format: str | None = None) -> SiteIndex:
    """A ``SiteIndex`` from an RDF file parsed with Oxigraph's parser (no RDF store in between).

    ``format``: ``"turtle"`` or ``"nt"`` (default: from the file suffix). Only the
    predicates the index reads are turned into Python strings; every other triple is
    skipped on its (Rust-side) predicate.
    """
    import pyoxigraph as ox

    fmt = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
           "ntriples": ox.RdfFormat.N_TRIPLES}
    key = (format or str(path).rsplit(".", 1)[-1]).lower()
    if key not in fmt:
        raise GovkgError(f"unknown RDF format {key!r}; use 'turtle' or 'nt'")
    names = {ox.NamedNode(iri): name for iri, name in _PREDICATES.items()}
    site = ox.NamedNode(str(GK.DemonstrationSite))
    buckets: dict = {name: [] for name in _PREDICATES.values()}
    types, labels = buckets["type"], buckets["label"]
    for q in ox.parse(path=str(path), format=fmt[key]):
        name = names.get(q.predicate)
        if name is None:
            continue
        if name == "type":
            if q.object == site:
                types.append(q.subject.value)
        elif name == "label":
            labels.append((q.subject.value, q.object))
        else:
            buckets[name].append((q.subject.value, q.object.value))
    return _index_from_buckets(buckets)


def _entry(index: SiteIndex, iri, **extra) -> dict:
    d = {"iri": str(iri), "label": {"zh": index.labels.get(iri, {}).get("zh", ""),
                                    "en": index.labels.get(iri, {}).get("en", "")}}
    d.update(extra)
    return d


def find_site(graph, name) -> int:
    """The row of the site whose id, IRI or zh/en label matches ``name`` (exact, else prefix, else substring).

    ``name`` is compared as a value (see ``govkg.shared.match_score``); it never becomes query text.

    Raises
    ------
    NotFoundError
        When no site (or more than one equally well) matches; the closest labels are suggested.

    Examples
    --------
    >>> idx = site_index(_example_graph())
    >>> find_site(idx, "乙村"), find_site(idx, "Jia")
    (1, 0)
    >>> find_site(idx, "乙")
    1
    """
    from .shared import best_matches

    index = site_index(graph)
    row = index.row.get(URIRef(str(name)))
    if row is not None:
        return row

    def labels_of(s):
        d = index.labels.get(s, {})
        return {"zh": d.get("zh", ""), "en": d.get("en", "")}

    found = best_matches(str(name), index.sites, labels_of)
    if len(found) == 1:
        return index.row[found[0]]
    if not found:
        names = [t for s in index.sites for t in index.labels.get(s, {}).values() if t]
        raise NotFoundError("site", str(name), difflib.get_close_matches(str(name), names, n=5, cutoff=0.3) or names[:5])
    raise NotFoundError("single site", str(name), [index.label(s) for s in found])


def shared_columns(graph, level: str = "mechanism", *, min_sites: int = 2) -> list[dict]:
    """Mechanisms (``level="mechanism"``), kinds (``"kind"``) or organizations used at ``min_sites`` or more sites.

    Returns
    -------
    list of dict
        ``{"iri", "label", "site_count", "sites": [{"iri", "label"}]}`` sorted by site
        count (descending), then IRI. Empty when nothing is shared.

    Examples
    --------
    >>> [(d["label"]["en"], d["site_count"]) for d in shared_columns(_example_graph(), "mechanism")]
    [('deliberation hall', 2), ('grid', 2), ('volunteer team', 2)]
    """
    index = site_index(graph)
    inc = _inc(index, level)
    csc = index.csc(level)
    counts = csc.getnnz(axis=0)
    out = []
    for j in [int(j) for j in (counts >= min_sites).nonzero()[0]]:
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        out.append(_entry(index, inc.columns[j], site_count=int(counts[j]),
                          sites=[_entry(index, index.sites[i]) for i in sorted(rows.tolist())]))
    return sorted(out, key=lambda d: (-d["site_count"], d["iri"]))


def sites_sharing(graph, site, level: str = "mechanism") -> list:
    """The IRIs of the other sites that share at least one mechanism (or kind) with ``site``.

    Examples
    --------
    >>> [str(s).rsplit("/", 1)[1] for s in sites_sharing(_example_graph(), "甲社区")]
    ['b']
    """
    import numpy as np

    index = site_index(graph)
    i = find_site(index, site)
    m = _inc(index, level).matrix
    cols = m.indices[m.indptr[i]:m.indptr[i + 1]]
    csc = index.csc(level)
    rows = np.unique(np.concatenate([csc.indices[csc.indptr[c]:csc.indptr[c + 1]] for c in cols])) if len(cols) else []
    return [index.sites[r] for r in rows if r != i]


def similarity_scores(X, x, metric: str):
    """Similarity of every row of 0/1 ``X`` with the dense 0/1 vector ``x``: (scores, intersections).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> s, inter = similarity_scores(sparse.csr_matrix([[1, 1, 0], [0, 1, 1]]), np.array([1.0, 1.0, 1.0]), "jaccard")
    >>> s.round(3).tolist(), inter.tolist()
    ([0.667, 0.667], [2.0, 2.0])
    """
    import numpy as np

    inter = np.asarray(X @ x).ravel().astype(float)
    sizes = X.getnnz(axis=1).astype(float)
    own = float(x.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "jaccard":
            s = inter / (sizes + own - inter)
        elif metric == "overlap":
            s = inter / np.minimum(sizes, own)
        elif metric == "cosine":
            s = inter / np.sqrt(sizes * own)
        else:
            raise GovkgError(f"metric must be 'jaccard', 'overlap' or 'cosine', not {metric!r}")
    return np.nan_to_num(s), inter


def similar_to(graph, site, k: int = 10, *, metric: str = "jaccard") -> list[dict]:
    """The ``k`` sites most similar to ``site`` (similarity > 0), best first.

    Similarity is computed on the site's features: the union of its named mechanisms and
    its kinds (rolled up along ``skos:broader``), the columns of ``SiteIndex.combined``.
    ``metric="jaccard"`` (default) is |A ∩ B| / |A ∪ B| — the same measure as ``govkg
    similar`` — so sites that share much *and* differ little rank first; ``"overlap"``
    (|A ∩ B| / min(|A|, |B|)) and ``"cosine"`` are offered too. One sparse
    matrix–vector product: no loop over sites.

    Returns
    -------
    list of dict
        ``{"iri", "label", "similarity", "shared"}`` (``shared``: number of common features);
        ties broken by IRI.

    Examples
    --------
    >>> [(d["label"]["zh"], d["similarity"], d["shared"]) for d in similar_to(_example_graph(), "甲社区")]
    [('乙村', 0.8182, 9), ('丙社区', 0.1538, 2)]
    """
    import numpy as np

    index = site_index(graph)
    i = find_site(index, site)
    X = index.combined
    x = np.zeros(X.shape[1])
    x[X.indices[X.indptr[i]:X.indptr[i + 1]]] = 1.0
    s, inter = similarity_scores(X, x, metric)
    s[i] = -1.0
    cand = np.nonzero(s > 0)[0]
    if len(cand) > k:
        cand = cand[np.argpartition(-s[cand], k - 1)[:k]]
        kth = s[cand].min()
        cand = np.nonzero(s >= kth)[0]  # keep ties, then cut after sorting by IRI
    order = sorted(cand.tolist(), key=lambda r: (-s[r], str(index.sites[r])))[:k]
    return [_entry(index, index.sites[r], similarity=round(float(s[r]), 4), shared=int(inter[r])) for r in order]


def similarity_matrix(graph, *, metric: str = "jaccard"):
    """The site × site similarity (see ``similar_to`` for the metrics) as ``(sites, numpy array)``.

    Dense (n × n): meant for figures and reports of up to a few thousand sites; the
    diagonal is 1 for sites with any feature.

    Examples
    --------
    >>> sites, S = similarity_matrix(_example_graph())
    >>> S.shape == (len(sites), len(sites)) and bool((S == S.T).all())
    True
    """
    import numpy as np

    index = site_index(graph)
    X = index.combined.astype(float)
    inter = (X @ X.T).toarray()
    sizes = np.diag(inter).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "jaccard":
            S = inter / (sizes[:, None] + sizes[None, :] - inter)
        elif metric == "overlap":
            S = inter / np.minimum(sizes[:, None], sizes[None, :])
        elif metric == "cosine":
            S = inter / np.sqrt(sizes[:, None] * sizes[None, :])
        else:
            raise GovkgError(f"metric must be 'jaccard', 'overlap' or 'cosine', not {metric!r}")
    return list(index.sites), np.nan_to_num(S)


def shared_pairs(graph, min_shared: int = 3, level: str = "mechanism", *, block_rows: int | None = None) -> Pairs:
    """All pairs of sites sharing at least ``min_shared`` mechanisms (or kinds, or organizations).

    Computes the upper triangle of B·Bᵀ (B the sparse 0/1 incidence) block by block of
    rows (each block against the sites from its first row on, so only half the product is
    computed), keeping from each block only the entries ≥ ``min_shared``: the full product
    is never held in memory, so time is about that of the bare product and peak memory is
    that of the kept pairs plus one block (``block_rows``, default n/16, at least 256).

    Returns
    -------
    Pairs
        Arrays ``i < j`` and ``shared``, sorted by ``(i, j)``.

    Examples
    --------
    >>> p = shared_pairs(_example_graph(), 3)
    >>> [(str(p.sites[a]).rsplit("/", 1)[1], str(p.sites[b]).rsplit("/", 1)[1], int(c)) for a, b, c in zip(p.i, p.j, p.shared)]
    [('a', 'b', 3)]
    """
    import numpy as np

    index = site_index(graph)
    if min_shared < 1:
        raise GovkgError("min_shared must be at least 1")
    B = _inc(index, level).matrix.tocsr()
    n = B.shape[0]
    if block_rows is None:
        block_rows = max(256, -(-n // 16))
    keep_i, keep_j, keep_c = [], [], []
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        # rows start..stop against sites start..n only: the upper triangle, half the work
        C = B[start:stop] @ B[start:].T
        kept = np.flatnonzero(C.data >= min_shared)
        rows = (np.searchsorted(C.indptr, kept, side="right") - 1).astype(np.int32)
        cols = C.indices[kept].astype(np.int32)
        counts = C.data[kept].astype(np.int32)
        del C, kept
        upper = cols > rows  # both block-local: row r is site start + r, column c is site start + c
        keep_i.append(rows[upper] + start)
        keep_j.append(cols[upper] + start)
        keep_c.append(counts[upper])
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, dtype=np.int32))
    i, j, c = cat(keep_i), cat(keep_j), cat(keep_c)
    order = np.lexsort((j, i))
    return Pairs(list(index.sites), i[order], j[order], c[order])


def _projection(M):
    """The column projection of a 0/1 sites × columns matrix as an ``nx.Graph`` on column numbers,
    edge ``weight`` = number of sites where both columns occur."""
    import networkx as nx
    import numpy as np
    from scipy import sparse

    P = sparse.triu(M.T @ M, k=1).tocoo()
    G = nx.Graph()
    G.add_nodes_from(range(M.shape[1]))
    G.add_weighted_edges_from(zip(P.row.tolist(), P.col.tolist(), np.asarray(P.data).tolist()))
    return G


def centrality(graph, level: str = "mechanism", *, top: int | None = None) -> list[dict]:
    """Degree and betweenness centrality of mechanisms, kinds or organizations in their projection.

    The projection links two columns (mechanisms, kinds or organizations) that occur at a
    common site. Degree centrality is the share of other columns linked; betweenness
    (unweighted, normalized) measures how often a column lies on shortest paths between
    others — a mechanism used at two otherwise unrelated sites bridges their practices.
    Betweenness is exact up to 1,000 nodes, else estimated from 500 sampled sources with
    ``seed=SEED``.

    Returns
    -------
    list of dict
        ``{"iri", "label", "sites", "degree", "betweenness"}`` sorted by betweenness,
        degree, then IRI.

    Examples
    --------
    >>> c = centrality(_example_graph(), "mechanism")
    >>> c[0]["betweenness"] >= c[-1]["betweenness"]
    True
    """
    import networkx as nx

    index = site_index(graph)
    inc = _inc(index, level)
    M = inc.matrix
    if M.shape[1] == 0:
        return []
    G = _projection(M)
    deg = nx.degree_centrality(G) if len(G) > 1 else {0: 0.0}
    k = None if len(G) <= 1000 else 500
    btw = nx.betweenness_centrality(G, k=k, seed=SEED) if len(G) > 2 else {n: 0.0 for n in G}
    counts = M.getnnz(axis=0)
    out = [_entry(index, inc.columns[n], sites=int(counts[n]), degree=round(deg[n], 4),
                  betweenness=round(btw[n], 4)) for n in G]
    out.sort(key=lambda d: (-d["betweenness"], -d["degree"], d["iri"]))
    return out[:top] if top else out


def bridging_organizations(graph) -> list[dict]:
    """Organizations linked to two or more sites (see ``SiteIndex.organizations``), most sites first.

    Examples
    --------
    >>> all(o["site_count"] >= 2 for o in bridging_organizations(_example_graph()))
    True
    """
    return shared_columns(graph, "organization", min_sites=2)


def communities(graph, *, resolution: float = 1.0, seed: int = SEED) -> list[dict]:
    """Communities of sites: Louvain (``networkx.community.louvain_communities``, fixed ``seed``)
    on the site graph weighted by Jaccard similarity (see ``similar_to``).

    Sites sharing nothing with any other form a community of their own.

    Returns
    -------
    list of dict
        ``{"id", "sites": [{"iri", "label"}], "size"}``, largest first; ``id`` counts from 1.

    Examples
    --------
    >>> [[s["label"]["zh"] for s in c["sites"]] for c in communities(_example_graph())]
    [['甲社区', '乙村', '丙社区']]
    """
    import networkx as nx
    import numpy as np

    index = site_index(graph)
    X = index.combined
    n = X.shape[0]
    from scipy import sparse

    inter = sparse.triu(X @ X.T, k=1).tocoo()
    sizes = X.getnnz(axis=1)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    w = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    G.add_weighted_edges_from(zip(inter.row.tolist(), inter.col.tolist(), np.asarray(w, dtype=float).tolist()))
    parts = nx.community.louvain_communities(G, weight="weight", resolution=resolution, seed=seed) if n else []
    groups = sorted((sorted(c, key=lambda r: str(index.sites[r])) for c in parts),
                    key=lambda c: (-len(c), str(index.sites[c[0]])))
    return [{"id": k + 1, "size": len(c), "sites": [_entry(index, index.sites[r]) for r in c]}
            for k, c in enumerate(groups)]


def kind_cooccurrence(graph, *, min_sites: int = 2) -> list[dict]:
    """Pairs of kinds used together at ``min_sites`` or more sites, with support and lift.

    A kind and its own ancestor are not paired (the roll-up makes them co-occur trivially).
    ``support`` = share of sites with both; ``lift`` = support / (share with a × share with
    b) — above 1 the two go together more often than chance; ``confidence`` = share of the
    sites with ``a`` that also have ``b`` (and ``confidence_ba`` the converse).

    Returns
    -------
    list of dict
        ``{"a": {"iri", "label"}, "b": …, "sites", "support", "lift", "confidence", "confidence_ba"}``
        sorted by number of sites, lift, then IRIs.

    Examples
    --------
    >>> rows = kind_cooccurrence(_example_graph())
    >>> all(r["sites"] >= 2 for r in rows)
    True
    """
    from scipy import sparse

    index = site_index(graph)
    K = index.kinds.matrix
    n = K.shape[0]
    if n == 0 or K.shape[1] == 0:
        return []
    counts = K.getnnz(axis=0)
    C = sparse.triu(K.T @ K, k=1).tocoo()
    cols = index.kinds.columns
    out = []
    for a, b, c in zip(C.row.tolist(), C.col.tolist(), C.data.tolist()):
        ka, kb = cols[a], cols[b]
        if c < min_sites or ka in index.broader.get(kb, ()) or kb in index.broader.get(ka, ()):
            continue
        pa, pb, pab = counts[a] / n, counts[b] / n, c / n
        out.append({"a": _entry(index, ka), "b": _entry(index, kb), "sites": int(c), "support": round(pab, 4),
                    "lift": round(pab / (pa * pb), 4), "confidence": round(c / counts[a], 4),
                    "confidence_ba": round(c / counts[b], 4)})
    out.sort(key=lambda d: (-d["sites"], -d["lift"], d["a"]["iri"], d["b"]["iri"]))
    return out


def _join(names: list[str], lang: str) -> str:
    if lang == "zh":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def suggest(graph, site, *, neighbors: int = 3, top: int = 10) -> dict:
    """Kinds of mechanism that ``site``'s most similar sites use and it lacks, scored and explained.

    The ``neighbors`` sites most similar to ``site`` (Jaccard, see ``similar_to``) vote for
    each kind they use and ``site`` lacks, with their similarity as weight; ``score`` is the
    weight of a kind's voters over the total weight of the neighbours (1.0: all the
    neighbours use it). A broader kind is left out when a narrower kind below it is
    suggested. Each suggestion names its voters, how many kinds each shares with ``site``,
    and the voters' mechanisms of that kind (what to look at).

    Returns
    -------
    dict
        ``{"site": {"iri", "label"}, "neighbors": [...], "suggestions": [{"iri", "label",
        "score", "used_by": [{"iri", "label", "shared_kinds", "mechanisms"}],
        "explanation": {"zh", "en"}}], "message": {"zh", "en"} (only when empty)}``.

    Raises
    ------
    NotFoundError
        For an unknown site, with the closest names.

    Examples
    --------
    >>> s = suggest(_example_graph(), "甲社区")["suggestions"][0]
    >>> s["label"]["en"], s["explanation"]["en"]
    ('mutual-aid elderly care', 'used by Yi Village, which shares 6 kinds with you')
    """

    index = site_index(graph)
    i = find_site(index, site)
    near = similar_to(index, index.sites[i], k=neighbors)
    K = index.kinds.matrix
    M = index.mechanisms.matrix
    MK = index.mechanism_kinds.tocsc()
    own = set(K.indices[K.indptr[i]:K.indptr[i + 1]].tolist())
    res = {"site": _entry(index, index.sites[i]), "neighbors": near, "suggestions": []}
    total = sum(n["similarity"] for n in near)
    votes: dict = {}
    for n in near:
        r = index.row[URIRef(n["iri"])]
        ks = set(K.indices[K.indptr[r]:K.indptr[r + 1]].tolist())
        for c in ks - own:
            votes.setdefault(c, []).append((n, r, len(ks & own)))
    cols = index.kinds.columns
    ancestors = set().union(*(index.broader.get(cols[c], frozenset()) for c in votes)) if votes else set()
    out = []
    for c, voters in votes.items():
        if cols[c] in ancestors:
            continue
        used_by = []
        for n, r, shared in voters:
            mechs = set(M.indices[M.indptr[r]:M.indptr[r + 1]].tolist()) & set(MK.indices[MK.indptr[c]:MK.indptr[c + 1]].tolist())
            used_by.append(dict(_entry(index, index.sites[r]), shared_kinds=shared,
                                mechanisms=[_entry(index, index.mechanisms.columns[m]) for m in sorted(mechs, key=lambda m: str(index.mechanisms.columns[m]))]))
        score = sum(n["similarity"] for n, _, _ in voters) / total if total else 0.0
        names = {lang: [index.label(index.sites[r], lang) for _, r, _ in voters] for lang in ("zh", "en")}
        shared = [s for _, _, s in voters]
        same = len(set(shared)) == 1
        nums_en = str(shared[0]) if same else ", ".join(map(str, shared[:-1])) + " and " + str(shared[-1])
        which = "which shares" if len(voters) == 1 else "which share"
        each = "" if same or len(voters) == 1 else " respectively"
        en = f"used by {_join(names['en'], 'en')}, {which} {nums_en} kinds with you{each}"
        zh_n = str(shared[0]) if same else "、".join(map(str, shared))
        zh = (f"{_join(names['zh'], 'zh')}在用,{'它们' if len(voters) > 1 else '它'}与本点"
              f"{'' if same or len(voters) == 1 else '分别'}有 {zh_n} 个共同机制类型")
        out.append(_entry(index, cols[c], score=round(score, 4), used_by=used_by, explanation={"zh": zh, "en": en}))
    out.sort(key=lambda d: (-d["score"], -len(d["used_by"]), d["iri"]))
    res["suggestions"] = out[:top]
    if not out:
        res["message"] = ({"zh": "没有与本点相似的示范点,无可建议。", "en": "No other site is similar to this one; nothing to suggest."}
                          if not near else
                          {"zh": "相似示范点的机制类型本点都已具备。", "en": "This site already uses every kind its closest peers use."})
    return res


def _lit(graph: Graph, s, p, lang: str | None = None):
    for o in graph.objects(s, p):
        if lang is None or getattr(o, "language", None) == lang:
            return o
    return None


def site_outcomes(graph: Graph, site) -> list[dict]:
    """The outcomes (numbers with units) of ``site`` with their evidence sentences.

    Returns
    -------
    list of dict
        ``{"iri", "label", "value", "unit", "comparator", "measure", "period",
        "mechanism", "event", "evidence": [sentences]}`` sorted by IRI; ``unit`` is the unit
        as written (``schema:unitText``); ``comparator`` one of ``Exactly``, ``MoreThan``,
        ``Approximately``; ``measure`` ``Level`` or ``Change``.

    Examples
    --------
    >>> o = site_outcomes(_example_graph(), "甲社区")[0]
    >>> o["value"], o["unit"], o["evidence"]
    (28, '件', ['今年以来处置问题28件。'])
    """
    if not isinstance(graph, Graph):
        raise GovkgError("site_outcomes needs the RDF graph (outcomes are not in a SiteIndex)")
    index = site_index(graph)
    s = index.sites[find_site(index, site)]
    out = []
    for x in sorted(graph.subjects(GK.site, s)):
        if (x, RDF.type, GK.Outcome) not in graph:
            continue
        v = _lit(graph, x, SCHEMA.value)
        unit = _lit(graph, x, SCHEMA.unitText)
        ev = sorted(str(_lit(graph, e, PROV.value)) for e in graph.objects(x, GK.evidence) if _lit(graph, e, PROV.value) is not None)
        ref = {}
        for key, prop in (("mechanism", GK.attributedTo), ("event", GK.inResponseTo), ("subject", SOSA.hasFeatureOfInterest)):
            o = next(iter(graph.objects(x, prop)), None)
            ref[key] = None if o is None else _entry(index, o) if o in index.labels else {"iri": str(o), "label": term_labels(graph, o)}
        period = {lang: str(p) for lang in ("zh", "en") if (p := _lit(graph, x, GK.period, lang)) is not None}
        comp = next(iter(graph.objects(x, GK.comparator)), None)
        meas = next(iter(graph.objects(x, GK.measureType)), None)
        value = None if v is None else v.toPython()
        out.append(dict(_entry(index, x), value=(float(value) if value is not None and not isinstance(value, int) else value),
                        value_text=None if v is None else str(v), unit="" if unit is None else str(unit),
                        comparator=None if comp is None else str(comp).rsplit("#", 1)[-1],
                        measure=None if meas is None else str(meas).rsplit("#", 1)[-1],
                        period=period or None, evidence=ev, **ref))
    return out


def analyze(graph, *, top: int = 10, neighbors: int = 3) -> dict:
    """A summary of the whole analysis, as plain data (what ``govkg analyze --json`` prints).

    Returns
    -------
    dict
        ``counts``, ``shared_mechanisms``, ``shared_kinds``, ``similarity`` (metric, sites,
        matrix), ``centrality`` (mechanism, kind, organization; ``top`` each),
        ``bridging_organizations``, ``communities``, ``cooccurrence`` (``top``),
        ``suggestions`` (per site, ``top`` each) and ``messages`` (what is empty and why).

    Examples
    --------
    >>> a = analyze(_example_graph())
    >>> a["counts"]
    {'sites': 3, 'mechanisms': 6, 'kinds': 9, 'organizations': 1}
    """
    index = site_index(graph)
    sites, S = similarity_matrix(index)
    res = {
        "counts": {"sites": len(index.sites), "mechanisms": len(index.mechanisms.columns),
                   "kinds": len(index.kinds.columns), "organizations": len(index.organizations.columns)},
        "shared_mechanisms": shared_columns(index, "mechanism"),
        "shared_kinds": shared_columns(index, "kind"),
        "similarity": {"metric": "jaccard", "features": "named mechanisms + kinds (rolled up along skos:broader)",
                       "sites": [_entry(index, s) for s in sites], "matrix": [[round(float(v), 4) for v in r] for r in S]},
        "centrality": {lvl: centrality(index, lvl, top=top) for lvl in ("mechanism", "kind", "organization")},
        "bridging_organizations": bridging_organizations(index),
        "communities": communities(index),
        "cooccurrence": kind_cooccurrence(index)[:top],
        "suggestions": {},
        "messages": [],
    }
    for s in index.sites:
        sug = suggest(index, s, neighbors=neighbors, top=top)
        res["suggestions"][str(s)] = {"site": sug["site"], "suggestions": sug["suggestions"],
                                      **({"message": sug["message"]} if "message" in sug else {})}
    if not index.sites:
        res["messages"].append({"zh": "图中没有示范点。", "en": "The graph holds no demonstration site."})
    if not res["shared_mechanisms"]:
        res["messages"].append({"zh": "没有被两个及以上示范点共用的具体机制。",
                                "en": "No named mechanism is used at two or more sites."})
    if not res["shared_kinds"]:
        res["messages"].append({"zh": "没有被两个及以上示范点共用的机制类型。",
                                "en": "No kind of mechanism is used at two or more sites."})
    return res


def _example_graph() -> Graph:
    """A tiny graph for the doctests: 甲社区 and 乙村 share three mechanisms, 丙社区 shares none."""
    from rdflib.namespace import XSD

    from .namespace import ID, KIND, UNIT

    g = Graph()
    lab = {"site/a": ("甲社区", "Jia Community"), "site/b": ("乙村", "Yi Village"), "site/c": ("丙社区", "Bing Community"),
           "mechanism/m1": ("议事堂", "deliberation hall"), "mechanism/m2": ("网格", "grid"),
           "mechanism/m3": ("志愿队", "volunteer team"), "mechanism/m4": ("丙网格", "Bing grid"),
           "mechanism/m5": ("监控", "cameras"), "mechanism/m6": ("互助养老", "elderly mutual aid"),
           "org/o1": ("党支部", "party branch"), "outcome/x": ("处置问题件数", "issues handled")}
    for k, (zh, en) in lab.items():
        g.add((ID[k], RDFS.label, Literal(zh, lang="zh")))
        g.add((ID[k], RDFS.label, Literal(en, lang="en")))
    for s in "abc":
        g.add((ID["site/" + s], RDF.type, GK.DemonstrationSite))
    uses = {"m1": "ab", "m2": "ab", "m3": "ab", "m6": "b", "m4": "c", "m5": "c"}
    kinds = {"m1": "yishitangyishihui", "m2": "wanggehuaguanli", "m3": "zhiyuanfuwudui", "m4": "wanggehuaguanli",
             "m5": "shipinjiankong", "m6": "huzhuyanglao"}
    for m, ss in uses.items():
        g.add((ID["mechanism/" + m], RDF.type, GK.Mechanism))
        g.add((ID["mechanism/" + m], GK.mechanismKind, KIND[kinds[m]]))
        for s in ss:
            g.add((ID["mechanism/" + m], GK.usedAt, ID["site/" + s]))
    for k, b in (("yishitangyishihui", "xieshangyishi"), ("wanggehuaguanli", "jingxihuaguanli"),
                 ("zhiyuanfuwudui", "zhiyuanhuzhu"), ("huzhuyanglao", "zhiyuanhuzhu"), ("shipinjiankong", "shuzizhili")):
        g.add((KIND[k], SKOS.broader, KIND[b]))
    g.add((KIND.huzhuyanglao, RDFS.label, Literal("互助养老", lang="zh")))
    g.add((KIND.huzhuyanglao, RDFS.label, Literal("mutual-aid elderly care", lang="en")))
    g.add((ID["mechanism/m1"], GK.realizedBy, ID["org/o1"]))
    g.add((ID["org/o1"], RDF.type, ORG.Organization))
    x, ev = ID["outcome/x"], ID["evidence/outcome/x/1"]
    for t in ((x, RDF.type, GK.Outcome), (x, SCHEMA.value, Literal("28", datatype=XSD.integer)),
              (x, SCHEMA.unitText, Literal("件")), (x, SCHEMA.unitCode, UNIT.jian), (x, GK.comparator, GK.Exactly),
              (x, GK.measureType, GK.Level), (x, GK.site, ID["site/a"]), (x, GK.attributedTo, ID["mechanism/m1"]),
              (x, GK.evidence, ev), (ev, PROV.value, Literal("今年以来处置问题28件。", lang="zh"))):
        g.add(t)
    return g
