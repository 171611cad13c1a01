"""A curator's review decisions applied to a drafted data folder (accept, edit, reject), checked by
compiling and validating the folder as ``govkg build`` would before any file is replaced."""

from __future__ import annotations

import contextlib
import datetime as _dt
from pathlib import Path

from ..errors import GovkgError, ReviewError
from ..writers import exclusive_lock, write_set
from .folder_check import check_folder
from .review_page import (EDITABLE, ENUM_OF, OPTIONAL_FIELDS, SECTIONS, data_files, is_placeholder, read_data_file,
                          source_gaps)
from .vocab import vocabulary
from .writer import REVIEWED_MARK, dump_yaml

__all__ = ["apply_decisions", "ReviewError", "DataFolder", "folder_lock"]

#: Optional references to an entry, removed when it is rejected; required ones block a rejection.
_OPTIONAL_REFS = {"mechanisms": (("outcomes", "mechanism"),), "organizations": (
    ("mechanisms", "realized_by"), ("organizations", "members"), ("organizations", "part_of"), ("outcomes", "subject"))}
_REQUIRED_REFS = {"areas": (("site", "within"), ("areas", "within"))}


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
        if not isinstance(d["section"], str) or d["section"] not in (*SECTIONS, "source"):
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
    if empty and name in OPTIONAL_FIELDS:
        return _REMOVE
    if name in ("value", "value_max"):
        return _number(name, value)
    if name == "kinds":
        return _kind_ids(value)
    if name == "kind_basis":
        if not isinstance(value, dict):
            raise GovkgError(f"kind_basis must be a mapping of kind id to the reason, got {_short(value)}")
        return {_kind_ids([k])[0]: _text(f"kind_basis of {k}", b) for k, b in value.items()}
    if (section, name) in ENUM_OF:
        from ..vocab import ENUMS

        table = ENUMS[ENUM_OF[section, name]]
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
        if is_placeholder(out["zh"]) or is_placeholder(out["en"]):
            raise GovkgError(f"publisher: give the publisher's name, not {out['zh']!r}/{out['en']!r}")
        return out
    if name == "date":
        try:
            return _dt.date.fromisoformat(_text(name, value))
        except ValueError:
            raise GovkgError(f"date must be an ISO date (YYYY-MM-DD), got {_short(value)}") from None
    text = _text(name, value)
    if section == "source" and is_placeholder(text):
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
    with folder_lock(data_dir):
        folder = DataFolder(data_dir)
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


class DataFolder:
    """The data files of a folder as read for one set of decisions: their values, header
    comments and content hashes (to refuse writing over a change made meanwhile)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.docs: dict[Path, dict] = {}
        self.headers: dict[Path, str] = {}
        self.hashes: dict[Path, str] = {}
        for p in data_files(data_dir) + sorted((data_dir / "sources").glob("*.yaml")):
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
            self.docs[p] = read_data_file(p, data_dir)
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
def folder_lock(data_dir: Path):
    """An exclusive advisory lock on ``data_dir`` (``writers.exclusive_lock`` of ``.govkg-review.lock``,
    mode 0600, a link there refused): two appliers (two servers, ``--apply`` while ``--serve`` runs)
    take turns instead of losing an edit."""
    with exclusive_lock(data_dir / ".govkg-review.lock", what=f"{data_dir} for the decisions", follow_link=False):
        yield
