"""The data format read from its declared JSON Schemas (``ontology/govkg-data.schema.json``, a data file,
and ``ontology/govkg-source.schema.json``, a report's record): the sections of a data file, the fields of
each, which are required and the kind of value every field takes (``"ref:<space>"`` an id in that space,
``"refs:<space>"`` a list of them, ``"enum:<name>"`` a value of ``govkg.vocab.ENUMS[name]``, ...), read by
the loader (``govkg.model``), the compiler and the drafter; and what the loader makes of a data folder
(``Entry``, ``Source``, ``Dataset``).

The schemas are the one declaration of the format (editors validate and complete data files with them);
the tables below are read from them. A field's kind is the ``x-govkg-kind`` of the ``$defs`` entry its
``$ref`` names (with its ``x-govkg-space`` for a reference); ``x-govkg-rdf`` says how the compiler writes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from .errors import Problem

__all__ = ["Entry", "Source", "Dataset", "SECTIONS", "COMMON_FIELDS", "COMMON_KINDS", "FIELDS", "DRAFT_MAY_LEAVE",
           "DRAFT_KINDS", "REQUIRED", "USE_FIELDS", "ALLOWED", "LIST_FIELDS", "SITE_FACTS", "DEFAULTS", "RDF_FIELDS",
           "SOURCE_FIELDS", "SOURCE_KINDS", "SOURCE_REQUIRED", "SCHEMA_FILES", "schema", "kind_of"]

#: The schema files in ``govkg.ontology``: a data file's and a source file's.
SCHEMA_FILES = {"data": "govkg-data.schema.json", "source": "govkg-source.schema.json"}
#: Kinds the loader checks by rules of its own, with their own messages (ids, labels, evidence, notes):
#: they are not in ``COMMON_KINDS``; a missing id or evidence is not in ``REQUIRED`` (its own message too).
_OWN_RULES = ("id", "label", "evidence", "note")


def _read(name: str) -> dict:
    return json.loads(files("govkg.ontology").joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8"))


_SCHEMAS = {name: _read(name) for name in SCHEMA_FILES}


def schema(name: str = "data") -> dict:
    """The JSON Schema (draft 2020-12) of a data file (``"data"``) or of a report's record (``"source"``).

    A new copy each call (changing it changes nothing here).

    Examples
    --------
    >>> schema()["$schema"], sorted(schema("source")["required"])
    ('https://json-schema.org/draft/2020-12/schema', ['en', 'id', 'language', 'publisher', 'zh'])
    """
    return json.loads(json.dumps(_SCHEMAS[name]))


def _def(doc: dict, ref: str) -> dict:
    """What a local ``$ref`` (``#/$defs/text``, ``#/$defs/common/properties/zh``) of ``doc`` points at."""
    target = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def kind_of(prop: dict, doc: dict | None = None) -> str:
    """The kind of value a property of the schema ``doc`` (default: the data file's) takes.

    Examples
    --------
    >>> kind_of({"$ref": "#/$defs/refs", "x-govkg-space": "org"}), kind_of({"$ref": "#/$defs/enum-site"})
    ('refs:org', 'enum:site')
    """
    doc = _SCHEMAS["data"] if doc is None else doc
    target = _def(doc, prop["$ref"])
    if "x-govkg-kind" not in target:  # a field declared elsewhere (an entry's common fields)
        return kind_of(target, doc)
    kind = target["x-govkg-kind"]
    return f"{kind}:{prop['x-govkg-space']}" if kind in ("ref", "refs") else kind


def _variants(doc: dict, section_prop: dict) -> tuple[dict, dict | None]:
    """The entry of a section and its ``use`` form (a site or mechanism defined in another file), if any."""
    item = _def(doc, (section_prop.get("items") or section_prop)["$ref"])
    if "if" in item and item["if"] == {"required": ["use"]}:
        return _def(doc, item["else"]["$ref"]), _def(doc, item["then"]["$ref"])
    return item, None


def _tables(doc: dict) -> dict:
    """Every table of the data format, read from the data file's schema ``doc``."""
    common = doc["$defs"]["common"]["properties"]
    t: dict[str, Any] = {"sections": {}, "fields": {}, "draft_may_leave": {}, "draft_kinds": {}, "required": {},
                         "use_fields": {}, "allowed": {}, "defaults": {}, "rdf": {}}
    for section, prop in doc["properties"].items():
        if "x-govkg-space" not in prop:
            continue  # the file's ``source``
        t["sections"][section] = prop["x-govkg-space"]
        entry, use = _variants(doc, prop)
        narrowed = entry.get("else", {})
        own = {n: p for n, p in entry["properties"].items() if n not in common}
        if use is not None:
            own.update({n: p for n, p in use["properties"].items() if n not in common and n not in own})
        fields = {n: kind_of(narrowed.get("properties", {}).get(n, p), doc) for n, p in own.items()}
        t["fields"][section] = fields
        draft = {n: kind_of(p, doc) for n, p in own.items() if kind_of(p, doc) != fields[n]}
        if draft:
            t["draft_kinds"][section] = draft
        leave = tuple(narrowed.get("required", ()))
        if leave:
            t["draft_may_leave"][section] = leave
        kinds = {n: kind_of(p, doc) for n, p in {**common, **own}.items()}
        t["required"][section] = tuple(n for n in (*entry["required"], *leave) if kinds[n] not in ("id", "evidence"))
        if use is not None:
            t["use_fields"][section] = set(use["properties"])
        t["allowed"][section] = set(entry["properties"]) | set(use["properties"] if use else ())
        t["defaults"][section] = {n: p["default"] for n, p in own.items() if "default" in p}
        t["rdf"][section] = {n: {**p["x-govkg-rdf"], "kind": fields[n]} for n, p in own.items() if "x-govkg-rdf" in p}
    t["common_kinds"] = {n: k for n, p in common.items() if (k := kind_of(p, doc)) not in _OWN_RULES}
    t["site_facts"] = tuple(s for s, need in doc.get("dependentRequired", {}).items() if need == ["site"])
    return t


_T = _tables(_SCHEMAS["data"])

#: Sections of a data file and the id space (for references) each belongs to.
SECTIONS: dict[str, str] = _T["sections"]
#: Fields every entry may carry (besides its section's own).
COMMON_FIELDS = set(_SCHEMAS["data"]["$defs"]["common"]["properties"])
#: The kind of value of each common field (but those the loader checks by its own rules: id, zh, en, evidence, note).
COMMON_KINDS: dict[str, str] = _T["common_kinds"]
#: field -> kind of value, by section (an accepted entry's kind: see ``DRAFT_KINDS``).
FIELDS: dict[str, dict[str, str]] = _T["fields"]
#: Fields a ``status: draft`` entry may leave out for the reviewer (the report did not state the
#: places above the site, or its words do not justify a kind); accepting the entry needs them.
DRAFT_MAY_LEAVE: dict[str, tuple[str, ...]] = _T["draft_may_leave"]
#: Kinds a ``status: draft`` entry's field takes instead of ``FIELDS``' (a report that names no community
#: or village: its facts are drafted at the area it names, typed as any place, for the reviewer to move).
DRAFT_KINDS: dict[str, dict[str, str]] = _T["draft_kinds"]
#: Fields an entry must have, by section, labels included (``id`` and ``evidence`` are checked by the
#: loader's own rules, with their own messages).
REQUIRED: dict[str, tuple[str, ...]] = _T["required"]
#: Fields a ``use`` entry (a mechanism or site defined in another file) may carry.
USE_FIELDS: dict[str, set[str]] = _T["use_fields"]
#: Every field an entry of a section may carry (a ``use`` entry: ``USE_FIELDS``).
ALLOWED: dict[str, set[str]] = _T["allowed"]
#: Fields whose value is a list, where one value may be written without the list.
LIST_FIELDS = frozenset(n for kinds in (*FIELDS.values(), COMMON_KINDS) for n, k in kinds.items()
                        if k.startswith("refs:") or k in ("kinds", "strs"))
#: Sections whose entries are facts of a site (the file needs a ``site:``).
SITE_FACTS: tuple[str, ...] = _T["site_facts"]
#: Values used when a field is left out, by section.
DEFAULTS: dict[str, dict[str, Any]] = _T["defaults"]
#: How the compiler writes each field, by section: ``{"predicate": CURIE, "kind": kind}`` and optionally
#: ``"inverse"`` (a CURIE written from the value back), ``"lang"`` (a text as a literal in that language)
#: and ``"node": "use"`` (written on the mechanism's use at the site, not on the mechanism).
RDF_FIELDS: dict[str, dict[str, dict[str, str]]] = _T["rdf"]

#: Fields of a report's record (``data/sources/<id>.yaml``) and the kind of value of each.
SOURCE_KINDS = {n: kind_of(p, _SCHEMAS["source"]) for n, p in _SCHEMAS["source"]["properties"].items()}
SOURCE_FIELDS = set(SOURCE_KINDS)
#: Fields a report's record must have.
SOURCE_REQUIRED: tuple[str, ...] = tuple(_SCHEMAS["source"]["required"])


@dataclass(frozen=True)
class Entry:
    """One entry of a data file (a site, an area, an outcome …) with where it was written.

    ``values`` holds plain Python values; ``lines`` maps each field to its 1-based line.
    ``use`` entries (a mechanism defined in another file, used at this file's site) have
    ``is_use`` set and only ``use`` and ``evidence`` among their values.
    """

    section: str
    id: str
    values: dict[str, Any]
    file: str
    line: int
    lines: dict[str, int]
    site: str | None = None
    source: str | None = None

    @property
    def space(self) -> str:
        """The id space of this entry (``place``, ``org``, ``mechanism`` …)."""
        return SECTIONS[self.section]

    @property
    def is_use(self) -> bool:
        """Whether this entry uses a mechanism (or describes a site) defined in another file."""
        return "use" in self.values

    @property
    def is_draft(self) -> bool:
        """Whether the entry is marked ``status: draft``."""
        return self.values.get("status") == "draft"

    @property
    def evidence(self) -> list[str]:
        ev = self.values.get("evidence")
        return [ev] if isinstance(ev, str) else list(ev or [])

    def line_of(self, name: str) -> int:
        """The line of field ``name``, or of the entry when the field is absent."""
        return self.lines.get(name, self.line)

    def problem(self, name: str | None, message: str) -> Problem:
        """A ``Problem`` located at field ``name`` of this entry."""
        return Problem(self.file, self.line_of(name) if name else self.line, name, message)


@dataclass(frozen=True)
class Source:
    """A report: metadata from ``data/sources/<id>.yaml`` (its text is not kept in the repo)."""

    id: str
    values: dict[str, Any]
    file: str
    line: int
    lines: dict[str, int]


@dataclass(frozen=True)
class Dataset:
    """Everything loaded from a data folder."""

    entries: tuple[Entry, ...]
    sources: tuple[Source, ...]
    files: tuple[str, ...] = field(default=())
    #: ``(space, id)`` of the draft entries left out (``load_data(include_drafts=False)``).
    drafts: frozenset = field(default=frozenset())

    def by_space(self, space: str) -> dict[str, Entry]:
        """Defining entries of one id space, by id (``use`` entries left out)."""
        return {e.id: e for e in self.entries if e.space == space and not e.is_use}
