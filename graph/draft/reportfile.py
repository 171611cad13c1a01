"""Read a report's text file for the drafter and the review: UTF-8, limited in size, no control characters."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import GovkgError

__all__ = ["read_report", "MAX_REPORT_BYTES"]


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
