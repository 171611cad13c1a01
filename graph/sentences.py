"""The sentences of a report, one rule for all: they end at 。！？ (with any closing quotes after) and at line ends, never at ；.

The drafter splits a report into sentences with it (``split_sentences``) and the compiler checks that
an evidence quote is whole sentences of its report with it (``sentence_problem``). Hand-written: a
sentence splitter for Chinese (jieba segments words, not sentences) that keeps offsets and this rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences", "clause_of", "sentence_end", "sentence_problem", "sentence_starts",
           "CLAUSE_END", "SENTENCE_END", "CLOSERS"]

#: The marks that end a sentence.
SENTENCE_END = "。！？!?"
#: Closing quotes and brackets that may follow a sentence's end mark (they belong to the sentence).
CLOSERS = "”’」』）)"
#: The marks that end a clause.
CLAUSE_END = "，,；;：:。！？!?"
#: White space between sentences (part of neither).
_SPACES = " \t\u3000\xa0"

# A sentence runs to its end marks (with any closing quotes or brackets after them) or to the end of its
# line (\r or \n). Semicolons (；;) do not end a sentence: the evidence rule quotes whole ones.
_SENTENCE = re.compile(f"[^\\r\\n{SENTENCE_END}]+[{SENTENCE_END}]*[{CLOSERS}]*")


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
        return not self.text.endswith(tuple(SENTENCE_END + CLOSERS))


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
    line, counted = 1, 0  # lines are counted as the sentences go (not from the start each time)
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        start = m.start() + (len(raw) - len(raw.lstrip()))
        line += text.count("\n", counted, start)
        counted = start
        out.append(Sentence(len(out), stripped, start, start + len(stripped), line))
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


def sentence_end(text: str, i: int) -> bool:
    """Whether a sentence (or a line) of ``text`` ends just before index ``i``.

    Examples
    --------
    >>> t = "甲说:“好。”乙来了;丙走了。"
    >>> sentence_end(t, t.index("乙")), sentence_end(t, t.index("丙")), sentence_end(t, len(t))
    (True, False, True)
    """
    if i >= len(text) or text[i] in "\r\n":
        return True
    j = i - 1
    while j >= 0 and text[j] in CLOSERS:
        j -= 1
    return j >= 0 and text[j] in SENTENCE_END and i > 0


def sentence_starts(text: str) -> dict[str, int]:
    """Where each sentence of ``text`` starts, by its text as written (white space around it included):
    ``sentence_problem`` finds most quotes in it with a lookup instead of a search of the text.

    Examples
    --------
    >>> sentence_starts("甲来了。乙走了；丙呢？\\n标题")
    {'甲来了。': 0, '乙走了；丙呢？': 4, '标题': 12}
    """
    starts: dict[str, int] = {}
    for m in _SENTENCE.finditer(text):
        starts.setdefault(m.group(), m.start())
    return starts


def sentence_problem(quote: str, text: str, starts: dict[str, int] | None = None) -> str | None:
    """Why ``quote`` is not whole sentences of ``text`` (None when it is).

    Sentences end at 。！？ (with any closing quote after them) and at line breaks; a ；
    does not end a sentence. A quote may hold several whole sentences in a row. ``starts``
    (``sentence_starts(text)``) answers a quote that is one sentence of ``text`` without a search of
    the text (which grows with the text: quadratic in the sites when every quote searches).

    Examples
    --------
    >>> t = "甲说:“好。”乙来了;丙走了。\\n标题"
    >>> sentence_problem("乙来了;丙走了。", t) is None, sentence_problem("标题", t) is None
    (True, True)
    >>> sentence_problem("乙来了", t)
    'a fragment of a sentence of the source (it does not end where the sentence ends)'
    >>> sentence_problem("丙走了。", "甲来了。\\n  丙走了。  \\n") is None
    True
    """
    i = starts.get(quote) if starts is not None else None
    if i is not None and (i == 0 or sentence_end(text, i) or text[i - 1] in "\r\n") and sentence_end(text, i + len(quote)):
        return None
    start = text.find(quote)
    if start < 0:
        return "not found verbatim in the source"
    while start >= 0:
        # white space between sentences (an indented paragraph, spaces before a line break) is not part of either
        a, b = start, start + len(quote)
        while a > 0 and text[a - 1] in _SPACES:
            a -= 1
        while b < len(text) and text[b] in _SPACES:
            b += 1
        head_ok = a == 0 or sentence_end(text, a) or text[a - 1] in "\r\n"
        tail_ok = sentence_end(text, b) or sentence_end(text, start + len(quote))
        if head_ok and tail_ok:
            return None
        first = (head_ok, tail_ok)
        start = text.find(quote, start + 1)
    if not first[0]:
        return "a fragment of a sentence of the source (it does not start where the sentence starts)"
    return "a fragment of a sentence of the source (it does not end where the sentence ends)"
