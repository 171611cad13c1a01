"""Draft the data of a new report, from its text to reviewable YAML with evidence sentences.

``draft_report`` reads a report and proposes sites, areas, organizations, named mechanisms and
outcomes, each with the whole sentence it was read from (verbatim), ``status: draft`` and a
``confidence``; ``write_draft`` writes them as a data folder; ``govkg.draft.review`` makes the
review page and applies a curator's decisions.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import GovkgError
from .drafter import Draft, SiteDraft, draft_text
from .gazetteer import Gazetteer, gazetteer_from_data
from .writer import source_record, write_draft

__all__ = ["Draft", "SiteDraft", "Gazetteer", "draft_text", "draft_report", "write_draft", "gazetteer_from_data",
           "read_report"]


def read_report(path: str | Path) -> str:
    """The text of a report file (UTF-8, a byte-order mark dropped); a missing or unreadable file is a ``GovkgError``."""
    p = Path(path)
    if not p.is_file():
        if p.exists():
            raise GovkgError(f"{p} is not a regular file: give the report as a UTF-8 text file")
        raise GovkgError(f"report not found: {p}")
    try:
        size = p.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise GovkgError(f"{p} holds {size:,} bytes: a report's text is at most {MAX_REPORT_BYTES:,}")
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GovkgError(f"{p} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GovkgError(f"cannot read {p}: {exc.strerror or exc}") from None
    m = _CONTROL.search(text)
    if m:  # evidence is quoted verbatim: a control character would end up in every file and page
        line = text.count("\n", 0, m.start()) + 1
        raise GovkgError(f"{p}:{line}: the text holds the control character U+{ord(m.group()):04X}; "
                         f"give the report as plain text (remove it, or replace a page break by a line break)")
    return text


#: The largest report text read (a news report is a few dozen kB).
MAX_REPORT_BYTES = 20 << 20
#: Control characters a report's plain text cannot hold (tab, line feed and carriage return are fine).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def draft_report(path: str | Path, *, source_id: str | None = None, title: str | None = None,
                 publisher: str | None = None, date: str | None = None, url: str | None = None,
                 gazetteer: Gazetteer | None = None) -> Draft:
    """Draft the data of the report at ``path`` (see ``draft_text``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "report.txt"
    >>> _ = p.write_text("甲区乙镇丙村:\\n丙村组建“睦邻团”,服务村民200余人。\\n", encoding="utf-8")
    >>> d = draft_report(p, source_id="demo", publisher="某报/Some Daily")
    >>> d.source["file"], [o["zh"] for o in d.sites["bingcun"].organizations]
    ('report.txt', ['“睦邻团”'])
    """
    p = Path(path)
    text = read_report(p)
    if not text.strip():
        raise GovkgError(f"{p} is empty")
    source = source_record(p, source_id=source_id, title=title, publisher=publisher, date=date, url=url, text=text)
    return draft_text(text, source=source, gazetteer=gazetteer)
