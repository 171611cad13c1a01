"""The drafter's sentences: ``govkg.sentences`` (one splitter and one sentence rule for the drafter and the evidence check), named here too."""

from __future__ import annotations

from ..sentences import Sentence, clause_of, split_sentences

__all__ = ["Sentence", "split_sentences", "clause_of"]
