"""Compile the data files and the ontology into one RDF graph; write and reload ``build/`` atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV

from .errors import DataError, GovkgError, Problem, ValidationError
from .model import Dataset, Entry, load_data
from .namespace import GK, ID, KIND, SCHEMA, SOSA, UNIT
from .slug import slugify
from .resources import ONTOLOGY_FILES, bind_prefixes, ontology_graph

__all__ = [
    "BuildReport", "default_data_dir", "default_sources_dirs", "compile_graph", "build_graph",
    "build", "write_atomic", "serialize", "load_graph", "load_store", "is_fresh", "FORMATS",
]

#: Output formats: name -> (rdflib format, file suffix).
FORMATS = {
    "turtle": ("turtle", ".ttl"),
    "nt": ("nt", ".nt"),
    "json-ld": ("json-ld", ".jsonld"),
    "trig": ("trig", ".trig"),
}
#: The file ``load_graph`` reads back (N-Triples parses fastest).
_FAST = "govkg.nt"

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


def default_data_dir() -> Path:
    """The data folder: ``$GOVKG_DATA``, else ``./data`` when it holds sites, else the bundled ``data/``."""
    env = os.environ.get("GOVKG_DATA")
    if env:
        return Path(env)
    cwd = Path.cwd() / "data"
    if (cwd / "sites").is_dir():
        return cwd
    return Path(__file__).resolve().parent.parent / "data"


def default_sources_dirs(data_dir: str | Path) -> list[Path]:
    """Folders searched for source texts: ``$GOVKG_SOURCES`` (``os.pathsep``-separated), then
    ``data/sources/`` and ``../shared/sources/`` beside the project folder."""
    dirs = [Path(p) for p in os.environ.get("GOVKG_SOURCES", "").split(os.pathsep) if p]
    data_dir = Path(data_dir).resolve()
    dirs += [data_dir / "sources", data_dir.parent.parent / "shared" / "sources"]
    return dirs


def _iri(entry: Entry, places: dict[str, URIRef]) -> URIRef:
    if entry.section in ("site", "areas"):
        return places[entry.id]
    return ID[f"{_PATH[entry.section]}/{entry.id}"]


def _number(value) -> Literal:
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(Decimal(repr(value)), datatype=XSD.decimal)


_CN_DIGITS = "零一二三四五六七八九十"


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
                    if sentence not in text:
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


def build_graph(data_dir: str | Path | None = None, *, sources_dirs=None) -> Graph:
    """The whole graph: ontology plus the compiled data of ``data_dir``.

    Parameters
    ----------
    data_dir : path, optional
        Default: ``default_data_dir()``.
    sources_dirs : list of paths, optional
        Where source texts are looked up to check evidence (default: ``default_sources_dirs``).

    Raises
    ------
    DataError
        When any data file has a problem.

    Examples
    --------
    >>> from govkg.namespace import GK
    >>> from rdflib import RDF
    >>> g = build_graph()
    >>> len(set(g.subjects(RDF.type, GK.DemonstrationSite)))
    8
    """
    return _build(data_dir, sources_dirs)[0]


def _build(data_dir, sources_dirs):
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if sources_dirs is None:
        sources_dirs = default_sources_dirs(data_dir)
    onto = ontology_graph()
    dataset = load_data(data_dir)
    data, report = compile_graph(dataset, sources_dirs=sources_dirs, ontology=onto)
    full = onto + data
    bind_prefixes(full)
    report.triples = len(full)
    return full, report


def serialize(graph: Graph, fmt: str) -> bytes:
    """``graph`` in one of ``FORMATS`` as bytes (UTF-8)."""
    if fmt not in FORMATS:
        raise GovkgError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    rdf_format = FORMATS[fmt][0]
    if rdf_format == "trig":
        from rdflib import Dataset as RDFDataset

        ds = RDFDataset()
        named = ds.graph(ID["graph"])
        for t in graph:
            named.add(t)
        for prefix, ns in graph.namespaces():
            ds.bind(prefix, ns)
        return ds.serialize(format="trig", encoding="utf-8")
    if rdf_format == "json-ld":
        ctx = {p: str(ns) for p, ns in graph.namespaces() if p}
        return graph.serialize(format="json-ld", context=ctx, encoding="utf-8")
    return graph.serialize(format=rdf_format, encoding="utf-8")


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    A failure leaves any previous file at ``path`` untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def build(data_dir: str | Path | None = None, out_dir: str | Path | None = None, *, sources_dirs=None,
          check: bool = True) -> BuildReport:
    """Compile ontology + data, validate, and write ``govkg.ttl`` and ``govkg.nt`` into ``out_dir``.

    Everything is compiled, validated (SHACL shapes and quality rules, unless ``check`` is
    false) and serialized in memory first; files are replaced only then, each atomically, so
    invalid data leaves the previous build untouched.

    Parameters
    ----------
    data_dir : path, optional
        Default: ``default_data_dir()``.
    out_dir : path, optional
        Default: ``build/`` beside the data folder.

    Returns
    -------
    BuildReport

    Raises
    ------
    DataError
        A data file has a problem (file, line and field are named).
    ValidationError
        The compiled graph violates a SHACL shape or a quality rule.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    out_dir = Path(out_dir) if out_dir is not None else data_dir.parent / "build"
    graph, report = _build(data_dir, sources_dirs)
    if check:
        from .validate import validate

        result = validate(graph)
        if not result.conforms:
            raise ValidationError(result)
    blobs = {out_dir / "govkg.ttl": serialize(graph, "turtle"), out_dir / _FAST: serialize(graph, "nt")}
    report.outputs = [write_atomic(p, b) for p, b in blobs.items()]
    return report


def _inputs(data_dir: Path) -> list[Path]:
    from importlib.resources import files

    onto = files("govkg.ontology")
    paths = [Path(str(onto.joinpath(n))) for n in ONTOLOGY_FILES]
    paths += [data_dir, *(p for p in data_dir.rglob("*") if p.suffix == ".yaml" or p.is_dir())]
    return paths


def is_fresh(build_dir: str | Path, data_dir: str | Path) -> bool:
    """Whether ``build_dir`` holds a build newer than every data file, data folder and ontology file."""
    out = Path(build_dir) / _FAST
    if not out.is_file():
        return False
    built = out.stat().st_mtime
    try:
        return all(p.stat().st_mtime <= built for p in _inputs(Path(data_dir)))
    except OSError:
        return False


def load_store(data_dir: str | Path | None = None, build_dir: str | Path | None = None):
    """The whole graph in an Oxigraph store (for SPARQL): the fresh prebuilt N-Triples, else built in memory."""
    import pyoxigraph as ox

    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    build_dir = Path(build_dir) if build_dir is not None else data_dir.parent / "build"
    if is_fresh(build_dir, data_dir):
        store = ox.Store()
        store.bulk_load(path=str(build_dir / _FAST), format=ox.RdfFormat.N_TRIPLES)
        return store
    from .query import to_store

    return to_store(build_graph(data_dir))


def load_graph(data_dir: str | Path | None = None, build_dir: str | Path | None = None) -> Graph:
    """The whole graph: the prebuilt ``build/`` output when it is newer than its inputs, else built in memory.

    The prebuilt N-Triples file is parsed into rdflib's default store (for a graph of this
    size rdflib's own N-Triples parser is the fastest: 0.12 s against 0.24 s through oxrdflib,
    whose literals also come back with an explicit xsd:string). Nothing is written.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    build_dir = Path(build_dir) if build_dir is not None else data_dir.parent / "build"
    if is_fresh(build_dir, data_dir):
        g = bind_prefixes(Graph())
        g.parse(build_dir / _FAST, format="nt")
        return g
    return build_graph(data_dir)
