"""Review a drafted data folder: one self-contained HTML page, and the curator's decisions applied to the YAML."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path

from ..errors import DataError, GovkgError
from ..writers import write_atomic, write_set
from .numbers import find_amounts
from .sentences import split_sentences
from .vocab import vocabulary
from .writer import dump_yaml

__all__ = ["review_payload", "review_page", "write_review", "apply_decisions", "ReviewServer", "EDITABLE"]

#: Fields a curator may edit on the page, by section.
EDITABLE = {
    "site": ("zh", "en", "type"), "areas": ("zh", "en", "type"),
    "organizations": ("zh", "en", "type"), "mechanisms": ("zh", "en", "kinds"),
    "outcomes": ("zh", "en", "value", "unit", "comparator", "direction"),
}
_SECTIONS = ("site", "areas", "organizations", "mechanisms", "outcomes")
#: Optional references to an entry, removed when it is rejected; required ones block a rejection.
_OPTIONAL_REFS = {"mechanisms": (("outcomes", "mechanism"),), "organizations": (
    ("mechanisms", "realized_by"), ("organizations", "members"), ("organizations", "part_of"), ("outcomes", "subject"))}
_REQUIRED_REFS = {"areas": (("site", "within"), ("areas", "within"))}


def _report_text(data_dir: Path, text_path=None) -> tuple[str, str]:
    from ..build import default_sources_dirs
    from ..model import load_data

    from . import read_report

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


def _load(path: Path):
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise GovkgError(f"{path}: malformed YAML: {exc}") from None


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
        doc = _load(path)
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
                    "fields": {k: v[k] for k in ("zh", "en", "type", "kinds", "value", "unit", "comparator", "direction",
                                                 "measure", "mechanism", "subject", "within") if k in v},
                    "note": v.get("note", ""), "evidence": where,
                    "editable": [] if "use" in v else list(EDITABLE.get(section, ())),
                })
    vocab = vocabulary()
    skipped = []
    for s in sentences:
        for k in find_amounts(s.text, vocab)[1]:
            skipped.append({"sentence": s.index, "start": k.start, "end": k.end, "reason": k.reason})
    return {"report": name, "sentences": [{"i": s.index, "text": s.text, "line": s.line} for s in sentences],
            "facts": facts, "skipped": skipped, "units": sorted(vocab.unit_en), "kinds": sorted(vocab.kind_words)}


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


def review_page(payload: dict, *, token: str | None = None) -> str:
    """One self-contained HTML page (styles, script and data inline; nothing fetched).

    With ``token`` the page saves decisions to the review server that served it; without, it
    offers them as a ``decisions.json`` download for ``govkg review DIR --apply``. Every text
    from the data is put into the page as JSON and shown through ``textContent``: a label
    holding HTML stays text.

    Examples
    --------
    >>> page = review_page({"report": "r.txt", "sentences": [], "facts": [{"fields": {"zh": "</script><b>x</b>"}}]})
    >>> "</script><b>" in page, page.count("</script>")
    (False, 2)
    """
    data = json.dumps({**payload, "token": token}, ensure_ascii=False)
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
        if not isinstance(d["section"], str) or d["section"] not in _SECTIONS:
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
    if section == "site":
        v = doc.get("site")
        return (v, None) if isinstance(v, dict) and (v.get("id") == ident or v.get("use") == ident) else (None, None)
    items = doc.get(section) or []
    for n, v in enumerate(items):
        if isinstance(v, dict) and (v.get("id") == ident or v.get("use") == ident):
            return v, n
    return None, None


def _coerce(name: str, value):
    if name == "value":
        import math

        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                finite = math.isfinite(float(value))
            except OverflowError:
                finite = False
            if not finite:
                raise GovkgError(f"value must be a finite number, got {_short(value)}")
            return value
        try:
            text = str(value).strip()
            f = float(text)
        except ValueError:
            raise GovkgError(f"value must be a number, got {_short(value)}") from None
        if not math.isfinite(f):
            raise GovkgError(f"value must be a finite number, got {_short(value)}")
        return int(text) if f.is_integer() and text.lstrip("+-").isdigit() else f
    if name == "kinds":
        if isinstance(value, str):
            value = [k.strip() for k in value.replace("，", ",").split(",") if k.strip()]
        if not isinstance(value, list) or not value:
            raise GovkgError("kinds: give one or more kind ids")
        return [str(k) for k in value]
    if not isinstance(value, str) or not value.strip():
        raise GovkgError(f"{name} must be a non-empty text")
    return value.strip()


def apply_decisions(data_dir: str | Path, decisions) -> dict:
    """Apply a curator's decisions to the YAML files of ``data_dir``.

    ``accept`` sets ``status: accepted``; ``edit`` sets the edited fields (those of ``EDITABLE``)
    and accepts; ``reject`` removes the entry, and the optional references to it (an outcome's
    ``mechanism``, a ``realized_by`` …). The changed folder is loaded and checked before any
    file is replaced; files are written atomically, and nothing is written when a decision
    or the result is invalid.

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
    """
    data_dir = Path(data_dir).resolve()
    todo = _decision_list(decisions)
    docs: dict[Path, dict] = {}
    headers: dict[Path, str] = {}
    counts = {"accepted": 0, "edited": 0, "rejected": 0}

    def doc_of(rel: str) -> tuple[Path, dict]:
        p = (data_dir / rel).resolve()
        if data_dir not in p.parents or p.suffix != ".yaml" or not p.is_file() or p.is_symlink():
            raise GovkgError(f"decision names a file outside the data folder or not a data file: {rel!r}")
        if p not in docs:
            raw = p.read_text(encoding="utf-8")
            headers[p] = "".join(line + "\n" for line in raw.splitlines() if line.startswith("#"))[:2000] if raw.startswith("#") else ""
            docs[p] = _load(p)
        return p, docs[p]

    for p in _yaml_files(data_dir):
        doc_of(p.relative_to(data_dir).as_posix())
    changed: set[Path] = set()
    rejected: list[tuple[str, str]] = []
    for d in todo:
        p, doc = doc_of(d["file"])
        entry, n = _find(doc, d["section"], str(d["id"]))
        if entry is None:
            raise GovkgError(f"{d['file']}: no {d['section']} entry with id {d['id']!r}")
        changed.add(p)
        if d["action"] == "reject":
            if d["section"] == "site":
                raise GovkgError(f"{d['file']}: rejecting a site removes its whole file: delete the file instead")
            doc[d["section"]].pop(n)
            if not doc[d["section"]]:
                del doc[d["section"]]
            if "use" not in entry:
                rejected.append((d["section"], entry.get("id")))
            counts["rejected"] += 1
            continue
        if d["action"] == "edit":
            values = d.get("values") or {}
            allowed = EDITABLE.get(d["section"], ())
            for k, v in values.items():
                if k not in allowed or "use" in entry:
                    raise GovkgError(f"{d['file']}: field {k!r} of {d['id']} cannot be edited here")
                entry[k] = _coerce(k, v)
            counts["edited"] += 1
        else:
            counts["accepted"] += 1
        entry["status"] = "accepted"
    for section, ident in rejected:
        for (other, field) in _REQUIRED_REFS.get(section, ()):
            for p, doc in docs.items():
                items = [doc.get("site")] if other == "site" else doc.get(other) or []
                if any(isinstance(v, dict) and v.get(field) == ident for v in items):
                    raise GovkgError(f"cannot reject {ident}: {p.relative_to(data_dir)} names it as '{field}'")
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
    texts = {p: headers[p] + dump_yaml(docs[p]) for p in changed}
    _check(data_dir, texts)
    write_set(texts)  # the changed files are replaced as one set
    return {**counts, "files": sorted(str(p.relative_to(data_dir)) for p in changed)}


def _check(data_dir: Path, texts: dict[Path, str]) -> None:
    """Compile a scratch copy of the folder with the new texts (drafts included): any problem stops the write."""
    from ..build import build_graph

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / data_dir.name
        shutil.copytree(data_dir, copy, ignore=lambda d, names: [n for n in names if not (n.endswith(".yaml") or (Path(d) / n).is_dir())])
        for p, t in texts.items():
            (copy / p.relative_to(data_dir)).write_text(t, encoding="utf-8")
        try:
            build_graph(copy, sources_dirs=[], include_drafts=True)
        except DataError as exc:
            raise GovkgError("the decisions would leave the data invalid; nothing was written:\n" + str(exc).replace(str(copy), str(data_dir))) from None


@dataclass
class ReviewServer:
    """A loopback server for one review: ``GET /`` the page, ``POST /decisions`` applies decisions.

    The page carries a random token; a POST without it, or not JSON, is refused (another web
    page cannot make the browser post JSON with that header without a CORS preflight, which this
    server never grants). Listens on 127.0.0.1 only; ``port=0`` picks a free port.
    """

    data_dir: Path
    port: int = 0
    text_path: Path | None = None

    def start(self) -> str:
        """Start serving in a background thread; returns the page's URL."""
        self.token = secrets.token_urlsafe(24)
        review_payload(self.data_dir, text_path=self.text_path)  # fail early, with a clear error
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # the library never prints
                pass

            def _send(self, code: int, body: bytes, ctype: str):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path not in ("/", "/index.html"):
                    return self._send(404, b"not found", "text/plain")
                try:
                    page = review_page(review_payload(server.data_dir, text_path=server.text_path), token=server.token)
                except GovkgError as exc:
                    return self._send(500, str(exc).encode(), "text/plain; charset=utf-8")
                self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

            def do_POST(self):
                if self.path != "/decisions":
                    return self._send(404, b"not found", "text/plain")
                if self.headers.get("X-Govkg-Token") != server.token or not (
                        self.headers.get("Content-Type", "").startswith("application/json")):
                    return self._send(403, json.dumps({"error": "refused"}).encode(), "application/json")
                try:
                    n = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    n = -1
                if n < 0:
                    return self._send(400, json.dumps({"error": "bad Content-Length"}).encode(), "application/json")
                if n > 5_000_000:
                    return self._send(413, json.dumps({"error": "too large"}).encode(), "application/json")
                try:
                    try:
                        body = json.loads(self.rfile.read(n).decode("utf-8"))
                    except RecursionError:
                        raise ValueError("the decisions are nested too deep") from None
                    with server.lock:
                        result = apply_decisions(server.data_dir, body)
                except (ValueError, GovkgError) as exc:
                    return self._send(400, json.dumps({"error": str(exc)}, ensure_ascii=False).encode("utf-8"),
                                      "application/json; charset=utf-8")
                self._send(200, json.dumps(result, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

        self.lock = threading.Lock()
        try:
            self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        except OSError as exc:
            raise GovkgError(f"cannot listen on 127.0.0.1:{self.port}: {exc.strerror}") from None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
