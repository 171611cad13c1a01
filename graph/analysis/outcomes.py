"""Outcomes as tidy rows: one per reported number (and, with schema v2, per claim), with its evidence and source."""

from __future__ import annotations

from rdflib import RDF, Graph, Literal
from rdflib.namespace import DCTERMS, PROV

from ..args import GraphOrBuild
from ..errors import GovkgError
from ..namespace import GK, ID, SCHEMA, SOSA
from .labels import labels
from .matching import closest, find_site, rank_matches

__all__ = ["COLUMNS", "OUTCOME_QUERIES", "SOURCE_QUERY", "outcomes", "outcome_graph", "is_opened", "site_outcomes", "sources",
           "evidence_of"]

#: The columns of a tidy outcome row (``govkg outcomes``), in order.
COLUMNS = ("id", "site", "mechanism", "kind", "measure", "measure_type", "subject", "direction", "value", "comparator",
           "unit", "value_base", "base_unit", "period", "inferred", "evidence", "source")

_CLAIM = GK.Claim  # schema v2: a claim without a number (same links as gk:Outcome)


#: The part of the graph ``outcomes`` reads, as SPARQL CONSTRUCT queries on an opened build's store:
#: the outcomes and claims, the labels of what they name (site, mechanism, unit, measure type …),
#: their evidence, the kinds of the mechanisms credited, every mechanism and kind with its labels
#: (what ``mechanism=``/``kind=`` match), the reports with their publishers' labels, and the labels
#: of units and their base units.
OUTCOME_QUERIES = (
    "CONSTRUCT { ?x ?p ?o } WHERE { VALUES ?t { gk:Outcome gk:Claim } ?x a ?t ; ?p ?o }",
    "CONSTRUCT { ?o rdfs:label ?l } WHERE { { SELECT DISTINCT ?o WHERE { VALUES ?t { gk:Outcome gk:Claim } "
    "?x a ?t ; ?q ?o FILTER(isIRI(?o)) } } ?o rdfs:label ?l }",
    "CONSTRUCT { ?e ?p ?v } WHERE { VALUES ?t { gk:Outcome gk:Claim } ?x a ?t ; gk:evidence ?e . ?e ?p ?v }",
    "CONSTRUCT { ?m gk:mechanismKind ?k } WHERE { { SELECT DISTINCT ?m WHERE { VALUES ?t { gk:Outcome gk:Claim } "
    "?x a ?t ; gk:attributedTo ?m } } ?m gk:mechanismKind ?k }",
    "CONSTRUCT { ?m a ?t ; rdfs:label ?l } WHERE { VALUES ?t { gk:Mechanism gk:MechanismKind } ?m a ?t "
    "OPTIONAL { ?m rdfs:label ?l } }",
    "CONSTRUCT { ?s ?p ?o . ?pub rdfs:label ?pl } WHERE { ?s a schema:NewsArticle ; ?p ?o "
    "OPTIONAL { ?s schema:publisher ?pub . ?pub rdfs:label ?pl } }",
    "CONSTRUCT { ?b rdfs:label ?l } WHERE { { ?b a gk:Unit } UNION "
    "{ ?u a gk:Unit ; <http://qudt.org/schema/qudt/scalingOf> ?b } ?b rdfs:label ?l }",
)

#: The reports with their publishers' labels (what ``sources`` reads), as a CONSTRUCT query.
SOURCE_QUERY = OUTCOME_QUERIES[5]


def is_opened(graph) -> bool:
    """Whether ``graph`` is a build opened with ``govkg.open`` (``govkg.store.OpenBuild``; checked by
    name, as ``analysis.index.site_index`` does, so that this module does not import the store's)."""
    return type(graph).__name__ == "OpenBuild"


def outcome_graph(opened) -> Graph:
    """The part of an opened build's graph that ``outcomes`` reads (``OUTCOME_QUERIES``), as an rdflib graph."""
    return opened.construct(*OUTCOME_QUERIES)


def _one(graph: Graph, s, p):
    return next(iter(graph.objects(s, p)), None)


def _ref(graph: Graph, o) -> dict | None:
    return None if o is None else {"iri": str(o), "label": labels(graph, o)}


def sources(graph: GraphOrBuild) -> dict:
    """``{source IRI: {"iri", "label", "date", "url", "publisher", "rights"}}`` of every report in ``graph``.

    ``date`` is ``schema:datePublished`` (or ``dcterms:issued``) as text when the data gives
    it, ``date_earliest`` ``gk:earliestDate`` (published on or after) when only that is known,
    ``url`` ``schema:url``; each ``None`` when unknown.
    """
    out = {}
    for s in set(graph.subjects(RDF.type, SCHEMA.NewsArticle)):
        date = _one(graph, s, SCHEMA.datePublished) or _one(graph, s, DCTERMS.issued)
        url = _one(graph, s, SCHEMA.url)
        pub = _one(graph, s, SCHEMA.publisher)
        rights = _one(graph, s, DCTERMS.rights)
        earliest = _one(graph, s, GK.earliestDate)
        out[s] = {"iri": str(s), "label": labels(graph, s), "date": None if date is None else str(date),
                  "date_earliest": None if earliest is None else str(earliest),
                  "url": None if url is None else str(url), "publisher": None if pub is None else labels(graph, pub),
                  "rights": None if rights is None else str(rights)}
    return out


def evidence_of(graph: Graph, node, srcs: dict | None = None) -> list[dict]:
    """The evidence of ``node``: ``[{"text", "source": {…} or None}]`` sorted by sentence (see ``sources``)."""
    srcs = sources(graph) if srcs is None else srcs
    out = []
    for e in graph.objects(node, GK.evidence):
        text = _one(graph, e, PROV.value)
        if text is None:
            continue
        src = _one(graph, e, PROV.wasQuotedFrom) or _one(graph, node, PROV.hadPrimarySource)
        out.append({"text": str(text), "source": srcs.get(src) if src is not None else None})
    return sorted(out, key=lambda d: d["text"])


def _reason(graph: Graph, x) -> str | None:
    """The English reason of a node marked ``gk:inferred`` (``""`` when it gives none), else ``None``."""
    if not any(isinstance(o, Literal) and o.toPython() is True for o in graph.objects(x, GK.inferred)):
        return None
    return next((str(r) for r in graph.objects(x, GK.inferenceReason) if getattr(r, "language", None) == "en"), "")


def _number(lit):
    if lit is None:
        return None
    v = lit.toPython()
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else float(v) if hasattr(v, "is_finite") else str(lit)


def _base(value, unit_iri):
    """(value in base unit, base unit IRI) through ``govkg.units.to_base`` when it exists, else as given."""
    if value is None or unit_iri is None:
        return value, None if unit_iri is None else str(unit_iri)
    try:
        from ..units import to_base
    except ImportError:
        return value, str(unit_iri)
    try:
        v, base = to_base(value, unit_iri)
    except Exception:  # noqa: BLE001 - a unit without a conversion keeps its value
        return value, str(unit_iri)
    return v, str(base)


def _kind_sets(graph: Graph, index, mech) -> tuple[list, set]:
    """(the direct kinds of ``mech``, those kinds with their ancestors)."""
    direct = sorted(graph.objects(mech, GK.mechanismKind))
    up = set(direct)
    for k in direct:
        up |= index.broader.get(k, frozenset())
    return direct, up


def _match_one(name: str, candidates, labels_of, what: str) -> set:
    hits = rank_matches(name, candidates, labels_of)
    if not hits:
        texts = [t for c in candidates for t in (labels_of(c) or {}).values() if t]
        from ..errors import NotFoundError

        raise NotFoundError(what, name, closest(name, texts))
    return {c for _, c in hits}


def outcomes(graph: GraphOrBuild, *, site: str | None = None, mechanism: str | None = None, kind: str | None = None) -> list[dict]:
    """One tidy row per outcome (a number, or with schema v2 a claim), filtered by site, mechanism or kind.

    ``site`` names one site (see ``find_site``); ``mechanism`` and ``kind`` keep the
    outcomes credited (``gk:attributedTo``) to every mechanism whose label matches (exact,
    prefix or substring), or to every mechanism of a kind (or a narrower one) matching
    ``kind`` by meaning (``govkg.analysis.matching.kind_matches``: labels, altLabels,
    definitions, zh or en). ``graph`` is an rdflib graph or a build opened with ``govkg.open``
    (then ``OUTCOME_QUERIES`` on its store and its site index are read, not the whole graph).

    Returns
    -------
    list of dict
        Keys ``COLUMNS`` plus ``iri`` and ``label`` (what is measured, ``{"zh", "en"}``): ``id``
        the IRI after the data namespace (``outcome/…``, ``claim/…``), ``inferred`` the curators'
        reason when the outcome is marked ``gk:inferred`` (else ``None``),
        ``site``/``mechanism``/``subject`` are ``{"iri", "label"}`` (mechanism ``None`` when
        the report credits none), ``kind`` a list of them, ``measure`` and ``measure_type`` (level or change),
        ``comparator`` and ``direction`` ``{"iri", "label"}`` or ``None``, ``value`` a number
        (``None`` for a claim), ``unit`` ``{"iri", "label", "text"}``, ``value_base`` and
        ``base_unit`` the value in the unit's base unit when ``govkg.units`` converts it,
        ``period`` ``{"zh", "en"}`` or ``None``, ``evidence`` ``[{"text", "source"}]`` and
        ``source`` the report (see ``sources``). Sorted by site, then IRI.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> r = outcomes(_example_graph(), mechanism="议事堂")[0]
    >>> r["label"]["en"], r["value"], r["unit"]["text"], r["evidence"][0]["text"]
    ('issues handled', 28, '件', '今年以来处置问题28件。')
    """
    from .index import site_index

    index = site_index(graph) if is_opened(graph) else None
    graph = outcome_graph(graph) if is_opened(graph) else graph
    if not isinstance(graph, Graph):
        raise GovkgError("outcomes need the RDF graph or an opened build (outcomes are not in a SiteIndex)")
    index = site_index(graph) if index is None else index
    srcs = sources(graph)
    only_site = find_site(index, site) if site is not None else None
    mechs = None
    if mechanism is not None:
        pool = sorted(set(graph.subjects(RDF.type, GK.Mechanism)))
        mechs = _match_one(mechanism, pool, lambda m: labels(graph, m), "mechanism")
    kinds = None
    if kind is not None:
        from .matching import kind_matches

        kinds = {k for _, k in kind_matches(kind, index)}
        if not kinds:  # a kind no site uses: matched by label, so it says "none" rather than "unknown"
            pool = sorted(set(graph.subjects(RDF.type, GK.MechanismKind)))
            kinds = _match_one(kind, pool, lambda k: labels(graph, k), "kind")
    nodes = set(graph.subjects(RDF.type, GK.Outcome)) | set(graph.subjects(RDF.type, _CLAIM))
    rows = []
    for x in nodes:
        s = _one(graph, x, GK.site)
        if only_site is not None and s != only_site:
            continue
        m = _one(graph, x, GK.attributedTo)
        if mechs is not None and m not in mechs:
            continue
        direct, up = _kind_sets(graph, index, m) if m is not None else ([], set())
        if kinds is not None and not (up & kinds):
            continue
        v = _one(graph, x, SCHEMA.value)
        unit = _one(graph, x, SCHEMA.unitCode)
        unit_text = _one(graph, x, SCHEMA.unitText)
        value = _number(v)
        base_v, base_u = _base(value, unit)
        period = {lang: str(p) for p in graph.objects(x, GK.period) for lang in ("zh", "en")
                  if (getattr(p, "language", None) or "").startswith(lang)}
        ev = evidence_of(graph, x, srcs)
        src = _one(graph, x, PROV.hadPrimarySource)
        rows.append({
            "iri": str(x), "id": str(x)[len(str(ID)):] if str(x).startswith(str(ID)) else str(x),
            "label": labels(graph, x), "site": _ref(graph, s), "mechanism": _ref(graph, m),
            "kind": [_ref(graph, k) for k in direct], "measure": _ref(graph, _one(graph, x, GK.measureType)),
            "measure_type": _ref(graph, _one(graph, x, GK.measureType)),
            "subject": _ref(graph, _one(graph, x, SOSA.hasFeatureOfInterest)),
            "direction": _ref(graph, _one(graph, x, GK.direction)), "value": value,
            "value_text": None if v is None else str(v), "comparator": _ref(graph, _one(graph, x, GK.comparator)),
            "unit": None if unit is None and unit_text is None else dict(
                _ref(graph, unit) or {"iri": None, "label": {"zh": "", "en": ""}},
                text="" if unit_text is None else str(unit_text)),
            "value_base": base_v, "base_unit": _ref(graph, None if base_u is None else type(unit)(base_u)),
            "period": period or None, "evidence": ev,
            "source": srcs.get(src) if src is not None else (ev[0]["source"] if ev else None),
            "claim": (x, RDF.type, _CLAIM) in graph,
            "inferred": _reason(graph, x),
        })
    rows.sort(key=lambda r: ((r["site"] or {}).get("iri", ""), r["iri"]))
    return rows


def site_outcomes(graph: Graph, site) -> list[dict]:
    """The outcomes of ``site`` (see ``outcomes``), for the report and the viz.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> o = site_outcomes(_example_graph(), "甲社区")[0]
    >>> o["label"]["zh"], o["value"], [e["text"] for e in o["evidence"]]
    ('处置问题件数', 28, ['今年以来处置问题28件。'])
    """
    return outcomes(graph, site=site)
