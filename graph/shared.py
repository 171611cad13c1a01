"""Mechanisms shared across sites, and sites ranked by the mechanisms they share."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import SKOS

from .errors import NotFoundError
from .namespace import GK

__all__ = [
    "Incidence", "incidence", "labels", "label", "sites", "find_site", "find_terms",
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
        raise ValueError(f"level must be 'mechanism' or 'kind', not {level!r}")
    index = site_index(graph)
    return index.mechanisms if level == "mechanism" else index.kinds


def _entry(graph: Graph, iri, extra=None) -> dict:
    d = {"iri": str(iri), "label": labels(graph, iri)}
    d.update(extra or {})
    return d


def _match_score(name: str, ls: dict, iri) -> int:
    """3: exact label or id; 2: label starts with name; 1: name inside label; 0: no match."""
    n = name.strip().casefold()
    texts = [ls["zh"].casefold(), ls["en"].casefold()]
    slug = str(iri).rsplit("/", 1)[-1]
    if n in texts or n == slug:
        return 3
    if any(t.startswith(n) for t in texts if t):
        return 2
    if any(n in t for t in texts if t):
        return 1
    return 0


def _closest(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=5, cutoff=0.3)


def find_terms(graph: Graph, name: str, candidates) -> list:
    """The candidates whose zh/en label or id matches ``name`` (best matches only).

    ``name`` is compared as a value in Python; it never becomes query text.
    """
    scored = [(_match_score(name, labels(graph, c), c), c) for c in candidates]
    best = max((s for s, _ in scored), default=0)
    return sorted(c for s, c in scored if s == best and s > 0)


def find_site(graph: Graph, name: str):
    """The one site whose id or zh/en label matches ``name``.

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
    all_sites = sites(graph)
    found = find_terms(graph, name, all_sites)
    if len(found) == 1:
        return found[0]
    names = [t for s in all_sites for t in labels(graph, s).values() if t]
    if not found:
        raise NotFoundError("site", name, _closest(name, names) or names[:5])
    raise NotFoundError("single site", name, [label(graph, s) for s in found])


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
        found = set(find_terms(graph, name, pool))
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
    mechanisms and its kinds (rolled up along ``skos:broader``), computed from the sparse
    incidence matrices; ties are broken by the number of shared named mechanisms, then IRI.

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
    >>> len(res["similar"])
    7
    """
    from scipy import sparse

    target = find_site(graph, site)
    mi, ki = incidence(graph, "mechanism"), incidence(graph, "kind")
    B = sparse.hstack([mi.matrix, ki.matrix]).tocsr()
    columns = mi.columns + ki.columns
    n_mech = len(mi.columns)
    i = mi.sites.index(target)
    inter = (B @ B[i].T).toarray().ravel()
    sizes = B.getnnz(axis=1)
    union = sizes + sizes[i] - inter
    own = set(B[i].indices)
    out = []
    for j, s in enumerate(mi.sites):
        if j == i:
            continue
        common = sorted(own & set(B[j].indices))
        shared_m = [_entry(graph, columns[c]) for c in common if c < n_mech]
        shared_k = [_entry(graph, columns[c]) for c in common if c >= n_mech]
        out.append(_entry(graph, s, {
            "jaccard": round(float(inter[j] / union[j]) if union[j] else 0.0, 4),
            "shared_count": int(inter[j]),
            "shared": {"mechanisms": shared_m, "kinds": shared_k},
        }))
    out.sort(key=lambda d: (-d["jaccard"], -len(d["shared"]["mechanisms"]), d["iri"]))
    if top is not None:
        out = out[:top]
    return {"site": _entry(graph, target), "similar": out}
