"""Stable, readable IRI slugs: the pinyin of a Chinese label."""

from __future__ import annotations

import re

__all__ = ["slugify", "is_slug", "pinyin_words"]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """Return the pinyin slug of ``text``: syllables joined, other runs become ``-``.

    Chinese characters become toneless pinyin with the syllables of a word run together;
    ASCII letters and digits are kept (lower-cased); everything else (quotes, spaces,
    punctuation) separates words with a single hyphen.

    Parameters
    ----------
    text : str
        A label, typically the ``zh`` label of an entity.

    Returns
    -------
    str
        Lower-case ASCII letters, digits and single hyphens.

    Examples
    --------
    >>> slugify("高新社区")
    'gaoxinshequ'
    >>> slugify("“椰智荟”议事堂")
    'yezhihui-yishitang'
    >>> slugify("Route 66")
    'route-66'
    """
    from pypinyin import Style, lazy_pinyin

    from .args import as_text

    as_text(text, "text")
    # pypinyin documents a list as an ``errors`` callback's answer (kept as one item); its stubs say str.
    parts = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: [f" {chars} "])  # type: ignore[arg-type, return-value]
    joined = "".join(parts).lower().replace("ü", "v")
    return re.sub(r"[^a-z0-9]+", "-", joined).strip("-")


def is_slug(text: str) -> bool:
    """Whether ``text`` is a valid slug.

    Examples
    --------
    >>> is_slug("gaoxinshequ"), is_slug("Gaoxin shequ")
    (True, False)
    """
    return bool(_SLUG.match(text))


def pinyin_words(text: str) -> str:
    """The pinyin of ``text`` as capitalized words, the drafter's stand-in for an English name still
    to be translated.

    Examples
    --------
    >>> pinyin_words("高新社区"), pinyin_words("Route 66")
    ('Gaoxinshequ', 'Route 66')
    """
    return " ".join(w.capitalize() for w in slugify(text).split("-") if w)
