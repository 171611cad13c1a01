"""The site index: every site × mechanism, kind and organization incidence as sparse matrices, built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import ORG, SKOS

from ..errors import GovkgError
from ..namespace import GK
from .labels import label_dict, pick

__all__ = ["Incidence", "SiteIndex", "site_index", "index_from_triples", "index_from_file", "entry", "incidence_of",
           "LEVELS"]

#: The column sets of a ``SiteIndex``: ``level`` names accepted by the analysis functions.
LEVELS = ("mechanism", "kind", "specific", "organization")


@dataclass(frozen=True)
class Incidence:
    """A sparse 0/1 site × column matrix (columns: mechanisms, kinds or organizations), rows and columns sorted by IRI."""

    sites: list
    columns: list
    matrix: Any  # scipy.sparse.csr_matrix (scipy ships no types)

    def column_sites(self, j: int) -> list:
        """The sites (IRIs) of column ``j``."""
        col = self.matrix.getcol(j)
        return [self.sites[i] for i in col.nonzero()[0]]


@dataclass(frozen=True)
class SiteIndex:
    """Everything the analysis reads, as sparse matrices: built once, then each query is a few
    sparse products.

    Attributes
    ----------
    sites : list
        Site IRIs; row ``i`` of every matrix.
    mechanisms, kinds : Incidence
        Site × named mechanism, and site × kind rolled up along ``skos:broader`` (a site
        using a 议事堂议事会 mechanism also has 协商议事), 0/1.
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
    specific : Incidence
        Site × kind at the most specific level: the kinds given to the site's mechanisms,
        less any kind that is an ancestor of another of them (columns as in ``kinds``).
        ``None`` means "same as ``kinds``".
    texts : dict
        ``{kind: {"alt": {"zh": [...], "en": [...]}, "definition": {"zh": [...], "en": [...]}}}``:
        the ``skos:altLabel`` and ``skos:definition`` of each kind in ``kinds``, what search by
        meaning (``govkg.analysis.matching.kind_matches``) reads beside the labels. ``None``
        means none were read.
    """

    sites: list
    mechanisms: Incidence
    kinds: Incidence
    organizations: Incidence
    mechanism_kinds: Any  # scipy.sparse.csr_matrix
    broader: dict
    labels: Mapping  # a dict, or the label table of an opened build (govkg.labeltable.LabelTable)
    specific: Incidence | None = None
    texts: dict | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def row(self) -> Mapping:
        """``{site IRI: row}``."""
        if "row" not in self._cache:
            positions = getattr(self.sites, "positions", None)  # an opened build's IriList: by text, no URIRef made
            self._cache["row"] = _ByText(positions()) if positions is not None else \
                {s: i for i, s in enumerate(self.sites)}
        return self._cache["row"]

    @property
    def row_by_text(self) -> dict:
        """``{site IRI as str: row}`` (look-ups by text never build a ``URIRef``)."""
        if "row_text" not in self._cache:
            positions = getattr(self.sites, "positions", None)
            self._cache["row_text"] = positions() if positions is not None else \
                {str(s): i for i, s in enumerate(self.sites)}
        return self._cache["row_text"]

    def csc(self, level: str = "mechanism"):
        """The incidence of ``level`` in CSC form (fast column access), cached."""
        key = "csc-" + level
        if key not in self._cache:
            self._cache[key] = incidence_of(self, level).matrix.tocsc()
        return self._cache[key]

    def label(self, iri, lang: str = "zh") -> str:
        """The label of ``iri`` in ``lang``, falling back to the other language, then the IRI."""
        return pick(self.labels.get(iri, {}), lang, str(iri))


class _ByText(Mapping):
    """``{URIRef: row}`` over a ``{IRI text: row}`` dict (``SiteIndex.row`` of an opened build)."""

    def __init__(self, by_text: dict):
        self._d = by_text

    def __getitem__(self, iri):
        if not isinstance(iri, URIRef):
            raise KeyError(iri)
        return self._d[str(iri)]

    def __iter__(self):
        return (URIRef(k) for k in self._d)

    def __len__(self) -> int:
        return len(self._d)


def incidence_of(index: SiteIndex, level: str) -> Incidence:
    """The ``Incidence`` of ``level`` (one of ``LEVELS``) in ``index``."""
    if level == "mechanism":
        return index.mechanisms
    if level == "kind":
        return index.kinds
    if level == "specific":
        return index.specific if index.specific is not None else index.kinds
    if level == "organization":
        return index.organizations
    raise GovkgError(f"level must be one of {', '.join(map(repr, LEVELS))}, not {level!r}")


def entry(index: SiteIndex, iri, **extra) -> dict:
    """``{"iri", "label": {"zh", "en"}, **extra}`` of a term of ``index``."""
    lab = index.labels.get(iri, {})
    d = {"iri": str(iri), "label": {"zh": lab.get("zh", ""), "en": lab.get("en", "")}}
    d.update(extra)
    return d


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
    links |= {(s, o) for m, o in realized for s in used_at.get(m, ())}
    by_org: dict = {}
    for s, o in links:
        by_org.setdefault(o, set()).add(s)
    for a, o in members:
        for s in by_org.get(o, ()):
            links.add((s, a))
    return links


PREDICATES = {
    str(RDF.type): "type", str(GK.usedAt): "used", str(GK.mechanismKind): "kind",
    str(SKOS.broader): "broader", str(GK.realizedBy): "real", str(ORG.hasSite): "hassite",
    str(ORG.hasMember): "member", str(RDFS.label): "label",
    str(SKOS.altLabel): "alt", str(SKOS.definition): "definition",
}
#: Buckets holding literals (the object term is kept, with its language).
LITERALS = ("label", "alt", "definition")


def site_index(graph) -> SiteIndex:
    """The ``SiteIndex`` of an rdflib graph; an index is returned as is, and an opened build
    (``govkg.open``) gives the index persisted beside its store.

    Reads only the predicates the index needs (``graph.triples((None, p, None))`` for each)
    and assembles them exactly as ``index_from_triples`` does.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> idx = site_index(_example_graph())
    >>> idx.mechanisms.matrix.shape, idx.kinds.matrix.shape
    ((3, 6), (3, 9))
    """
    if isinstance(graph, SiteIndex) or type(graph).__name__ == "SiteIndex":  # also a copy of this module's class
        return graph
    if type(graph).__name__ == "OpenBuild":  # a build opened with govkg.open: the index it persisted
        return graph.site_index()
    if not isinstance(graph, Graph):
        raise GovkgError(f"expected an rdflib Graph or a SiteIndex, not {type(graph).__name__}")
    buckets: dict = {name: [] for name in PREDICATES.values()}
    for iri, name in PREDICATES.items():
        p = URIRef(iri)
        if name == "type":
            buckets["type"] = [str(s) for s in graph.subjects(RDF.type, GK.DemonstrationSite)]
        elif name in LITERALS:
            buckets[name] = [(str(s), o) for s, o in graph.subject_objects(p)]
        else:
            buckets[name] = [(str(s), str(o)) for s, o in graph.subject_objects(p)]
    return index_from_buckets(buckets)


def _term_text(term) -> str:
    """The IRI or lexical form of a term from rdflib (``str``) or pyoxigraph (``.value``)."""
    v = getattr(term, "value", None)
    return v if isinstance(v, str) and not isinstance(term, (URIRef, Literal)) else str(term)


def index_from_triples(triples) -> SiteIndex:
    """A ``SiteIndex`` straight from an iterable of ``(subject, predicate, object)`` terms.

    The fast path for large graphs: one pass over the triples (rdflib terms, or
    pyoxigraph terms — anything whose ``str``/``.value`` is the IRI), no RDF store. Reads
    ``rdf:type gk:DemonstrationSite``, ``gk:usedAt``, ``gk:mechanismKind``,
    ``skos:broader``, ``gk:realizedBy``, ``org:hasSite``, ``org:hasMember``, ``rdfs:label``
    and the kinds' ``skos:altLabel`` and ``skos:definition``.

    Examples
    --------
    >>> from rdflib import RDF
    >>> from govkg.namespace import GK, ID, KIND
    >>> t = [(ID["site/a"], RDF.type, GK.DemonstrationSite), (ID["mechanism/m"], GK.usedAt, ID["site/a"]),
    ...      (ID["mechanism/m"], GK.mechanismKind, KIND.yishitangyishihui)]
    >>> index_from_triples(t).kinds.matrix.toarray().tolist()
    [[1]]
    """
    buckets: dict = {name: [] for name in PREDICATES.values()}
    site = str(GK.DemonstrationSite)
    keys: dict = {}  # predicate term -> bucket name or None, so each predicate is looked at once
    for s, p, o in triples:
        try:
            name = keys[p]
        except KeyError:
            name = keys[p] = PREDICATES.get(_term_text(p))
        if name is None:
            continue
        if name == "type":
            if _term_text(o) == site:
                buckets["type"].append(_term_text(s))
        elif name in LITERALS:
            buckets[name].append((_term_text(s), o))
        else:
            buckets[name].append((_term_text(s), _term_text(o)))
    return index_from_buckets(buckets)


def index_from_buckets(b: dict) -> SiteIndex:
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
    direct: dict = {}
    for m, k in b["kind"]:
        if m in mcol:
            direct.setdefault(m, set()).add(k)
    mk_raw = {m: ks.union(*(broader.get(k, frozenset()) for k in ks)) for m, ks in direct.items()}
    kinds = sorted({k for ks in mk_raw.values() for k in ks})
    kcol = {k: j for j, k in enumerate(kinds)}
    mk = _matrix(((m, k) for m, ks in mk_raw.items() for k in ks), mcol, kcol)
    mech_matrix = _matrix(((s, m) for m, s in used), row, mcol)
    kind_matrix = sparse.csr_matrix(mech_matrix @ mk)
    kind_matrix.data[:] = 1
    kind_matrix.eliminate_zeros()
    # most specific kinds: the direct kinds of a site's mechanisms, less the ancestors of any of them
    mk_direct = _matrix(((m, k) for m, ks in direct.items() for k in ks), mcol, kcol)
    site_direct = sparse.csr_matrix(mech_matrix @ mk_direct)
    site_direct.data[:] = 1
    anc = _matrix(((k, a) for k in kinds for a in broader.get(k, ()) if a in kcol), kcol, kcol)
    covered = site_direct @ anc  # [s, a] > 0: some direct kind of s has a as an ancestor
    covered.data[:] = 1
    specific = sparse.csr_matrix(site_direct - site_direct.multiply(covered))
    specific.eliminate_zeros()
    links = _org_sites(row, b["hassite"], b["real"], used_at, b["member"])
    orgs = sorted({o for _, o in links})
    org_matrix = _matrix(links, row, {o: j for j, o in enumerate(orgs)})

    def iris(values):
        return [URIRef(v) for v in values]

    sites_u, mechs_u, kinds_u, orgs_u = iris(site_list), iris(mechs), iris(kinds), iris(orgs)
    wanted = set(site_list) | set(mechs) | set(kinds) | set(orgs)
    labels = {URIRef(k): v for k, v in label_dict((s, _Lit(o)) for s, o in b["label"] if s in wanted).items()}
    broader_u = {URIRef(k): frozenset(URIRef(x) for x in v) for k, v in broader.items()}
    texts: dict = {}
    kind_set = set(kinds)
    for what in ("alt", "definition"):
        for k, lit in b.get(what, ()):
            if k in kind_set:
                lit = _Lit(lit)
                lang = (lit.language or "").split("-")[0].lower()
                if lang in ("zh", "en"):
                    texts.setdefault(URIRef(k), {"alt": {"zh": [], "en": []}, "definition": {"zh": [], "en": []}})[what][lang].append(str(lit))
    for d in texts.values():
        for by_lang in d.values():
            for lang in by_lang:
                by_lang[lang].sort()
    return SiteIndex(sites_u, Incidence(sites_u, mechs_u, mech_matrix), Incidence(sites_u, kinds_u, kind_matrix),
                     Incidence(sites_u, orgs_u, org_matrix), mk, broader_u, labels,
                     Incidence(sites_u, kinds_u, specific), texts)


class _Lit(str):
    """A label literal from any RDF library, as ``str`` with ``language``."""

    language: str | None

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
    names = {ox.NamedNode(iri): name for iri, name in PREDICATES.items()}
    site = ox.NamedNode(str(GK.DemonstrationSite))
    buckets: dict = {name: [] for name in PREDICATES.values()}
    types, labels = buckets["type"], buckets["label"]
    try:
        quads = ox.parse(path=str(path), format=fmt[key])
        for q in quads:
            name = names.get(q.predicate)
            if name is None:
                continue
            if name == "type":
                if q.object == site:
                    types.append(q.subject.value)
            elif name in LITERALS:
                (labels if name == "label" else buckets[name]).append((q.subject.value, q.object))
            else:
                buckets[name].append((q.subject.value, q.object.value))
    except (OSError, SyntaxError) as exc:
        raise GovkgError(f"cannot read {path}: {exc}") from None
    return index_from_buckets(buckets)
