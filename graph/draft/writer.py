"""Write a draft as a data folder in our YAML format (sources/, areas.yaml, sites/<id>.yaml), atomically."""

from __future__ import annotations

import datetime as _dt
import unicodedata
from pathlib import Path

from ..errors import GovkgError
from ..writers import write_set
from .drafter import Draft
from .reportfile import read_report

__all__ = ["write_draft", "dump_yaml", "fit_fields", "source_record", "REVIEWED_MARK"]

#: The line review adds below a drafted file's header when it writes the file: ``govkg draft
#: --force`` never replaces a file carrying it (it holds a curator's decisions).
REVIEWED_MARK = "# Reviewed with `govkg review`: this file holds a curator's decisions."

_HEADER = ("# Drafted by `govkg draft` from {file}. Every entry is `status: draft` with a `confidence` until a\n"
           "# curator accepts, edits or removes it (`govkg review DIR`). Notes say what was guessed.\n")


def dump_yaml(doc) -> str:
    """``doc`` as block-style UTF-8 YAML, keys in the order given, long sentences unwrapped.

    Examples
    --------
    >>> print(dump_yaml({"zh": "清泉社区", "evidence": "甲:乙。"}), end="")
    zh: 清泉社区
    evidence: 甲:乙。
    """
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000,
                     default_flow_style=False)


def fit_fields(section: str, values: dict) -> dict:
    """``values`` with the fields the loader of this version does not know moved into ``note``.

    The drafter writes ``status``, ``confidence`` and ``direction`` (schema v2); with an older
    loader they would be refused, so they are kept as text in the note instead.
    """
    from ..fields import COMMON_FIELDS, FIELDS, SOURCE_FIELDS

    allowed = set(COMMON_FIELDS) | set(FIELDS.get(section, {}))
    if section == "source":
        allowed = set(SOURCE_FIELDS)
    out, moved = {}, []
    for k, v in values.items():
        if k in allowed or k == "use" and section == "mechanisms":
            out[k] = v
        elif v is not None:
            moved.append(f"{k}: {v}")
    if moved:
        note = "; ".join(filter(None, [out.get("note"), *moved]))
        out["note"] = note
    return out


def _check_target(path: Path, force: bool, data: str) -> None:
    if path.exists() or path.is_symlink():
        if not path.is_file() or path.is_symlink():
            raise GovkgError(f"{path} exists and is not a regular file; not replacing it")
        if not force:
            raise GovkgError(f"{path} exists; draft into a new folder or pass --force to replace the drafted files")
        # --force replaces what an earlier draft wrote, never a curated file (or another report's text)
        try:
            old = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        drafted = old is not None and (old.startswith(_HEADER.split("{file}")[0]) or old == data)
        if drafted and old is not None and old != data and _reviewed(old):
            raise GovkgError(f"{path} holds review decisions (accepted or edited entries); not replacing it, even "
                             f"with --force (draft into a new folder, or move the reviewed entries out first)")
        if not drafted:
            raise GovkgError(f"{path} exists and was not written by govkg draft; not replacing it, even with --force "
                             f"(draft into a new folder)")


def _reviewed(text: str) -> bool:
    """Whether a drafted file went through ``govkg review``: its mark, or an accepted entry."""
    import re

    return REVIEWED_MARK in text or re.search(r"^\s*status: accepted\s*$", text, re.M) is not None


def write_draft(draft: Draft, out_dir: str | Path, *, text_path: str | Path | None = None, force: bool = False) -> list[Path]:
    """Write ``draft`` into ``out_dir`` as a data folder that ``govkg build --data`` reads.

    Parameters
    ----------
    draft : Draft
    out_dir : path
        The folder to write (created when missing).
    text_path : path, optional
        The report's text file: copied to ``out_dir/sources/`` under the source's ``file``
        name, so that the build and the review find it (evidence is then checked verbatim).
    force : bool
        Replace files a previous draft wrote; without it an existing file is an error.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    GovkgError
        When ``out_dir`` or a file in it cannot be written. A drafted site whose report does
        not state the places above it is written without ``within`` (a draft may leave it for
        the reviewer; its note says so).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GovkgError(f"{out} is not a folder")
    src = draft.source
    files: dict[Path, str] = {}
    shown_file = "".join(c if c.isprintable() else "?" for c in (src.get("file") or "the report"))
    header = _HEADER.format(file=shown_file)  # a file name with a newline must not end the YAML comment
    files[out / "sources" / f"{src['id']}.yaml"] = header + dump_yaml(fit_fields("source", src))
    if draft.areas:
        doc = {"source": src["id"], "areas": [fit_fields("areas", a) for a in draft.areas]}
        files[out / "areas.yaml"] = header + dump_yaml(doc)
    for sid, sd in draft.sites.items():
        doc = {"source": src["id"], "site": fit_fields("site", sd.site)}
        for section in ("organizations", "mechanisms", "outcomes"):
            items = getattr(sd, section)
            if items:
                doc[section] = [fit_fields(section, v) for v in items]
        files[out / "sites" / f"{sid}.yaml"] = header + dump_yaml(doc)
    if text_path is not None and src.get("file"):
        files[out / "sources" / src["file"]] = read_report(text_path)  # as drafted: UTF-8, no byte-order mark
    for path, data in files.items():
        _check_target(path, force, data)
    return write_set(files)


def source_record(report: Path, *, source_id: str | None, title: str | None, publisher: str | None,
                  date: str | None, url: str | None, text: str) -> dict:
    """The source record of a report from the command-line options (labels left to translate are marked)."""
    from ..slug import is_slug, slugify
    from ..slug import pinyin_words as _pinyin

    if source_id is None:
        sid = slugify(report.stem)
        if not is_slug(sid):
            raise GovkgError(f"cannot make a source id from the file name {report.name!r}: give --source-id "
                             f"(lower-case a-z, 0-9, '-')")
    else:
        sid = source_id
    if not is_slug(sid):
        raise GovkgError(f"--source-id must be a slug (lower-case a-z, 0-9, '-'), got {sid!r}")
    for name, given in (("--title", title), ("--publisher", publisher), ("--date", date), ("--url", url)):
        bad = next((c for c in given or "" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co")), None)
        if bad is not None:
            raise GovkgError(f"{name} holds the control or invisible character U+{ord(bad):04X}: "
                             f"give it as plain text on one line")
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise GovkgError("--title is empty: give the report's title, or leave the option out to use its first line")
    if url is not None:
        from ..values import source_value_problems

        if source_value_problems({"url": url}, {"url": None}, "--url"):
            raise GovkgError(f"--url must be an http(s) URL without spaces, got {url!r}")
    first = next((" ".join(line.split()) for line in text.splitlines() if line.strip()), report.stem)
    zh = title or first[:80]
    rec: dict[str, object] = {"id": sid, "zh": zh, "en": f"(translate) {_pinyin(zh)[:80]}" if not title or not title.isascii() else title}
    if publisher is not None:
        zh_p, _, en_p = publisher.partition("/")
        if not zh_p.strip() or not (en_p.strip() or _pinyin(zh_p.strip())):
            raise GovkgError(f"--publisher must be '中文名/English name' (or just the Chinese name), got {publisher!r}")
        rec["publisher"] = {"zh": zh_p.strip(), "en": (en_p.strip() or _pinyin(zh_p.strip()))}
    else:
        rec["publisher"] = {"zh": "未注明", "en": "not stated"}
    rec["language"] = "zh"
    rec["file"] = report.name
    if url:
        rec["url"] = url
    if date:
        try:
            rec["date"] = _dt.date.fromisoformat(date)
        except ValueError:
            raise GovkgError(f"--date must be an ISO date (YYYY-MM-DD), got {date!r}") from None
    return rec
