"""Convert the govkg RDF graph to NetworkX graphs: a typed multigraph of everything, and bipartite site graphs."""

from __future__ import annotations

from decimal import Decimal

import networkx as nx
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import ORG

from .args import GraphOrBuild
from .namespace import GK, ID, KIND, PREFIXES, SCHEMA, UNIT

__all__ = [
    "CLASSES", "to_networkx", "site_mechanism_graph", "site_kind_graph", "bipartite_from_incidence",
    "node_class", "curie", "label_map",
]

#: Node classes of ``to_networkx`` (the ``cls`` attribute), with the RDF types that give them,
#: most specific first (the first match wins).
CLASSES = (
    ("site", (GK.DemonstrationSite,)),
    ("mechanism", (GK.Mechanism,)),
    ("kind", (GK.MechanismKind,)),
    ("organization", (ORG.Organization, ORG.OrganizationalCollaboration, GK.Alliance)),
    ("outcome", (GK.Outcome,)),
    ("response", (GK.EventResponse,)),
    ("event", (GK.Meeting, GK.Typhoon)),
    ("evidence", (GK.Evidence,)),
    ("source", (SCHEMA.NewsArticle,)),
    ("area", (SCHEMA.AdministrativeArea,)),
    ("unit", (GK.Unit,)),
    ("person", (SCHEMA.Person,)),
)
_OUR_NODES = (str(ID), str(KIND._NS), str(UNIT._NS))
_SKIP = {RDF.type, RDFS.isDefinedBy}


def curie(iri) -> str:
    """``iri`` shortened with our prefixes (``gk:usedAt``, ``site:gaoxinshequ``); unchanged when none fits.

    Examples
    --------
    >>> from govkg.namespace import GK
    >>> curie(GK.usedAt)
    'gk:usedAt'
    """
    s = str(iri)
    best = None
    for p, ns in PREFIXES.items():
        if s.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            best = p
    return s if best is None else f"{best}:{s[len(PREFIXES[best]):]}"


def _local(iri) -> str:
    s = str(iri)
    for sep in ("#", "/"):
        if sep in s:
            s = s.rsplit(sep, 1)[1] or s
    return s


def node_class(types) -> str:
    """The ``cls`` of a node with RDF ``types`` (see ``CLASSES``); ``"other"`` when none applies.

    Examples
    --------
    >>> from govkg.namespace import GK
    >>> node_class({GK.Community, GK.DemonstrationSite})
    'site'
    """
    types = set(types)
    for name, classes in CLASSES:
        if types.intersection(classes):
            return name
    return "other"


def label_map(graph: Graph) -> dict:
    """``{iri: {"zh": …, "en": …}}`` for every node with an ``rdfs:label``, in one pass.

    Examples
    --------
    >>> from rdflib import Graph, Literal, URIRef, RDFS
    >>> g = Graph(); x = URIRef("https://w3id.org/govkg/id/site/a")
    >>> _ = g.add((x, RDFS.label, Literal("甲", lang="zh")))
    >>> label_map(g)[x]["zh"]
    '甲'
    """
    from .analysis.labels import label_dict

    return label_dict((s, o) for s, o in graph.subject_objects(RDFS.label) if isinstance(o, Literal))


def _value(lit: Literal):
    v = lit.toPython()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(lit)


def _is_node(term) -> bool:
    return isinstance(term, BNode) or (isinstance(term, URIRef) and str(term).startswith(_OUR_NODES))


def to_networkx(graph: GraphOrBuild) -> nx.MultiDiGraph:
    """The data of ``graph`` as a typed directed multigraph (a new graph; ``graph`` is not changed).

    Nodes are our entities (IRIs under ``id/``, ``kind/`` and ``unit/``), keyed by their
    IRI as a plain ``str``. Ontology terms (classes, properties) are not nodes: ``rdf:type``
    becomes the ``types`` and ``cls`` attributes, and values from the ontology's own
    namespace (``gk:Exactly``, ``gk:Level``, ``gk:MechanismKinds``) and external IRIs become
    attributes. Literals become attributes named after the property's local name, with
    ``_zh``/``_en`` for language-tagged text (``label_zh``, ``label_en``, ``value_zh`` of an
    evidence sentence, ``description_en`` …); repeated values are joined with ``" | "``.
    Super-properties the build materialized (``dcterms:type`` for ``gk:mechanismKind`` …)
    are left out, so each fact is one edge.

    Node attributes: ``iri``, ``curie``, ``cls`` (one of ``CLASSES`` or ``"other"``),
    ``types`` (space-separated CURIEs), ``label`` (zh, else en), ``label_zh``, ``label_en``
    and the literal attributes. Edge keys and the ``predicate`` attribute are the
    predicate's CURIE (``gk:usedAt``, ``schema:containedInPlace``, ``skos:broader`` …).

    Parameters
    ----------
    graph : rdflib.Graph or govkg.OpenBuild
        Ontology plus data, as from ``govkg.load_graph()``, or a build opened with ``govkg.open``
        (its store's triples are read one at a time; no rdflib graph is made).

    Returns
    -------
    networkx.MultiDiGraph

    Examples
    --------
    >>> from rdflib import Graph, Literal, RDF, RDFS
    >>> from govkg.namespace import GK, ID
    >>> g = Graph()
    >>> s, m = ID["site/a"], ID["mechanism/m"]
    >>> for t in [(s, RDF.type, GK.DemonstrationSite), (m, RDF.type, GK.Mechanism),
    ...           (m, GK.usedAt, s), (s, RDFS.label, Literal("甲社区", lang="zh"))]:
    ...     _ = g.add(t)
    >>> G = to_networkx(g)
    >>> G.nodes[str(s)]["cls"], G.nodes[str(s)]["label"]
    ('site', '甲社区')
    >>> list(G.edges(keys=True))
    [('https://w3id.org/govkg/id/mechanism/m', 'https://w3id.org/govkg/id/site/a', 'gk:usedAt')]
    """
    if type(graph).__name__ == "OpenBuild":  # a build opened with govkg.open: its store's triples, streamed
        def pairs(p):
            return ((s, o) for s, _p, o in graph.triples(p))

        everything = graph.triples()
    else:
        pairs, everything = graph.subject_objects, graph
    materialized = {o for s, o in pairs(RDFS.subPropertyOf)
                    if str(s).startswith(str(GK._NS)) and not str(o).startswith(str(GK._NS))}
    types: dict = {}
    for s, o in pairs(RDF.type):
        if _is_node(s):
            types.setdefault(s, set()).add(o)
    G: nx.MultiDiGraph = nx.MultiDiGraph(name="govkg")
    attrs: dict = {}

    def node(n):
        if n not in attrs:
            ts = types.get(n, set())
            attrs[n] = {
                "iri": str(n), "curie": curie(n), "cls": node_class(ts),
                "types": " ".join(sorted(curie(t) for t in ts)),
            }
        return attrs[n]

    lits: dict = {}
    edges: list = []
    for s, p, o in everything:
        if p in _SKIP or p in materialized or not _is_node(s):
            continue
        node(s)
        if _is_node(o):
            node(o)
            edges.append((str(s), str(o), curie(p), _local(p)))
            continue
        if isinstance(o, Literal):
            key = _local(p)
            if o.language:
                key = f"{key}_{o.language.lower().split('-')[0]}"
            value = _value(o)
        else:
            key, value = _local(p), (_local(o) if str(o).startswith(str(GK._NS)) else str(o))
        lits.setdefault((s, key), []).append(value)
    # nodes, attributes and edges in sorted order: the same graph (and export bytes) whatever order
    # the triples came in (an rdflib graph, the store)
    for (s, key), values in sorted(lits.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        if len(values) == 1:
            attrs[s][key] = values[0]
        else:
            attrs[s][key] = " | ".join(sorted(str(v) for v in values))
    for n, a in sorted(attrs.items(), key=lambda na: str(na[0])):
        a["label"] = a.get("label_zh") or a.get("label_en") or a["curie"]
        G.add_node(str(n), **a)
    for s, o, key, local in sorted(set(edges)):
        G.add_edge(s, o, key=key, predicate=key, label=local)
    return G


def bipartite_from_incidence(inc, labels: dict | None = None, *, column_class: str = "mechanism") -> nx.Graph:
    """A bipartite ``networkx.Graph`` from an ``Incidence`` (sites × columns, 0/1).

    Sites get ``bipartite=0`` and ``cls="site"``, columns ``bipartite=1`` and
    ``cls=column_class``; nodes are keyed by IRI as ``str`` and carry ``label_zh``,
    ``label_en`` and ``label`` when ``labels`` (``{iri: {"zh", "en"}}``) has them.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from types import SimpleNamespace
    >>> inc = SimpleNamespace(sites=["s1", "s2"], columns=["m"], matrix=sp.csr_matrix([[1], [1]]))
    >>> B = bipartite_from_incidence(inc)
    >>> sorted(B.neighbors("m")), B.nodes["m"]["bipartite"]
    (['s1', 's2'], 1)
    """
    labels = labels or {}
    B: nx.Graph = nx.Graph()
    for part, cls, iris in ((0, "site", inc.sites), (1, column_class, inc.columns)):
        for iri in iris:
            lab = labels.get(iri, {})
            zh, en = lab.get("zh", ""), lab.get("en", "")
            B.add_node(str(iri), bipartite=part, cls=cls, iri=str(iri), label_zh=zh, label_en=en,
                       label=zh or en or curie(iri))
    coo = inc.matrix.tocoo()
    B.add_edges_from((str(inc.sites[i]), str(inc.columns[j])) for i, j in zip(coo.row.tolist(), coo.col.tolist()))
    return B


def site_mechanism_graph(graph: Graph) -> nx.Graph:
    """The bipartite site–mechanism graph: an edge for each ``?m gk:usedAt ?site``.

    A new graph (see ``bipartite_from_incidence`` for its attributes); built on
    ``govkg.shared.incidence(graph, "mechanism")``. A mechanism used at two sites is one
    node with two edges.

    Examples
    --------
    >>> from rdflib import Graph, RDF
    >>> from govkg.namespace import GK, ID, KIND
    >>> g = Graph()
    >>> for s in ("a", "b"):
    ...     _ = g.add((ID["site/" + s], RDF.type, GK.DemonstrationSite))
    ...     _ = g.add((ID["mechanism/m"], GK.usedAt, ID["site/" + s]))
    >>> _ = g.add((ID["mechanism/m"], RDF.type, GK.Mechanism))
    >>> _ = g.add((ID["mechanism/m"], GK.mechanismKind, KIND.yishitangyishihui))
    >>> B = site_mechanism_graph(g)
    >>> B.degree(str(ID["mechanism/m"]))
    2
    """
    from .shared import incidence

    return bipartite_from_incidence(incidence(graph, level="mechanism"), label_map(graph), column_class="mechanism")


def site_kind_graph(graph: Graph) -> nx.Graph:
    """The bipartite site–kind graph: a site is linked to every kind of the mechanisms it uses,
    rolled up along ``skos:broader`` (a site using a 议事堂议事会 mechanism is also linked to 协商议事).

    A new graph, built on ``govkg.shared.incidence(graph, "kind")``.

    Examples
    --------
    >>> from rdflib import Graph, RDF
    >>> from rdflib.namespace import SKOS
    >>> from govkg.namespace import GK, ID, KIND
    >>> g = Graph()
    >>> _ = g.add((ID["site/a"], RDF.type, GK.DemonstrationSite))
    >>> _ = g.add((ID["mechanism/m"], RDF.type, GK.Mechanism))
    >>> _ = g.add((ID["mechanism/m"], GK.usedAt, ID["site/a"]))
    >>> _ = g.add((ID["mechanism/m"], GK.mechanismKind, KIND.yishitangyishihui))
    >>> _ = g.add((KIND.yishitangyishihui, SKOS.broader, KIND.xieshangyishi))
    >>> sorted(n.rsplit("/", 1)[1] for n in site_kind_graph(g).neighbors(str(ID["site/a"])))
    ['xieshangyishi', 'yishitangyishihui']
    """
    from .shared import incidence

    return bipartite_from_incidence(incidence(graph, level="kind"), label_map(graph), column_class="kind")
