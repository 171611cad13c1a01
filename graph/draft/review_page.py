"""The review page of a drafted data folder: what it shows (the report's sentences and every entry,
``review_payload``) and the self-contained HTML page (``review_page``, ``write_review``)."""

from __future__ import annotations

import datetime as _dt
import json
from importlib.resources import files
from pathlib import Path

from ..errors import GovkgError
from ..writers import write_atomic
from .numbers import find_amounts
from ..sentences import split_sentences
from .vocab import vocabulary

__all__ = ["review_payload", "review_page", "write_review", "opener_page", "choices", "source_gaps", "EDITABLE",
           "OPTIONAL_FIELDS", "ENUM_OF", "SECTIONS", "data_files", "read_data_file", "is_placeholder"]


def _outcome_fields() -> tuple[str, ...]:
    """The editable fields of an outcome: those below, and ``value_max`` (a range) when the model has it."""
    from ..fields import FIELDS

    return ("zh", "en", "value", *(("value_max",) if "value_max" in FIELDS["outcomes"] else ()),
            "unit", "comparator", "measure", "direction")


#: Fields a curator may edit on the page, by section (``source``: the report's record).
EDITABLE = {
    "site": ("zh", "en", "type", "within"), "areas": ("zh", "en", "type", "within"),
    "organizations": ("zh", "en", "type"), "mechanisms": ("zh", "en", "kinds", "kind_basis"),
    "outcomes": _outcome_fields(),
    "source": ("zh", "en", "publisher", "date"),
}
#: Optional fields: an empty value removes them.
OPTIONAL_FIELDS = {"comparator", "measure", "direction", "kind_basis", "value_max", "within"}
#: The vocabulary (``govkg.vocab``) each enumerated field takes its values from, by section.
ENUM_OF = {("site", "type"): "site", ("areas", "type"): "place", ("organizations", "type"): "org",
           ("outcomes", "comparator"): "comparator", ("outcomes", "measure"): "measure",
           ("outcomes", "direction"): "direction"}
#: The sections of a data file that hold entries.
SECTIONS = ("site", "areas", "organizations", "mechanisms", "outcomes")


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


def data_files(data_dir: Path) -> list[Path]:
    """The data files of ``data_dir`` (its ``*.yaml``, less the reports' records in ``sources/``)."""
    return sorted(p for p in data_dir.rglob("*.yaml") if p.is_file() and not (p.parent.name == "sources" and p.parent.parent == data_dir))


def read_data_file(path: Path, data_dir: Path | None = None) -> dict:
    """A data file as plain values, read by the model's reader (its size, depth and alias limits)."""
    from ..yamlread import plain, read_yaml

    shown = path.relative_to(data_dir).as_posix() if data_dir is not None and data_dir in path.parents else str(path)
    doc = plain(read_yaml(path, shown))
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
    for path in data_files(data_dir):
        doc = read_data_file(path, data_dir)
        rel = path.relative_to(data_dir).as_posix()
        for section in SECTIONS:
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
        doc = read_data_file(path, data_dir)
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
            "enum_of": {f"{section}|{field}": name for (section, field), name in ENUM_OF.items()},
            "optional": sorted(OPTIONAL_FIELDS),
            "units": [[uid, en, sorted(texts.get(uid, []))] for uid, en in sorted(v.unit_en.items())],
            "kinds": [{"id": k, "zh": v.kind_labels[k][0], "en": v.kind_labels[k][1], "names": list(words)}
                      for k, words in v.kind_words.items()]}


#: Values the drafter writes where it does not know a source's field (its title, its publisher).
_UNKNOWN = ("未注明", "not stated", "unknown", "未知", "待填", "to fill")


def is_placeholder(text) -> bool:
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
    gaps = [k for k in ("zh", "en") if is_placeholder(doc.get(k))]
    p = doc.get("publisher")
    if not isinstance(p, dict) or is_placeholder(p.get("zh")) or is_placeholder(p.get("en")):
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
