"""Review a drafted data folder: one self-contained HTML page, and the curator's decisions applied to the YAML.

The work is done in four modules, named here together: ``govkg.draft.review_page`` (what the
page shows, and the page), ``govkg.draft.decisions`` (the decisions applied),
``govkg.draft.folder_check`` (the changed folder compiled and validated before anything is
written) and ``govkg.draft.review_server`` (the page served on this machine, decisions saved through it).
"""

from __future__ import annotations

from ..errors import ReviewError
from .decisions import apply_decisions
from .folder_check import check_folder
from .review_page import EDITABLE, choices, opener_page, review_page, review_payload, source_gaps, write_review
from .review_server import ReviewServer

__all__ = ["review_payload", "review_page", "write_review", "apply_decisions", "ReviewServer", "ReviewError",
           "EDITABLE", "check_folder", "choices", "source_gaps", "opener_page"]
