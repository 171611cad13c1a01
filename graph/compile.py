"""Compile a loaded dataset (``govkg.model``) and the ontology into RDF triples.

Long module: the compiler (a method per section of the format) and the evidence checks only it runs.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SKOS

from .errors import DataError, Problem
from .fields import DEFAULTS, FIELDS, RDF_FIELDS
from .model import Dataset, Entry
from .namespace import GK, ID, KIND, PREFIXES, SCHEMA, SOSA, UNIT
from .numbers import number_values
from .resources import bind_prefixes, ontology_graph
from .sentences import sentence_problem, sentence_starts
from .slug import slugify
from .vocab import ENUMS, PERIODS

__all__ = ["BuildReport", "compile_graph", "compile_parts", "compile_triples", "names_entity", "number_in", "number_tokens",
           "sentence_problem"]

TIME = Namespace("http://www.w3.org/2006/time#")


class _Terms:
    """A namespace whose terms are looked up once: rdflib's namespace ``__getattr__`` costs about
    a microsecond a call, and compiling 20,000 sites names terms millions of times."""

    def __init__(self, ns):
        self._ns = ns

    def __getattr__(self, name):
        term = getattr(self._ns, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name):
        return self._ns[name]


# the namespaces' names rebound to their interned terms here (the checker types them as the classes they were)
OWL, RDF, RDFS, XSD, DCTERMS, ORG, PROV, SKOS, GK, SCHEMA, SOSA, TIME = map(  # type: ignore[misc, assignment]
    _Terms, (OWL, RDF, RDFS, XSD, DCTERMS, ORG, PROV, SKOS, GK, SCHEMA, SOSA, TIME))


def _term(curie: str) -> URIRef:
    """The IRI a compact IRI of the schema (``schema:containedInPlace``) stands for (``govkg.namespace.PREFIXES``)."""
    prefix, _, local = curie.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def _rules(table: dict, node: str) -> dict[str, tuple]:
    """``(predicate, how[, inverse])`` of each field of ``table`` (``RDF_FIELDS``) written on ``node``
    (``"entry"``: the entry's own node; ``"use"``: its use at the site)."""
    return {name: (_term(m["predicate"]), m.get("lang", m["kind"]), *([_term(m["inverse"])] if "inverse" in m else []))
            for name, m in table.items() if m.get("node", "entry") == node}


#: IRI path segment of each section's nodes: ``ID[f"{path}/{id}"]`` (shared with ``govkg.partindex`` and
#: ``govkg.incremental``, which name nodes without compiling; internal, so not in ``__all__``).
NODE_PATH = {
    "site": "site", "areas": "area", "organizations": "org", "mechanisms": "mechanism",
    "outcomes": "outcome", "claims": "claim", "responses": "response", "events": "event",
}

#: How each plain field becomes triples: field -> (predicate, how[, inverse predicate]), read from the
#: format's schema (``x-govkg-rdf`` of each field, ``govkg.fields.RDF_FIELDS``). ``how`` is the field's
#: kind: ``ref:<space>``/``refs:<space>`` (the referenced node), ``enum:<table>`` (a term of
#: ``govkg.vocab``), ``text2`` (zh and en literals), ``date`` (xsd:date) …, or ``zh``/``en`` for a text
#: written as a literal in that language.
_EMIT: dict[str, dict[str, tuple]] = {section: _rules(table, "entry") for section, table in RDF_FIELDS.items()
                                      if section != "redirects"}
#: Fields of a mechanism's use at a site (on the ``gk:MechanismUse`` node).
_USE_EMIT = {name: rule for table in RDF_FIELDS.values() for name, rule in _rules(table, "use").items()}
#: Values used when a field is left out.
_DEFAULTS = {section: table for section, table in DEFAULTS.items() if table}
#: Classes of each section's nodes (besides a type read from a ``type`` field).
_CLASSES = {
    "site": (SCHEMA.AdministrativeArea, GK.DemonstrationSite), "areas": (SCHEMA.AdministrativeArea,),
    "mechanisms": (GK.Mechanism,), "outcomes": (GK.Outcome,), "claims": (GK.Claim,),
    "responses": (GK.EventResponse,), "events": (),
    "organizations": (),
}
#: Sections whose ``type`` field names the node's class, and the table it is read from.
_TYPE_TABLE = {section: fields["type"][len("enum:"):] for section, fields in FIELDS.items()
               if fields.get("type", "").startswith("enum:")}
#: Sections whose nodes belong to the file's site (``gk:site``) and are about it by default.
_AT_SITE = ("outcomes", "claims", "responses")


@dataclass
class BuildReport:
    """What ``build`` wrote and checked."""

    outputs: list[Path]
    triples: int
    entries: dict[str, int]
    evidence_checked: int
    evidence_unchecked: list[str] = field(default_factory=list)
    #: Things worth a look that do not stop the build (e.g. two sites with one label).
    warnings: list[str] = field(default_factory=list)
    #: Seconds per stage of ``build`` (for benchmarks/bench_build.py).
    timings: dict[str, float] = field(default_factory=dict)
    #: The data files parsed anew by ``build`` (the others came from its cache or were unchanged).
    parsed: list[str] = field(default_factory=list)
    #: Whether ``build`` recompiled only the changed files (``govkg.incremental``).
    incremental: bool = False
    #: Why ``build`` made a full build rather than an incremental one (``None``: it did not say).
    full_because: str | None = None
    #: The nodes each compiled part names by reference, by data file (``govkg.incremental`` indexes them).
    mentions: dict[str, set[str]] = field(default_factory=dict)
    #: How many batches of files forked processes compiled (0: all in this process; ``govkg.partindex``).
    batches: int = 0


def _number(value) -> Literal:
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(Decimal(repr(value)), datatype=XSD.decimal)


def number_tokens(sentence: str) -> list[Decimal]:
    """The numbers written in ``sentence`` (``govkg.numbers.number_values``, shared with the drafter).

    A number is a whole token: ``12`` is not read inside ``112`` and ``1.2`` is one number;
    before 万/亿 it is also read scaled (``1.2万人`` writes 1.2 and 12000).

    Examples
    --------
    >>> [str(n) for n in number_tokens("累计开展企业互助112场次,创建五级党建联盟,现有人口1.2万人")]
    ['112', '5', '1.2', '12000']
    >>> [str(n) for n in number_tokens("服务一万二千人次,开展活动百余场")]
    ['12000', '100']
    """
    return number_values(sentence)


def number_in(value, sentences) -> bool:
    """Whether ``value`` is written as a number token in one of ``sentences``.

    Examples
    --------
    >>> number_in(12, ["累计开展企业互助112场次"]), number_in(12, ["开展企业互助12场次"])
    (False, True)
    >>> number_in(1, ["合作开展技能培训12期"]), number_in(5, ["创建五级党建联盟"]), number_in(2, ["发挥两个作用"])
    (False, True, True)
    """
    target = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return any(n == target for s in sentences for n in number_tokens(s))


#: Sections whose evidence must name the entry (outcomes must hold their number instead).
_NAMED = ("site", "areas", "organizations", "mechanisms", "events")
_QUOTED = re.compile(r"[“「『\"]([^”」』\"]+)[”」』\"]")


def names_entity(label: str, aliases, sentences) -> bool:
    """Whether one of ``sentences`` names the entity: its label, a quoted part of it, or an alias.

    Examples
    --------
    >>> names_entity("“四大实招”打造社企融合社区", [], ["以“四大实招”为抓手"])
    True
    >>> names_entity("党建联盟链接社会资源", [], ["链接党建联盟单位云龙产业园"])
    False
    """
    names = [label, *_QUOTED.findall(label), *aliases]
    return any(n and n in s for n in names for s in sentences)


def source_texts(dataset: Dataset, sources_dirs) -> dict[str, str]:
    texts = {}
    for s in dataset.sources:
        name = s.values.get("file")
        if not name:
            continue
        for d in sources_dirs:
            p = Path(d) / name
            if p.is_file():
                try:
                    texts[s.id] = p.read_text(encoding="utf-8")
                except UnicodeDecodeError as exc:
                    raise DataError([Problem(s.file, s.lines.get("file", 1), "file",
                                             f"the source text {p} is not UTF-8 ({exc.reason} at byte {exc.start}); "
                                             "save it as UTF-8")]) from None
                except OSError as exc:
                    raise DataError([Problem(s.file, s.lines.get("file", 1), "file",
                                             f"cannot read the source text {p}: {exc.strerror or exc}")]) from None
                break
    return texts


class Compiler:
    """One compilation: the graph being written, the id tables and the problems found.

    Internal (not in ``__all__``): ``compile_parts`` drives it, and ``govkg.partindex`` drives it
    one batch of files at a time in forked processes."""

    def __init__(self, dataset: Dataset, onto: Graph, texts: dict[str, str], tables: dict | None = None,
                 index_texts: bool = True):
        self.dataset, self.onto, self.texts = dataset, onto, texts
        #: sentence starts per source text (a dict lookup per quote instead of a search of the text;
        #: worth it for many quotes, not for the few of an incremental rebuild)
        self.starts = {sid: sentence_starts(text) for sid, text in texts.items()} if index_texts else {}
        self.kinds = {str(k)[len(str(KIND)):] for k in onto.subjects(RDF.type, GK.MechanismKind)}
        self.units = {str(u)[len(str(UNIT)):]: u for u in onto.subjects(RDF.type, GK.Unit)}
        self.sources = {s.id: s for s in dataset.sources}
        self.problems: list[Problem] = []
        #: the triples of each data file (its "part"), by the file's shown path: sets of (s, p, o)
        #: terms (an rdflib Graph costs ~25 µs a triple); ``g`` is the part being written
        self.parts: dict[str, set] = {}
        self.g: set[tuple] = set()
        self.file = ""
        #: the nodes each part names through a reference (``ref``): ids of its own file or of others
        self.mentions: dict[str, set] = {}
        self.checked = 0
        self.unchecked: set[str] = set()
        self.ev_owner: MutableMapping[str, str] = {}
        self.places: dict  # site id -> IRI (read with Entry.site, set on every entry at a site)
        if tables is not None:  # id tables answered by someone else (an incremental rebuild: the built store)
            self.places, self.spaces, self.labels = tables["places"], tables["spaces"], tables["labels"]
            return
        self.places = {}
        for e in dataset.entries:
            if e.section in ("site", "areas") and not e.is_use:
                self.places[e.id] = ID[f"{'site' if e.section == 'site' else 'area'}/{e.id}"]
        # ``dataset.by_space`` of each space, in one pass over the entries instead of six
        self.spaces = {sp: {} for sp in ("org", "mechanism", "event", "outcome", "claim", "response")}
        for e in dataset.entries:
            table = self.spaces.get(e.space)
            if table is not None and not e.is_use:
                table[e.id] = e
        self.labels = {self.node(e): (e.values["zh"], e.values["en"]) for e in dataset.entries
                       if not e.is_use and e.section != "redirects"}

    def part(self, file: str) -> set:
        """Write the following triples into the part of ``file`` (and return it)."""
        self.file = file
        self.g = self.parts.setdefault(file, set())
        return self.g

    # --- references ---------------------------------------------------------------------------

    def node(self, e: Entry) -> URIRef:
        if e.section in ("site", "areas"):
            return self.places[e.id]
        return ID[f"{NODE_PATH[e.section]}/{e.id}"]

    def ref(self, e: Entry, name: str, space: str, value: str) -> URIRef | None:
        """The node ``value`` names in ``space`` (recorded as mentioned by the current part), or None
        (and a problem) when there is none."""
        node = self._ref(e, name, space, value)
        if node is not None:
            self.mentions.setdefault(self.file, set()).add(node)
        return node

    def _ref(self, e: Entry, name: str, space: str, value: str) -> URIRef | None:
        if space == "place":
            if value in self.places:
                return self.places[value]
        elif space == "subject":
            if value in self.places:
                return self.places[value]
            if value in self.spaces["org"]:
                return ID[f"org/{value}"]
        elif value in self.spaces[space]:
            return ID[f"{space}/{value}"]
        what = {"place": "site or area", "subject": "site, area or organization"}.get(space, space)
        spaces = ("place", "org") if space == "subject" else (space,)
        if any((sp, value) in self.dataset.drafts for sp in spaces):
            self.problems.append(e.problem(name, f"{what} '{value}' is a draft (status: draft); build with --include-drafts or accept it"))
        else:
            self.problems.append(e.problem(name, f"unknown {what} id '{value}'"))
        return None

    def emit(self, e: Entry, node: URIRef, name: str, rule: tuple, value) -> None:
        pred, how = rule[0], rule[1]
        inverse = rule[2] if len(rule) > 2 else None
        g = self.g
        if how == "text2":
            for lang in ("zh", "en"):
                g.add((node, pred, Literal(" ".join(value[lang].split()), lang=lang)))
        elif how in ("zh", "en"):
            g.add((node, pred, Literal(" ".join(str(value).split()), lang=how)))
        elif how == "date":
            g.add((node, pred, Literal(value.isoformat(), datatype=XSD.date)))
        elif how.startswith("enum:"):
            g.add((node, pred, ENUMS[how[5:]][value]))
        elif how == "kinds":
            for k in value:
                if k in self.kinds:
                    g.add((node, pred, KIND[k]))
                else:
                    self.problems.append(e.problem(name, f"unknown kind '{k}' (see ontology/mechanism-kinds.ttl)"))
        else:
            kind, space = how.split(":")
            for v in (value if kind == "refs" else [value]):
                o = self.ref(e, name, space, v)
                if o is not None:
                    g.add((node, pred, o))
                    if inverse is not None:
                        g.add((o, inverse, node))

    # --- evidence and marks ---------------------------------------------------------------

    def evidence(self, e: Entry, nodes: list[URIRef], base: str) -> None:
        src = self.sources.get(e.source) if e.source else None
        if e.source and src is None:
            self.problems.append(e.problem("source" if "source" in e.lines else None,
                                           f"unknown source id '{e.source}' (no data/sources/{e.source}.yaml)"))
            return
        if src is None:
            return
        owner = self.ev_owner.setdefault(base, src.id)
        if owner != src.id:
            base = f"{base}/{src.id}"
        g = self.g
        for node in nodes:
            g.add((node, PROV.hadPrimarySource, ID[f"source/{src.id}"]))
        text = self.texts.get(src.id)
        for n, sentence in enumerate(e.evidence, 1):
            if text is not None:
                self.checked += 1
                why = sentence_problem(sentence, text, self.starts.get(src.id))
                if why:
                    self.problems.append(e.problem("evidence", f"evidence {why} ('{src.id}'): {sentence[:40]}…"))
            else:
                self.unchecked.add(src.id)
            ev = ID[f"{base}/{n}"]
            for node in nodes:
                g.add((node, GK.evidence, ev))
            g.add((ev, RDF.type, GK.Evidence))
            g.add((ev, PROV.value, Literal(sentence, lang="zh")))
            g.add((ev, PROV.wasQuotedFrom, ID[f"source/{src.id}"]))

    def marks(self, e: Entry, node: URIRef) -> None:
        v, g = e.values, self.g
        if "inferred" in v:
            g.add((node, GK.inferred, Literal(True)))
            g.add((node, GK.inferenceReason, Literal(" ".join(v["inferred"].split()), lang="en")))
        if v.get("status") == "draft":
            g.add((node, GK.curationStatus, GK.Draft))
        if "confidence" in v:
            g.add((node, GK.confidence, _number(float(v["confidence"]))))
        for alias in v.get("aka", []):
            g.add((node, SKOS.altLabel, Literal(alias, lang="zh")))
        if "label_note" in v:
            g.add((node, SKOS.editorialNote, Literal(" ".join(v["label_note"].split()), lang="en")))

    # --- entries -------------------------------------------------------------------------------

    def entry(self, e: Entry) -> None:
        if e.section == "redirects":
            return self.redirect(e)
        placed = e.is_use or e.section in ("mechanisms", *_AT_SITE) or (
            e.section == "organizations" and "active_at" not in e.values)
        if placed and e.site is not None and e.site not in self.places:
            # the file's site is left out (a draft): its facts cannot be placed
            why = ("is a draft (status: draft): mark this entry a draft too, or accept the site"
                   if ("place", e.site) in self.dataset.drafts else "is not defined")
            return self.problems.append(e.problem(None, f"the site '{e.site}' of this file {why}"))
        if e.is_use:
            return self.use(e)
        v, g = e.values, self.g
        node = self.node(e)
        g.add((node, RDFS.label, Literal(v["zh"], lang="zh")))
        g.add((node, RDFS.label, Literal(v["en"], lang="en")))
        for cls in _CLASSES[e.section]:
            g.add((node, RDF.type, cls))
        if e.section in _TYPE_TABLE:
            table = ENUMS[_TYPE_TABLE[e.section]]
            if e.section == "site" and v["type"] not in table:  # a draft site typed as an area (model._entry)
                table = ENUMS["place"]
            g.add((node, RDF.type, table[v["type"]]))
        values = {**_DEFAULTS.get(e.section, {}), **v}
        for name, rule in _EMIT[e.section].items():
            if name in values:
                self.emit(e, node, name, rule, values[name])
        self.marks(e, node)
        nodes = [node]
        if e.section == "organizations" and "active_at" not in v and e.site:
            self.g.add((node, ORG.hasSite, self.places[e.site]))
        if e.section in _AT_SITE:
            g.add((node, GK.site, self.places[e.site]))
            if "subject" not in v:
                g.add((node, SOSA.hasFeatureOfInterest, self.places[e.site]))
            if "period" in v:
                self.period(e, node)
        if e.section == "outcomes":
            self.outcome(e, node)
        if e.section == "mechanisms" or (e.section == "responses" and "kinds" in v):
            if e.section == "responses":
                g.add((node, RDF.type, GK.Mechanism))
            u = self.mechanism_use(e, node)
            nodes.append(u)
            if "use_inferred" in v:
                g.add((u, GK.inferred, Literal(True)))
                g.add((u, GK.inferenceReason, Literal(" ".join(v["use_inferred"].split()), lang="en")))
        self.evidence(e, nodes, f"evidence/{NODE_PATH[e.section]}/{e.id}")
        if "kinds" in v:
            self.kind_basis(e, node)
        if not self.checkable(e):
            return  # the words of a source that is not at hand are not checked
        if e.section in _NAMED and e.evidence and not names_entity(v["zh"], v.get("aka", []), e.evidence):
            self.problems.append(e.problem("evidence", f"no evidence sentence names '{v['zh']}' (by its label, a quoted part "
                                                       "of it or an 'aka' name): quote the sentence that states this fact"))

    def checkable(self, e: Entry) -> bool:
        """Whether the text of the entry's source is at hand (its words can be checked)."""
        return e.source in self.texts

    def kind_basis(self, e: Entry, node: URIRef) -> None:
        """Each kind of a mechanism is named by the report's words for it, or justified in ``kind_basis``."""
        v = e.values
        basis, inferred = v.get("kind_basis", {}), v.get("kind_inferred", {})
        words = [v["zh"], *e.evidence, *(v.get("description") or {}).values(), *v.get("aka", [])]
        for k in v.get("kinds", []):
            if k in inferred:
                # the kind is the curators' reading: gk:inferredKind marks it (a sub-property of
                # gk:mechanismKind, so the kind still counts) and the reason is its scope note
                label = next((str(o) for o in self.onto.objects(KIND[k], RDFS.label) if getattr(o, "language", None) == "zh"), k)
                if k in self.kinds:
                    self.g.add((node, GK.inferredKind, KIND[k]))
                self.g.add((node, SKOS.scopeNote, Literal(f"kind {label} (inferred): {' '.join(inferred[k].split())}", lang="en")))
                if k in basis:
                    self.problems.append(e.problem("kind_basis", f"'{k}' is in kind_inferred: its reason there is its basis"))
            elif k in basis:
                label = self.onto.value(KIND[k], RDFS.label) or k
                self.g.add((node, SKOS.scopeNote, Literal(f"kind {label}: {' '.join(basis[k].split())}", lang="en")))
            elif k in self.kinds and self.checkable(e) and not any(n in w for n in self.kind_names(k) for w in words):
                self.problems.append(e.problem("kinds", f"kind '{k}' is not named by the report's words for this mechanism "
                                                        f"({'/'.join(self.kind_names(k))}): justify it in 'kind_basis'"))
        for field, ks in (("kind_basis", basis), ("kind_inferred", inferred)):
            for k in ks:
                if k not in v.get("kinds", []):
                    self.problems.append(e.problem(field, f"'{k}' is not one of this entry's kinds"))

    def kind_names(self, k: str) -> list[str]:
        """The Chinese names of kind ``k`` (labels and alternative labels)."""
        return sorted({str(o) for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel)
                       for o in self.onto.objects(KIND[k], p) if getattr(o, "language", None) == "zh"})

    def use(self, e: Entry) -> None:
        if e.section == "site":
            node = self.ref(e, "use", "place", e.id)
            if node is not None:
                self.marks(e, node)
                self.evidence(e, [node], f"evidence/site/{e.id}")
            return
        node = self.ref(e, "use", "mechanism", e.id)
        if node is None:
            return
        u = self.mechanism_use(e, node)
        if "parts" in e.values:
            self.emit(e, u, "parts", _EMIT["mechanisms"]["parts"][:2], e.values["parts"])  # no inverse at a use
        self.marks(e, u)
        self.evidence(e, [node, u], f"evidence/use/{e.site}/{e.id}")

    def mechanism_use(self, e: Entry, mech: URIRef) -> URIRef:
        """The ``gk:MechanismUse`` node of ``mech`` at the entry's site, and the ``gk:usedAt`` short-cut."""
        g, site = self.g, self.places[e.site]
        u = ID[f"use/{e.site}/{e.id}"]
        g.add((mech, GK.usedAt, site))
        g.add((u, RDF.type, GK.MechanismUse))
        g.add((u, GK.mechanism, mech))
        g.add((u, GK.site, site))
        (mzh, men), (szh, sen) = self.labels.get(mech, (e.id, e.id)), self.labels[site]
        g.add((u, RDFS.label, Literal(f"{mzh}({szh})", lang="zh")))
        g.add((u, RDFS.label, Literal(f"{men} at {sen}", lang="en")))
        for name, rule in _USE_EMIT.items():
            if name in e.values:
                self.emit(e, u, name, rule, e.values[name])
        return u

    def outcome(self, e: Entry, node: URIRef) -> None:
        v, g = e.values, self.g
        g.add((node, SCHEMA.value, _number(v["value"])))
        if v["unit"] in self.units:
            g.add((node, SCHEMA.unitCode, self.units[v["unit"]]))
            for t in self.onto.objects(self.units[v["unit"]], SCHEMA.unitText):
                g.add((node, SCHEMA.unitText, t))
        else:
            self.problems.append(e.problem("unit", f"unknown unit '{v['unit']}' (see ontology/units.ttl: {', '.join(sorted(self.units))})"))
        if "value_max" in v:
            g.add((node, SCHEMA.maxValue, _number(v["value_max"])))
        for name in ("value", "value_max"):
            if name in v and e.evidence and not number_in(v[name], e.evidence):
                self.problems.append(e.problem(name, f"the number {v[name]} is not written as a number in its evidence sentence "
                                                     "(a number is a whole token: 12 is not read inside 112 or 12场次 as 1)"))

    def period(self, e: Entry, node: URIRef) -> None:
        """``sosa:phenomenonTime``: the period phrase as an interval relative to the report's date (derived)."""
        p = PERIODS.get(e.values["period"]["zh"])
        src = self.sources.get(e.source) if e.source else None
        if p is None or src is None:
            return
        date = src.values.get("date") or src.values.get("date_earliest")
        if date is None:
            return
        g = self.g
        end = self.report_date(src)
        iv = ID[f"period/{src.id}/{p.slug}"]
        g.add((node, SOSA.phenomenonTime, end if p.instant else iv))
        if p.instant:
            return
        g.add((iv, RDF.type, TIME.ProperInterval))
        g.add((iv, RDFS.label, Literal(f"{e.values['period']['zh']}({src.values['zh']})", lang="zh")))
        g.add((iv, RDFS.label, Literal(f"{p.en} (as of {src.values['en']})", lang="en")))
        g.add((iv, TIME.hasEnd, end))
        g.add((iv, GK.inferred, Literal(True)))
        g.add((iv, GK.inferenceReason, Literal(p.reason, lang="en")))
        if p.begin == "year-start":
            begin = ID[f"period/{src.id}/{p.slug}/begin"]
            first = _dt.date(date.year, 1, 1)
            g.add((iv, TIME.hasBeginning, begin))
            g.add((begin, RDF.type, TIME.Instant))
            g.add((begin, TIME.inXSDDate, Literal(first.isoformat(), datatype=XSD.date)))
            g.add((begin, RDFS.label, Literal(f"{first.year}年1月1日", lang="zh")))
            g.add((begin, RDFS.label, Literal(f"1 January {first.year}", lang="en")))

    def report_date(self, src) -> URIRef:
        """The instant of a report's date (``time:inXSDDate``, or only ``gk:earliestDate`` when not stated)."""
        g, v = self.g, src.values
        end = ID[f"source/{src.id}/date"]
        g.add((end, RDF.type, TIME.Instant))
        g.add((end, RDFS.label, Literal(f"{v['zh']}的日期", lang="zh")))
        g.add((end, RDFS.label, Literal(f"date of the report {v['en']}", lang="en")))
        if "date" in v:
            g.add((end, TIME.inXSDDate, Literal(v["date"].isoformat(), datatype=XSD.date)))
        else:
            g.add((end, GK.earliestDate, Literal(v["date_earliest"].isoformat(), datatype=XSD.date)))
        return end

    def redirect(self, e: Entry) -> None:
        v, g = e.values, self.g
        old = ID[v["from"]]
        g.add((old, SKOS.changeNote, Literal(" ".join(v["reason"].split()), lang="en")))
        if "to" in v:
            g.add((old, DCTERMS.isReplacedBy, ID[v["to"]]))
        else:
            g.add((old, OWL.deprecated, Literal(True)))

    def finish(self, typed: set[str] | None = None, labelled: set[str] | None = None) -> list[Problem]:
        """The redirects' checks against every node and the reports' nodes; return the problems found.

        ``typed`` and ``labelled`` (the IRIs with an rdf:type, an rdfs:label) default to those of
        the parts compiled here.
        """
        before = len(self.problems)
        redirects = [e for e in self.dataset.entries if e.section == "redirects"]
        if redirects and typed is None:
            typed = {str(s) for part in self.parts.values() for s, p, _ in part if p == RDF.type}
            labelled = {str(s) for part in self.parts.values() for s, p, _ in part if p == RDFS.label}
        for e in redirects:
            assert typed is not None and labelled is not None  # given, or made above
            if str(ID[e.values["from"]]) in typed:
                self.problems.append(e.problem("from", f"'{e.values['from']}' is still a node of the graph; a redirect is for a removed IRI"))
            if "to" in e.values and str(ID[e.values["to"]]) not in labelled:
                self.problems.append(e.problem("to", f"'{e.values['to']}' is not a node of the graph (write it as '<kind>/<id>', e.g. 'claim/x')"))
        for s in self.dataset.sources:
            _add_source(self.part(s.file), s, self.spaces["event"], self.problems)
        return self.problems[before:]


def compile_parts(dataset: Dataset, *, sources_dirs=None, ontology: Graph | None = None, texts=None,
                  tables: dict | None = None, entries=None) -> tuple[dict[str, set], BuildReport]:
    """Compile a loaded dataset into the triples of each data file: ``{shown path: set of (s, p, o)}``.

    A triple belongs to the file whose entry wrote it (a report's nodes to its
    ``sources/*.yaml``); a few (a report's date, a period) are written by several files. The
    union of the parts is ``compile_triples``'s set. An incremental build
    (``govkg.incremental``) recompiles only the parts of the files that changed: it passes
    ``entries`` (those files' entries), ``tables`` (the ids of the rest, from the built store)
    and ``texts``.

    Examples
    --------
    >>> from govkg.build import default_data_dir
    >>> from govkg.model import load_data
    >>> parts, report = compile_parts(load_data(default_data_dir()))
    >>> sorted(parts)[:2]
    ['data/areas.yaml', 'data/events.yaml']
    """
    onto = ontology if ontology is not None else ontology_graph()
    if texts is None:
        texts = source_texts(dataset, sources_dirs if sources_dirs is not None else [])
    c = Compiler(dataset, onto, texts, tables=tables, index_texts=entries is None)
    counts: dict[str, int] = {}
    for e in (dataset.entries if entries is None else entries):
        if not e.is_use and e.section != "redirects":
            counts[e.section] = counts.get(e.section, 0) + 1
        c.part(e.file)
        c.entry(e)
    if entries is None:
        c.finish()
    if c.problems:
        raise DataError(c.problems)
    cache: dict = {}
    for part in c.parts.values():
        materialize(part, onto, cache)
    report = BuildReport([], 0, counts, c.checked, sorted(c.unchecked))
    #: the nodes each part names by reference (``govkg.incremental`` indexes them)
    report.mentions = c.mentions
    return c.parts, report


def compile_triples(dataset: Dataset, *, sources_dirs=None, ontology: Graph | None = None) -> tuple[set, BuildReport]:
    """Compile a loaded dataset into a set of ``(s, p, o)`` rdflib terms (the data only).

    What ``compile_graph`` does, without building an rdflib ``Graph``: the union of
    ``compile_parts``.

    Examples
    --------
    >>> from govkg.build import default_data_dir
    >>> from govkg.model import load_data
    >>> triples, report = compile_triples(load_data(default_data_dir()))
    >>> report.triples == len(triples), report.entries["site"]
    (True, 8)
    """
    parts, report = compile_parts(dataset, sources_dirs=sources_dirs, ontology=ontology)
    triples = set().union(*parts.values())
    report.triples = len(triples)
    return triples, report


def compile_graph(dataset: Dataset, *, sources_dirs=None, ontology: Graph | None = None) -> tuple[Graph, BuildReport]:
    """Compile a loaded dataset into RDF (the data only, ontology not included).

    Checks every reference, kind and unit, and — where the source text is found in
    ``sources_dirs`` — that every evidence quote is whole sentences of it, verbatim, and that
    every outcome's number is written as a number in its evidence.

    Returns
    -------
    (Graph, BuildReport)

    Raises
    ------
    DataError
        Listing every problem with file, line and field; nothing is returned.
    """
    if not isinstance(dataset, Dataset):
        from .errors import GovkgError

        raise GovkgError(f"compile_graph needs a Dataset (from load_data), not {type(dataset).__name__}")
    triples, report = compile_triples(dataset, sources_dirs=sources_dirs, ontology=ontology)
    g = bind_prefixes(Graph())
    g.addN((s, p, o, g) for s, p, o in triples)
    return g, report


def _add_source(g: set, s, events, problems) -> None:
    node = ID[f"source/{s.id}"]
    v = s.values
    g.add((node, RDF.type, SCHEMA.NewsArticle))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDFS.label, Literal(v["zh"], lang="zh")))
    g.add((node, RDFS.label, Literal(v["en"], lang="en")))
    g.add((node, SCHEMA.inLanguage, Literal(v["language"])))
    for name, prop, cls, path in (
        ("publisher", SCHEMA.publisher, GK.NewsOutlet, "org"), ("compiler", GK.compiler, SCHEMA.Person, "person"),
        ("author", SCHEMA.author, SCHEMA.Person, "person"), ("photographer", GK.photographer, SCHEMA.Person, "person"),
    ):
        if name in v:
            who = v[name]
            o = ID[f"{path}/{who.get('id') or slugify(who['zh'])}"]
            g.add((node, prop, o))
            g.add((o, RDF.type, cls))
            if cls == GK.NewsOutlet:
                g.add((o, RDF.type, ORG.Organization))
            g.add((o, RDFS.label, Literal(who["zh"], lang="zh")))
            g.add((o, RDFS.label, Literal(who["en"], lang="en")))
    for name, prop in (("title", SCHEMA.headline), ("title_translation", GK.titleTranslation)):
        for lang, text in v.get(name, {}).items():
            g.add((node, prop, Literal(text, lang=lang)))
    for name, prop, how in (("date", SCHEMA.datePublished, "date"), ("date_earliest", GK.earliestDate, "date"),
                            ("date_as_stated", GK.dateAsStated, "zh"), ("date_basis", GK.dateBasis, "en"),
                            ("label_note", SKOS.editorialNote, "en")):
        if name in v:
            lit = (Literal(v[name].isoformat(), datatype=XSD.date) if how == "date"
                   else Literal(" ".join(str(v[name]).split()), lang=how))
            g.add((node, prop, lit))
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


def materialize(g: set, onto: Graph, cache: dict | None = None) -> None:
    """Add to ``g`` the types and properties implied by rdfs:subClassOf / rdfs:subPropertyOf (RDFS rules 9
    and 7) for our own terms, so that queries on W3C classes (org:Organization, prov:Entity …) find the data.

    Changes ``g`` (a compiled part, owned by the compile that calls it), in place: parts are sets of
    millions of triples. Hand-written rather than an RDFS reasoner (owlrl): only these two rules, only
    for our terms, and on a set rather than an rdflib ``Graph``. ``cache`` keeps the superclasses and
    superproperties looked up, across the parts of one build. Internal, shared by the build modules.

    Examples
    --------
    >>> from govkg.resources import ontology_graph
    >>> part = {(ID["org/x"], RDF.type, GK.PartyOrganization)}
    >>> materialize(part, ontology_graph())
    >>> (ID["org/x"], RDF.type, ORG.Organization) in part
    True
    """
    cache = {} if cache is None else cache

    def supers(prop, term):
        key = (prop, str(term))  # plain-string keys: rdflib's ``__eq__`` is a Python call
        if key not in cache:
            cache[key] = [o for o in onto.transitive_objects(term, prop)
                          if o != term and isinstance(o, URIRef) and o != OWL.Thing]
        return cache[key]

    ours, rdf_type, sub_class, sub_prop = str(GK._NS), str(RDF.type), RDFS.subClassOf, RDFS.subPropertyOf
    same, starts = str.__eq__, str.startswith
    added = []
    for s, p, o in g:
        if same(p, rdf_type):
            added += [(s, RDF.type, c) for c in supers(sub_class, o)]
        elif starts(p, ours):
            added += [(s, sp, o) for sp in supers(sub_prop, p)]
    g.update(added)
