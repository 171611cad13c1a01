"""The data-file schema: load and check the YAML files, with file, line and field in every error."""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .args import as_path
from .errors import DataError, Problem
from .slug import is_slug, slugify
from .vocab import ENUMS as _ENUMS

__all__ = ["SECTIONS", "Dataset", "Entry", "Source", "load_data", "load_file", "load_source"]

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
_COMMON = {"id", "zh", "en", "evidence", "note", "source", "status", "confidence", "inferred", "aka", "label_note"}
_COMMON_KINDS = {"source": "ref:source", "status": "enum:status", "confidence": "confidence",
                 "inferred": "str", "aka": "strs", "label_note": "str"}
# field -> kind of value; "ref:<space>" is an id in that space, "refs:<space>" a list of them.
_FIELDS: dict[str, dict[str, str]] = {
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
_DRAFT_MAY_LEAVE = {"site": ("within",), "mechanisms": ("kinds",)}
_REQUIRED = {
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
_USE_FIELDS = {
    "mechanisms": {"use", "evidence", "note", "source", "status", "confidence", "inferred",
                   "led_by", "run_by", "role", "since", "parts", "area_served"},
    "site": {"use", "evidence", "note", "source", "status", "confidence", "inferred"},
}
#: Sections whose entries are facts of a site (the file needs a ``site:``).
_SITE_FACTS = ("mechanisms", "outcomes", "claims", "responses")


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


class _Map(dict):
    """A YAML mapping that remembers its line and the line of each key (1-based)."""

    line: int | None = 0
    key_lines: dict


class _Seq(list):
    """A YAML sequence that remembers its line (1-based)."""

    line: int | None = 0


#: Limits of a data file: its size in bytes and how deeply its lists and mappings nest.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32

_STANDARD_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _located(events, shown: str):
    """Build values that know their lines from a stream of YAML parser events.

    Built without recursion and without a YAML composer: an alias (``*name``) is refused
    where it stands, so neither alias bombs nor self-referencing aliases can be expanded;
    nesting deeper than ``MAX_DEPTH``, a list or mapping used as a key, explicit tags on
    lists and mappings, more than one document, and scalars Python cannot hold (an integer
    of more than 4,300 digits, the date 2024-13-45) are each a ``DataError`` with file and
    line. Returns None for an empty file.
    """
    import yaml

    resolver = yaml.SafeLoader("")  # resolves plain scalars (int, date, bool …) and builds them
    tags: dict = {}  # the resolved tag of each plain scalar seen (keys repeat in every entry)
    root = None
    stack: list = []  # containers being filled: [container, pending key or _NO_KEY, key line]
    docs = 0

    def fail(line, field, message):
        raise DataError.single(shown, line, None if field is None else str(field), message)

    def field_of():  # the key whose value is being read, in the nearest mapping
        for box, key, _line in reversed(stack):
            if isinstance(box, dict):
                return None if key is _NO_KEY else key
        return None

    def add(value, line):
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        box = top[0]
        if isinstance(box, list):
            box.append(value)
        elif top[1] is _NO_KEY:
            if isinstance(value, (dict, list)):
                fail(line, None, f"a key must be a text, not a {'list' if isinstance(value, list) else 'mapping'}")
            if value in box:
                fail(line, value, f"duplicate key '{value}' (first on line {box.key_lines[value]})")
            top[1], top[2] = value, line
        else:
            box[top[1]] = value
            box.key_lines[top[1]] = top[2]
            top[1] = _NO_KEY

    for ev in events:
        line = ev.start_mark.line + 1 if ev.start_mark is not None else None
        if isinstance(ev, yaml.ScalarEvent):
            tag = ev.tag
            if tag is None and ev.style in ("'", '"'):
                add(ev.value, line)  # a quoted scalar without a tag is a text: nothing to resolve
                continue
            if tag is None or tag == "!":
                key = (ev.value, ev.implicit)
                tag = tags.get(key)
                if tag is None:
                    tag = tags[key] = resolver.resolve(yaml.ScalarNode, ev.value, ev.implicit)
            if tag == _STR:
                add(ev.value, line)
                continue
            node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)  # type: ignore[arg-type]  # libyaml's Mark
            try:
                value = resolver.construct_object(node)
            except yaml.MarkedYAMLError as exc:
                fail(line, field_of(), f"malformed YAML: {exc.problem or exc}")
            except (ValueError, OverflowError) as exc:
                shown_value = ev.value if len(ev.value) <= 40 else ev.value[:37] + "..."
                if tag.endswith(":int"):
                    why = f"an integer of {len(ev.value)} characters is too long (at most 4,300 digits)"
                elif tag.endswith(":timestamp"):
                    why = f"not a valid date ({exc})"
                else:
                    why = str(exc)
                fail(line, field_of(), f"cannot read the value {shown_value!r}: {why}")
            add(value, line)
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if ev.tag not in _STANDARD_TAGS:
                fail(line, field_of(), f"YAML tags such as {ev.tag!r} are not allowed here")
            if len(stack) >= MAX_DEPTH:
                fail(line, field_of(), f"lists and mappings nested more than {MAX_DEPTH} deep")
            box: _Map | _Seq
            if isinstance(ev, yaml.MappingStartEvent):
                box = _Map()
                box.key_lines = {}
            else:
                box = _Seq()
            box.line = line
            stack.append([box, _NO_KEY, None])
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            box = stack.pop()[0]
            add(box, box.line)
        elif isinstance(ev, yaml.AliasEvent):
            fail(line, field_of(), f"YAML aliases (*{ev.anchor}) are not allowed in data files: write the value out")
        elif isinstance(ev, yaml.DocumentStartEvent):
            docs += 1
            if docs > 1:
                fail(line, None, "more than one YAML document ('---') in a data file")
    return root


_NO_KEY = object()
_STR = "tag:yaml.org,2002:str"


#: Characters YAML reads as line breaks besides CR and LF.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


def _read_yaml(path: Path, shown: str):
    """Parse a YAML file (libyaml when available) into values that know their lines.

    Files larger than ``MAX_FILE_BYTES`` are refused; see ``_located`` for what else is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bomb.yaml"
    >>> _ = p.write_text("a: &a [x, x]\\nb: [*a, *a]\\n", encoding="utf-8")
    >>> try:
    ...     _read_yaml(p, "bomb.yaml")
    ... except DataError as e:
    ...     print(e.problems[0])
    bomb.yaml:2: field 'b': YAML aliases (*a) are not allowed in data files: write the value out
    """
    import yaml

    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DataError.single(shown, None, None, "cannot read: not a regular file")
        if size > MAX_FILE_BYTES:
            raise DataError.single(shown, None, None, f"file too large ({size} bytes; the limit is {MAX_FILE_BYTES})")
        text = path.read_text(encoding="utf-8")
        breaks = _YAML_BREAKS.search(text)
        if breaks:  # YAML reads them as line breaks: a label would change silently
            ch = breaks.group()
            raise DataError.single(shown, text.count("\n", 0, breaks.start()) + 1, None,
                                   f"holds U+{ord(ch):04X} ({_char_name(ch)}), which YAML reads as a line break: "
                                   "remove it")
    except UnicodeDecodeError as exc:
        raise DataError.single(shown, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError.single(shown, None, None, f"cannot read: {exc.strerror or exc}") from None
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return _located(yaml.parse(text, Loader=loader_cls), shown)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise DataError.single(shown, line, None, f"malformed YAML: {msg}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: say on which line
        line = None
        if isinstance(exc.position, int):  # libyaml counts bytes of the UTF-8 text, the Python reader characters
            if loader_cls is not yaml.SafeLoader:
                line = text.encode("utf-8")[:exc.position].count(b"\n") + 1
            else:
                line = text[:exc.position].count("\n") + 1
        what = f"character U+{exc.character:04X}" if isinstance(exc.character, int) else "character"
        raise DataError.single(shown, line, None, f"malformed YAML: {what} is not allowed in YAML "
                                                  f"(control characters must be written as escapes in double quotes)") from None
    except yaml.YAMLError as exc:
        raise DataError.single(shown, None, None, f"malformed YAML: {exc}") from None


def _line(mapping, key) -> int:
    lines = getattr(mapping, "key_lines", None)
    if lines and key in lines:
        return lines[key]
    return _entry_line(mapping)


def _entry_line(obj) -> int:
    return getattr(obj, "line", 0)


def _plain(value):
    """Located containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value
    return str(value)


def _visible(text: str) -> bool:
    """Whether ``text`` has a character one can see (not only spaces and zero-width format characters).

    Examples
    --------
    >>> _visible("高新"), _visible(" \u3000"), _visible("\u200b\u200d")
    (True, False, False)
    """
    import unicodedata

    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs") for c in text)


def _unquoted_hint(value) -> str:
    """Why a label written as plain text was not read as text: YAML reads yes/no/on/off, numbers and dates.

    Examples
    --------
    >>> _unquoted_hint(False)
    ", got False (YAML reads yes, no, on, off, true and false as yes/no values: put the label in quotes, e.g. 'No')"
    """
    if isinstance(value, bool):
        return (f", got {value} (YAML reads yes, no, on, off, true and false as yes/no values: put the label in "
                f"quotes, e.g. 'No')")
    if isinstance(value, (int, float, _dt.date)):
        return f", got {value!r} (YAML reads it as a {type(value).__name__}: put the label in quotes)"
    return ""


def _check_value(kind: str, name: str, value, where) -> str | None:
    """Return a message when ``value`` is not a valid ``kind``; None when it is."""
    if kind.startswith("enum:"):
        allowed = _ENUMS[kind[5:]]
        if not isinstance(value, str) or value not in allowed:
            return f"{value!r} is not one of: {', '.join(allowed)}"
    elif kind.startswith("ref:") or kind == "unit":
        if not isinstance(value, str) or not is_slug(value):
            return f"expected an id (lower-case letters, digits, '-'), got {value!r}"
    elif kind.startswith("refs:") or kind == "kinds":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and is_slug(v) for v in value):
            return f"expected a list of ids, got {value!r}"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, got {value!r}"
    elif kind == "text2":
        if not isinstance(value, dict) or set(value) != {"zh", "en"} or not all(
            isinstance(v, str) and v.strip() for v in value.values()
        ):
            return "expected a mapping with non-empty 'zh' and 'en' texts"
    elif kind == "date":
        if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
            return f"expected an ISO date (YYYY-MM-DD, no time), got {value!r}"
    elif kind == "str":
        if not isinstance(value, str) or not value.strip():
            return "expected a non-empty text"
    elif kind == "strs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            return "expected a text or a list of texts"
    elif kind == "kindmap":
        if not isinstance(value, dict) or not value or not all(
                isinstance(k, str) and is_slug(k) and isinstance(v, str) and v.strip() for k, v in value.items()):
            return "expected a mapping of kind id to the words of the report that justify it"
    elif kind == "confidence":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            return f"expected a number between 0 and 1, got {value!r}"
    return None


def _entry(section: str, raw, index: int | None, shown: str, file_source, site_id, problems,
           near: int = 0) -> Entry | None:
    line = _entry_line(raw) or near
    where = f"{section}[{index}]" if index is not None else section
    if not hasattr(raw, "items"):
        problems.append(Problem(shown, line or None, where, "expected a mapping of fields"))
        return None
    lines = {str(k): _line(raw, k) for k in raw}
    values = {str(k): _plain(v) for k, v in raw.items()}
    fields = {**_COMMON_KINDS, **_FIELDS[section]}
    if section == "site" and values.get("status") == "draft":
        # a report that names no community or village: its facts are drafted at the area it
        # names (a district, a town) for the reviewer to move; accepting needs a site type
        fields["type"] = "enum:place"
    allowed = _COMMON | set(_FIELDS[section])
    if section == "redirects":
        allowed = set(_FIELDS[section]) | {"note"}
    bad = False
    for name in values:
        if name not in allowed:
            problems.append(Problem(shown, lines[name], name, f"unknown field in {section} (allowed: {', '.join(sorted(allowed))})"))
            bad = True
    if "use" in values:
        if section not in _USE_FIELDS:
            problems.append(Problem(shown, lines["use"], "use", "'use' is only for mechanisms and the site"))
            return None
        extra = sorted(set(values) - _USE_FIELDS[section])
        if extra:
            problems.append(Problem(shown, lines[extra[0]], extra[0], f"a 'use' entry takes only {', '.join(sorted(_USE_FIELDS[section]))} (labels, kinds and organizations stay where it is defined)"))
            return None
        required: tuple = ("use",)
    elif section == "redirects":
        required = _REQUIRED[section]
    else:
        required = ("zh", "en", *_REQUIRED[section])
        if values.get("status") == "draft":  # left for the reviewer when the report does not state it
            required = tuple(r for r in required if r not in _DRAFT_MAY_LEAVE.get(section, ()))
    for name in required:
        if name not in values or values[name] in (None, ""):
            problems.append(Problem(shown, line, name, f"missing required field '{name}' in {where}"))
            bad = True
    for name in ("zh", "en"):
        if name in values and (not isinstance(values[name], str) or not _visible(values[name])):
            problems.append(Problem(shown, lines[name], name, "expected a non-empty text" + _unquoted_hint(values[name])))
            bad = True
    ev = values.get("evidence")
    if section == "redirects":
        pass
    elif ev is None or ev == "" or ev == []:
        problems.append(Problem(shown, lines.get("evidence", line), "evidence", "missing evidence sentence (quote the source verbatim)"))
        bad = True
    elif not (isinstance(ev, str) or (isinstance(ev, list) and all(isinstance(s, str) and s.strip() for s in ev))):
        problems.append(Problem(shown, lines["evidence"], "evidence", "expected a sentence or a list of sentences"))
        bad = True
    for name, kind in fields.items():
        if name in values:
            msg = _check_value(kind, name, values[name], where)
            if msg:
                problems.append(Problem(shown, lines[name], name, msg))
                bad = True
    if isinstance(values.get("note"), str) and _DIGIT.search(values["note"]):
        problems.append(Problem(shown, lines["note"], "note", "a note holds a number: a number the report states goes into an outcome "
                                "(with its evidence), not into a note; write counts in words if the note must mention one"))
        bad = True
    if section == "outcomes" and "use" not in values:
        if "id" not in values:
            problems.append(Problem(shown, line, "id", "outcomes need an explicit 'id' (e.g. '<site>-<what>')"))
            bad = True
        if (values.get("comparator") == "range") != ("value_max" in values):
            field = "value_max" if "value_max" in values else "comparator"
            problems.append(Problem(shown, lines.get(field, line), field,
                                    "a range (2米—4米) is 'comparator: range' with the upper end in 'value_max'; "
                                    "give both or neither"))
            bad = True
        elif "value_max" in values and _is_number(values["value_max"]) and _is_number(values.get("value")) \
                and not values["value_max"] > values["value"]:
            problems.append(Problem(shown, lines["value_max"], "value_max", "'value_max' (the upper end of the range) "
                                    "must be larger than 'value' (its lower end)"))
            bad = True
        if values.get("measure") == "change" and "direction" not in values:
            problems.append(Problem(shown, lines["measure"], "direction",
                                    "a 'measure: change' outcome needs 'direction: increase', 'decrease' or 'no-change' "
                                    "(schema v2: a fall is a positive number with 'direction: decrease')"))
            bad = True
    if section == "claims" and "id" not in values:
        problems.append(Problem(shown, line, "id", "claims need an explicit 'id' (e.g. '<site>-<what>')"))
        bad = True
    if section == "redirects":
        for name in ("from", "to"):
            v = values.get(name)
            if isinstance(v, str) and not (v.count("/") >= 1 and all(is_slug(seg) for seg in v.split("/"))):
                problems.append(Problem(shown, lines[name], name, f"expected '<kind>/<id>' made of slugs "
                                                                  f"(e.g. 'mechanism/wenshan-huzhuyanglao'), got {v!r}"))
                bad = True
    if "id" in values and not (isinstance(values["id"], str) and is_slug(values["id"])):
        problems.append(Problem(shown, lines["id"], "id", f"not a slug (lower-case a-z, 0-9, '-'): {values['id']!r}"))
        bad = True
    if section == "redirects":
        if isinstance(values.get("to"), str) and values.get("to") == values.get("from"):
            problems.append(Problem(shown, lines["to"], "to", f"'{values['to']}' is redirected to itself"))
            bad = True
    control = _control_problems(values, lines, shown)
    if control:
        problems.extend(control)
        bad = True
    if bad:
        return None
    for name in ("members", "active_at", "realized_by", "kinds", "visited", "parts", "led_by", "run_by", "aka", "area_served"):
        if isinstance(values.get(name), str):
            values[name] = [values[name]]
    if section == "redirects":
        ident = str(values["from"])
    else:
        ident = values.get("use") or values.get("id") or slugify(values["zh"])
    if not ident:
        problems.append(Problem(shown, lines.get("zh", line), "zh", "cannot make an id from this label; give an 'id'"))
        return None
    return Entry(section, ident, values, shown, line, lines, site=site_id, source=values.get("source") or file_source)


_DIGIT = re.compile(r"[0-9０-９]")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
#: Characters no text of a data file may hold: C0 controls but tab and newline, DEL, C1 controls
#: (NEL U+0085 among them), the bidirectional overrides and isolates that make a label read
#: differently from what it holds, and the invisible ones that make two labels look the same
#: (bidi marks U+200E/F and U+061C, zero-width U+200B-D, word joiner and invisible operators
#: U+2060-4, the byte order mark U+FEFF, interlinear annotation U+FFF9-B, the noncharacters
#: U+FFFE/F, private use U+E000-F8FF and the tag characters U+E0000-E007F).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
                      "\ufeff\ufff9-\ufffb\ufffe\uffff\ue000-\uf8ff\U000e0000-\U000e007f]")
#: Those that were refused as control characters before the invisible ones (their message stays).
_OLD_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Labels are one line.
_LABELS = frozenset({"zh", "en", "aka"})


def _char_name(ch: str) -> str:
    import unicodedata

    return unicodedata.name(ch, "private use" if "\ue000" <= ch <= "\uf8ff" else "unassigned")


def _control_problems(values: dict, lines: dict, shown: str) -> list[Problem]:
    """A problem for each field whose text holds a control character (or a line break, in a label):
    it would reach terminals, CSV and XML exports and web pages as it is.

    Examples
    --------
    >>> [p.message for p in _control_problems({"en": "A\x1b[2J"}, {"en": 3}, "x.yaml")]
    ['holds the control character U+001B: remove it (write the text as the report prints it)']
    >>> [p.message for p in _control_problems({"zh": "高新\u200b社区"}, {"zh": 3}, "x.yaml")]
    ['holds the invisible or direction character U+200B (ZERO WIDTH SPACE): remove it (write the text as the report prints it)']
    """
    out = []
    for name, value in values.items():
        texts, stack = [], [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                texts.append(v)
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
        for t in texts:
            m = _CONTROL.search(t) or (re.search("[\n\t\u2028\u2029]", t) if name in _LABELS else None)
            if m:
                ch = m.group()
                what = "a line break or tab: a label is one line" if ch in "\n\t\u2028\u2029" else (
                    f"the control character U+{ord(ch):04X}: remove it (write the text as the report prints it)"
                    if _OLD_CONTROL.match(ch) else f"the invisible or direction character U+{ord(ch):04X} "
                    f"({_char_name(ch)}): remove it (write the text as the report prints it)")
                out.append(Problem(shown, lines.get(name), name, f"holds {what}"))
                break
    return out


def load_file(path: str | Path, *, root: str | Path | None = None) -> list[Entry]:
    """Load one data file and check its fields.

    Parameters
    ----------
    path : str or Path
        A YAML data file (see ``data/README.md``).
    root : str or Path, optional
        Paths in errors are shown relative to this folder.

    Returns
    -------
    list of Entry

    Raises
    ------
    DataError
        Listing every problem with its file, line and field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_text("source: s\\nareas:\\n  - zh: 海口市\\n    en: Haikou\\n    type: metropolis\\n    evidence: x\\n", encoding="utf-8")
    >>> try:
    ...     load_file(p, root=p.parent)
    ... except DataError as e:
    ...     print(e.problems[0])
    x.yaml:5: field 'type': 'metropolis' is not one of: city, district, development-zone, subdistrict, town, community, village, village-committee, natural-village
    """
    path = as_path(path, "path")
    shown = _shown(path, root)
    doc = _read_yaml(path, shown)
    if doc is None:
        return []
    if not hasattr(doc, "items"):
        raise DataError.single(shown, 1, None, "expected a mapping at the top level (keys: source, site, areas, …)")
    problems: list[Problem] = []
    for key in doc:
        if key not in SECTIONS and key != "source":
            problems.append(Problem(shown, _line(doc, key), str(key), f"unknown section (allowed: source, {', '.join(SECTIONS)})"))
    file_source = doc.get("source")
    if file_source is not None and not (isinstance(file_source, str) and is_slug(file_source)):
        problems.append(Problem(shown, _line(doc, "source"), "source", f"expected a source id, got {file_source!r}"))
        file_source = None
    site_id = None
    entries: list[Entry] = []
    if "site" in doc:
        e = _entry("site", doc["site"], None, shown, file_source, None, problems)
        if e is not None:
            site_id = e.id
            entries.append(Entry(e.section, e.id, e.values, e.file, e.line, e.lines, site=e.id, source=e.source))
    for section in SECTIONS:
        if section == "site" or section not in doc:
            continue
        items = doc[section]
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(Problem(shown, _line(doc, section), section, "expected a list of entries (each starting with '- ')"))
            continue
        for i, raw in enumerate(items):
            e = _entry(section, raw, i, shown, file_source, site_id, problems, near=_entry_line(items))
            if e is not None:
                entries.append(e)
    # a 'site:' section with mistakes has its own problems: its facts are not also called siteless
    needs_site = [e for e in entries if e.section in _SITE_FACTS and site_id is None and "site" not in doc]
    for e in needs_site:
        problems.append(e.problem(None, f"{e.section} belong to a site file (one with a 'site:' section, "
                                        f"or 'site: {{use: <site id>, evidence: …}}' for a site defined in another file)"))
    if (file_source is None and any(e.evidence and e.source is None for e in entries)
            and "source" not in {p.field for p in problems}):
        problems.append(Problem(shown, 1, "source", "missing 'source': the id of the report the evidence quotes"))
    if problems:
        raise DataError(problems)
    return entries


_SOURCE_FIELDS = {
    "id", "zh", "en", "publisher", "compiler", "author", "photographer", "language", "file", "about",
    "rights", "url", "note", "title", "title_translation", "label_note", "date", "date_as_stated",
    "date_basis", "date_earliest",
}


def load_source(path: str | Path, *, root: str | Path | None = None) -> Source:
    """Load the metadata of one report from ``data/sources/<id>.yaml``.

    Raises
    ------
    DataError
        When a field is missing, unknown or malformed.
    """
    path = Path(path)
    shown = _shown(path, root)
    doc = _read_yaml(path, shown)
    if not hasattr(doc, "items"):
        raise DataError.single(shown, 1, None, "expected a mapping of fields")
    problems = []
    values = {str(k): _plain(v) for k, v in doc.items()}
    lines = {str(k): _line(doc, k) for k in doc}
    for name in values:
        if name not in _SOURCE_FIELDS:
            problems.append(Problem(shown, lines[name], name, f"unknown field (allowed: {', '.join(sorted(_SOURCE_FIELDS))})"))
    for name in ("id", "zh", "en", "publisher", "language"):
        if not values.get(name):
            problems.append(Problem(shown, 1, name, f"missing required field '{name}'"))
    if values.get("id") and not is_slug(str(values["id"])):
        problems.append(Problem(shown, lines["id"], "id", f"not a slug: {values['id']!r}"))
    for name in ("publisher", "compiler", "author", "photographer"):
        v = values.get(name)
        if v is not None and not (isinstance(v, dict) and v.get("zh") and v.get("en")):
            problems.append(Problem(shown, lines[name], name, "expected a mapping with 'zh' and 'en' (and optionally 'id')"))
    for name in ("date", "date_earliest"):
        if name in values and (not isinstance(values[name], _dt.date) or isinstance(values[name], _dt.datetime)):
            problems.append(Problem(shown, lines[name], name, f"expected an ISO date (YYYY-MM-DD), got {values[name]!r}"))
    if "date" in values and "date_earliest" in values:
        problems.append(Problem(shown, lines["date_earliest"], "date_earliest", "give 'date' when the date is known, 'date_earliest' only when it is not"))
    for name in ("title", "title_translation"):
        v = values.get(name)
        if v is not None and not (isinstance(v, dict) and v and all(isinstance(t, str) and t.strip() for t in v.values())):
            problems.append(Problem(shown, lines[name], name, "expected a mapping of language code to title, e.g. {zh: …}"))
    problems += _source_value_problems(values, lines, shown)
    problems += _control_problems(values, lines, shown)
    if problems:
        raise DataError(problems)
    return Source(str(values["id"]), values, shown, 1, lines)


_SOURCE_TEXTS = ("id", "zh", "en", "language", "file", "about", "rights", "url", "note", "label_note",
                 "date_as_stated", "date_basis")
_IRI_FORBIDDEN = set(' <>"{}|\\^`')


def _source_value_problems(values: dict, lines: dict, shown: str) -> list[Problem]:
    """Type and form of the fields of a source file: texts are texts, ``file`` is a bare file
    name (looked up in the sources folders, never a path), ``url`` an http(s) address."""
    from urllib.parse import urlsplit

    problems = []
    for name in _SOURCE_TEXTS:
        v = values.get(name)
        if v is not None and not isinstance(v, str):
            problems.append(Problem(shown, lines[name], name, f"expected a text, got {type(v).__name__} {v!r}"))
    for name in ("publisher", "compiler", "author", "photographer"):
        v = values.get(name)
        if isinstance(v, dict):
            for k, sub in v.items():
                if k not in ("id", "zh", "en"):
                    problems.append(Problem(shown, lines[name], f"{name}.{k}", "unknown field (allowed: id, zh, en)"))
                elif not isinstance(sub, str) or not sub.strip():
                    problems.append(Problem(shown, lines[name], f"{name}.{k}", f"expected a non-empty text, got {sub!r}"))
                elif k == "id" and not is_slug(sub):
                    problems.append(Problem(shown, lines[name], f"{name}.id", f"not a slug: {sub!r}"))
    file = values.get("file")
    if isinstance(file, str) and (not file.strip() or file != Path(file).name or file in (".", "..")
                                  or "\\" in file or "\0" in file):
        problems.append(Problem(shown, lines["file"], "file", f"expected the bare name of a file in a sources folder "
                                "(no folders, e.g. report.zh.txt), got " + repr(file)))
    url = values.get("url")
    if isinstance(url, str):
        parts = urlsplit(url) if not (_IRI_FORBIDDEN & set(url)) and url.isprintable() else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem(shown, lines["url"], "url", f"expected an http(s) URL without spaces, got {url!r}"))
    about = values.get("about")
    if isinstance(about, str) and not is_slug(about):
        problems.append(Problem(shown, lines["about"], "about", f"expected an event id, got {about!r}"))
    return problems


def _no_data_files(data_dir: Path, empty: bool) -> None:
    """``DataError`` when ``data_dir`` is the folder above a data folder or holds no data file (else nothing)."""
    below = next((d for d in (data_dir / "data", *sorted(data_dir.glob("*/data"))) if (d / "sources").is_dir()), None)
    if below is not None:
        raise DataError.single(str(data_dir), None, None, f"this looks like the folder above a data folder ({below} "
                                                          f"holds sources/): use --data {below}")
    if empty:
        raise DataError.single(str(data_dir), None, None, "no data files (*.yaml) found in this folder: a data folder "
                                                          "holds sources/*.yaml and the files of its sites (see data/README.md)")


def load_data(data_dir: str | Path, *, include_drafts: bool = False, file_loader=None) -> Dataset:
    """Load every data file under ``data_dir`` and check ids are unique within their space.

    ``data_dir/sources/*.yaml`` are reports; every other ``*.yaml`` below ``data_dir`` is a
    data file. All problems of all files are collected before raising.

    Parameters
    ----------
    data_dir : str or Path
        The data folder.
    include_drafts : bool, default False
        Keep entries marked ``status: draft``; by default they are left out (their ids are
        listed in ``Dataset.drafts``, so that a reference to one can say so).
    file_loader : callable, optional
        ``file_loader(path, root, is_source)`` replaces ``load_source``/``load_file`` for one
        file (the build's per-file cache); the checks across files always run.

    Raises
    ------
    DataError
        Listing every problem with its file, line and field.
    """
    data_dir = as_path(data_dir, "data_dir")
    if not data_dir.is_dir():
        raise DataError.single(str(data_dir), None, None, "data folder not found")
    root = data_dir.parent
    problems: list[Problem] = []
    sources: list[Source] = []
    entries: list[Entry] = []
    # one walk: the data files, and files named .yml/.YAML that would otherwise be silently left out
    found = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
    files = [p for p in found if p.suffix == ".yaml" and p.is_file()]
    if not found or not (data_dir / "sources").is_dir():
        _no_data_files(data_dir, empty=not found)
    for p in found:
        if p.suffix != ".yaml" and p.is_file():
            problems.append(Problem(_shown(p, root), None, None,
                                    f"data files end in .yaml: rename it to {p.stem}.yaml (as it is, it is not read)"))
    kinds = [(p, p.parent.name == "sources" and p.parent.parent == data_dir) for p in files]
    if file_loader is None:
        file_loader = _Preloaded()
    if hasattr(file_loader, "prefetch"):
        file_loader.prefetch(kinds, root)
    for p, is_source in kinds:
        try:
            loaded = file_loader(p, root, is_source)
            if is_source:
                sources.append(loaded)
            else:
                entries.extend(loaded)
        except DataError as exc:
            problems.extend(exc.problems)
    drafts = frozenset((e.space, e.id) for e in entries if e.is_draft and not e.is_use)
    if not include_drafts:
        entries = [e for e in entries if not e.is_draft]
    seen: dict[tuple[str, str], Entry] = {}
    for e in entries:
        if e.is_use:
            continue
        key = (e.space, e.id)
        if key in seen:
            first = seen[key]
            problems.append(e.problem("id" if "id" in e.lines else "zh",
                                      f"duplicate id '{e.id}' ({e.space}); first defined at {first.file}:{first.line}"))
        else:
            seen[key] = e
    src_seen: dict[str, Source] = {}
    for s in sources:
        if s.id in src_seen:
            problems.append(Problem(s.file, s.lines.get("id", 1), "id", f"duplicate source id '{s.id}'; first at {src_seen[s.id].file}"))
        src_seen[s.id] = s
    if problems:
        raise DataError(problems)
    return Dataset(tuple(entries), tuple(sources), tuple(_shown(p, root) for p in files),
                   frozenset() if include_drafts else drafts)


def _shown(path: Path, root) -> str:
    if root is not None:
        head = str(root if isinstance(root, Path) else Path(root)).rstrip(os.sep) + os.sep
        text = str(path if isinstance(path, Path) else Path(path))  # normalized ("a//b", "a/./b")
        if text.startswith(head) and head != os.sep and f"{os.sep}..{os.sep}" not in text[len(head) - 1:] \
                and not text.endswith(f"{os.sep}.."):  # found under ``root`` (the usual case): a slice, no pathlib
            return text[len(head):]
        path, root = Path(path), Path(root)
        if not (path.is_absolute() ^ root.is_absolute()) and root.parts and path.parts[: len(root.parts)] == root.parts \
                and ".." not in path.parts:
            return str(path.relative_to(root))  # found under ``root`` (the usual case): no system call
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


#: Data folders with at least this many files are parsed by several processes (one per core).
PARALLEL_FILES = 500


def _load_one(path: Path, root, is_source: bool):
    return load_source(path, root=root) if is_source else load_file(path, root=root)


def _load_chunk(chunk):
    """Parse ``[(path, root, is_source)]`` in a worker: each result, or the problems of a file."""
    out = []
    for path, root, is_source in chunk:
        try:
            out.append((True, _load_one(path, root, is_source)))
        except DataError as exc:  # an exception's own pickling would lose its problems
            out.append((False, exc.problems))
    return out


def load_files(kinds, root) -> dict:
    """Parse files: ``{path: entries, or a Source, or the DataError of that file}``.

    ``kinds`` lists ``(path, is_source)``. From ``PARALLEL_FILES`` files on, and when this
    process runs no other thread (forking a threaded process is unsafe), the files are parsed
    by one forked process per core, in order-preserving chunks.
    """
    import os

    items = [(p, root, is_source) for p, is_source in kinds]
    cores = os.cpu_count() or 1
    if len(items) < PARALLEL_FILES or cores < 2 or not _can_fork():
        return {p: _result(*_load_chunk([(p, r, s)])[0]) for p, r, s in items}
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = max(50, len(items) // (cores * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    try:
        with ProcessPoolExecutor(cores, mp_context=mp.get_context("fork")) as pool:
            done = [r for part in pool.map(_load_chunk, chunks) for r in part]
    except (BrokenProcessPool, OSError):  # a worker killed (out of memory) or no fork: parse here instead
        done = [r for chunk in chunks for r in _load_chunk(chunk)]
    return {item[0]: _result(*r) for item, r in zip(items, done)}


def _can_fork() -> bool:
    """Whether forking is safe here: a POSIX system and no other thread in this process (a
    thread holding a lock at the fork would leave it locked in the child for ever)."""
    import os
    import threading

    return os.name == "posix" and threading.active_count() == 1


def _result(ok: bool, value):
    return value if ok else DataError(value)


class _Preloaded:
    """The default file loader of ``load_data``: every file parsed up front by ``load_files``."""

    def prefetch(self, kinds, root) -> None:
        self.results = load_files(kinds, root)

    def __call__(self, path, root, is_source):
        r = self.results[path]
        if isinstance(r, DataError):
            raise r
        return r
