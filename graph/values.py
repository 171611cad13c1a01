"""Checks of single values of a data file: the kind of value a field takes, characters no text may
hold (controls, invisible and direction characters), and the texts and address of a report's record."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from .errors import Problem
from .fields import SOURCE_KINDS
from .slug import is_slug
from .vocab import ENUMS

__all__ = ["check_value", "control_problems", "source_value_problems", "visible", "unquoted_hint", "is_number",
           "DIGIT", "char_name"]


def visible(text: str) -> bool:
    """Whether ``text`` has a character one can see (not only spaces and zero-width format characters).

    Examples
    --------
    >>> visible("高新"), visible(" \u3000"), visible("\u200b\u200d")
    (True, False, False)
    """
    import unicodedata

    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs") for c in text)


def unquoted_hint(value) -> str:
    """Why a label written as plain text was not read as text: YAML reads yes/no/on/off, numbers and dates.

    Examples
    --------
    >>> unquoted_hint(False)
    ", got False (YAML reads yes, no, on, off, true and false as yes/no values: put the label in quotes, e.g. 'No')"
    """
    if isinstance(value, bool):
        return (f", got {value} (YAML reads yes, no, on, off, true and false as yes/no values: put the label in "
                f"quotes, e.g. 'No')")
    if isinstance(value, (int, float, _dt.date)):
        return f", got {value!r} (YAML reads it as a {type(value).__name__}: put the label in quotes)"
    return ""


def check_value(kind: str, name: str, value, where) -> str | None:
    """Return a message when ``value`` is not a valid ``kind``; None when it is."""
    if kind.startswith("enum:"):
        allowed = ENUMS[kind[5:]]
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


DIGIT = re.compile(r"[0-9０-９]")


def is_number(value) -> bool:
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


def char_name(ch: str) -> str:
    import unicodedata

    return unicodedata.name(ch, "private use" if "\ue000" <= ch <= "\uf8ff" else "unassigned")


def control_problems(values: dict, lines: dict, shown: str) -> list[Problem]:
    """A problem for each field whose text holds a control character (or a line break, in a label):
    it would reach terminals, CSV and XML exports and web pages as it is.

    Examples
    --------
    >>> [p.message for p in control_problems({"en": "A\x1b[2J"}, {"en": 3}, "x.yaml")]
    ['holds the control character U+001B: remove it (write the text as the report prints it)']
    >>> [p.message for p in control_problems({"zh": "高新\u200b社区"}, {"zh": 3}, "x.yaml")]
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
                    f"({char_name(ch)}): remove it (write the text as the report prints it)")
                out.append(Problem(shown, lines.get(name), name, f"holds {what}"))
                break
    return out


#: The fields of a report's record that hold a text (all but its people, titles and dates).
_SOURCE_TEXTS = tuple(name for name, kind in SOURCE_KINDS.items() if kind not in ("agent", "titles", "date"))
_SOURCE_AGENTS = tuple(name for name, kind in SOURCE_KINDS.items() if kind == "agent")
_IRI_FORBIDDEN = set(' <>"{}|\\^`')


def source_value_problems(values: dict, lines: dict, shown: str) -> list[Problem]:
    """Type and form of the fields of a source file: texts are texts, ``file`` is a bare file
    name (looked up in the sources folders, never a path), ``url`` an http(s) address."""
    from urllib.parse import urlsplit

    problems = []
    for name in _SOURCE_TEXTS:
        v = values.get(name)
        if v is not None and not isinstance(v, str):
            problems.append(Problem(shown, lines[name], name, f"expected a text, got {type(v).__name__} {v!r}"))
    for name in _SOURCE_AGENTS:
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
