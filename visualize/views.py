"""View graphs: networkx graphs of one view (full, mechanisms, similarity) built from the govkg RDF graph."""

from __future__ import annotations

from decimal import Decimal

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SKOS

from govkg.args import GraphOrBuild
from govkg.errors import GovkgError, NotFoundError
from govkg.namespace import GK, SCHEMA, SOSA

from .style import class_names

__all__ = ["VIEWS", "NETWORK_QUERIES", "WHOLE_QUERY", "PLACE_QUERY", "view_graph", "focus_graph", "site_class", "district_of", "evidence_of",
           "link_evidence"]

#: The views ``view_graph`` builds.
VIEWS = ("full", "mechanisms", "similarity")

_RURAL = (GK.Village, GK.VillageCommittee, GK.NaturalVillage)
_DISTRICT = (GK.District, GK.DevelopmentZone)
_ORG_TYPES = (ORG.Organization, ORG.OrganizationalCollaboration, ORG.FormalOrganization, GK.Alliance)
_EVENT_TYPES = (GK.Meeting, GK.Typhoon)
#: Labels of the relations that are not our own terms (ours carry rdfs:label in the ontology).
_REL_LABELS = {
    SCHEMA.containedInPlace: {"zh": "位于", "en": "contained in"},
    ORG.hasSite: {"zh": "所在地", "en": "has site"},
    ORG.hasMember: {"zh": "成员", "en": "has member"},
    ORG.subOrganizationOf: {"zh": "隶属于", "en": "part of"},
    SKOS.broader: {"zh": "上位类型", "en": "broader"},
    SOSA.hasFeatureOfInterest: {"zh": "度量对象", "en": "about"},
}
#: What the network views read from a build opened with ``govkg.open`` (SPARQL CONSTRUCT on its store):
#: the sites, mechanisms, kinds, uses, outcomes, claims, evidence, reports and units with all their triples,
#: the places that contain the sites (types, labels, ``schema:containedInPlace``) and the labels of
#: our properties (edge labels). The ``full`` view shows the whole graph: ``WHOLE_QUERY``.
NETWORK_QUERIES = (
    "CONSTRUCT { ?x ?p ?o } WHERE { VALUES ?t { gk:DemonstrationSite gk:Mechanism gk:MechanismKind gk:MechanismUse "
    "gk:Outcome gk:Claim gk:Evidence schema:NewsArticle gk:Unit } ?x a ?t ; ?p ?o }",
    "CONSTRUCT { ?p ?q ?o } WHERE { { SELECT DISTINCT ?p WHERE { ?s a gk:DemonstrationSite ; "
    "schema:containedInPlace* ?p } } VALUES ?q { rdf:type schema:containedInPlace rdfs:label } ?p ?q ?o }",
    "CONSTRUCT { ?p rdfs:label ?l } WHERE { VALUES ?c { <http://www.w3.org/2002/07/owl#ObjectProperty> "
    "<http://www.w3.org/2002/07/owl#DatatypeProperty> } ?p a ?c ; rdfs:label ?l }",
)
#: The places that contain the sites (what ``district_of`` reads).
PLACE_QUERY = NETWORK_QUERIES[1]
#: The whole graph, for the ``full`` view.
WHOLE_QUERY = "CONSTRUCT WHERE { ?s ?p ?o }"
_SHORT_CMP: dict = {GK.MoreThan: {"zh": "超过", "en": "more than "}, GK.Approximately: {"zh": "约", "en": "about "}}


def _labels(graph: Graph, iri) -> dict:
    from govkg.shared import labels

    ls = labels(graph, iri)
    local = str(iri).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return {"zh": ls["zh"] or ls["en"] or local, "en": ls["en"] or ls["zh"] or local}


def _rel_label(graph: Graph, prop) -> dict:
    if prop in _REL_LABELS:
        return dict(_REL_LABELS[prop])
    return _labels(graph, prop)


def site_class(graph: Graph, site) -> str:
    """``"urban-site"`` for a community, ``"rural-site"`` for a village, village committee or natural village.

    Examples
    --------
    >>> from rdflib import Graph, RDF, URIRef
    >>> g = Graph(); s = URIRef("urn:s")
    >>> g.add((s, RDF.type, GK.Village)) and site_class(g, s)
    'rural-site'
    """
    types = set(graph.objects(site, RDF.type))
    return "rural-site" if types & set(_RURAL) else "urban-site"


def district_of(graph: Graph, place):
    """The district or development zone that contains ``place`` (or is ``place``), else ``None``.

    Examples
    --------
    >>> from rdflib import Graph, RDF, URIRef
    >>> g = Graph(); s, d = URIRef("urn:s"), URIRef("urn:d")
    >>> _ = g.add((d, RDF.type, GK.District)).add((s, SCHEMA.containedInPlace, d))
    >>> district_of(g, s) == d
    True
    """
    seen = set()
    todo = [place]
    while todo:
        p = todo.pop(0)
        if p in seen:
            continue
        seen.add(p)
        if set(graph.objects(p, RDF.type)) & set(_DISTRICT):
            return p
        todo.extend(graph.objects(p, SCHEMA.containedInPlace))
    return None


def _source(graph: Graph, src) -> dict:
    """A source as plain text: title (zh, en), publication date and URL ("" when the data has none)."""
    if src is None:
        return {"source": {"zh": "", "en": ""}, "date": "", "date_en": "", "url": ""}
    url = next(iter(graph.objects(src, SCHEMA.url)), None)
    title = {lit.language: str(lit) for lit in graph.objects(src, SCHEMA.headline) if isinstance(lit, Literal)}
    names = _labels(graph, src)
    date = next(iter(graph.objects(src, SCHEMA.datePublished)), None)
    earliest = next(iter(graph.objects(src, GK.earliestDate)), None)
    if date is not None:
        zh = en = str(date)
    elif earliest is not None:  # the text carries no date: what the data can say
        zh, en = f"不早于 {earliest}", f"on or after {earliest}"
    else:
        zh = en = ""
    return {"source": {"zh": title.get("zh") or names["zh"], "en": title.get("en") or names["en"]},
            "date": zh, "date_en": en, "url": str(url) if url is not None else ""}


def evidence_of(graph: Graph, node) -> list[dict]:
    """The evidence sentences of ``node``: ``[{"text", "source": {"zh", "en"}, "date", "date_en", "url"}]``
    (plain text; the source's title, its publication date, or the earliest it can be, and its URL, ""
    when the data has none).

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> evidence_of(Graph(), URIRef("urn:x"))
    []
    """
    out = []
    for ev in graph.objects(node, GK.evidence):
        for text in graph.objects(ev, PROV.value):
            src = next(iter(sorted(graph.objects(ev, PROV.wasQuotedFrom))), None)
            out.append({"text": str(text), **_source(graph, src)})
    return sorted(out, key=lambda d: d["text"])


def link_evidence(graph: Graph, mechanism, site) -> dict:
    """What says that ``mechanism`` is used at ``site``: ``{"site", "mechanism", "evidence", "tied"}``.

    ``evidence`` holds the sentences about this use: those of the qualified use (a ``gk:MechanismUse``
    of this mechanism at this site) when the data has one, else, for a mechanism used at this site
    only, the mechanism's own sentences. ``tied`` is False when the data does not say which of a
    shared mechanism's sentences is about which site (then ``evidence`` is empty).

    Examples
    --------
    >>> from rdflib import Graph, URIRef
    >>> link_evidence(Graph(), URIRef("urn:m"), URIRef("urn:s"))["tied"]
    False
    """
    uses = _uses(graph, mechanism, site)
    if uses:
        ev = sorted((e for u in uses for e in evidence_of(graph, u)), key=lambda d: d["text"])
        tied = True
    elif set(graph.objects(mechanism, GK.usedAt)) == {site}:
        ev, tied = evidence_of(graph, mechanism), True
    else:
        ev, tied = [], False
    return {"site": _labels(graph, site), "mechanism": _labels(graph, mechanism), "evidence": ev, "tied": tied}


def _uses(graph: Graph, mechanism, site) -> list:
    """The qualified uses (``gk:MechanismUse``) of ``mechanism`` at ``site``."""
    return sorted(u for u in graph.subjects(GK.mechanism, mechanism)
                  if (u, RDF.type, GK.MechanismUse) in graph and (u, GK.site, site) in graph)


def _number(lit) -> str:
    v = lit.toPython()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral() else str(v)
    return str(v)


def _outcome_text(graph: Graph, o) -> dict:
    """One outcome as bilingual text: ``处置问题件数:28件`` / ``Problems handled: 28 cases`` (``govkg.units.format_amount``)."""
    ls = _labels(graph, o)
    value = next(iter(graph.objects(o, SCHEMA.value)), None)
    num = _number(value) if value is not None else "?"
    unit = next(iter(graph.objects(o, SCHEMA.unitCode)), None)
    unit_zh = str(next(iter(graph.objects(o, SCHEMA.unitText)), "")) or (_labels(graph, unit)["zh"] if unit else "")
    unit_en = _labels(graph, unit)["en"] if unit is not None else unit_zh
    cmp = next(iter(graph.objects(o, GK.comparator)), None)
    c = _SHORT_CMP.get(cmp, {"zh": "", "en": ""})
    change = next(iter(graph.objects(o, GK.measureType)), None) == GK.Change
    period = {lit.language: str(lit) for lit in graph.objects(o, GK.period) if isinstance(lit, Literal)}
    zh = f"{ls['zh']}:{c['zh']}{num}{unit_zh}"
    en = f"{ls['en']}: {c['en']}{num} {unit_en}".rstrip()
    if unit_en == "percent":
        en = f"{ls['en']}: {c['en']}{num}%"
    if value is not None and unit is not None:  # as a reader writes it: 606万元, "6.06 million yuan"
        from govkg.units import format_amount

        try:
            zh = f"{ls['zh']}:{format_amount(value, unit, 'zh', cmp)}"
            en = f"{ls['en']}: {format_amount(value, unit, 'en', cmp)}"
        except GovkgError:
            pass  # a unit without a written form keeps its label
    if change:
        zh, en = zh + "(变化)", en + " (change)"
    if period.get("zh"):
        zh += f"({period['zh']})"
    if period.get("en"):
        en += f" ({period['en']})"
    return {"zh": zh, "en": en, "value": num, "unit": unit_zh}


def _types(graph: Graph, node) -> set:
    return set(graph.objects(node, RDF.type))


class _Builder:
    """Collects nodes and edges of one view graph from an rdflib graph (read only)."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.G: nx.DiGraph = nx.DiGraph()
        self._district_cache: dict = {}

    def district(self, place):
        if place not in self._district_cache:
            self._district_cache[place] = district_of(self.g, place)
        return self._district_cache[place]

    def add_node(self, iri, cls: str, **extra):
        if iri in self.G:
            return
        ls = _labels(self.g, iri)
        self.G.add_node(
            str(iri), cls=cls, label_zh=ls["zh"], label_en=ls["en"],
            class_zh=class_names(cls)["zh"], class_en=class_names(cls)["en"],
            kinds=[], kind_labels=[], districts=[], outcomes=[], evidence=evidence_of(self.g, iri),
            sites=[], n_sites=0, shared=False, details=[], links=[], **extra,
        )

    def add_edge(self, a, b, prop=None, *, label=None, weight=1.0):
        a, b = str(a), str(b)
        if a not in self.G or b not in self.G or a == b:
            return
        lab = label if label is not None else _rel_label(self.g, prop)
        if self.G.has_edge(a, b):
            d = self.G.edges[a, b]
            if lab["zh"] not in d["label_zh"].split(" / "):
                d["label_zh"] += " / " + lab["zh"]
                d["label_en"] += " / " + lab["en"]
            return
        if self.G.has_edge(b, a):
            return
        self.G.add_edge(a, b, label_zh=lab["zh"], label_en=lab["en"], weight=float(weight), emphasis=False)


def _mechanism_parts(graph: Graph):
    """Sites, the mechanisms used at them, and the kinds of these (with their broader kinds)."""
    sites = sorted(set(graph.subjects(RDF.type, GK.DemonstrationSite)))
    mechs = sorted({m for m in graph.subjects(RDF.type, GK.Mechanism)})
    kinds: set = set()
    for m in mechs:
        for k in graph.objects(m, GK.mechanismKind):
            kinds |= set(graph.transitive_objects(k, SKOS.broader))
    return sites, mechs, sorted(kinds)


def _annotate(b: _Builder) -> None:
    """Fill in districts, kinds, sites, outcomes of sites/mechanisms/kinds/organizations (tooltip fields)."""
    g, G = b.g, b.G
    site_district = {}
    for s in g.subjects(RDF.type, GK.DemonstrationSite):
        d = b.district(s)
        site_district[s] = str(d) if d is not None else ""
        if str(s) in G:
            node = G.nodes[str(s)]
            node["districts"] = [str(d)] if d is not None else []
            if d is not None:
                dl = _labels(g, d)
                node["details"].append({"zh": f"所属区:{dl['zh']}", "en": f"District: {dl['en']}"})
    kind_closure: dict = {}

    def closure(k):
        if k not in kind_closure:
            kind_closure[k] = sorted(set(g.transitive_objects(k, SKOS.broader)))
        return kind_closure[k]

    site_kinds: dict = {}
    kind_sites: dict = {}
    for m in g.subjects(RDF.type, GK.Mechanism):
        used = sorted(set(g.objects(m, GK.usedAt)))
        ks = sorted({kk for k in g.objects(m, GK.mechanismKind) for kk in closure(k)})
        for s in used:
            site_kinds.setdefault(s, set()).update(ks)
        for k in ks:
            kind_sites.setdefault(k, set()).update(used)
        if str(m) in G:
            node = G.nodes[str(m)]
            node["kinds"] = [str(k) for k in ks]
            node["kind_labels"] = [_labels(g, k) for k in sorted(g.objects(m, GK.mechanismKind))]
            node["sites"] = [_labels(g, s) for s in used]
            node["n_sites"] = len(used)
            node["shared"] = len(used) >= 2
            node["districts"] = sorted({site_district.get(s, "") for s in used} - {""})
            node["outcomes"] = [_outcome_text(g, o) for o in sorted(g.subjects(GK.attributedTo, m))]
            node["links"] = [link_evidence(g, m, s) for s in used]
            for o in g.objects(m, GK.realizedBy):
                if str(o) in G:
                    G.nodes[str(o)]["kinds"] = sorted(set(G.nodes[str(o)]["kinds"]) | {str(k) for k in ks})
                    G.nodes[str(o)]["districts"] = sorted(set(G.nodes[str(o)]["districts"]) | set(node["districts"]))
    for s in g.subjects(RDF.type, GK.DemonstrationSite):
        if str(s) in G:
            G.nodes[str(s)]["links"] = [link_evidence(g, m, s) for m in sorted(g.subjects(GK.usedAt, s))
                                        if (m, RDF.type, GK.Mechanism) in g]
    for s, ks in site_kinds.items():
        if str(s) in G:
            G.nodes[str(s)]["kinds"] = sorted(str(k) for k in ks)
    for k, used in kind_sites.items():
        if str(k) in G:
            node = G.nodes[str(k)]
            node["kinds"] = [str(k)]
            node["sites"] = [_labels(g, s) for s in sorted(used)]
            node["n_sites"] = len(used)
            node["districts"] = sorted({site_district.get(s, "") for s in used} - {""})
    for o in sorted(g.subjects(RDF.type, GK.Outcome)):
        for s in sorted(g.objects(o, GK.site)):
            if str(s) in G:
                G.nodes[str(s)]["outcomes"].append(_outcome_text(g, o))
    for s in G.nodes:
        G.nodes[s]["outcomes"].sort(key=lambda d: d["zh"])


def _add_mechanism_layer(b, g: Graph):
    """Add the site, mechanism and kind nodes to builder ``b``; return the three lists."""
    sites, mechs, kinds = _mechanism_parts(g)
    for s in sites:
        b.add_node(s, site_class(g, s))
    for m in mechs:
        b.add_node(m, "mechanism")
    for k in kinds:
        b.add_node(k, "kind")
    return sites, mechs, kinds


def _full(graph: Graph) -> nx.DiGraph:
    b = _Builder(graph)
    g = graph
    sites, mechs, kinds = _add_mechanism_layer(b, g)
    for a in sorted(set(g.subjects(RDF.type, SCHEMA.AdministrativeArea))):
        if not set(_types(g, a)) & {GK.DemonstrationSite}:
            b.add_node(a, "area")
    news = set(g.subjects(RDF.type, GK.NewsOutlet))
    orgs = set()
    for t in _ORG_TYPES:
        orgs |= set(g.subjects(RDF.type, t))
    for o in sorted(orgs - news):
        b.add_node(o, "organization")
    for t in _EVENT_TYPES:
        for e in sorted(g.subjects(RDF.type, t)):
            b.add_node(e, "event")
    for r in sorted(g.subjects(RDF.type, GK.EventResponse)):
        b.add_node(r, "response")
    for o in sorted(g.subjects(RDF.type, GK.Outcome)):
        b.add_node(o, "outcome")
    for m in mechs:
        for s in sorted(g.objects(m, GK.usedAt)):
            b.add_edge(m, s, GK.usedAt)
            _link_edge(b, m, s)
        for k in sorted(g.objects(m, GK.mechanismKind)):
            b.add_edge(m, k, GK.mechanismKind)
        for o in sorted(g.objects(m, GK.realizedBy)):
            b.add_edge(m, o, GK.realizedBy)
    for k in kinds:
        for p in sorted(g.objects(k, SKOS.broader)):
            b.add_edge(k, p, SKOS.broader)
    for prop in (SCHEMA.containedInPlace, ORG.hasSite, ORG.hasMember, ORG.subOrganizationOf, GK.visitedSite):
        for s, o in sorted(g.subject_objects(prop)):
            b.add_edge(s, o, prop)
    for prop in (GK.site, GK.attributedTo, GK.inResponseTo):
        for s, o in sorted(g.subject_objects(prop)):
            b.add_edge(s, o, prop)
    for o in sorted(g.subjects(RDF.type, GK.Outcome)):
        sites_of = set(g.objects(o, GK.site))
        for foi in sorted(g.objects(o, SOSA.hasFeatureOfInterest)):
            if foi not in sites_of:
                b.add_edge(o, foi, SOSA.hasFeatureOfInterest)
    _annotate(b)
    G = b.G
    # Outcomes, responses, organizations and areas take the districts of the sites they touch.
    for n, d in G.nodes(data=True):
        if d["cls"] in ("outcome", "response"):
            nbrs = set(G.successors(n)) | set(G.predecessors(n))
            d["districts"] = sorted({x for m in nbrs for x in G.nodes[m]["districts"]} if nbrs else set())
            iri = URIRef(n)
            if d["cls"] == "outcome":
                d["outcomes"] = [_outcome_text(g, iri)]
                att = [str(m) for m in g.objects(iri, GK.attributedTo)]
                d["kinds"] = sorted({k for m in att if m in G for k in G.nodes[m]["kinds"]})
        elif d["cls"] == "area":
            dist = b.district(URIRef(n))
            d["districts"] = [str(dist)] if dist is not None else []
        elif d["cls"] == "organization" and not d["districts"]:
            places = list(g.objects(URIRef(n), ORG.hasSite))
            d["districts"] = sorted({str(b.district(p)) for p in places if b.district(p) is not None})
        elif d["cls"] == "event":
            nbrs = set(G.successors(n)) | set(G.predecessors(n))
            d["districts"] = sorted({x for m in nbrs for x in G.nodes[m]["districts"]})
    return G


def _link_edge(b: _Builder, m, s) -> None:
    """Put the evidence of the use of mechanism ``m`` at site ``s`` on their edge (shown on hover)."""
    if b.G.has_edge(str(m), str(s)):
        link = link_evidence(b.g, m, s)
        b.G.edges[str(m), str(s)]["link"] = link


def _mechanisms(graph: Graph) -> nx.DiGraph:
    b = _Builder(graph)
    g = graph
    sites, mechs, kinds = _add_mechanism_layer(b, g)
    _annotate(b)
    for m in mechs:
        shared = b.G.nodes[str(m)]["shared"]
        for s in sorted(g.objects(m, GK.usedAt)):
            b.add_edge(m, s, GK.usedAt, weight=3.0 if shared else 1.0)
            if shared and b.G.has_edge(str(m), str(s)):
                b.G.edges[str(m), str(s)]["emphasis"] = True
            _link_edge(b, m, s)
        for k in sorted(g.objects(m, GK.mechanismKind)):
            b.add_edge(m, k, GK.mechanismKind)
    for k in kinds:
        for p in sorted(g.objects(k, SKOS.broader)):
            b.add_edge(k, p, SKOS.broader)
    return b.G


def _similarity(graph: Graph, top_k: int = 3, index=None) -> nx.DiGraph:
    """The similarity view; the similarities are computed from ``index`` (a site index, or the graph
    itself when None)."""
    from govkg.analysis import features, similarity_matrix
    from govkg.analysis.similarity import SHORT

    if top_k < 1:
        raise GovkgError(f"--top-k must be 1 or more, not {top_k}")
    b = _Builder(graph)
    g = graph
    index = g if index is None else index
    sites, S = similarity_matrix(index)
    for s in sites:
        b.add_node(s, site_class(g, s))
    _annotate(b)
    # what two sites share, counted as the similarity counts it (same rows as similarity_matrix)
    M, mcols = features(index, "mechanisms")
    K, kcols = features(index, "kinds")
    n = len(sites)
    keep = set()
    for i in range(n):
        others = sorted((j for j in range(n) if j != i and S[i, j] > 0),
                        key=lambda j: (-S[i, j], _labels(g, sites[j])["zh"]))
        keep |= {(min(i, j), max(i, j)) for j in others[:top_k]}
    for i, j in sorted(keep):
        a, c = sites[i], sites[j]
        common_m = sorted(set(M[i].indices) & set(M[j].indices))
        common_k = sorted(set(K[i].indices) & set(K[j].indices))
        nm, nk = len(common_m), len(common_k)
        score = float(S[i, j])
        zh = f"相似度 {score:.2f}:{nm} 个共用机制、{nk} 个共同机制类型"
        en = (f"similarity {score:.2f}: {nm} shared mechanism{'s' if nm != 1 else ''}, "
              f"{nk} shared kind{'s' if nk != 1 else ''}")
        b.add_edge(a, c, label={"zh": zh, "en": en}, weight=score)
        e = b.G.edges[str(a), str(c)]
        e["score"] = round(score, 2)
        e["emphasis"] = nm > 0
        e["shared_mechanisms"] = [_labels(g, mcols[x]) for x in common_m]
        e["shared_kinds"] = [_labels(g, kcols[x]) for x in common_k]
    b.G.graph["top_k"] = top_k
    # the definition is written once, by govkg.analysis
    b.G.graph["edge_legend"] = {
        "zh": f"连线:两个示范点的相似度,线越粗越相似;每个示范点只画出与它最相似的 {top_k} 条连线"
              f"(--top-k)。橙色连线:两点还共用至少一项具体机制。悬停连线可见两点共有的机制和类型。{SHORT['zh']}",
        "en": f"Lines: similarity of two sites, thicker is more similar; only each site's {top_k} strongest links "
              f"are drawn (--top-k). Orange line: the two sites also run a named mechanism in common. Hover a line "
              f"for what the two sites share. {SHORT['en']}"}
    return b.G


def view_graph(graph: GraphOrBuild, view: str = "mechanisms", *, focus: str | None = None, depth: int = 1,
               top_k: int = 3) -> nx.DiGraph:
    """The view graph of ``view``: a new networkx DiGraph whose nodes carry everything the page shows.

    Nodes are IRIs (str) with ``cls`` (a class of ``style.CLASSES``), ``label_zh``, ``label_en``,
    ``class_zh``/``class_en``, ``kinds`` (kind IRIs, rolled up), ``kind_labels``, ``districts``
    (district IRIs), ``sites``, ``n_sites``, ``shared`` (a mechanism used at two or more sites),
    ``outcomes`` (``[{"zh", "en", "value", "unit"}]``), ``evidence`` (``[{"text", "source", "url"}]``)
    and ``details``. Edges carry ``label_zh``, ``label_en``, ``weight`` and ``emphasis``.
    All text is plain (unescaped); the input graph is not modified.

    Parameters
    ----------
    graph : rdflib.Graph or govkg.OpenBuild
        The graph, or a build opened with ``govkg.open`` (the view reads ``NETWORK_QUERIES`` from its
        store, the ``full`` view the whole graph, and the similarities from its site index).
    view : {"full", "mechanisms", "similarity"}
        ``full``: sites, areas, organizations, mechanisms, kinds, outcomes, events;
        ``mechanisms``: site – mechanism – kind; ``similarity``: sites only, each linked to its
        ``top_k`` most similar sites (edge ``weight`` = the similarity of ``govkg similar``,
        ``govkg.analysis.similarity_matrix``; the graph's ``edge_legend`` gives its definition in zh and en).
    focus : str, optional
        Keep only the neighbourhood of the site, mechanism or kind with this label or id.
    depth : int
        Hops kept around ``focus``.
    top_k : int
        The similarity view keeps, for each site, the edges to its ``top_k`` most similar sites.

    Raises
    ------
    GovkgError
        For an unknown view, a negative depth or ``top_k`` below 1.
    NotFoundError
        When ``focus`` matches nothing (with the closest labels).

    Examples
    --------
    >>> from govkg import build_graph
    >>> G = view_graph(build_graph(), "mechanisms", focus="椰智荟")
    >>> sorted(G.nodes[n]["label_zh"] for n in G if G.nodes[n]["cls"].endswith("site"))
    ['江源村', '高新社区']
    """
    if view not in VIEWS:
        raise GovkgError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    if type(graph).__name__ == "OpenBuild":  # a build opened with govkg.open: the part of its store the view shows
        index = graph.site_index()
        graph = graph.construct(WHOLE_QUERY) if view == "full" else graph.construct(*NETWORK_QUERIES)
    else:
        index = graph
    G = _similarity(graph, top_k, index) if view == "similarity" else {"full": _full, "mechanisms": _mechanisms}[view](graph)
    G.graph.update(view=view, focus=focus, depth=depth)
    if focus is not None:
        G = focus_graph(G, focus, depth)
    return G


def focus_graph(G: nx.DiGraph, name: str, depth: int = 1) -> nx.DiGraph:
    """The part of view graph ``G`` within ``depth`` hops of the site, mechanism or kind named ``name``.

    Every node whose zh/en label or IRI id matches best (exact, then prefix, then substring,
    case-insensitive) is a centre. Returns a new graph.

    Raises
    ------
    NotFoundError
        When no site, mechanism or kind matches; the closest labels are suggested.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("a", cls="urban-site", label_zh="甲", label_en="A")
    >>> G.add_node("b", cls="mechanism", label_zh="乙", label_en="B")
    >>> G.add_node("c", cls="kind", label_zh="丙", label_en="C")
    >>> G.add_edges_from([("b", "a"), ("b", "c")])
    >>> sorted(focus_graph(G, "A", 1))
    ['a', 'b']
    """
    import difflib

    if depth < 0:
        raise GovkgError(f"--depth must be 0 or more, not {depth}")
    wanted = ("urban-site", "rural-site", "mechanism", "kind")
    pool = [n for n, d in G.nodes(data=True) if d.get("cls") in wanted]
    q = name.strip().casefold()

    def score(n) -> int:
        d = G.nodes[n]
        texts = [d.get("label_zh", "").casefold(), d.get("label_en", "").casefold()]
        slug = str(n).rstrip("/").rsplit("/", 1)[-1].casefold()
        if q in texts or q == slug:
            return 3
        if any(t.startswith(q) for t in texts if t):
            return 2
        if any(q in t for t in texts if t) or (q and q in slug):
            return 1
        return 0

    scored = {n: score(n) for n in pool}
    best = max(scored.values(), default=0)
    if not q or best == 0:
        names = [G.nodes[n][k] for n in pool for k in ("label_zh", "label_en") if G.nodes[n].get(k)]
        raise NotFoundError("site, mechanism or kind", name, difflib.get_close_matches(name, names, n=5, cutoff=0.3))
    centres = [n for n, s in scored.items() if s == best]
    U = G.to_undirected(as_view=True)
    keep = set()
    for c in centres:
        keep |= set(nx.single_source_shortest_path_length(U, c, cutoff=depth))
    # in G's order (G.subgraph would follow the order of the set ``keep``, which changes from run to run)
    H: nx.DiGraph = nx.DiGraph()
    H.add_nodes_from((n, d.copy()) for n, d in G.nodes(data=True) if n in keep)
    H.add_edges_from((u, v, d.copy()) for u, v, d in G.edges(data=True) if u in keep and v in keep)
    H.graph.update(G.graph, focus=name, depth=depth, centres=sorted(centres))
    return H
