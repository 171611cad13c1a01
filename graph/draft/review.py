"""Review a drafted data folder: one self-contained HTML page, and the curator's decisions applied to the YAML."""

from __future__ import annotations

import json
import shutil
import tempfile
import contextlib
import datetime as _dt
from importlib.resources import files
from pathlib import Path

from ..errors import DataError, GovkgError
from ..namespace import ID
from ..writers import exclusive_lock, write_atomic, write_set
from .numbers import find_amounts
from .sentences import split_sentences
from .vocab import vocabulary
from .writer import REVIEWED_MARK, dump_yaml

__all__ = ["review_payload", "review_page", "write_review", "apply_decisions", "ReviewServer", "ReviewError",
           "EDITABLE", "check_folder", "choices", "source_gaps", "opener_page"]


def _outcome_fields() -> tuple[str, ...]:
    """The editable fields of an outcome: those below, and ``value_max`` (a range) when the model has it."""
    from ..model import _FIELDS

    return ("zh", "en", "value", *(("value_max",) if "value_max" in _FIELDS["outcomes"] else ()),
            "unit", "comparator", "measure", "direction")


#: Fields a curator may edit on the page, by section (``source``: the report's record).
EDITABLE = {
    "site": ("zh", "en", "type", "within"), "areas": ("zh", "en", "type", "within"),
    "organizations": ("zh", "en", "type"), "mechanisms": ("zh", "en", "kinds", "kind_basis"),
    "outcomes": _outcome_fields(),
    "source": ("zh", "en", "publisher", "date"),
}
#: Optional fields: an empty value removes them.
_OPTIONAL = {"comparator", "measure", "direction", "kind_basis", "value_max", "within"}
#: The vocabulary (``govkg.vocab``) each enumerated field takes its values from, by section.
_ENUM_OF = {("site", "type"): "site", ("areas", "type"): "place", ("organizations", "type"): "org",
            ("outcomes", "comparator"): "comparator", ("outcomes", "measure"): "measure",
            ("outcomes", "direction"): "direction"}
_SECTIONS = ("site", "areas", "organizations", "mechanisms", "outcomes")
#: Optional references to an entry, removed when it is rejected; required ones block a rejection.
_OPTIONAL_REFS = {"mechanisms": (("outcomes", "mechanism"),), "organizations": (
    ("mechanisms", "realized_by"), ("organizations", "members"), ("organizations", "part_of"), ("outcomes", "subject"))}
_REQUIRED_REFS = {"areas": (("site", "within"), ("areas", "within"))}


def _report_text(data_dir: Path, text_path=None) -> tuple[str, str]:
    from ..build import default_sources_dirs
    from ..model import load_data

    from .reportfile import read_report

    ds = load_data(data_dir, include_drafts=True)
    if text_path is not None:
        p = Path(text_path)
        if not p.is_file():
            raise GovkgError(f"report text not found: {p}" + (" (not a regular file)" if p.exists() else ""))
        return read_report(p), p.name
    if not ds.sources:
        raise GovkgError(f"no report in {Path(data_dir) / 'sources'}: review a folder written by govkg draft")
    for s in ds.sources:
        name = s.values.get("file")
        for d in default_sources_dirs(data_dir):
            if name and (Path(d) / name).is_file():
                return read_report(Path(d) / name), name
    names = ", ".join(str(s.values.get("file")) for s in ds.sources)
    raise GovkgError(f"the report's text ({names}) is not in {data_dir / 'sources'} nor in $GOVKG_SOURCES; "
                     f"pass --text PATH")


def _yaml_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*.yaml") if p.is_file() and not (p.parent.name == "sources" and p.parent.parent == data_dir))


def _load(path: Path, data_dir: Path | None = None) -> dict:
    """A data file as plain values, read by the model's reader (its size, depth and alias limits)."""
    from ..model import _plain, _read_yaml

    shown = path.relative_to(data_dir).as_posix() if data_dir is not None and data_dir in path.parents else str(path)
    doc = _plain(_read_yaml(path, shown))
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise GovkgError(f"{shown}: expected a mapping at the top level (keys: source, site, areas, …)")
    return doc


def review_payload(data_dir: str | Path, *, text_path=None) -> dict:
    """What the review page shows: the report's sentences and every entry of the folder.

    Each fact carries its file (relative to ``data_dir``), section, id, status, confidence,
    fields, note, the indices of its evidence sentences and where its label or number sits
    in them (for highlighting).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise GovkgError(f"data folder not found: {data_dir}")
    text, name = _report_text(data_dir, text_path)
    sentences = split_sentences(text)
    index = {s.text: s.index for s in sentences}
    facts = []
    for path in _yaml_files(data_dir):
        doc = _load(path, data_dir)
        rel = path.relative_to(data_dir).as_posix()
        for section in _SECTIONS:
            items = [doc[section]] if section == "site" and isinstance(doc.get("site"), dict) else doc.get(section) or []
            for v in items if isinstance(items, list) else []:
                if not isinstance(v, dict):
                    continue
                ev = v.get("evidence")
                evs = [ev] if isinstance(ev, str) else list(ev or [])
                where = []
                for e in evs:
                    i = index.get(e)
                    where.append({"sentence": i, **_locate(section, v, e if i is not None else None)})
                facts.append({
                    "file": rel, "section": section, "id": v.get("use") or v.get("id"), "use": "use" in v,
                    "status": v.get("status", "accepted"), "confidence": v.get("confidence"),
                    "fields": {k: v[k] for k in ("zh", "en", "type", "kinds", "value", "value_max", "unit", "comparator", "direction",
                                                 "measure", "mechanism", "subject", "within") if k in v},
                    "note": v.get("note", ""), "evidence": where, "basis": v.get("kind_basis") or {},
                    "editable": [] if "use" in v else list(EDITABLE.get(section, ())),
                })
    for path in sorted((data_dir / "sources").glob("*.yaml")):
        if not path.is_file():
            continue
        doc = _load(path, data_dir)
        fields = {k: doc[k] for k in ("zh", "en", "publisher", "date") if k in doc}
        if isinstance(fields.get("date"), _dt.date):
            fields["date"] = fields["date"].isoformat()
        facts.append({"file": path.relative_to(data_dir).as_posix(), "section": "source", "id": doc.get("id"),
                      "use": False, "status": "to fill" if source_gaps(doc) else "accepted", "confidence": None,
                      "fields": fields, "note": doc.get("note", ""), "evidence": [],
                      "missing": source_gaps(doc), "editable": list(EDITABLE["source"])})
    vocab = vocabulary()
    skipped = []
    for s in sentences:
        for k in find_amounts(s.text, vocab)[1]:
            skipped.append({"sentence": s.index, "start": k.start, "end": k.end, "reason": k.reason})
    places = [[f["id"], f["fields"].get("zh", f["id"])] for f in facts if f["section"] in ("site", "areas") and not f["use"]]
    return {"report": name, "sentences": [{"i": s.index, "text": s.text, "line": s.line} for s in sentences],
            "facts": facts, "skipped": skipped, "choices": {**choices(), "places": places}}


def choices() -> dict:
    """The values the page offers for each enumerated field, from the vocabularies and the ontology.

    ``enums`` maps a vocabulary name (``site``, ``place``, ``org``, ``comparator``, ``measure``,
    ``direction``) to its values, ``enum_of`` a ``section|field`` to its vocabulary name,
    ``optional`` lists the fields an empty value removes (``review_payload`` adds ``places``, the
    ``[id, 中文]`` of the folder's sites and areas, offered for ``within``); ``units`` lists ``[id, English label, texts as written]``;
    ``kinds`` lists ``{"id", "zh", "en", "names"}`` (``names``: the words that name the kind).

    Examples
    --------
    >>> c = choices()
    >>> "more-than" in c["enums"]["comparator"], "level" in c["enums"]["measure"]
    (True, True)
    >>> any(u[0] == "wanyuan" and "万元" in u[2] for u in c["units"])
    True
    """
    from ..vocab import ENUMS

    v = vocabulary()
    texts: dict[str, list[str]] = {}
    for text, uid in v.units.items():
        texts.setdefault(uid, []).append(text)
    return {"enums": {name: list(table) for name, table in ENUMS.items()},
            "enum_of": {f"{section}|{field}": name for (section, field), name in _ENUM_OF.items()},
            "optional": sorted(_OPTIONAL),
            "units": [[uid, en, sorted(texts.get(uid, []))] for uid, en in sorted(v.unit_en.items())],
            "kinds": [{"id": k, "zh": v.kind_labels[k][0], "en": v.kind_labels[k][1], "names": list(words)}
                      for k, words in v.kind_words.items()]}


#: Values the drafter writes where it does not know a source's field (its title, its publisher).
_UNKNOWN = ("未注明", "not stated", "unknown", "未知", "待填", "to fill")


def _unknown(text) -> bool:
    """Whether a source's text is a placeholder: missing, a value of ``_UNKNOWN``, or marked
    ``(translate) …`` / ``(to review) …`` / ``(to fill) …`` by the drafter."""
    if not isinstance(text, str) or not text.strip():
        return True
    t = text.strip().lower()
    return t in _UNKNOWN or t.startswith(("(translate)", "(to review)", "(to fill)", "（待填", "(待填"))


def source_gaps(doc: dict) -> list[str]:
    """The fields of a source record a curator must still fill: ``zh``/``en`` (the title),
    ``publisher``, ``date`` (a ``date``, ``date_earliest`` or ``date_as_stated``).

    Examples
    --------
    >>> source_gaps({"zh": "某报道", "en": "(translate) Moubaodao", "publisher": {"zh": "未注明", "en": "not stated"}})
    ['en', 'publisher', 'date']
    >>> source_gaps({"zh": "某报道", "en": "A report", "publisher": {"zh": "某日报", "en": "Some Daily"}, "date": "2025-03-01"})
    []
    """
    gaps = [k for k in ("zh", "en") if _unknown(doc.get(k))]
    p = doc.get("publisher")
    if not isinstance(p, dict) or _unknown(p.get("zh")) or _unknown(p.get("en")):
        gaps.append("publisher")
    if not any(doc.get(k) for k in ("date", "date_earliest", "date_as_stated")):
        gaps.append("date")
    return gaps


def _locate(section: str, v: dict, sentence: str | None) -> dict:
    """Where an entry's number (as written: 二十余户, 60余宗) or label sits in its sentence; -1 when not found."""
    if sentence is None:
        return {"start": -1, "end": -1}
    if section == "outcomes" and "value" in v:
        for a in find_amounts(sentence, vocabulary())[0]:
            if a.unit == v.get("unit") and float(a.value) == float(v["value"]):
                return {"start": a.start, "end": a.end}
    anchor = _anchor(section, v)
    pos = sentence.find(anchor) if anchor else -1
    return {"start": pos, "end": pos + len(anchor) if pos >= 0 else -1}


def _anchor(section: str, v: dict) -> str:
    if section == "outcomes" and "value" in v:
        value = v["value"]
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return str(v.get("zh") or "")


def _asset(name: str) -> str:
    return files("govkg.draft").joinpath(name).read_text(encoding="utf-8")


def review_page(payload: dict) -> str:
    """One self-contained HTML page (styles, script and data inline; nothing fetched).

    The file page (``write_review``) offers the decisions as a ``decisions.json`` download for
    ``govkg review DIR --apply``; the review server serves it with ``{"serve": true}`` and no
    data, and the script fetches the data and saves decisions with the token of the URL's
    fragment (``govkg.draft.review_server``). Every text from the data is put into the page as
    JSON and shown through ``textContent``: a label holding HTML stays text.

    Examples
    --------
    >>> page = review_page({"report": "r.txt", "sentences": [], "facts": [{"fields": {"zh": "</script><b>x</b>"}}]})
    >>> "</script><b>" in page, page.count("</script>")
    (False, 2)
    """
    data = json.dumps(payload, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = "govkg review: " + str(payload.get("report", ""))
    import html as _html

    return (
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; connect-src 'self'; img-src data:\">\n"
        f"<title>{_html.escape(title)}</title>\n<style>\n{_asset('review.css')}\n</style>\n</head>\n<body>\n"
        "<header><h1 id=\"title\"></h1><div id=\"summary\"></div><div id=\"actions\">"
        "<button id=\"save\" type=\"button\"></button><span id=\"message\" role=\"status\"></span></div></header>\n"
        "<main><section id=\"report\" aria-label=\"report\"></section><section id=\"facts\" aria-label=\"drafted facts\"></section></main>\n"
        f"<script type=\"application/json\" id=\"govkg-review-data\">{data}</script>\n"
        f"<script>\n{_asset('review.js')}\n</script>\n</body>\n</html>\n"
    )


def opener_page(url: str) -> str:
    """A page that sends the browser on to ``url`` (the review server's address with its token),
    for a file only its user can read: the token never appears on a command line or terminal.

    Examples
    --------
    >>> "url=http://127.0.0.1:1/#token=a&amp;b" in opener_page("http://127.0.0.1:1/#token=a&b")
    True
    """
    import html as _html

    u = _html.escape(url)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={u}\">"
            f"<title>govkg review</title></head><body><a href=\"{u}\">open the review page</a></body></html>\n")


def write_review(data_dir: str | Path, out: str | Path, *, text_path=None) -> Path:
    """Write the review page of ``data_dir`` to ``out`` (atomically; ``out`` must be a regular file or new)."""
    out = Path(out)
    if out.exists() and (not out.is_file() or out.is_symlink()):
        raise GovkgError(f"{out} exists and is not a regular file; not replacing it")
    return write_atomic(out, review_page(review_payload(data_dir, text_path=text_path)))


def _decision_list(decisions) -> list[dict]:
    if isinstance(decisions, dict):
        decisions = decisions.get("decisions")
    if not isinstance(decisions, list):
        raise GovkgError("decisions: expected {\"decisions\": [{\"file\", \"section\", \"id\", \"action\"}, …]}")
    for d in decisions:
        if not isinstance(d, dict) or not {"file", "section", "id", "action"} <= set(d):
            raise GovkgError(f"decision needs file, section, id and action: {_short(d)}")
        if not isinstance(d["action"], str) or d["action"] not in ("accept", "edit", "reject"):
            raise GovkgError(f"unknown action {_short(d['action'])} (accept, edit, reject)")
        if not isinstance(d["section"], str) or d["section"] not in (*_SECTIONS, "source"):
            raise GovkgError(f"unknown section {_short(d['section'])}")
        if not isinstance(d["file"], str) or not d["file"].isprintable():
            raise GovkgError(f"a decision's file must be the path of a data file in the folder, got {_short(d['file'])}")
        if isinstance(d["id"], bool) or not isinstance(d["id"], (str, int)):
            raise GovkgError(f"a decision's id must be a text, got {_short(d['id'])}")
        if d.get("values") is not None and not isinstance(d["values"], dict):
            raise GovkgError(f"a decision's values must be a mapping of field to value, got {_short(d['values'])}")
    return decisions


def _short(v) -> str:
    """``repr(v)`` cut to 80 characters (a decision can be anything a client sends)."""
    try:
        r = repr(v)
    except ValueError:  # an integer too long to print
        r = f"<{type(v).__name__}>"
    return r if len(r) <= 80 else r[:77] + "..."


def _find(doc: dict, section: str, ident: str):
    if section == "source":
        return (doc, None) if doc.get("id") == ident and "zh" in doc else (None, None)
    if section == "site":
        v = doc.get("site")
        return (v, None) if isinstance(v, dict) and (v.get("id") == ident or v.get("use") == ident) else (None, None)
    items = doc.get(section) or []
    for n, v in enumerate(items if isinstance(items, list) else []):
        if isinstance(v, dict) and (v.get("id") == ident or v.get("use") == ident):
            return v, n
    return None, None


_REMOVE = object()


def _text(name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise GovkgError(f"{name} must be a non-empty text")
    return value.strip()


def _number(name: str, value):
    import math

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise GovkgError(f"{name} must be a finite number, got {_short(value)}")
        return value
    try:
        text = str(value).strip()
        f = float(text)
    except ValueError:
        raise GovkgError(f"{name} must be a number, got {_short(value)}") from None
    if not math.isfinite(f):
        raise GovkgError(f"{name} must be a finite number, got {_short(value)}")
    return int(text) if f.is_integer() and text.lstrip("+-").isdigit() else f


def _kind_ids(value) -> list[str]:
    """Kind ids from ids or labels (中文 or English), as a list or a comma-separated text."""
    if isinstance(value, str):
        value = [k.strip() for k in value.replace("，", ",").replace("、", ",").split(",") if k.strip()]
    if not isinstance(value, list) or not value:
        raise GovkgError("kinds: choose one or more kinds")
    v = vocabulary()
    by_label = {lab: k for k, labs in v.kind_labels.items() for lab in labs}
    out = []
    for k in value:
        kid = k if isinstance(k, str) and k in v.kind_labels else by_label.get(k) if isinstance(k, str) else None
        if kid is None:
            raise GovkgError(f"kinds: {_short(k)} is not a kind of the ontology (choose from the list)")
        if kid not in out:
            out.append(kid)
    return out


def _coerce(section: str, name: str, value):
    """A value sent for field ``name`` as the data file writes it; ``_REMOVE`` for an emptied optional field.

    Enumerated fields take the values of ``govkg.vocab`` (``choices()``), units an id of
    ``ontology/units.ttl`` or its text as written (万元), kinds their ids or labels.
    """
    empty = value is None or (isinstance(value, str) and not value.strip()) or value == {} or value == []
    if empty and name in _OPTIONAL:
        return _REMOVE
    if name in ("value", "value_max"):
        return _number(name, value)
    if name == "kinds":
        return _kind_ids(value)
    if name == "kind_basis":
        if not isinstance(value, dict):
            raise GovkgError(f"kind_basis must be a mapping of kind id to the reason, got {_short(value)}")
        return {_kind_ids([k])[0]: _text(f"kind_basis of {k}", b) for k, b in value.items()}
    if (section, name) in _ENUM_OF:
        from ..vocab import ENUMS

        table = ENUMS[_ENUM_OF[section, name]]
        if value not in table:
            raise GovkgError(f"{name} must be one of: {', '.join(table)}; got {_short(value)}")
        return value
    if name == "unit":
        v = vocabulary()
        if isinstance(value, str) and value.strip() in v.units:
            return v.units[value.strip()]
        if value not in v.unit_en:
            raise GovkgError(f"unknown unit {_short(value)} (choose a unit of ontology/units.ttl)")
        return value
    if name == "within":
        from ..slug import is_slug

        if not isinstance(value, str) or not is_slug(value.strip()):
            raise GovkgError(f"within must be the id of an area (choose from the list), got {_short(value)}")
        return value.strip()
    if name == "publisher":
        if isinstance(value, str):
            zh, _, en = value.partition("/")
            value = {"zh": zh, "en": en}
        if not isinstance(value, dict) or set(value) - {"zh", "en"}:
            raise GovkgError("publisher must be '中文名/English name' or {zh, en}")
        out = {k: _text(f"publisher {k}", value.get(k)) for k in ("zh", "en")}
        if _unknown(out["zh"]) or _unknown(out["en"]):
            raise GovkgError(f"publisher: give the publisher's name, not {out['zh']!r}/{out['en']!r}")
        return out
    if name == "date":
        try:
            return _dt.date.fromisoformat(_text(name, value))
        except ValueError:
            raise GovkgError(f"date must be an ISO date (YYYY-MM-DD), got {_short(value)}") from None
    text = _text(name, value)
    if section == "source" and _unknown(text):
        raise GovkgError(f"{name}: give the report's title, not {text!r}")
    return text


def _set_kinds(entry: dict, kinds: list[str] | None, basis: dict | object | None) -> None:
    """``entry``'s kinds (when given) and their ``kind_basis``: the basis of a removed kind is
    dropped, a basis sent with the edit replaces the old one, the others are kept.

    A kind the report's words do not name needs a basis quoting them (the compile and the rule
    ``kind-basis-without-report-words`` check it): a drafter's guess kept as it is cannot be
    accepted, so the curator replaces the kind or writes its basis."""
    old = entry.get("kind_basis")
    if not isinstance(old, dict):
        old = {}
    given = basis if isinstance(basis, dict) else {}  # None or _REMOVE: none given
    kinds = kinds if kinds is not None else list(entry.get("kinds") or [])
    new = {}
    for k in kinds:
        if k in given:
            new[k] = given[k]
        elif k in old and basis is not _REMOVE:
            new[k] = old[k]
    stray = set(given) - set(kinds)
    if stray:
        raise GovkgError(f"kind_basis names {', '.join(sorted(stray))}, which is not among the kinds chosen")
    entry["kinds"] = kinds
    entry.pop("kind_basis", None)
    if new:
        entry["kind_basis"] = new


class ReviewError(GovkgError):
    """Decisions refused: ``problems`` lists ``{"file", "line", "field", "message", "section", "id"}``
    (``section`` and ``id`` name the entry the problem is in, when it is one of the folder's)."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or []


def apply_decisions(data_dir: str | Path, decisions) -> dict:
    """Apply a curator's decisions to the YAML files of ``data_dir``.

    ``accept`` sets ``status: accepted``; ``edit`` sets the edited fields (those of ``EDITABLE``)
    and accepts; ``reject`` removes the entry, and the optional references to it (an outcome's
    ``mechanism``, a ``realized_by`` …). Editing ``kinds`` drops the ``kind_basis`` of the kinds
    it removes; a kind the report's words do not name needs a ``kind_basis`` (sent with the
    edit), else the compile refuses it (see ``_set_kinds``). The section ``source`` edits the
    report's record (title, publisher, date); an entry can be accepted only once its report's
    record has them (``source_gaps``).

    The changed folder is compiled and validated, with the report's text, exactly as
    ``govkg build --include-drafts`` would, before any file is replaced; files are written
    atomically as one set, and nothing is written when a decision or the result is invalid.
    Decisions are applied under a lock on the folder, and a file changed by someone else since
    it was read is not overwritten.

    Parameters
    ----------
    data_dir : path
        The drafted data folder.
    decisions : dict or list
        ``{"decisions": [{"file": "sites/x.yaml", "section": "outcomes", "id": "…",
        "action": "edit", "values": {"value": 12}}, …]}``.

    Returns
    -------
    dict
        ``{"accepted": n, "edited": n, "rejected": n, "files": [changed files]}``.

    Raises
    ------
    ReviewError
        A refused decision or a result that would not build; ``problems`` says where.
    """
    data_dir = Path(data_dir).resolve()
    todo = _decision_list(decisions)
    with _folder_lock(data_dir):
        folder = _Folder(data_dir)
        counts = {"accepted": 0, "edited": 0, "rejected": 0}
        changed: set[Path] = set()
        rejected: list[tuple[str, str]] = []
        accepted_files: set[Path] = set()
        for d in todo:
            p, doc = folder.doc(d["file"])
            section = d["section"]
            entry, n = _find(doc, section, str(d["id"]))
            if entry is None or (section == "source") != (p.parent == data_dir / "sources"):
                raise ReviewError(f"{d['file']}: no {section} entry with id {d['id']!r}")
            changed.add(p)
            if d["action"] == "reject":
                if section in ("site", "source"):
                    raise ReviewError(f"{d['file']}: rejecting a {section} removes its whole file: delete the file instead")
                doc[section].pop(n)
                if not doc[section]:
                    del doc[section]
                if "use" not in entry:
                    rejected.append((section, entry.get("id")))
                counts["rejected"] += 1
                continue
            if d["action"] == "edit":
                values = d.get("values") or {}
                allowed = EDITABLE.get(section, ())
                new = {}
                for k, v in values.items():
                    if k not in allowed or "use" in entry:
                        raise ReviewError(f"{d['file']}: field {k!r} of {d['id']} cannot be edited here")
                    new[k] = _coerce(section, k, v)
                if "kinds" in new or "kind_basis" in new:
                    _set_kinds(entry, new.pop("kinds", None), new.pop("kind_basis", None))
                for k, v in new.items():
                    if v is _REMOVE:
                        entry.pop(k, None)
                    else:
                        entry[k] = v
                counts["edited"] += 1
            else:
                counts["accepted"] += 1
            if section != "source":
                entry["status"] = "accepted"
                accepted_files.add(p)
        _unreference(folder, rejected, changed)
        for p in sorted(accepted_files):
            sid = folder.docs[p].get("source")
            src = folder.source(sid)
            if src is not None and source_gaps(folder.docs[src]):
                rel = src.relative_to(data_dir).as_posix()
                raise ReviewError(
                    f"{p.relative_to(data_dir).as_posix()}: fill the report's {', '.join(source_gaps(folder.docs[src]))} "
                    f"({rel}) before accepting its entries", [{"file": rel, "line": None, "field": f, "section": "source",
                                                             "id": sid, "message": "to fill"} for f in source_gaps(folder.docs[src])])
        texts = {p: folder.text(p) for p in changed}
        check_folder(data_dir, texts)
        folder.write(texts)
    return {**counts, "files": sorted(p.relative_to(data_dir).as_posix() for p in changed)}


def _unreference(folder, rejected, changed) -> None:
    """Remove the optional references to rejected entries; refuse when a required one names one."""
    docs, data_dir = folder.docs, folder.data_dir
    for section, ident in rejected:
        for (other, field) in _REQUIRED_REFS.get(section, ()):
            for p, doc in docs.items():
                items = [doc.get("site")] if other == "site" else doc.get(other) or []
                if any(isinstance(v, dict) and v.get(field) == ident for v in items):
                    raise ReviewError(f"cannot reject {ident}: {p.relative_to(data_dir).as_posix()} names it as '{field}'")
        for (other, field) in _OPTIONAL_REFS.get(section, ()):
            for p, doc in docs.items():
                for v in doc.get(other) or []:
                    if not isinstance(v, dict) or field not in v:
                        continue
                    if v[field] == ident:
                        del v[field]
                        changed.add(p)
                    elif isinstance(v[field], list) and ident in v[field]:
                        v[field] = [x for x in v[field] if x != ident]
                        if not v[field]:
                            del v[field]
                        changed.add(p)
        if section == "mechanisms":  # a use of a rejected mechanism goes with it
            for p, doc in docs.items():
                items = doc.get("mechanisms") or []
                keep = [v for v in items if not (isinstance(v, dict) and v.get("use") == ident)]
                if len(keep) != len(items):
                    doc["mechanisms"] = keep
                    if not keep:
                        del doc["mechanisms"]
                    changed.add(p)


class _Folder:
    """The data files of a folder as read for one set of decisions: their values, header
    comments and content hashes (to refuse writing over a change made meanwhile)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.docs: dict[Path, dict] = {}
        self.headers: dict[Path, str] = {}
        self.hashes: dict[Path, str] = {}
        for p in _yaml_files(data_dir) + sorted((data_dir / "sources").glob("*.yaml")):
            self.doc(p.relative_to(data_dir).as_posix())

    def doc(self, rel: str) -> tuple[Path, dict]:
        import hashlib

        data_dir = self.data_dir
        p = (data_dir / rel).resolve()
        if data_dir not in p.parents or p.suffix != ".yaml" or not p.is_file() or p.is_symlink():
            raise ReviewError(f"decision names a file outside the data folder or not a data file: {rel!r}")
        if p not in self.docs:
            raw = p.read_bytes()
            self.hashes[p] = hashlib.sha256(raw).hexdigest()
            self.docs[p] = _load(p, data_dir)
            text = raw.decode("utf-8")
            head = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))[:2000] \
                if text.startswith("#") else ""
            if head and REVIEWED_MARK not in head:
                head += REVIEWED_MARK + "\n"
            self.headers[p] = head
        return p, self.docs[p]

    def source(self, sid) -> Path | None:
        p = self.data_dir / "sources" / f"{sid}.yaml"
        return p if isinstance(sid, str) and p in self.docs else None

    def text(self, p: Path) -> str:
        return self.headers[p] + dump_yaml(self.docs[p])

    def write(self, texts: dict[Path, str]) -> None:
        """Replace the files as one set, unless one changed on disk since it was read."""
        import hashlib

        for p in texts:
            try:
                now = hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError:
                now = None
            if now != self.hashes[p]:
                raise ReviewError(f"{p.relative_to(self.data_dir).as_posix()} was changed by someone else while the "
                                  f"decisions were applied; nothing was written: reload the page and decide again")
        write_set(texts)  # the changed files are replaced as one set


@contextlib.contextmanager
def _folder_lock(data_dir: Path):
    """An exclusive advisory lock on ``data_dir`` (``writers.exclusive_lock`` of ``.govkg-review.lock``,
    mode 0600, a link there refused): two appliers (two servers, ``--apply`` while ``--serve`` runs)
    take turns instead of losing an edit."""
    with exclusive_lock(data_dir / ".govkg-review.lock", what=f"{data_dir} for the decisions", follow_link=False):
        yield


def check_folder(data_dir: str | Path, texts: dict, *, extra_sources=(), include_drafts: bool = True,
                 shown_as: dict | None = None) -> None:
    """Compile and validate ``data_dir`` as it would be with ``texts`` (``{path: new text}``,
    paths inside ``data_dir``; new files allowed), as ``govkg build`` does: the loader
    (``govkg.model``), the compiler (``govkg.compile``) with the report texts of
    ``default_sources_dirs(data_dir)`` and ``extra_sources``, the SHACL shapes and quality rules.

    The data files are copied to a private scratch folder (mode 0700) with the new texts in
    place, since the loader reads files from a folder; nothing under ``data_dir`` is written.

    Raises
    ------
    ReviewError
        With every problem (file relative to ``data_dir``, line, field, and the entry it is in).
    """
    from ..build import build_graph, default_sources_dirs
    from ..errors import ValidationError
    from ..validate import validate

    data_dir = Path(data_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="govkg-review-") as tmp:
        copy = Path(tmp) / data_dir.name
        shutil.copytree(data_dir, copy, symlinks=True, ignore=lambda d, names: [
            n for n in names if not (n.endswith(".yaml") or (Path(d) / n).is_dir()) or n.startswith(".")])
        for p, t in texts.items():
            target = copy / Path(p).resolve().relative_to(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(t, encoding="utf-8")
        try:
            g = build_graph(copy, sources_dirs=[*default_sources_dirs(data_dir), *extra_sources],
                            include_drafts=include_drafts)
            report = validate(g)
            if not report.conforms:
                raise ValidationError(report)
        except DataError as exc:
            head = f"{data_dir.name}/"
            problems = []
            for pr in exc.problems:
                rel = pr.file[len(head):] if pr.file.startswith(head) else pr.file
                text = texts.get(data_dir / rel)
                where = _entry_at(text, pr.line) if text is not None else {}
                problems.append({"file": rel, "line": pr.line, "field": pr.field, "message": pr.message, **where})
            raise ReviewError("the decisions would leave the data invalid; nothing was written:\n"
                              + str(exc).replace(str(copy), str(data_dir)), problems) from None
        except ValidationError as exc:
            problems = []
            for v in exc.report.violations:
                space, _, ident = v.focus[len(str(ID)):].partition("/") if v.focus.startswith(str(ID)) else ("", "", "")
                section = _SECTION_OF_SPACE.get(space)
                file = next((Path(p).resolve().relative_to(data_dir).as_posix() for p, t in texts.items()
                             if section and _entry_line(t, section, ident)), None)
                problems.append({"file": file,
                                 "line": _entry_line(texts[data_dir / file], section, ident) if file and section else None,
                                 "field": v.path or None, "message": v.message, "rule": v.rule,
                                 **({"section": section, "id": ident} if section else {})})
            raise ReviewError("the decisions would leave the graph invalid; nothing was written:\n" + str(exc),
                              problems) from None


#: The section of the data files each IRI space of ``govkg.namespace`` comes from.
_SECTION_OF_SPACE = {"site": "site", "area": "areas", "org": "organizations", "mechanism": "mechanisms",
                     "outcome": "outcomes"}


def _entry_line(text: str, section: str, ident: str) -> int | None:
    """The line of the entry ``ident`` of ``section`` in a data file's ``text``; None when it is not there."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for key, node in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != section:
            continue
        items = [node] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        for item in items:
            if isinstance(item, yaml.MappingNode) and any(k.value in ("id", "use") and v.value == ident for k, v in item.value):
                return item.start_mark.line + 1
    return None


def _entry_at(text: str, line: int | None) -> dict:
    """``{"section", "id"}`` of the entry of a data file's ``text`` that spans ``line`` (a report's
    record is one entry of section ``source``); ``{}`` when no entry does."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    keys = {k.value: v for k, v in root.value}
    if "zh" in keys and "id" in keys and isinstance(keys["id"], yaml.ScalarNode):
        return {"section": "source", "id": keys["id"].value}
    if line is None:
        return {}
    for key, node in root.value:
        items = [node] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        for item in items:
            if isinstance(item, yaml.MappingNode) and item.start_mark.line + 1 <= line <= item.end_mark.line + 1:
                ident = next((v.value for k, v in item.value if k.value in ("id", "use")), None)
                return {"section": key.value, "id": ident}
    return {}


from .review_server import ReviewServer  # noqa: E402  (the server uses the functions above)
