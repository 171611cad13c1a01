"""Comparable amounts: convert an outcome's number to its base unit and write it as a reader would."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from numbers import Number

from babel.numbers import format_compact_decimal, format_decimal
from rdflib import RDF, RDFS, Literal, Namespace, URIRef
from rdflib.namespace import SKOS

from .errors import GovkgError
from .namespace import GK, SCHEMA, UNIT
from .vocab import COMPARATORS

__all__ = ["to_base", "format_amount", "QUDT"]

#: The QUDT schema namespace (``qudt:conversionMultiplier``, ``qudt:scalingOf`` …).
QUDT = Namespace("http://qudt.org/schema/qudt/")

# A multiplier is read as the simplest fraction this close to it, so that 亩's
# 666.666…667 (27 decimals) is exactly 2000/3 and integer multipliers stay integers.
_MAX_DENOMINATOR = 10**6
_TOLERANCE = Fraction(1, 10**20)


@dataclass(frozen=True)
class _Unit:
    iri: URIRef
    text: str
    zh: str
    en: str
    en_singular: str
    symbol: str | None
    quantity_kind: URIRef
    factor: Fraction
    base: URIRef


def _exact(multiplier: Literal, iri) -> Fraction:
    try:
        exact = Fraction(Decimal(str(multiplier)))
    except (InvalidOperation, ValueError) as e:
        raise GovkgError(f"unit {iri}: qudt:conversionMultiplier {multiplier!s} is not a number") from e
    simple = exact.limit_denominator(_MAX_DENOMINATOR)
    return simple if abs(simple - exact) <= _TOLERANCE else exact


def _one(graph, s, p, lang=None):
    for o in graph.objects(s, p):
        if lang is None or getattr(o, "language", None) == lang:
            return o
    return None


@lru_cache(maxsize=1)
def _ontology():
    from .resources import ontology_graph

    return ontology_graph()


@lru_cache(maxsize=1)
def _units() -> dict[str, _Unit]:
    """Every unit of ``ontology/units.ttl`` keyed by IRI, slug and text as written."""
    g = _ontology()
    table: dict[str, _Unit] = {}
    for iri in sorted(g.subjects(RDF.type, GK.Unit)):
        mult = _one(g, iri, QUDT.conversionMultiplier)
        qk = _one(g, iri, QUDT.hasQuantityKind)
        if mult is None or qk is None:
            raise GovkgError(f"unit {iri} has no qudt:conversionMultiplier or qudt:hasQuantityKind (ontology/units.ttl)")
        en = str(_one(g, iri, RDFS.label, "en"))
        u = _Unit(iri=iri, text=str(_one(g, iri, SCHEMA.unitText)), zh=str(_one(g, iri, RDFS.label, "zh")), en=en,
                  en_singular=str(_one(g, iri, SKOS.altLabel, "en") or en),
                  symbol=None if (sym := _one(g, iri, QUDT.symbol)) is None else str(sym),
                  quantity_kind=qk, factor=_exact(mult, iri), base=_one(g, iri, QUDT.scalingOf) or iri)
        for key in (str(iri), str(iri)[len(str(UNIT._NS)):], u.text):
            table.setdefault(key, u)
    return table


def _unit(unit) -> _Unit:
    table = _units()
    u = table.get(str(unit).strip()) if isinstance(unit, str) else None
    if u is None:
        known = sorted({u.text for u in table.values()})
        raise GovkgError(f"Unknown unit {unit!r}: give a unit of ontology/units.ttl by IRI, id or text ({' '.join(known)})")
    return u


def _number(value) -> Fraction:
    if isinstance(value, Literal):
        value = value.toPython()
    if isinstance(value, bool) or not isinstance(value, (Number, Decimal)):
        raise GovkgError(f"Not a number: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise GovkgError(f"Not a finite number: {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise GovkgError(f"Not a finite number: {value!r}")
    try:
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)  # type: ignore[arg-type]  # Rational
    except (TypeError, ValueError) as e:
        raise GovkgError(f"Not a number: {value!r}") from e


def _plain(x: Fraction) -> int | float:
    return x.numerator if x.denominator == 1 else float(x)


def to_base(value, unit) -> tuple[int | float, URIRef]:
    """``value`` in ``unit`` converted to the unit's base unit.

    Amounts with the same base unit can be compared and added: 606 万元 and 5000 元 are both
    in 元; 1500 亩 is in m². Counting units (个, 支, 项, 家, 户 …) are their own base, so
    households are never added to firms. Factors come from ``ontology/units.ttl``
    (``qudt:conversionMultiplier`` to the unit named by ``qudt:scalingOf``).

    Parameters
    ----------
    value : int, float, Decimal, Fraction or numeric rdflib Literal
    unit : str or URIRef
        A unit of ``ontology/units.ttl``: its IRI, its id (``"wanyuan"``) or its text as
        the report writes it (``"万元"``).

    Returns
    -------
    (number, URIRef)
        The value in the base unit (an ``int`` when it is a whole number, else a ``float``;
        computed exactly) and the base unit's IRI: one of ours (``unit:yuan``, ``unit:ren``,
        a counting unit) or a QUDT unit (``qudt unit:M2``, ``unit:M``, ``unit:SEC``,
        ``unit:UNITLESS``).

    Raises
    ------
    GovkgError
        For a unit not in ``ontology/units.ttl`` or a value that is not a finite number.

    Examples
    --------
    >>> to_base(606, "万元")
    (6060000, rdflib.term.URIRef('https://w3id.org/govkg/unit/yuan'))
    >>> to_base(1500, "亩")
    (1000000, rdflib.term.URIRef('http://qudt.org/vocab/unit/M2'))
    >>> to_base(11.5, "gongli")[0]
    11500
    >>> to_base(3, "户")
    (3, rdflib.term.URIRef('https://w3id.org/govkg/unit/hu'))
    """
    u = _unit(unit)
    return _plain(_number(value) * u.factor), u.base


def _key(name: str) -> str:
    return name.replace("-", "").replace("_", "").replace(" ", "").casefold()


#: Comparators by their YAML name (``more-than``) and by the local name of their IRI (``MoreThan``).
_COMPARATORS = {_key(k): v for k, v in COMPARATORS.items()} | {_key(str(v)[len(str(GK._NS)):]): v for v in COMPARATORS.values()}


def _comparator(comparator) -> URIRef | None:
    if comparator is None:
        return None
    found = _COMPARATORS.get(_key(str(comparator)[len(str(GK._NS)):] if str(comparator).startswith(str(GK._NS)) else str(comparator)))
    if found is None:
        raise GovkgError(f"Unknown comparator {comparator!r}: use one of {', '.join(COMPARATORS)} (or None)")
    return found


@lru_cache(maxsize=1)
def _comparator_words() -> dict:
    g = _ontology()
    return {c: str(_one(g, c, RDFS.label, "en")) for c in COMPARATORS.values()}


def _zh_number(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return format(d.normalize(), "f")


def _decimal(x: Fraction) -> Decimal:
    return Decimal(x.numerator) / Decimal(x.denominator)


def _en_number(x: Fraction) -> str:
    """1,500 / 11.5 / 6.06 million: exact, with a word for millions when it stays exact."""
    if abs(x) >= 10**6:
        scale = 10**6 if abs(x) < 10**9 else 10**9 if abs(x) < 10**12 else 10**12  # million, billion, trillion
        for digits in range(4):
            if (x / scale * 10**digits).denominator == 1:
                return format_compact_decimal(_decimal(x), format_type="long", locale="en", fraction_digits=digits)
    return format_decimal(_decimal(x), locale="en", decimal_quantization=False)


def format_amount(value, unit, lang: str = "en", comparator=None, value_max=None) -> str:
    """An amount written as a reader of ``lang`` would write it.

    Chinese keeps the report's unit and style (606万元, 1500余亩, 超过90%, 约50人); English
    writes money and people in yuan and people ("6.06 million yuan" for 606 万元, "12,000
    people" for 1.2 万人), other units by their English name or symbol (1,500 mu, 11.5 km,
    33%, 132 people), singular for one, and the comparator first ("more than 1,500 mu").

    Parameters
    ----------
    value : int, float, Decimal, Fraction or numeric rdflib Literal
    unit : str or URIRef
        A unit of ``ontology/units.ttl``: IRI, id (``"mu"``) or text (``"亩"``).
    lang : {"en", "zh"}
    comparator : None, str or URIRef
        ``None`` or ``exactly`` (the number as such), ``more-than`` (余, 多, 超过) or
        ``approximately`` (约, 近), as in the YAML data; the local names of the ``gk:``
        individuals (``MoreThan``, as ``site_outcomes`` gives them) and their IRIs are
        accepted too.

    Returns
    -------
    str

    Raises
    ------
    GovkgError
        For an unknown unit, comparator or language, or a value that is not a finite number.

    Examples
    --------
    >>> format_amount(606, "万元")
    '6.06 million yuan'
    >>> format_amount(606, "万元", lang="zh")
    '606万元'
    >>> format_amount(1500, "亩", comparator="MoreThan")
    'more than 1,500 mu'
    >>> format_amount(1500, "亩", lang="zh", comparator="MoreThan")
    '1500余亩'
    >>> format_amount(33, "%")
    '33%'
    >>> format_amount(1, "hu")
    '1 household'
    >>> format_amount(40, "万元", comparator="range", value_max=50), format_amount(2, "小时", comparator="less-than")
    ('400,000 to 500,000 yuan', 'less than 2 hours')
    """
    u, x, comp = _unit(unit), _number(value), _comparator(comparator)
    if (comp == GK.Range) != (value_max is not None):
        raise GovkgError("a range needs comparator 'range' and its upper end (value_max); give both or neither")
    top = None if value_max is None else _number(value_max)
    if lang == "zh":
        n = _zh_number(x)
        if comp == GK.MoreThan:
            return f"超过{n}{u.text}" if u.symbol == "%" else f"{n}余{u.text}"
        if comp == GK.LessThan:
            return f"不足{n}{u.text}"
        if comp == GK.Range and top is not None:
            return f"{n}{u.text}至{_zh_number(top)}{u.text}"
        return f"约{n}{u.text}" if comp == GK.Approximately else f"{n}{u.text}"
    if lang != "en":
        raise GovkgError(f"Unknown language {lang!r}: use 'en' or 'zh'")
    if str(u.base).startswith(str(UNIT._NS)) and u.base != u.iri:  # 万元 -> 元, 万人 and 名 -> 人
        x, u = x * u.factor, _unit(u.base)
        top = None if top is None else top * _unit(unit).factor
    n = _en_number(x) if top is None else f"{_en_number(x)} to {_en_number(top)}"
    if u.symbol == "%":
        text = f"{n}%"
    elif u.symbol:
        text = f"{n} {u.symbol}"
    else:
        text = f"{n} {u.en_singular if x == 1 else u.en}"
    return text if comp in (None, GK.Exactly, GK.Range) else f"{_comparator_words()[comp]} {text}"
