"""Find the numbers of a sentence: value, unit, comparator, period and direction, with a stop list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vocab import Vocabulary

__all__ = ["Amount", "Skipped", "find_amounts", "clause_of", "to_number", "PERIODS"]

_CN = "〇零一二两三四五六七八九十百千"
_NUMBER = re.compile(rf"(?P<num>\d+(?:\.\d+)?|[{_CN}]+)")
#: Comparators written before a number (超过90%, 近百) and between a number and its unit (20余场).
_BEFORE = (("超过", "more-than"), ("多于", "more-than"), ("逾", "more-than"), ("超", "more-than"),
           ("大约", "approximately"), ("将近", "approximately"), ("约", "approximately"), ("近", "approximately"))
_BETWEEN = (("余", "more-than"), ("多", "more-than"))
_AFTER = (("以上", "more-than"), ("左右", "approximately"))
#: Measure words that after the numeral 一 are an article ("一支队伍" = "a team"), not a count.
_CLASSIFIERS = set("支家位个名项批种条所座场次件户栋份期处")
#: Words of a change and its direction, looked for before the number in its clause.
_DECREASE = ("下降", "减少", "降低", "下滑", "缩减", "降")
_INCREASE = ("上升", "增加", "增长", "提升", "提高", "增")
#: Periods a number may be stated for, as the report writes them, with their English.
PERIODS = (
    ("今年以来", "since the start of this year"), ("去年以来", "since last year"), ("今年", "this year"),
    ("去年", "last year"), ("累计", "cumulative"), ("至今", "to date"), ("目前", "at present"),
    ("近年来", "in recent years"), ("每年", "per year"), ("每月", "per month"),
)
_CLAUSE_END = "，,；;：:。！？!?"


@dataclass(frozen=True)
class Amount:
    """A number found in a sentence, with what makes it an outcome.

    ``start``/``end`` locate ``text`` (e.g. ``60余宗``) in the sentence; ``label`` is the clause it
    is stated in (verbatim) or, for one figure stated for several rates, the rate's name.
    ``notes`` say what a curator should look at (a slogan, a Chinese numeral, a shared figure).
    """

    value: int | float
    unit: str
    text: str
    start: int
    end: int
    label: str
    comparator: str = "exactly"
    measure: str = "level"
    direction: str | None = None
    period: tuple[str, str] | None = None
    confidence: float = 0.9
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Skipped:
    """A number that is not drafted as an outcome, and why (a date, a phone number, an article …)."""

    text: str
    start: int
    end: int
    reason: str


def to_number(text: str) -> int | float:
    """The value of a numeral written in digits or in Chinese (cn2an).

    Examples
    --------
    >>> to_number("1260"), to_number("11.5"), to_number("十二"), to_number("两"), to_number("一千二百")
    (1260, 11.5, 12, 2, 1200)
    """
    if text[0].isdigit():
        return float(text) if "." in text else int(text)
    import cn2an

    value = cn2an.cn2an(text, "normal")
    return int(value) if float(value).is_integer() else float(value)


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
    while a > 0 and sentence[a - 1] not in _CLAUSE_END:
        a -= 1
    b = end
    while b < len(sentence) and sentence[b] not in _CLAUSE_END:
        b += 1
    return a, b


def _prefix(sentence: str, pos: int, options) -> tuple[str, str, int] | None:
    for word, comp in options:
        if sentence.startswith(word, pos - len(word)) and pos - len(word) >= 0:
            return word, comp, pos - len(word)
    return None


def _quote_around(sentence: str, pos: int) -> str:
    """The quotation “…” holding ``pos``, or '' when it is not quoted."""
    if not _in_quotes(sentence, pos):
        return ""
    a = sentence.rfind("“", 0, pos)
    b = sentence.find("”", pos)
    return sentence[a:b + 1] if b >= 0 else sentence[a:]


def _in_quotes(sentence: str, pos: int) -> bool:
    return sentence.count("“", 0, pos) > sentence.count("”", 0, pos)


def find_amounts(sentence: str, vocab: Vocabulary) -> tuple[list[Amount], list[Skipped]]:
    """The numbers of one sentence that are outcomes, and the numbers left out with the reason.

    Parameters
    ----------
    sentence : str
        One whole sentence.
    vocab : Vocabulary
        Units (their text as written, e.g. 万元, 场次) read from the ontology.

    Returns
    -------
    (list of Amount, list of Skipped)

    Examples
    --------
    >>> from govkg.draft.vocab import vocabulary
    >>> found, skipped = find_amounts("11月2日,该社区组建一支队伍,成功化解60余宗矛盾纠纷。", vocabulary())
    >>> [(a.value, a.unit, a.comparator) for a in found]
    [(60, 'zong', 'more-than')]
    >>> sorted(s.reason.split(":")[0] for s in skipped)
    ['a classifier phrase (一 as an article)', 'a date or time', 'a date or time']
    """
    units = vocab.unit_texts()
    found: list[Amount] = []
    skipped: list[Skipped] = []
    for m in _NUMBER.finditer(sentence):
        num, start, end = m.group("num"), m.start(), m.end()
        digits = num[0].isdigit()
        before = sentence[max(0, start - 1):start]
        after = sentence[end:end + 3]
        # Letters or digits glued on: an e-mail address, a URL, a code.
        if re.match(r"[A-Za-z@_.\-/]", sentence[end:end + 1] or " ") and not re.match(r"\.\d", sentence[end:end + 2]) \
                or re.match(r"[A-Za-z@_\-/]", before or " "):
            if digits:
                skipped.append(Skipped(num, start, end, "part of an address, code or identifier"))
            continue
        if digits and (len(num.replace(".", "")) >= 7 or re.match(r"[-－—]\d{3,}", sentence[end:end + 5])):
            skipped.append(Skipped(num, start, end, "a phone number or identifier"))
            continue
        if before == "第":
            skipped.append(Skipped(sentence[start - 1:end + 1], start - 1, end, "an ordinal (第…)"))
            continue
        if after.startswith("年代"):
            skipped.append(Skipped(num + "年代", start, end + 2, "a decade (…年代)"))
            continue
        if digits and len(num) == 4 and after.startswith("年") and 1800 <= int(num) <= 2199:
            skipped.append(Skipped(num + "年", start, end + 1, "a year"))
            continue
        if after[:1] in ("月", "日", "号", "时", "点") and not any(after.startswith(u) for u in units):
            skipped.append(Skipped(num + after[:1], start, end + 1, "a date or time"))
            continue
        if not digits and num in ("一",) and after[:1] in _CLASSIFIERS:
            skipped.append(Skipped(num + after[:1], start, end + 1, "a classifier phrase (一 as an article): not a count"))
            continue
        if not digits and (after.startswith("之一") or before in "之"):
            continue
        if not digits and _in_quotes(sentence, start):
            skipped.append(Skipped(num, start, end, "a Chinese numeral inside a quoted phrase (a slogan or saying)"))
            continue
        # A multiplier 万/亿 written apart from the unit (1.2万人 is the unit 万人, 1.5亿元 needs 亿元).
        pos = end
        comparator, notes = "exactly", []
        between = next(((w, c) for w, c in _BETWEEN if sentence.startswith(w, pos)), None)
        unit_text = next((u for u in units if sentence.startswith(u, pos)), None)
        if unit_text is None and between:
            unit_text = next((u for u in units if sentence.startswith(u, pos + len(between[0]))), None)
            if unit_text is not None:
                comparator = between[1]
                pos += len(between[0])
        if unit_text is None:
            mult = re.match(r"[万亿][余多]?[\u4e00-\u9fff%]{1,2}", sentence[pos:])
            if mult:
                skipped.append(Skipped(sentence[start:pos + mult.end()], start, pos + mult.end(),
                                       f"unit {mult.group(0).replace('余', '').replace('多', '')!r} is not in ontology/units.ttl"))
            elif digits and not (before == "+" or sentence[end:end + 1] == "+"):
                skipped.append(Skipped(num, start, end, "no unit"))
            elif digits:
                skipped.append(Skipped(num, start, end, "part of a slogan (…+…) without a unit"))
            continue
        stop = pos + len(unit_text)
        value = to_number(num)
        # Comparators around: 超过90%, 近100户, 50人以上.
        pre = _prefix(sentence, start, _BEFORE)
        lo = start
        if pre and comparator == "exactly":
            comparator, lo = pre[1], pre[2]
        post = next(((w, c) for w, c in _AFTER if sentence.startswith(w, stop)), None)
        if post and comparator == "exactly":
            comparator = post[1]
            stop += len(post[0])
        confidence = 0.9
        if not digits:
            notes.append(f"Chinese numeral {num}: check the value")
            confidence = 0.8
        slogan = sentence[start - 1:start] == "+" or sentence[stop:stop + 1] == "+"
        quote = _quote_around(sentence, start)
        if (slogan or "+" in quote) and quote:
            skipped.append(Skipped(sentence[start:stop], start, stop, "part of a quoted slogan (“1人+N户”): a pattern, not a count"))
            continue
        if slogan:
            notes.append("part of a slogan (…+…): a pattern, check that it is a count")
            confidence = 0.5
        if _in_quotes(sentence, start) and not slogan:
            notes.append("inside quotation marks")
            confidence = min(confidence, 0.6)
        ca, cb = clause_of(sentence, lo, stop)
        clause = sentence[ca:cb]
        head = sentence[ca:lo]
        direction = None
        if any(w in head for w in _DECREASE):
            direction = "decrease"
        elif any(w in head for w in _INCREASE):
            direction = "increase"
        measure = "change" if direction else "level"
        period = next(((zh, en) for zh, en in PERIODS if zh in sentence[:lo]
                       and not re.search(f"[较比与]{zh}", sentence[:lo])), None)
        # One figure stated for several rates: 实现办结率、满意率100%.
        rates = re.search(r"((?:[\u4e00-\u9fff]{1,4}率、)+[\u4e00-\u9fff]{1,4}率)(?:均|都|达到|达)?$", sentence[ca:lo])
        labels = [clause]
        if rates:
            names = [r[-3:] if len(r) > 3 and r.startswith(("实现", "达到")) else r for r in rates.group(1).split("、")]
            names = [re.sub(r"^(实现|达到|确保)", "", n) for n in names]
            labels = [f"{n}{sentence[lo:stop]}" for n in names]
            notes.append(f"one figure stated for several rates ({'、'.join(names)}): one outcome each")
            confidence = min(confidence, 0.8)
        elif sentence[max(0, lo - 1):lo] in ("双", "均", "都") and comparator != "exactly":
            # 签约率双超90%: both of two figures are above it (双); 均超: each of several.
            labels = [clause, clause] if sentence[lo - 1] == "双" else [clause]
            notes.append(f"{sentence[lo - 1:lo]}{sentence[lo:lo + 1]}: the figure holds for "
                         + ("two measures: one outcome each, name them" if sentence[lo - 1] == "双" else "each of several measures"))
            confidence = min(confidence, 0.7)
        for label in labels:
            found.append(Amount(value, vocab.units[unit_text], sentence[lo:stop], lo, stop, label,
                                comparator, measure, direction, period, confidence, tuple(notes)))
    return _own_labels(sentence, found), skipped


_SEPARATORS = "、和及与共并+"


def _own_labels(sentence: str, found: list[Amount]) -> list[Amount]:
    """Give each of several numbers of one clause its own part of it as label (12名博士、10名研究员)."""
    from dataclasses import replace

    out = []
    for n, a in enumerate(found):
        ca, cb = clause_of(sentence, a.start, a.end)
        if a.label != sentence[ca:cb]:
            out.append(a)
            continue
        prev = [b.end for b in found[:n] if b.end <= a.start and b.end > ca]
        nxt = [b.start for b in found[n + 1:] if b.start >= a.end and b.start < cb]
        lo = max(prev) if prev else ca
        hi = min(nxt) if nxt else cb
        if prev:
            cut = max(sentence.rfind(c, lo, a.start) for c in _SEPARATORS)
            lo = cut + 1 if cut >= 0 else lo
        if nxt:
            cuts = [i for i in (sentence.find(c, a.end, hi) for c in _SEPARATORS) if i >= 0]
            hi = min(cuts) if cuts else hi
        out.append(replace(a, label=sentence[lo:hi]))
    return out
