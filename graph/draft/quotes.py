"""Quotation marks in a sentence: the quoted spans, whether a place is quoted, and the parts of quoted slogans."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

__all__ = ["strip_quotes", "quoted_spans", "in_quotes", "quote_marks", "slogan_parts"]


def strip_quotes(text: str) -> str:
    """``text`` without quotation marks, for comparing names.

    Examples
    --------
    >>> strip_quotes("“清泉夜话”议事会")
    '清泉夜话议事会'
    """
    return re.sub(r"[“”\"'‘’「」『』]", "", text)


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Offsets of each “…” quotation (marks included).

    Examples
    --------
    >>> s = "探索“三众”机制和“积分超市”模式"
    >>> [s[a:b] for a, b in quoted_spans(s)]
    ['“三众”', '“积分超市”']
    """
    return [(m.start(), m.end()) for m in re.finditer(r"“[^“”]{1,30}”", sentence)]


def slogan_parts(sentences: list[str]) -> list[tuple[int, str, int]]:
    """Parts of a quoted “A+B” slogan that the section also writes unquoted (通过党员带头、乡贤助力).

    Returns ``(sentence index, part, offset)`` for each part of at least three characters found
    outside quotation marks in a sentence of the section, at its first such place.

    Examples
    --------
    >>> slogan_parts(["“党员带头+乡贤助力”打造和美乡村", "该村通过党员带头、乡贤助力,打造宜业乡村。"])
    [(1, '党员带头', 4), (1, '乡贤助力', 9)]
    """
    parts = []
    for s in sentences:
        for a, b in quoted_spans(s):
            inner = s[a + 1:b - 1]
            if "+" in inner:
                parts += [p for p in inner.split("+") if len(p) >= 3 and not re.search(r"\d", p)]
    out = []
    for part in dict.fromkeys(parts):
        for i, s in enumerate(sentences):
            pos = s.find(part)
            while pos >= 0 and in_quotes(s, pos):
                pos = s.find(part, pos + 1)
            if pos >= 0:
                out.append((i, part, pos))
                break
    return out


def in_quotes(sentence: str, pos: int) -> bool:
    """Whether ``pos`` is inside a “…” quotation (more “ than ” before it), in O(log n) per call."""
    opens, closes = quote_marks(sentence)
    return bisect_left(opens, pos) > bisect_left(closes, pos)


@lru_cache(maxsize=32)
def quote_marks(sentence: str) -> tuple[list[int], list[int]]:
    """Offsets of “ and of ” in ``sentence`` (read once per sentence: a long one is not rescanned per name)."""
    return ([m.start() for m in re.finditer("“", sentence)], [m.start() for m in re.finditer("”", sentence)])
