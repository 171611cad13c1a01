"""Data files read as YAML into values that know their lines, within limits (size, depth, no aliases
or custom tags): what the loader (``govkg.model``) and the review page read data files with."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from .errors import DataError
from .values import char_name

__all__ = ["read_yaml", "plain", "line_of", "entry_line", "MAX_FILE_BYTES", "MAX_DEPTH", "TOO_DEEP"]


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
#: The message for data nested deeper than ``MAX_DEPTH`` (our check and libyaml's own limit).
TOO_DEEP = f"lists and mappings nested more than {MAX_DEPTH} deep"

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
        for box, key, line_of in reversed(stack):
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
                fail(line, field_of(), TOO_DEEP)
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


def read_yaml(path: Path, shown: str):
    """Parse a YAML file (libyaml when available) into values that know their lines.

    Files larger than ``MAX_FILE_BYTES`` are refused; see ``_located`` for what else is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bomb.yaml"
    >>> _ = p.write_text("a: &a [x, x]\\nb: [*a, *a]\\n", encoding="utf-8")
    >>> try:
    ...     read_yaml(p, "bomb.yaml")
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
                                   f"holds U+{ord(ch):04X} ({char_name(ch)}), which YAML reads as a line break: "
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
        if "maximum nesting depth" in msg:  # libyaml's own limit (its scanner reads ahead of our check)
            raise DataError.single(shown, line, None, TOO_DEEP) from None
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


def line_of(mapping, key) -> int:
    lines = getattr(mapping, "key_lines", None)
    if lines and key in lines:
        return lines[key]
    return entry_line(mapping)


def entry_line(obj) -> int:
    return getattr(obj, "line", 0)


def plain(value):
    """Located containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value
    return str(value)
