"""Compile a loaded dataset (``govkg.model``) and the ontology into RDF triples."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV

from .errors import DataError, Problem
from .model import Dataset, Entry
from .namespace import GK, ID, KIND, SCHEMA, SOSA, UNIT
from .resources import bind_prefixes, ontology_graph
from .slug import slugify

__all__ = ["BuildReport", "compile_graph"]

_PLACE_CLASS = {
    "city": GK.City, "district": GK.District, "development-zone": GK.DevelopmentZone,
    "subdistrict": GK.Subdistrict, "town": GK.Town, "community": GK.Community,
    "village": GK.Village, "village-committee": GK.VillageCommittee, "natural-village": GK.NaturalVillage,
}
_ORG_CLASS = {
    "party-organization": GK.PartyOrganization, "government-body": GK.GovernmentBody,
    "company": GK.Company, "community-company": GK.CommunityCompany,
    "research-institute": GK.ResearchInstitute, "school": GK.School, "association": GK.Association,
    "resident-group": GK.ResidentGroup, "volunteer-team": GK.VolunteerTeam,
    "mediation-team": GK.MediationTeam, "alliance": GK.Alliance, "news-outlet": GK.NewsOutlet,
}
_COMPARATOR = {"exactly": GK.Exactly, "more-than": GK.MoreThan, "approximately": GK.Approximately}
_MEASURE = {"level": GK.Level, "change": GK.Change}
_EVENT_CLASS = {"meeting": GK.Meeting, "typhoon": GK.Typhoon}
_PATH = {
    "site": "site", "areas": "area", "organizations": "org", "mechanisms": "mechanism",
    "outcomes": "outcome", "responses": "response", "events": "event",
}


@dataclass
class BuildReport:
    """What ``build`` wrote and checked."""

    outputs: list[Path]
    triples: int
    entries: dict[str, int]
    evidence_checked: int
    evidence_unchecked: list[str] = field(default_factory=list)


def _iri(entry: Entry, places: dict[str, URIRef]) -> URIRef:
    if entry.section in ("site", "areas"):
        return places[entry.id]
    return ID[f"{_PATH[entry.section]}/{entry.id}"]


def _number(value) -> Literal:
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(Decimal(repr(value)), datatype=XSD.decimal)


_CN_DIGITS = "零一二三四五六七八九十"
_PIECE = re.compile(r"[^\n。！？!?]+[。！？!?]?")


def _number_texts(value) -> list[str]:
    """The ways the report may write ``value``: digits, and for 0–10 also a Chinese numeral (五级, 零就业)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    texts = [str(value)]
    if isinstance(value, int) and 0 <= value <= 10:
        texts.append(_CN_DIGITS[value])
        if value == 2:
            texts.append("两")
    return texts


def _source_texts(dataset: Dataset, sources_dirs) -> dict[str, str]:
    texts = {}
    for s in dataset.sources:
        name = s.values.get("file")
        if not name:
            continue
        for d in sources_dirs:
            p = Path(d) / name
            if p.is_file():
                texts[s.id] = p.read_text(encoding="utf-8")
                break
    return texts


def compile_graph(dataset: Dataset, *, sources_dirs=None, ontology: Graph | None = None) -> tuple[Graph, BuildReport]:
    """Compile a loaded dataset into RDF (the data only, ontology not included).

    Checks every reference, kind and unit, and — where the source text is found in
    ``sources_dirs`` — that every evidence sentence occurs in it verbatim and that every
    outcome's number occurs in its evidence.

    Returns
    -------
    (Graph, BuildReport)

    Raises
    ------
    DataError
        Listing every problem with file, line and field; nothing is returned.
    """
    onto = ontology if ontology is not None else ontology_graph()
    kinds = {str(k)[len(str(KIND._NS)):] for k in onto.subjects(RDF.type, GK.MechanismKind)}
    units = {str(u)[len(str(UNIT._NS)):]: u for u in onto.subjects(RDF.type, GK.Unit)}
    problems: list[Problem] = []
    sources = {s.id: s for s in dataset.sources}
    texts = _source_texts(dataset, sources_dirs if sources_dirs is not None else [])
    # whole sentences of each text, so that most evidence is found by a set lookup: a substring
    # search per sentence grows with the text (quadratic in the number of sites)
    pieces = {sid: set(_PIECE.findall(text)) for sid, text in texts.items()}

    places: dict[str, URIRef] = {}
    for e in dataset.entries:
        if e.section == "site":
            places[e.id] = ID[f"site/{e.id}"]
        elif e.section == "areas":
            places[e.id] = ID[f"area/{e.id}"]
    spaces = {sp: dataset.by_space(sp) for sp in ("org", "mechanism", "event", "outcome", "response")}

    def ref(e: Entry, name: str, space: str, value: str) -> URIRef | None:
        if space == "place":
            if value in places:
                return places[value]
        elif space == "subject":
            if value in places:
                return places[value]
            if value in spaces["org"]:
                return ID[f"org/{value}"]
        elif value in spaces[space]:
            return ID[f"{space}/{value}"]
        what = {"place": "site or area", "subject": "site, area or organization"}.get(space, space)
        problems.append(e.problem(name, f"unknown {what} id '{value}'"))
        return None

    g = bind_prefixes(Graph())
    checked = 0
    unchecked: set[str] = set()
    counts: dict[str, int] = {}

    for e in dataset.entries:
        counts[e.section] = counts.get(e.section, 0) + (0 if e.is_use else 1)
        src = sources.get(e.source) if e.source else None
        if e.source and src is None:
            problems.append(Problem(e.file, 1, "source", f"unknown source id '{e.source}' (no data/sources/{e.source}.yaml)"))
        v = e.values
        if e.is_use:
            node = ref(e, "use", "mechanism", v["use"])
            if node is None:
                continue
            if e.site:
                g.add((node, GK.usedAt, places[e.site]))
        else:
            node = _iri(e, places)
            g.add((node, RDFS.label, Literal(v["zh"], lang="zh")))
            g.add((node, RDFS.label, Literal(v["en"], lang="en")))
            for name in ("description", "headline"):
                if name in v:
                    for lang in ("zh", "en"):
                        g.add((node, DCTERMS.description, Literal(v[name][lang], lang=lang)))
        if src is not None:
            g.add((node, PROV.hadPrimarySource, ID[f"source/{src.id}"]))
            text = texts.get(src.id)
            for n, sentence in enumerate(e.evidence, 1):
                if text is not None:
                    checked += 1
                    if sentence not in pieces[src.id] and sentence not in text:
                        problems.append(e.problem("evidence", f"evidence not found verbatim in source '{src.id}': {sentence[:40]}…"))
                else:
                    unchecked.add(src.id)
                ev = ID[f"evidence/{_PATH[e.section]}/{e.id}/{n}" if not e.is_use else f"evidence/use/{e.site}/{e.id}/{n}"]
                g.add((node, GK.evidence, ev))
                g.add((ev, RDF.type, GK.Evidence))
                g.add((ev, PROV.value, Literal(sentence, lang="zh")))
                g.add((ev, PROV.wasQuotedFrom, ID[f"source/{src.id}"]))
        if e.is_use:
            continue

        if e.section in ("site", "areas"):
            g.add((node, RDF.type, _PLACE_CLASS[v["type"]]))
            g.add((node, RDF.type, SCHEMA.AdministrativeArea))
            if e.section == "site":
                g.add((node, RDF.type, GK.DemonstrationSite))
            if "within" in v:
                parent = ref(e, "within", "place", v["within"])
                if parent is not None:
                    g.add((node, SCHEMA.containedInPlace, parent))
        elif e.section == "organizations":
            g.add((node, RDF.type, _ORG_CLASS[v["type"]]))
            for m in v.get("members", []):
                o = ref(e, "members", "org", m)
                if o is not None:
                    g.add((node, ORG.hasMember, o))
                    g.add((o, ORG.memberOf, node))
            if "part_of" in v:
                o = ref(e, "part_of", "org", v["part_of"])
                if o is not None:
                    g.add((node, ORG.subOrganizationOf, o))
            for p in v.get("active_at", [e.site] if e.site else []):
                o = ref(e, "active_at", "place", p)
                if o is not None:
                    g.add((node, ORG.hasSite, o))
        elif e.section == "mechanisms":
            g.add((node, RDF.type, GK.Mechanism))
            for k in v["kinds"]:
                if k in kinds:
                    g.add((node, GK.mechanismKind, KIND[k]))
                else:
                    problems.append(e.problem("kinds", f"unknown kind '{k}' (see ontology/mechanism-kinds.ttl)"))
            g.add((node, GK.usedAt, places[e.site]))
            for o_id in v.get("realized_by", []):
                o = ref(e, "realized_by", "org", o_id)
                if o is not None:
                    g.add((node, GK.realizedBy, o))
        elif e.section == "outcomes":
            g.add((node, RDF.type, GK.Outcome))
            g.add((node, SCHEMA.value, _number(v["value"])))
            if v["unit"] in units:
                g.add((node, SCHEMA.unitCode, units[v["unit"]]))
                for t in onto.objects(units[v["unit"]], SCHEMA.unitText):
                    g.add((node, SCHEMA.unitText, t))
            else:
                problems.append(e.problem("unit", f"unknown unit '{v['unit']}' (see ontology/units.ttl: {', '.join(sorted(units))})"))
            g.add((node, GK.comparator, _COMPARATOR[v.get("comparator", "exactly")]))
            g.add((node, GK.measureType, _MEASURE[v.get("measure", "level")]))
            g.add((node, GK.site, places[e.site]))
            foi = ref(e, "subject", "subject", v["subject"]) if "subject" in v else places[e.site]
            if foi is not None:
                g.add((node, SOSA.hasFeatureOfInterest, foi))
            if "mechanism" in v:
                m = ref(e, "mechanism", "mechanism", v["mechanism"])
                if m is not None:
                    g.add((node, GK.attributedTo, m))
            if "event" in v:
                ev_node = ref(e, "event", "event", v["event"])
                if ev_node is not None:
                    g.add((node, GK.inResponseTo, ev_node))
            if "period" in v:
                for lang in ("zh", "en"):
                    g.add((node, GK.period, Literal(v["period"][lang], lang=lang)))
            numbers = _number_texts(v["value"])
            if e.evidence and not any(n in s for n in numbers for s in e.evidence):
                problems.append(e.problem("value", f"the number {numbers[0]} does not occur in the evidence sentence"))
        elif e.section == "responses":
            g.add((node, RDF.type, GK.EventResponse))
            g.add((node, GK.site, places[e.site]))
            ev_node = ref(e, "event", "event", v["event"])
            if ev_node is not None:
                g.add((node, GK.inResponseTo, ev_node))
        elif e.section == "events":
            g.add((node, RDF.type, _EVENT_CLASS[v["type"]]))
            if "date" in v:
                g.add((node, SCHEMA.startDate, Literal(v["date"].isoformat(), datatype=XSD.date)))
            if "date_as_stated" in v:
                g.add((node, GK.dateAsStated, Literal(v["date_as_stated"], lang="zh")))
            if "date_basis" in v:
                g.add((node, GK.dateBasis, Literal(" ".join(v["date_basis"].split()), lang="en")))
            for s in v.get("visited", []):
                o = ref(e, "visited", "place", s)
                if o is not None:
                    g.add((node, GK.visitedSite, o))

    for s in dataset.sources:
        _add_source(g, s, spaces["event"], problems)
    if problems:
        raise DataError(problems)
    _materialize(g, onto)
    report = BuildReport([], len(g), counts, checked, sorted(unchecked))
    return g, report


def _add_source(g: Graph, s, events, problems) -> None:
    node = ID[f"source/{s.id}"]
    v = s.values
    g.add((node, RDF.type, SCHEMA.NewsArticle))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDFS.label, Literal(v["zh"], lang="zh")))
    g.add((node, RDFS.label, Literal(v["en"], lang="en")))
    g.add((node, SCHEMA.inLanguage, Literal(v["language"])))
    for name, prop, cls, path in (("publisher", SCHEMA.publisher, GK.NewsOutlet, "org"), ("compiler", GK.compiler, SCHEMA.Person, "person")):
        if name in v:
            who = v[name]
            o = ID[f"{path}/{who.get('id') or slugify(who['zh'])}"]
            g.add((node, prop, o))
            g.add((o, RDF.type, cls))
            if cls == GK.NewsOutlet:
                g.add((o, RDF.type, ORG.Organization))
            g.add((o, RDFS.label, Literal(who["zh"], lang="zh")))
            g.add((o, RDFS.label, Literal(who["en"], lang="en")))
    if v.get("file"):
        g.add((node, GK.sourceFile, Literal(v["file"])))
    if v.get("rights"):
        g.add((node, DCTERMS.rights, Literal(" ".join(str(v["rights"]).split()))))
    if v.get("url"):
        g.add((node, SCHEMA.url, URIRef(v["url"])))
    if v.get("about"):
        if v["about"] in events:
            g.add((node, SCHEMA.about, ID[f"event/{v['about']}"]))
        else:
            problems.append(Problem(s.file, s.lines.get("about", 1), "about", f"unknown event id '{v['about']}'"))


def _materialize(g: Graph, onto: Graph) -> None:
    """Add the types and properties implied by rdfs:subClassOf / rdfs:subPropertyOf (RDFS rules 9 and 7)
    for our own terms, so that queries on W3C classes (org:Organization, prov:Entity …) find the data."""
    def supers(prop, term):
        return {o for o in onto.transitive_objects(term, prop) if o != term}

    cls_cache: dict = {}
    for s, o in list(g.subject_objects(RDF.type)):
        if o not in cls_cache:
            cls_cache[o] = supers(RDFS.subClassOf, o)
        for c in cls_cache[o]:
            if isinstance(c, URIRef) and c != OWL.Thing:
                g.add((s, RDF.type, c))
    for p in {p for p in g.predicates() if str(p).startswith(str(GK._NS))}:
        for sp in supers(RDFS.subPropertyOf, p):
            for s, o in list(g.subject_objects(p)):
                g.add((s, sp, o))


