"""Which sentences of a report without heading lines belong to which site."""

from __future__ import annotations

import re

from .places import Place, Section
from ..sentences import Sentence

__all__ = ["sections_from_text", "places_named", "guess_single_site"]


def sections_from_text(sentences: list[Sentence]) -> tuple[list[Section], dict[str, list[str]]]:
    """Sections of a report without heading lines: one per site it names (``sites.find_sites``).

    Each sentence goes to the site it names, else to the site named last before it (the first
    site for the sentences before any). A report that names no site gets one section for the
    place it names most (a district, a county), marked for the reviewer.
    """
    from .sites import area_fallback, find_sites

    notes: dict[str, list[str]] = {}
    found = find_sites(sentences)
    if not found:
        fb = area_fallback(sentences)
        if fb is None:
            return [], notes
        place, above, s = fb
        above = tuple(p for p in above if p.type != "province")
        notes[place.zh] = [f"the report names no community or village: its facts are drafted at {place.zh} "
                           f"(a {place.type}) for review; move them to the right site, or keep them here only as "
                           f"the area's own figures (accepting needs a community or village)"]
        return [Section(s, (*above, place), None, tuple(sentences))], notes
    heads, placed = {}, None
    for m in found:
        chain = tuple(p for p in m.chain if p.type != "province")
        head = m.chain_sentence or m.first
        assert head is not None  # find_sites gives every site the sentence that first names it
        heads[m.name] = (head, (*chain, Place(m.name, m.type)))
        n = []
        if m.compound:
            n.append("a residential compound (小区): the report names no community or village, so the compound is the site")
        if not m.chain:
            if placed is None:
                placed = places_named(sentences)  # read once for all sites
            elsewhere = [p for p in placed if p not in m.name]
            if elsewhere:
                n.append("places named elsewhere in the text (a headline, a breadcrumb, another paragraph), "
                         "not next to the site: " + "、".join(elsewhere[:4]))
        notes[m.name] = n
    names = list(heads)
    body: dict[str, list[Sentence]] = {n: [] for n in names}
    current = names[0]
    known, longest = set(names), max(map(len, names))
    for s in sentences:
        # the first site named in the sentence: every name ends in a site ending, so look back from each
        # ending for a known name (linear in the sentence, whatever the number of sites)
        for ending in re.finditer("居民区|社区|小区|村", s.text):
            e = ending.end()
            hit = next((s.text[a:e] for a in range(max(0, e - longest), e - 1) if s.text[a:e] in known), None)
            if hit:
                current = hit
                break
        body[current].append(s)
    return [Section(heads[n][0], heads[n][1], None, tuple(body[n])) for n in names], notes


def places_named(sentences: list[Sentence]) -> list[str]:
    """The places (districts, towns, streets …; not provinces) a report names anywhere, in order."""
    from .sites import AREA_SUFFIXES, parse_chain

    out = []
    ends = "|".join(s for s, _ in AREA_SUFFIXES)
    for s in sentences:
        for m in re.finditer(rf"[\u4e00-\u9fff]{{2,12}}?(?:{ends})", s.text):
            chain = parse_chain(m.group(0))
            for p in chain or ():
                if p.type != "province" and p.zh not in out:
                    out.append(p.zh)
    return out


_DEMONSTRATIVES = frozenset("该本此这各每全其")


def guess_single_site(sentences: list[Sentence]) -> list[Section]:
    """One section for the whole text, at the community or village it names most (none: ``[]``)."""
    from collections import Counter

    from .places import parse_places

    names = Counter(m.group(0) for s in sentences
                    for m in re.finditer(r"[\u4e00-\u9fff]{1,4}?(?:社区|村委会|村)", s.text))
    for name, _ in names.most_common():
        if name[0] in _DEMONSTRATIVES:
            continue  # 该社区, 本村, 各村: "this community", "each village", not a name
        chain = parse_places(name)
        if chain and len(chain) == 1:
            first = next(s for s in sentences if name in s.text)
            return [Section(first, chain, None, tuple(sentences))]
    return []
