"""One reader of numerals (digits and Chinese, via cn2an) shared by the compiler's number check and the drafter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Numeral", "parse_numeral", "numerals", "number_values", "MULTIPLIERS"]

#: Chinese numeral characters read as one numeral (大写 forms are not used by the reports).
_CN = "〇零一二两三四五六七八九十百千万亿"
#: A numeral: digits (with one decimal point, and thousands written 1,200), a Chinese numeral, or a fraction X分之Y.
#: 百/千 right after digits belong to the numeral (3千 = 3000); 万/亿 after a numeral are left
#: to the unit (1.2万人, 5亿元, 两万元) and reported as ``multiplier``.
_NUMERAL = re.compile(
    rf"(?P<frac>[{_CN}]+分之[{_CN}]+)"
    r"|(?P<digits>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?)(?P<dmult>[百千](?![\u4e00-\u9fff]*分之))?"
    rf"|(?P<cn>[{_CN}]+)"
    r"|(?P<half>(?<![〇零一二两三四五六七八九十百千万亿\d])半(?=[天年月个小周]))")
#: The multipliers a unit may begin with.
MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


@dataclass(frozen=True)
class Numeral:
    """A numeral of a text: ``text`` at ``start``:``end`` is worth ``value``.

    ``multiplier`` is 10 000 or 100 000 000 when 万/亿 follows the numeral (``1.2万人``: the
    numeral is ``1.2``, the unit as written ``万人``), else 1; ``chinese`` tells a numeral
    written in Chinese characters (一万二千, 百) from one written in digits.
    """

    text: str
    start: int
    end: int
    value: Decimal
    multiplier: Decimal = Decimal(1)
    chinese: bool = False


def _clean(d: Decimal) -> Decimal:
    """``d`` without exponent or trailing zeros (12000, not 1.2E+4; 1.5, not 1.50)."""
    if d == d.to_integral_value():
        return Decimal(int(d))
    return d.normalize()


def _cn2an(text: str) -> Decimal | None:
    import cn2an

    if text[0] in "十百千万亿":  # cn2an reads 十二 but not 百, 千 or 千余 written without 一
        text = ("一" if text[0] != "十" else "") + text
    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    try:
        return _clean(Decimal(str(value))) if value is not None else None
    except InvalidOperation:
        return None


def parse_numeral(text: str) -> Decimal | None:
    """The value of one numeral as written, or None when ``text`` is not one.

    Digits (``1260``, ``11.5``, ``3千``), Chinese numerals read by cn2an (``十二``, ``两``,
    ``一万二千``, ``百``, ``千``), fractions (``三分之一``) and ``半`` (a half).

    Parameters
    ----------
    text : str
        The numeral alone, without unit or comparator.

    Returns
    -------
    Decimal or None

    Examples
    --------
    >>> [str(parse_numeral(t)) for t in ("1260", "1,260", "11.5", "十二", "两", "一万二千", "百", "千", "三分之一", "半")]
    ['1260', '1260', '11.5', '12', '2', '12000', '100', '1000', '0.3333', '0.5']
    >>> parse_numeral("十十") is None, parse_numeral("社区") is None
    (True, True)
    """
    if not text:
        return None
    if text == "半":
        return Decimal("0.5")
    if "分之" in text:
        den, _, num = text.partition("分之")
        d, n = _cn2an(den) if den else None, _cn2an(num) if num else None
        if d is None or n is None or d == 0:
            return None
        return (n / d).quantize(Decimal("0.0001"))
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)([百千]?)", text)
    if m:
        try:
            value = Decimal(m.group(1).replace(",", ""))
        except InvalidOperation:
            return None
        scale = {"": 1, "百": 100, "千": 1000}[m.group(2)]
        return _clean(value * scale)
    if all(c in _CN for c in text):
        return _cn2an(text)
    return None


def numerals(text: str) -> list[Numeral]:
    """Every numeral of ``text``, in order, with its value (unreadable runs are left out).

    Examples
    --------
    >>> [(n.text, str(n.value), int(n.multiplier)) for n in numerals("近百户,一万二千人次,1.2亿元,两万人,3千余人")]
    [('百', '100', 1), ('一万二千', '12000', 1), ('1.2', '1.2', 100000000), ('两', '2', 10000), ('3千', '3000', 1)]
    """
    out = []
    for m in _NUMERAL.finditer(text):
        raw, start = m.group(0), m.start()
        chinese = m.group("digits") is None
        mult = Decimal(1)
        if m.group("cn") and len(raw) > 1 and raw[-1] in MULTIPLIERS:
            # 两万人, 十万元: the numeral is 两 / 十, 万 starts the unit (as after digits)
            mult, raw = MULTIPLIERS[raw[-1]], raw[:-1]
            while raw and raw[-1] in MULTIPLIERS:  # 千万元: 千 with 万 (a 10-million figure)
                mult, raw = mult * MULTIPLIERS[raw[-1]], raw[:-1]
            if not raw:
                continue
        elif m.group("cn") and raw in MULTIPLIERS:
            continue  # 万 or 亿 alone (万一, 亿万) is not a numeral
        end = start + len(raw)
        if mult == 1 and text[end:end + 1] in MULTIPLIERS:
            mult = MULTIPLIERS[text[end]]
        value = parse_numeral(raw)
        if value is None:
            continue
        out.append(Numeral(raw, start, end, value, mult, chinese))
    return out


def number_values(text: str) -> list[Decimal]:
    """The values a text writes: each numeral as written and, before 万/亿, also scaled.

    ``1.2万人`` writes 1.2 (in 万人) and 12000 (in 人); the compiler accepts an outcome whose
    value is either.

    Examples
    --------
    >>> [str(v) for v in number_values("现有人口1.2万人,开展活动百余场,服务1,260人次")]
    ['1.2', '12000', '100', '1260']
    """
    out = []
    for n in numerals(text):
        out.append(n.value)
        if n.multiplier != 1:
            out.append(_clean(n.value * n.multiplier))
    return out
