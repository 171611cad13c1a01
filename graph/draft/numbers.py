"""Find the numbers of a sentence: value, unit, comparator, period and direction, with a stop list.

Long function ``find_amounts``: one pass over the numerals, each read with unit, comparator, range, change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from decimal import Decimal

from bisect import bisect_left

from ..numbers import numerals, parse_numeral
from .quotes import in_quotes, quote_marks
from ..sentences import clause_of
from .vocab import Vocabulary

__all__ = ["Amount", "Skipped", "find_amounts", "clause_of", "to_number", "PERIODS"]

#: Comparators written before a number (超过90%, 近百户, 不足5%); longest first.
_BEFORE = (("超过", "more-than"), ("多于", "more-than"), ("高于", "more-than"), ("突破", "more-than"),
           ("逾", "more-than"), ("超", "more-than"),
           ("不到", "less-than"), ("不足", "less-than"), ("低于", "less-than"), ("少于", "less-than"),
           ("大约", "approximately"), ("将近", "approximately"), ("接近", "approximately"), ("约", "approximately"),
           ("近", "approximately"))
_BETWEEN = (("余", "more-than"), ("多", "more-than"))
_AFTER = (("以上", "more-than"), ("左右", "approximately"), ("以内", "less-than"), ("之内", "less-than"),
          ("以下", "less-than"), ("内", "less-than"))
#: Measure words that after the numeral 一 are an article ("一支队伍" = "a team"), not a count.
_CLASSIFIERS = set("支家位个名项批种条所座场次件户栋份期处年天周轮段起")
#: Set phrases holding a numeral that are names, not counts (中央八项规定, 十四五规划).
_SET_PHRASES = ("八项规定", "十三五", "十四五", "十二五", "三严三实", "两学一做", "四风", "五位一体", "四个全面",
                "四个意识", "四个自信", "两个维护", "两个确立", "三会一课", "一站式", "一窗通办", "一网通办", "一网统管")
#: A move to a level (增加至270个, 提高到去年的28.8万元, 缩短至2小时内) and its direction.
_LEVEL = re.compile(r"(?P<verb>提升|提高|增加|增长|增|上升|升|下降|降低|降|减少|减|缩短|缩减|压缩)(?:至|到)[^，,；;：:。]{0,6}$")
#: A change right before the number (下降了28.2%, 减少80%, 加10分, 加宽2米) and its direction.
_CHANGE = re.compile(r"(?P<verb>下降|减少|降低|下滑|缩减|缩短|压降|降|减|扣|上升|增加|增长|提升|提高|增|加宽|拓宽|加)(?:了)?"
                     r"(?:超过|约|近|逾)?$")
_DECREASE = ("下降", "减少", "降低", "下滑", "缩减", "缩短", "压降", "压缩", "降", "减", "扣")
#: A range between two numbers: 2米—4米, 7-10场, 40万元至50万元, 2至3个.
_RANGE = re.compile(r"\s*(?:[-－—–~～]+|至|到)\s*")
#: Periods a number may be stated for, as the report writes them, with their English.
PERIODS = (
    ("今年以来", "since the start of this year"), ("去年以来", "since last year"), ("今年", "this year"),
    ("去年", "last year"), ("累计", "cumulative"), ("至今", "to date"), ("目前", "at present"),
    ("近年来", "in recent years"), ("每年", "per year"), ("每月", "per month"),
)


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
    value_max: int | float | None = None


@dataclass(frozen=True)
class Skipped:
    """A number that is not drafted as an outcome, and why (a date, a phone number, an article …)."""

    text: str
    start: int
    end: int
    reason: str


def to_number(text: str) -> int | float:
    """The value of a numeral written in digits or in Chinese (``govkg.numbers.parse_numeral``).

    Examples
    --------
    >>> to_number("1260"), to_number("11.5"), to_number("十二"), to_number("两"), to_number("一万二千"), to_number("百")
    (1260, 11.5, 12, 2, 12000, 100)
    """
    value = parse_numeral(text)
    if value is None:
        raise ValueError(f"not a numeral: {text!r}")
    return _plain(value)


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _prefix(sentence: str, pos: int, options) -> tuple[str, str, int] | None:
    for word, comp in options:
        if sentence.startswith(word, pos - len(word)) and pos - len(word) >= 0:
            return word, comp, pos - len(word)
    return None


def _quote_around(sentence: str, pos: int) -> str:
    """The quotation “…” holding ``pos``, or '' when it is not quoted."""
    if not in_quotes(sentence, pos):
        return ""
    opens, closes = quote_marks(sentence)
    a = opens[bisect_left(opens, pos) - 1]
    i = bisect_left(closes, pos)
    return sentence[a:closes[i] + 1] if i < len(closes) else sentence[a:]


def find_amounts(sentence: str, vocab: Vocabulary) -> tuple[list[Amount], list[Skipped]]:
    """The numbers of one sentence that are outcomes, and the numbers left out with the reason.

    Numerals are read by ``govkg.numbers.numerals`` (the compiler's reader too); around each,
    the unit (from the ontology), the comparator (余/多/超过/以上: more-than; 约/近/左右:
    approximately; 不到/不足/低于/…内: less-than; 2米—4米, 7-10场: range with ``value_max``)
    and a change (下降了28.2%, 加10分: ``measure`` change with its ``direction``) or a move to a
    level (增加至270个: level, with its direction).

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
    >>> found, _ = find_amounts("石墙高2米—4米,近百户参与,满意度提升至95%,发案率下降了28.2%。", vocabulary())
    >>> [(a.value, a.value_max, a.unit, a.comparator, a.measure, a.direction) for a in found]  # doctest: +NORMALIZE_WHITESPACE
    [(2, 4, 'mi', 'range', 'level', None), (100, None, 'hu', 'approximately', 'level', None),
     (95, None, 'baifenbi', 'exactly', 'level', 'increase'), (28.2, None, 'baifenbi', 'exactly', 'change', 'decrease')]
    """
    wide = sentence
    sentence = sentence.translate(_HALF_WIDTH)  # ２１５户, ６７％: read as 215户, 67% (same offsets)
    units = vocab.unit_texts()
    found: list[Amount] = []
    skipped: list[Skipped] = []
    consumed = -1
    # where each period phrase is first written, and where first as a baseline (较去年): read once per sentence
    periods = []
    for zh, en in PERIODS:
        at = sentence.find(zh)
        if at >= 0:
            base = re.search(f"[较比与]{zh}", sentence)
            periods.append((zh, en, at + len(zh), base.end() if base else None))
    for nm in numerals(sentence):
        num, start, end = nm.text, nm.start, nm.end
        if start < consumed:
            continue
        digits = not nm.chinese
        before = sentence[max(0, start - 1):start]
        after = sentence[end:end + 3]
        # Letters or digits glued on: an e-mail address, a URL, a code.
        if re.match(r"[A-Za-z@_.\-/]", sentence[end:end + 1] or " ") and not re.match(r"\.\d", sentence[end:end + 2]) \
                and not re.match(r"[-－—–~～]\s*\d{1,6}(?!\d)", sentence[end:end + 8]) \
                or re.match(r"[A-Za-z@_\-/]", before or " "):
            if digits:
                skipped.append(Skipped(num, start, end, "part of an address, code or identifier"))
            continue
        if digits and "," not in num and (len(num.replace(".", "")) >= 7 or re.match(r"[-－—]\d{7,}", sentence[end:end + 9])
                       or re.match(r"\d{3,4}$", num) and re.match(r"[-－—]\d{3,}", sentence[end:end + 5])
                       and not re.match(r"\d{3,4}\s*[-－—]\s*\d{3,4}\s*[\u4e00-\u9fff%]", sentence[start:end + 12])):
            skipped.append(Skipped(num, start, end, "a phone number or identifier"))
            continue
        if digits and len(num) >= 5 and ("热线" in sentence[max(0, start - 6):end + 4] or num in ("12345", "12315", "12348", "110", "120")):
            skipped.append(Skipped(num, start, end, "a hotline number"))
            continue
        if any(sentence.startswith(p, start) or sentence.startswith(p, max(0, start - 2)) and p in sentence[max(0, start - 2):end + 4]
               for p in _SET_PHRASES):
            skipped.append(Skipped(num, start, end, "part of a set phrase (八项规定, 十四五): a name, not a count"))
            continue
        if digits and re.search(r"(?:浏览|阅读|点击|访问|阅读量|浏览量|浏览次数)[:：]?\s*$", sentence[max(0, start - 6):start]):
            skipped.append(Skipped(num, start, end, "a page counter (浏览:…次)"))
            continue
        if digits and after[:1] == "分" and re.search(r"[点时]$", sentence[max(0, start - 1):start]):
            skipped.append(Skipped(num + "分", start, end + 1, "a date or time"))
            continue
        age = re.match("周?岁", after)
        if age:  # 70岁, 70周岁
            w = age.end()
            skipped.append(Skipped(num + after[:w], start, end + w, "an age"))
            continue
        if nm.chinese and re.match(r"[条号巷弄]\s*(?:胡同|巷|街|路|\d)", sentence[end:end + 4]):
            skipped.append(Skipped(num + after[:1], start, end + 1, "part of a street name or address (草厂四条)"))
            continue
        if before == "第":
            skipped.append(Skipped(sentence[start - 1:end + 1], start - 1, end, "an ordinal (第…)"))
            continue
        if after.startswith("年代"):
            skipped.append(Skipped(num + "年代", start, end + 2, "a decade (…年代)"))
            continue
        if digits and len(num) == 4 and (after.startswith("年") or re.match(r"[-—–~～至]\d{4}年", sentence[end:end + 6])) \
                and 1800 <= int(float(num)) <= 2199:
            skipped.append(Skipped(num + "年", start, end + 1, "a year"))
            continue
        if digits and len(num) <= 2 and after[:1] in ("月", "日", "号", "时", "点", "弄", "幢", "室", "楼", "院") \
                and not any(after.startswith(u) for u in units) or \
                digits and after[:1] in ("月", "日", "号", "弄", "幢", "室") and not any(after.startswith(u) for u in units):
            skipped.append(Skipped(num + after[:1], start, end + 1,
                                   "a date or time" if after[:1] in "月日时点" else "an address or building number"))
            continue
        if digits and re.match(r"[号弄][楼院室单]", after[:2]):
            skipped.append(Skipped(num + after[:2], start, end + 2, "an address or building number"))
            continue
        if digits and after[:1] in ("号",):
            skipped.append(Skipped(num + after[:1], start, end + 1, "a date or time"))
            continue
        if not digits and num in ("一",) and after[:1] in _CLASSIFIERS and not sentence.startswith(("个多月", "个余月"), end):
            skipped.append(Skipped(num + after[:1], start, end + 1, "a classifier phrase (一 as an article): not a count"))
            continue
        if not digits and (after.startswith("之一") or before == "之"):
            continue
        if not digits and in_quotes(sentence, start):
            skipped.append(Skipped(num, start, end, "a Chinese numeral inside a quoted phrase (a slogan or saying)"))
            continue
        pos = end
        comparator, notes = "exactly", []
        between = next(((w, c) for w, c in _BETWEEN if sentence.startswith(w, pos)), None)
        unit_text = next((u for u in units if sentence.startswith(u, pos)), None)
        late_month = sentence.startswith(("个多月", "个余月"), pos) and "个月" in vocab.units
        if late_month:  # 一个多月: more than a month (余/多 inside the unit 个月)
            unit_text, comparator = "个月", "more-than"
        if unit_text is None and between:
            unit_text = next((u for u in units if sentence.startswith(u, pos + len(between[0]))), None)
            if unit_text is not None:
                comparator = between[1]
                pos += len(between[0])
        value = _plain(nm.value)
        late_unit = False
        if unit_text is None and nm.multiplier == 1 and (rm := _RANGE.match(sentence, end)) and rm.group(0).strip() \
                and rm.group(0).strip() not in ("到", "至"):
            # 7-10场: the unit is written once, after the upper end
            top = next((n for n in numerals(sentence[rm.end():rm.end() + 12]) if n.start == 0 and n.multiplier == 1), None)
            t_unit = top and next((u for u in units if sentence.startswith(u, rm.end() + top.end)), None)
            if t_unit and top is not None and top.chinese == nm.chinese and _plain(top.value) > value:
                unit_text, late_unit = t_unit, True
        fraction = unit_text is None and "分之" in num and "比例" in vocab.units
        if fraction:
            unit_text, late_unit = "比例", True  # 三分之一: a fraction, its unit not written
            notes.append("a fraction: the value is rounded to four decimals")
        if unit_text is None and nm.multiplier != 1:
            # 1.2万户, 2万 (money): the multiplier is not part of a unit of the ontology
            mult = sentence[pos:pos + 1]
            rest = next((u for u in units if sentence.startswith(u, pos + 1) and u not in ("元",)), None)
            clause = sentence[slice(*clause_of(sentence, start, end))]
            over = next((w for w, c in _BETWEEN if sentence.startswith(w, pos + 1)), None)
            if rest is None and over and comparator == "exactly":  # 2万余人次: 余/多 between 万 and the unit
                rest = next((u for u in units if sentence.startswith(u, pos + 1 + len(over)) and u not in ("元",)), None)
                if rest is not None and not rest.startswith(("万", "亿")):
                    comparator = "more-than"
                    pos += len(over)
            if rest is not None and not rest.startswith(("万", "亿")):
                value, unit_text = _plain(nm.value * nm.multiplier), rest
                pos += 1
                notes.append(f"written with {mult}: the value is in {rest}")
            elif mult == "万" and re.search("[捐资款费投筹元收入金需花价付支]", clause):
                unit_text = "万元"
                notes.append("a bare 万 read as 万元 (the clause is about money): check the unit")
            else:
                skipped.append(Skipped(sentence[start:pos + 1], start, pos + 1, f"no unit of ontology/units.ttl after {mult}"))
                continue
            stop = pos + (len(unit_text) if unit_text != "万元" or sentence.startswith("万元", pos) else 1)
        elif unit_text is None:
            if digits and not (before == "+" or sentence[end:end + 1] == "+"):
                skipped.append(Skipped(num, start, end, "no unit"))
            elif digits:
                skipped.append(Skipped(num, start, end, "part of a slogan (…+…) without a unit"))
            continue
        elif late_month:
            stop = pos + 3  # 个多月
        else:
            stop = end if late_unit else pos + len(unit_text)
        unit = vocab.units[unit_text]
        if num in ("百", "千", "万") and unit in ("nian", "tian", "zhou", "geyue", "xiaoshi"):
            skipped.append(Skipped(sentence[start:stop], start, stop, "an idiom (百年, 千年: a long time), not a count"))
            continue
        if not digits and unit == "ji":
            skipped.append(Skipped(sentence[start:stop], start, stop, "a Chinese numeral with 级 (四级联动): a name, not a count"))
            continue
        if not digits and unit in ("nian", "tian", "zhou", "geyue") and re.match(r"[\u4e00-\u9fff]", sentence[stop:stop + 1] or " ") \
                and sentence.startswith(("一", "半"), start) and re.search(r"[\d〇零一二两三四五六七八九十百千]", sentence[stop:stop + 3]):
            skipped.append(Skipped(sentence[start:stop], start, stop, "a period phrase before a count (一年十件实事)"))
            continue
        # Comparators around: 超过90%, 近百户, 50人以上, 不足5%, 2小时内.
        pre = _prefix(sentence, start, _BEFORE)
        lo = start
        if pre and comparator == "exactly":
            comparator, lo = pre[1], pre[2]
        value_max = None
        rng = _RANGE.match(sentence, stop)  # 7-10场 (late_unit): stop is still the end of 7
        if rng is not None and comparator == "exactly":
            top = next((n for n in numerals(sentence[rng.end():rng.end() + 12]) if n.start == 0), None)
            if top is not None:
                t_end = rng.end() + top.end
                t_unit = next((u for u in units if sentence.startswith(u, t_end)), None)
                same = t_unit == unit_text or t_unit is None and rng.start() == stop
                if rng.start() == end:  # 7-10场
                    same = t_unit == unit_text
                top_value = _plain(top.value)
                if same and top_value > value and not (rng.group(0).strip() in ("到", "至") and t_unit is None):
                    comparator, value_max = "range", top_value
                    stop = t_end + (len(t_unit) if t_unit else 0)
                    consumed = stop
        post = next(((w, c) for w, c in _AFTER if sentence.startswith(w, stop)), None)
        if post and comparator == "exactly" and not (post[0] == "内" and sentence.startswith(("内容", "内部"), stop)):
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
        if in_quotes(sentence, start) and not slogan:
            notes.append("inside quotation marks")
            confidence = min(confidence, 0.6)
        ca, cb = clause_of(sentence, lo, stop)
        head = sentence[ca:lo]
        direction, measure = None, "level"
        level = _LEVEL.search(head)
        change = _CHANGE.search(sentence[max(ca, start - 8):start])
        if level:
            direction = "decrease" if level.group("verb").startswith(_DECREASE) else "increase"
            lo = ca + level.start()
        elif change:
            direction = "decrease" if change.group("verb").startswith(_DECREASE) else "increase"
            measure = "change"
            lo = min(lo, max(ca, start - 8) + change.start())
        period = next(((zh, en) for zh, en, at, base in periods if at <= lo and (base is None or base > lo)), None)
        # One figure stated for several rates: 实现办结率、满意率100%.
        rates = re.search(r"((?:[\u4e00-\u9fff]{1,4}率、)+[\u4e00-\u9fff]{1,4}率)(?:均|都|达到|达)?$", sentence[ca:lo])
        labels = [sentence[ca:cb]]
        if rates:
            names = [r[-3:] if len(r) > 3 and r.startswith(("实现", "达到")) else r for r in rates.group(1).split("、")]
            names = [re.sub(r"^(实现|达到|确保)", "", n) for n in names]
            labels = [f"{n}{sentence[lo:stop]}" for n in names]
            notes.append(f"one figure stated for several rates ({'、'.join(names)}): one outcome each")
            confidence = min(confidence, 0.8)
        elif sentence[max(0, lo - 1):lo] in ("双", "均", "都") and comparator != "exactly":
            # 签约率双超90%: both of two figures are above it (双); 均超: each of several.
            labels = [labels[0], labels[0]] if sentence[lo - 1] == "双" else labels
            notes.append(f"{sentence[lo - 1:lo]}{sentence[lo:lo + 1]}: the figure holds for "
                         + ("two measures: one outcome each, name them" if sentence[lo - 1] == "双" else "each of several measures"))
            confidence = min(confidence, 0.7)
        for label in labels:
            found.append(Amount(value, unit, sentence[lo:stop], lo, stop, label,
                                comparator, measure, direction, period, confidence, tuple(notes), value_max))
    found = _own_labels(sentence, found)
    if wide != sentence:  # the spans as the report writes them
        found = [_as_written(a, sentence, wide) for a in found]
        skipped = [Skipped(wide[k.start:k.end], k.start, k.end, k.reason) for k in skipped]
    return found, skipped


#: Full-width ASCII forms (ＦＦ01–ＦＦ5E) to ASCII, one character for one: offsets are kept.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def _as_written(a: Amount, half: str, wide: str) -> Amount:
    """``a`` with its text and label in the report's own characters (full-width digits kept)."""
    from dataclasses import replace

    i = half.find(a.label)
    label = wide[i:i + len(a.label)] if i >= 0 else a.label
    return replace(a, text=wide[a.start:a.end], label=label)


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
        # the amounts are in order: look only at the neighbours inside the clause (linear in a long sentence)
        prev, k = [], n - 1
        while k >= 0 and found[k].end > ca:
            if found[k].end <= a.start:
                prev.append(found[k].end)
            k -= 1
        nxt, k = [], n + 1
        while k < len(found) and found[k].start < cb:
            if found[k].start >= a.end:
                nxt.append(found[k].start)
            k += 1
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
