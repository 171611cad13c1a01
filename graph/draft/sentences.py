"""Split a report into whole sentences (on 。！？ and line ends, never on ；) with their offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences", "clause_of"]

#: The marks that end a clause.
CLAUSE_END = "，,；;：:。！？!?"

# A sentence runs to its end mark (。！？!?, with any closing quotes or brackets after it) or to
# the end of its line. Semicolons (；;) do not end a sentence: the evidence rule quotes whole ones.
_SENTENCE = re.compile(r"[^\n。！？!?]+(?:[。！？!?]+[”’」』）)]*|(?=\n)|$)")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a report: its text (verbatim), where it starts and ends, and its line.

    ``index`` counts sentences from 0; ``line`` counts lines from 1; ``start``/``end`` are
    character offsets into the report's text, so ``text == report[start:end]``.
    """

    index: int
    text: str
    start: int
    end: int
    line: int

    @property
    def is_line(self) -> bool:
        """True when the sentence fills its line and has no end mark (a heading or a caption)."""
        return not self.text.endswith(("。", "！", "？", "!", "?", "”", "’", "」", "』", "）", ")"))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text``: split after 。！？ and at line ends, not at ；.

    Leading and trailing white space of a sentence is left out (the text between stays as
    written); empty pieces are dropped.

    Parameters
    ----------
    text : str
        The report's text.

    Returns
    -------
    list of Sentence

    Examples
    --------
    >>> [s.text for s in split_sentences("标题:\\n甲做了一件事；乙也做了。丙呢？好！")]
    ['标题:', '甲做了一件事；乙也做了。', '丙呢？', '好！']
    >>> s = split_sentences("一。\\n 二。")[1]
    >>> s.text, s.line, s.start
    ('二。', 2, 4)
    """
    out: list[Sentence] = []
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        start = m.start() + (len(raw) - len(raw.lstrip()))
        end = start + len(stripped)
        out.append(Sentence(len(out), stripped, start, end, text.count("\n", 0, start) + 1))
    return out


def clause_of(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the clause (between ，；：。 marks) holding ``sentence[start:end]``.

    Examples
    --------
    >>> s = "今年以来,处理投诉24件,下降33%。"
    >>> a, b = clause_of(s, s.index("24"), s.index("24") + 2)
    >>> s[a:b]
    '处理投诉24件'
    """
    a = start
    while a > 0 and sentence[a - 1] not in CLAUSE_END:
        a -= 1
    b = end
    while b < len(sentence) and sentence[b] not in CLAUSE_END:
        b += 1
    return a, b
