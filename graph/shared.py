"""Mechanisms shared across sites, and sites ranked by the mechanisms they share."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import SKOS

from .errors import GovkgError, NotFoundError
from .namespace import GK

__all__ = [
    "Incidence", "incidence", "labels", "label", "sites", "find_site", "match_score", "best_matches",
    "shared_mechanisms", "similar_sites",
]


@dataclass(frozen=True)
class Incidence:
    """A sparse 0/1 site × column matrix (columns: mechanisms or kinds), rows and columns sorted by IRI."""

    sites: list
    columns: list
    matrix: object  # scipy.sparse.csr_matrix

    def column_sites(self, j: int) -> list:
        """The sites (IRIs) of column ``j``."""
        col = self.matrix.getcol(j)
        return [self.sites[i] for i in col.nonzero()[0]]


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
    out = {"zh": "", "en": ""}
    for lit in graph.objects(iri, RDFS.label):
        lang = getattr(lit, "language", None)
        if lang in out and not out[lang]:
            out[lang] = str(lit)
    return out


def label(graph: Graph, iri, lang: str = "zh") -> str:
    """The label of ``iri`` in ``lang``, falling back to the other language, then the IRI."""
    ls = labels(graph, iri)
    return ls.get(lang) or ls["zh"] or ls["en"] or str(iri)


def sites(graph: Graph) -> list:
    """All demonstration sites, sorted by IRI."""
    return sorted(set(graph.subjects(RDF.type, GK.DemonstrationSite)))


def _broader_closure(graph: Graph, kind) -> set:
    return set(graph.transitive_objects(kind, SKOS.broader))


def incidence(graph: Graph, level: str = "mechanism") -> Incidence:
    """The site × mechanism (or site × kind) incidence matrix.

    Parameters
    ----------
    graph : rdflib.Graph
    level : {"mechanism", "kind"}
        ``"kind"`` rolls kinds up along ``skos:broader``: a site that uses a narrower kind
        also uses every broader one.

    Returns
    -------
    Incidence
        Rows are the sites (sorted by IRI); columns the mechanisms or kinds in use.

    Examples
    --------
    >>> from govkg import build_graph
    >>> inc = incidence(build_graph(), "mechanism")
    >>> len(inc.sites), inc.matrix.shape[0]
    (8, 8)
    """
    from .analysis import site_index

    if level not in ("mechanism", "kind"):
        raise GovkgError(f"level must be 'mechanism' or 'kind', not {level!r}")
    index = site_index(graph)
    return index.mechanisms if level == "mechanism" else index.kinds


def _entry(graph: Graph, iri, extra=None) -> dict:
    d = {"iri": str(iri), "label": labels(graph, iri)}
    d.update(extra or {})
    return d


def match_score(name: str, ls: dict, iri) -> int:
    """How well ``name`` matches a term with labels ``ls`` and IRI ``iri``.

    3: an exact label or the id (the IRI's last segment); 2: a label starts with it; 1: a
    label contains it; 0: no match. Case is ignored.

    Examples
    --------
    >>> ls = {"zh": "高新社区", "en": "Gaoxin Community"}
    >>> [match_score(n, ls, "urn:x/gaoxinshequ") for n in ("gaoxinshequ", "高新", "community", "江源")]
    [3, 2, 1, 0]
    """
    n = name.strip().casefold()
    if not n:
        return 0
    texts = [t.casefold() for t in (ls.get("zh", ""), ls.get("en", "")) if t]
    slug = str(iri).rsplit("/", 1)[-1]
    if n in texts or n == slug.casefold():
        return 3
    if any(t.startswith(n) for t in texts):
        return 2
    if any(n in t for t in texts):
        return 1
    return 0


def best_matches(name: str, candidates, labels_of) -> list:
    """The candidates matching ``name`` best (see ``match_score``), sorted; empty when none does.

    ``labels_of(candidate)`` gives ``{"zh", "en"}``. ``name`` is compared as a value in
    Python; it never becomes query text.
    """
    scored = [(match_score(name, labels_of(c), c), c) for c in candidates]
    best = max((sc for sc, _ in scored), default=0)
    return sorted(c for sc, c in scored if sc == best and sc > 0)


def _closest(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=5, cutoff=0.3)


def find_site(graph: Graph, name: str):
    """The IRI of the one site whose id or zh/en label matches ``name`` (see ``govkg.analysis.find_site``).

    Raises
    ------
    NotFoundError
        When no site matches (with the closest labels), or several do equally well.

    Examples
    --------
    >>> from govkg import build_graph
    >>> str(find_site(build_graph(), "Gaoxin Community")).rsplit("/", 1)[-1]
    'gaoxinshequ'
    """
    from .analysis import find_site as find_row, site_index

    index = site_index(graph)
    return index.sites[find_row(index, name)]


def shared_mechanisms(graph: Graph, name: str | None = None, *, kind: bool = False, min_sites: int | None = None) -> dict:
    """Mechanisms (named instances) and kinds used at several sites, or the sites using one.

    Parameters
    ----------
    graph : rdflib.Graph
    name : str, optional
        When given, only the mechanisms and kinds whose zh/en label (or id) matches it:
        an exact label first, else labels starting with it, else labels containing it.
    kind : bool
        Match ``name`` against kinds only.
    min_sites : int, optional
        Keep entries used at this many sites or more (default 2 without ``name``, 1 with).

    Returns
    -------
    dict
        ``{"mechanisms": [...], "kinds": [...]}``; each entry ``{"iri", "label": {"zh", "en"},
        "sites": [{"iri", "label"}], "site_count"}``; mechanisms also list their ``kinds``,
        kinds their ``mechanisms`` and ``broader``. Sorted by site count, then IRI.

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
    mech_inc = incidence(graph, "mechanism")
    kind_inc = incidence(graph, "kind")
    if min_sites is None:
        min_sites = 1 if name else 2
    mechs, kinds = mech_inc.columns, kind_inc.columns
    if name is not None:
        pool = ([] if kind else mechs) + kinds
        found = set(best_matches(name, pool, lambda c: labels(graph, c)))
        if not found:
            names = [t for c in pool for t in labels(graph, c).values() if t]
            raise NotFoundError("kind" if kind else "mechanism or kind", name, _closest(name, names))
        mechs = [m for m in mechs if m in found]
        kinds = [k for k in kinds if k in found]
    site_entry = {s: _entry(graph, s) for s in mech_inc.sites}

    def block(inc: Incidence, wanted, extra) -> list:
        out = []
        index = {c: j for j, c in enumerate(inc.columns)}
        for c in wanted:
            used = inc.column_sites(index[c])
            if len(used) >= min_sites:
                out.append(_entry(graph, c, {"sites": [site_entry[s] for s in used], "site_count": len(used), **extra(c, used)}))
        return sorted(out, key=lambda d: (-d["site_count"], d["iri"]))

    def mech_extra(m, used):
        return {"kinds": [_entry(graph, k) for k in sorted(graph.objects(m, GK.mechanismKind))]}

    kind_mechs: dict = {}
    for m in mech_inc.columns:
        for k in graph.objects(m, GK.mechanismKind):
            for kk in _broader_closure(graph, k):
                kind_mechs.setdefault(kk, set()).add(m)

    def kind_extra(k, used):
        ms = sorted(m for m in kind_mechs.get(k, ()) if set(graph.objects(m, GK.usedAt)) & set(used))
        return {"mechanisms": [_entry(graph, m) for m in ms],
                "broader": [_entry(graph, b) for b in sorted(graph.objects(k, SKOS.broader))]}

    return {"mechanisms": block(mech_inc, mechs, mech_extra), "kinds": block(kind_inc, kinds, kind_extra)}


def similar_sites(graph: Graph, site: str, *, top: int | None = None) -> dict:
    """The other sites ranked by the mechanisms they share with ``site``.

    Similarity is the Jaccard index |A ∩ B| / |A ∪ B| over the union of a site's named
    mechanisms and its kinds (rolled up along ``skos:broader``) — ``govkg.analysis``'s
    measure, one sparse matrix–vector product; ties are broken by the number of shared named
    mechanisms, then IRI. Every other site is listed, those sharing nothing last.

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
        ``{"site": {"iri", "label"}, "similar": [{"iri", "label", "jaccard", "shared_count",
        "shared": {"mechanisms": [...], "kinds": [...]}}]}``.

    Examples
    --------
    >>> from govkg import build_graph
    >>> res = similar_sites(build_graph(), "高新社区")
    >>> len(res["similar"]), res["similar"][0]["label"]["zh"]
    (7, '江源村')
    """
    import numpy as np

    from .analysis import similarity_scores, find_site as find_row, site_index

    index = site_index(graph)
    i = find_row(index, site)
    X = index.combined
    columns = index.mechanisms.columns + index.kinds.columns
    n_mech = len(index.mechanisms.columns)
    x = np.zeros(X.shape[1])
    own = X.indices[X.indptr[i]:X.indptr[i + 1]]
    x[own] = 1.0
    jaccard, inter = similarity_scores(X, x, "jaccard")
    own = set(own.tolist())
    out = []
    for j, s in enumerate(index.sites):
        if j == i:
            continue
        common = sorted(own & set(X.indices[X.indptr[j]:X.indptr[j + 1]].tolist()))
        out.append(_entry(graph, s, {
            "jaccard": round(float(jaccard[j]), 4),
            "shared_count": int(inter[j]),
            "shared": {"mechanisms": [_entry(graph, columns[c]) for c in common if c < n_mech],
                       "kinds": [_entry(graph, columns[c]) for c in common if c >= n_mech]},
        }))
    out.sort(key=lambda d: (-d["jaccard"], -len(d["shared"]["mechanisms"]), d["iri"]))
    if top is not None:
        out = out[:top]
    return {"site": _entry(graph, index.sites[i]), "similar": out}
