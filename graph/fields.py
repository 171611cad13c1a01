"""The data format: the sections of a data file, the fields of each and the kind of value every field
takes (``"ref:<space>"`` an id in that space, ``"refs:<space>"`` a list of them, ``"enum:<name>"`` a
value of ``govkg.vocab.ENUMS[name]``, ...), read by the loader (``govkg.model``) and the drafter; and
what the loader makes of a data folder (``Entry``, ``Source``, ``Dataset``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Problem

__all__ = ["Entry", "Source", "Dataset", "SECTIONS", "COMMON_FIELDS", "COMMON_KINDS", "FIELDS", "DRAFT_MAY_LEAVE", "REQUIRED", "USE_FIELDS",
           "SITE_FACTS", "SOURCE_FIELDS"]

#: Sections of a data file and the id space (for references) each belongs to.
SECTIONS = {
    "site": "place",
    "areas": "place",
    "organizations": "org",
    "mechanisms": "mechanism",
    "outcomes": "outcome",
    "claims": "claim",
    "responses": "response",
    "events": "event",
    "redirects": "redirect",
}

#: Fields every entry may carry (besides its section's own).
COMMON_FIELDS = {"id", "zh", "en", "evidence", "note", "source", "status", "confidence", "inferred", "aka", "label_note"}
COMMON_KINDS = {"source": "ref:source", "status": "enum:status", "confidence": "confidence",
                 "inferred": "str", "aka": "strs", "label_note": "str"}
# field -> kind of value; "ref:<space>" is an id in that space, "refs:<space>" a list of them.
FIELDS: dict[str, dict[str, str]] = {
    "site": {"type": "enum:site", "within": "ref:place", "headline": "text2", "use": "ref:place"},
    "areas": {"type": "enum:place", "within": "ref:place"},
    "organizations": {
        "type": "enum:org", "members": "refs:org", "part_of": "ref:org",
        "active_at": "refs:place", "description": "text2",
    },
    "mechanisms": {
        "kinds": "kinds", "realized_by": "refs:org", "description": "text2", "use": "ref:mechanism",
        "parts": "refs:mechanism", "led_by": "refs:org", "run_by": "refs:org", "role": "text2", "since": "str",
        "area_served": "refs:place", "use_inferred": "str", "kind_basis": "kindmap", "kind_inferred": "kindmap",
    },
    "outcomes": {
        "value": "number", "value_max": "number", "unit": "unit", "comparator": "enum:comparator", "measure": "enum:measure",
        "direction": "enum:direction", "mechanism": "ref:mechanism", "subject": "ref:subject",
        "event": "ref:event", "period": "text2", "same_measure_as": "ref:outcome",
    },
    "claims": {
        "direction": "enum:direction", "mechanism": "ref:mechanism", "subject": "ref:subject",
        "event": "ref:event", "period": "text2",
    },
    "responses": {"event": "ref:event", "kinds": "kinds", "kind_basis": "kindmap", "kind_inferred": "kindmap",
                  "description": "text2", "area_served": "refs:place", "use_inferred": "str"},
    "events": {
        "type": "enum:event", "date": "date", "date_as_stated": "str", "date_basis": "str",
        "visited": "refs:place",
    },
    "redirects": {"from": "str", "to": "str", "reason": "str"},
}
#: Fields a ``status: draft`` entry may leave out for the reviewer (the report did not state the
#: places above the site, or its words do not justify a kind); accepting the entry needs them.
DRAFT_MAY_LEAVE = {"site": ("within",), "mechanisms": ("kinds",)}
REQUIRED = {
    "site": ("type", "within"),
    "areas": ("type",),
    "organizations": ("type",),
    "mechanisms": ("kinds",),
    "outcomes": ("value", "unit"),
    "claims": (),
    "responses": ("event",),
    "events": ("type",),
    "redirects": ("from", "reason"),
}
#: Fields a ``use`` entry (a mechanism or site defined in another file) may carry.
USE_FIELDS = {
    "mechanisms": {"use", "evidence", "note", "source", "status", "confidence", "inferred",
                   "led_by", "run_by", "role", "since", "parts", "area_served"},
    "site": {"use", "evidence", "note", "source", "status", "confidence", "inferred"},
}
#: Sections whose entries are facts of a site (the file needs a ``site:``).
SITE_FACTS = ("mechanisms", "outcomes", "claims", "responses")

#: Fields of a report's record (``data/sources/<id>.yaml``).
SOURCE_FIELDS = {
    "id", "zh", "en", "publisher", "compiler", "author", "photographer", "language", "file", "about",
    "rights", "url", "note", "title", "title_translation", "label_note", "date", "date_as_stated",
    "date_basis", "date_earliest",
}


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
