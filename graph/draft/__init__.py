"""Draft the data of a new report, from its text to reviewable YAML with evidence sentences.

``draft_report`` reads a report and proposes sites, areas, organizations, named mechanisms and
outcomes, each with the whole sentence it was read from (verbatim), ``status: draft`` and a
``confidence``; ``write_draft`` writes them as a data folder; ``govkg.draft.review`` makes the
review page and applies a curator's decisions.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GovkgError
from .drafter import Draft, SiteDraft, draft_text
from .gazetteer import Gazetteer, gazetteer_from_data
from .reportfile import MAX_REPORT_BYTES, read_report
from .writer import source_record, write_draft

__all__ = ["Draft", "SiteDraft", "Gazetteer", "draft_text", "draft_report", "write_draft", "gazetteer_from_data",
           "read_report", "MAX_REPORT_BYTES"]


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
