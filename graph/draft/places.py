"""Sites and areas: heading lines naming a place chain (区 → 街道/镇 → 村委会 → 社区/村) start a site's section."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..sentences import Sentence

__all__ = ["Place", "Section", "parse_places", "find_sections", "PLACE_SUFFIXES", "SITE_TYPES"]

#: Endings of a place name and the area type each gives (longest first where they overlap).
PLACE_SUFFIXES = (
    ("经济开发区", "development-zone"), ("开发区", "development-zone"), ("新区", "development-zone"),
    ("村委会", "village-committee"), ("居委会", "village-committee"), ("街道", "subdistrict"),
    ("社区", "community"), ("自然村", "natural-village"), ("市", "city"), ("县", "district"), ("区", "district"),
    ("镇", "town"), ("乡", "town"), ("村", "village"),
)
#: Area types a demonstration site may have.
SITE_TYPES = ("community", "village", "village-committee", "natural-village")
_EN = {"development-zone": "Development Zone", "village-committee": "Village Committee", "subdistrict": "Subdistrict",
       "community": "Community", "natural-village": "Natural Village", "city": "City", "district": "District",
       "town": "Town", "village": "Village"}
_CHAIN = re.compile("[\u4e00-\u9fff]{1,10}?(?:%s)" % "|".join(s for s, _ in PLACE_SUFFIXES))
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|【)")


@dataclass(frozen=True)
class Place:
    """A place named in the text: its name, area type and the English word for that type."""

    zh: str
    type: str

    @property
    def en_type(self) -> str:
        return _EN[self.type]


@dataclass(frozen=True)
class Section:
    """The part of a report about one site: its heading, the chain of places and its sentences."""

    heading: Sentence
    chain: tuple[Place, ...]
    headline: Sentence | None
    sentences: tuple[Sentence, ...]

    @property
    def site(self) -> Place:
        return self.chain[-1]


def _type(name: str) -> str:
    for suf, typ in PLACE_SUFFIXES:
        if name.endswith(suf):
            return typ
    raise ValueError(name)


def parse_places(text: str) -> tuple[Place, ...] | None:
    """The chain of places a text consists of, or None when it is not only place names.

    Examples
    --------
    >>> [(p.zh, p.type) for p in parse_places("青山区白石镇柳河村委会柳树村")]
    [('青山区', 'district'), ('白石镇', 'town'), ('柳河村委会', 'village-committee'), ('柳树村', 'village')]
    >>> parse_places("蓝湖经济开发区星河社区")[0].type
    'development-zone'
    >>> parse_places("好经验好做法") is None
    True
    """
    parts = _CHAIN.findall(text)
    if not parts or "".join(parts) != text:
        return None
    return tuple(Place(p, _type(p)) for p in parts)


def _heading_chain(s: Sentence) -> tuple[Place, ...] | None:
    if not s.is_line or len(s.text) > 40:
        return None
    t = _ENUM.sub("", s.text).strip().rstrip(":：】").strip()
    chain = parse_places(t)
    if chain and chain[-1].type in SITE_TYPES:
        return chain
    return None


def find_sections(sentences: list[Sentence]) -> tuple[list[Sentence], list[Section]]:
    """Split a report into its preamble and one section per site heading.

    A heading is a line of its own (no end mark) that consists only of place names and ends
    in a 社区, 村 or 村委会 (``青山区翠竹街道清泉社区:``); the line after it, when it is also a
    line without end mark, is the site's headline.

    Returns
    -------
    (preamble sentences, sections)
    """
    heads = [(i, c) for i, s in enumerate(sentences) if (c := _heading_chain(s))]
    if not heads:
        return list(sentences), []
    preamble = list(sentences[:heads[0][0]])
    sections = []
    for n, (i, chain) in enumerate(heads):
        stop = heads[n + 1][0] if n + 1 < len(heads) else len(sentences)
        body = list(sentences[i + 1:stop])
        headline = None
        if body and body[0].is_line and body[0].line == sentences[i].line + 1 and len(body[0].text) <= 40:
            headline = body.pop(0)
        sections.append(Section(sentences[i], chain, headline, tuple(body)))
    return preamble, sections
