"""Draft the data of a report: sites, areas, organizations, mechanisms and outcomes, each with its sentence.

Long function ``_draft_sentence``: a sentence's entries in the order they depend on each other (issue 18).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import GovkgError
from ..slug import pinyin_words as _pinyin
from ..slug import slugify
from .gazetteer import Gazetteer
from .names import Name, find_mechanisms, propose_kinds
from .quotes import slogan_parts, strip_quotes
from .numbers import Amount, Skipped, clause_of, find_amounts
from .organizations import ORG_SUFFIXES, find_organizations
from .places import Place, Section, find_sections
from .sections import guess_single_site, sections_from_text
from ..sentences import Sentence, split_sentences
from .vocab import Vocabulary, vocabulary

__all__ = ["Draft", "SiteDraft", "draft_text", "curly_quotes"]

_ORG_EN = {
    "党总支": "General Party Branch", "党支部": "Party Branch", "党委": "Party Committee", "有限公司": "Co., Ltd.",
    "发展公司": "Development Company", "公司": "Company", "联合会": "Federation", "协会": "Association",
    "商会": "Chamber of Commerce", "合作社": "Cooperative", "研究所": "Research Institute", "研究院": "Research Institute",
    "学院": "College", "大学": "University", "高校": "University", "学校": "School", "政府": "Government",
    "委员会": "Committee", "中心": "Centre", "志愿服务平台": "Volunteer Service Platform",
    "志愿服务队": "Volunteer Service Team", "服务队": "Service Team", "调解队": "Mediation Team",
    "先锋队": "Vanguard Team", "联盟": "Alliance", "产业园": "Industrial Park", "团": "Group", "队": "Team",
}
_MECH_EN = {
    "工作机制": "Working Mechanism", "机制": "Mechanism", "工作法": "Working Method", "模式": "Model",
    "议事堂": "Deliberation Hall", "议事会": "Deliberation Council", "协商会": "Consultation Meeting",
    "调解室": "Mediation Room", "工作室": "Studio", "管理体系": "Management System", "体系": "System",
    "工程": "Project", "行动": "Campaign", "驿站": "Station", "书屋": "Reading Room", "小程序": "Mini Program",
    "工作": "Work", "理念": "Approach", "建设": "Construction", "平台": "Platform", "项目": "Project",
}
_TRANSLATE = "English is a transliteration: translate"


@dataclass
class SiteDraft:
    """The drafted entries of one site's section (plain dicts, as they go into its YAML file)."""

    site: dict
    organizations: list[dict] = field(default_factory=list)
    mechanisms: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)


@dataclass
class Draft:
    """Everything drafted from one report.

    ``anchors`` maps ``(space, id)`` of each drafted entry to the text it was read from (the
    number or the name as written), for highlighting; ``skipped`` lists the numbers not drafted
    with the reason, by sentence.
    """

    source: dict
    text: str
    areas: list[dict]
    sites: dict[str, SiteDraft]
    skipped: list[tuple[str, Skipped]]
    anchors: dict[tuple[str, str], str] = field(default_factory=dict)

    def entries(self):
        """Every drafted entry as ``(section, site id or None, values)``."""
        for a in self.areas:
            yield "areas", None, a
        for sid, sd in self.sites.items():
            yield "site", sid, sd.site
            for section in ("organizations", "mechanisms", "outcomes"):
                for v in getattr(sd, section):
                    yield section, sid, v


def _english(zh: str, table: dict[str, str]) -> tuple[str, bool]:
    bare = strip_quotes(zh)
    for suf in sorted(table, key=len, reverse=True):
        if bare.endswith(suf) and len(bare) > len(suf):
            return f"{_pinyin(bare[: -len(suf)])} {table[suf]}", True
    return _pinyin(bare) or "(translate)", False


class _Ids:
    """Unique ids per id space, reusing curated ids for linked entries."""

    def __init__(self):
        self.used: dict[str, set[str]] = {}

    def make(self, space: str, base: str) -> str:
        base = (base or space).strip("-")[:60].strip("-") or space
        used = self.used.setdefault(space, set())
        ident, n = base, 2
        while ident in used:
            ident, n = f"{base}-{n}", n + 1
        used.add(ident)
        return ident


def _entry(zh, en, evidence, confidence, notes, **fields) -> dict:
    v = {"id": fields.pop("id")} if "id" in fields else {}
    v.update({"zh": zh, "en": en, **{k: x for k, x in fields.items() if x is not None}})
    v["evidence"] = evidence
    v["status"] = "draft"
    v["confidence"] = round(float(confidence), 2)
    notes = [n for n in dict.fromkeys(notes) if n]
    if notes:
        # the loader refuses a note holding digits (numbers belong in outcomes): write them in words
        v["note"] = re.sub(r"[0-9０-９]+", lambda m: _in_words(m.group()), "; ".join(notes))
    return v


def _in_words(digits: str) -> str:
    import cn2an

    try:
        return cn2an.an2cn(str(int(digits)))
    except (ValueError, KeyError):
        return "…"


def _amount_en(a: Amount, vocab: Vocabulary) -> str:
    comp = {"more-than": "more than ", "approximately": "about ", "less-than": "less than "}.get(a.comparator, "")
    if a.measure == "change":
        change = {"decrease": " (fall)", "increase": " (rise)"}.get(a.direction or "", "")
    else:
        change = {"decrease": " (down to this level)", "increase": " (up to this level)"}.get(a.direction or "", "")
    from ..errors import GovkgError
    from ..units import format_amount

    try:
        amount = format_amount(a.value, a.unit, lang="en", comparator="range" if a.value_max is not None else None,
                               value_max=a.value_max)
    except (GovkgError, KeyError, ValueError):
        amount = f"{a.value:g} {vocab.unit_en.get(a.unit, a.unit)}"
    return f"{comp}{amount}{change}"


def draft_text(text: str, *, source: dict, gazetteer: Gazetteer | None = None,
               vocab: Vocabulary | None = None) -> Draft:
    """Draft the data of one report's text.

    Parameters
    ----------
    text : str
        The report (plain text; a line naming a site, e.g. ``某区某街道某社区:``, starts that
        site's section).
    source : dict
        The source record (``id``, ``zh``, ``en``, ``publisher`` …), written as given.
    gazetteer : Gazetteer, optional
        Curated names: an organization, place or mechanism already curated keeps its id.
    vocab : Vocabulary, optional
        Units and kinds (default: read from the shipped ontology).

    Returns
    -------
    Draft

    Examples
    --------
    >>> d = draft_text("甲区乙街道丙社区:\\n丙社区创新“议事厅”机制,今年以来运用“议事厅”机制化解纠纷30余件。\\n",
    ...                source={"id": "demo", "zh": "示例", "en": "Example"})
    >>> list(d.sites), [a["zh"] for a in d.areas]
    (['bingshequ'], ['甲区', '乙街道'])
    >>> o = d.sites["bingshequ"].outcomes[0]
    >>> o["value"], o["unit"], o["comparator"], o["status"]
    (30, 'jian', 'more-than', 'draft')
    >>> d.sites["bingshequ"].mechanisms[0]["zh"], o["mechanism"] == d.sites["bingshequ"].mechanisms[0]["id"]
    ('“议事厅”机制', True)
    """
    vocab = vocab or vocabulary()
    gaz = gazetteer or Gazetteer()
    sentences = split_sentences(text)
    _, sections = find_sections(sentences)
    guessed_site = False
    site_notes_by_name: dict[str, list[str]] = {}
    if not sections:
        sections, site_notes_by_name = sections_from_text(sentences)
    if not sections:  # last resort: the place named most often (a one-character name such as 丙社区)
        sections, guessed_site = guess_single_site(sentences), True
    if not sections:
        raise GovkgError("the report names no community, village, district, county or town that govkg draft can "
                         "read: name the site and the places above it in a line of the text (e.g. "
                         "'某区某街道某社区:'), then run govkg draft again. Nothing was written.")
    ids = _Ids()
    from collections import Counter

    quoted = Counter(strip_quotes(m.group(0)) for m in re.finditer(r"“[^“”\n]{2,16}”", curly_quotes(text)))
    repeated = frozenset(q for q, c in quoted.items() if c >= 2)
    anchors: dict[tuple[str, str], str] = {}
    areas: dict[str, dict] = {}
    place_ids: dict[str, str] = {}
    sites: dict[str, SiteDraft] = {}
    mech_defined: dict[str, str] = {}  # name without quotes -> id
    orgs_defined: dict[str, str] = {}
    skipped: list[tuple[str, Skipped]] = []

    def place_id(p: Place, parent: str | None) -> tuple[str, dict]:
        known = gaz.find("place", p.zh)
        if p.zh in place_ids:
            return place_ids[p.zh], {}
        other = None
        if known is not None and known.within is not None and (parent is None or areas.get(parent, {}).get("zh") != known.within):
            # a same-name place elsewhere (two villages of one name in two towns): linked only when the
            # place above it is the curated one's too
            other, known = known, None
            parent_zh = areas.get(parent or "", {}).get("zh")
            ids.used.setdefault("place", set()).add(other.id)  # its own id, never the curated one's
            ident = ids.make("place", f"{slugify(p.zh)}-{slugify(parent_zh)}" if parent_zh else slugify(p.zh))
        else:
            ident = None
        ident = ident or ids.make("place", known.id if known else slugify(p.zh))
        place_ids[p.zh] = ident
        extra = {"en": known.en, "type": known.type or p.type, "note": f"linked to curated {known.id} ({known.where.rsplit(':', 1)[0]})"} if known else {}
        if other is not None:
            extra["note"] = (f"a curated place of the same name ({other.id}, in {other.within}) is not linked: the report "
                             f"does not state that this one is in {other.within}; link it by hand if it is the same place")
        return ident, extra

    for sec in sections:
        ev_head = sec.heading.text
        parent = None
        for p in sec.chain[:-1]:
            pid, extra = place_id(p, parent)
            if pid not in areas:
                en = f"{_pinyin(p.zh[: -len(_suffix(p))])} {p.en_type}"
                v = _entry(p.zh, extra.get("en", en), ev_head, 0.9 if not guessed_site else 0.5,
                           [extra.get("note"), f"type {p.type} read from the ending of the name"],
                           id=pid, type=extra.get("type", p.type), within=parent)
                areas[pid] = v
                anchors[("place", pid)] = p.zh
            parent = pid
        site_place = sec.site
        sid, extra = place_id(site_place, parent)
        site_notes = [extra.get("note"), f"type {site_place.type} read from the ending of the name"]
        if guessed_site:
            site_notes.append("the report has no heading naming a site: this site is a guess (the place named most often)")
        headline = None
        if sec.headline is not None:
            headline = {"zh": sec.headline.text, "en": "(translate) " + _pinyin(sec.headline.text)[:80]}
        site_ev = [ev_head] + ([sec.headline.text] if sec.headline is not None else [])
        site_v = _entry(site_place.zh, extra.get("en", f"{_pinyin(site_place.zh[: -len(_suffix(site_place))])} {site_place.en_type}"),
                        site_ev if len(site_ev) > 1 else ev_head, 0.5 if guessed_site else 0.9, site_notes,
                        id=sid, type=extra.get("type", site_place.type), within=parent, headline=headline)
        site_v["note"] = "; ".join(filter(None, [site_v.get("note"), *site_notes_by_name.get(site_place.zh, ())]))
        if parent is None:
            site_v["note"] = "; ".join(filter(None, [site_v.get("note"), "within left for review: the report does not state "
                                                     "the places above this site next to its name; fill in 'within'"]))
        sd = SiteDraft(site_v)
        sites[sid] = sd
        anchors[("place", sid)] = site_place.zh
        others = [p for p in sec.chain[:-1] if p.type in ("village-committee", "community", "village")]
        body = list(sec.sentences)
        parts = slogan_parts(([sec.headline.text] if sec.headline else []) + [s.text for s in body])
        shift = 1 if sec.headline else 0
        extra = {}
        for i, part, pos in parts:
            if i - shift >= 0:
                kinds, note = propose_kinds(part, body[i - shift].text, vocab)
                extra.setdefault(i - shift, []).append(
                    Name(part, pos, pos + len(part), "part of a quoted slogan (A+B) also written in the text", 0.5,
                         kinds, None, (note,)))
        for n, s in enumerate(body):
            _draft_sentence(s, sec, sd, sid, others, vocab, gaz, ids, anchors, mech_defined, orgs_defined, skipped,
                            place_ids, extra.get(n, []), repeated)
    return Draft(dict(source), text, list(areas.values()), sites, skipped, anchors)


def _suffix(p: Place) -> str:
    from .places import PLACE_SUFFIXES

    for suf, typ in PLACE_SUFFIXES:
        if p.zh.endswith(suf) and typ == p.type:
            return suf
    return ""


#: The most outcomes drafted from one sentence: each quotes the whole sentence as its evidence.
MAX_OUTCOMES_PER_SENTENCE = 60


def curly_quotes(text: str) -> str:
    """``text`` with 「」『』 and each line's paired ASCII double quotes written as “”, one character for one.

    Examples
    --------
    >>> curly_quotes('依托"邻里中心"平台,推行「楼长制」。')
    '依托“邻里中心”平台,推行“楼长制”。'
    """
    out = text.translate(_CORNERS)
    if '"' not in out:
        return out
    lines = []
    for line in out.split("\n"):
        if line.count('"') % 2 == 0:
            parts = line.split('"')
            line = "".join(p + ("“" if i % 2 == 0 else "”") for i, p in enumerate(parts[:-1])) + parts[-1]
        lines.append(line)
    return "\n".join(lines)


_CORNERS = str.maketrans("「」『』", "“”“”")


def _as_written(names: list[Name], curly: str, text: str) -> list[Name]:
    """``names`` read in ``curly`` with their text as ``text`` writes it (same offsets)."""
    if curly == text:
        return names
    from dataclasses import replace

    return [replace(n, text=text[n.start:n.end]) if curly[n.start:n.end] == n.text else n for n in names]


def _draft_sentence(s: Sentence, sec: Section, sd: SiteDraft, sid: str, others, vocab, gaz, ids, anchors,
                    mech_defined, orgs_defined, skipped, place_ids, extra_mechs=(), repeated=frozenset()) -> None:
    text = s.text
    # names are read with 「」, 『』 and paired ASCII quotes as “”, and keep the report's own marks
    curly = curly_quotes(text)
    orgs = _as_written(find_organizations(curly), curly, text)
    mechs = _as_written(find_mechanisms(curly, vocab, taken=[(o.start, o.end) for o in orgs], repeated=repeated), curly, text)
    mechs += [m for m in extra_mechs if not any(n.start < m.end and n.end > m.start for n in mechs)]
    # A body the site set up (组建) to do something, with a name of its own, is also that practice.
    for o in orgs:
        if o.rule != "quoted names before a count of teams" and "组建" in text[max(0, o.start - 6):o.start]:
            kinds, note = propose_kinds(o.text, text, vocab)
            mechs.append(Name(o.text, o.start, o.end, "a body the site set up (组建): also drafted as its practice", 0.4,
                              kinds, None, (note, "drafted twice, as organization and as mechanism: keep the one that fits")))
    # Curated names the rules missed: the gazetteer finds them verbatim.
    for space, found, maker in (("org", orgs, "org"), ("mechanism", mechs, "mechanism")):
        for key, known in getattr(gaz, space).items():
            if len(key) >= 3 and key in strip_quotes(text) and not any(strip_quotes(n.text) == key for n in found):
                i = text.find(known.zh)
                if i < 0:
                    continue
                found.append(Name(known.zh, i, i + len(known.zh), "gazetteer (curated name)", 0.8,
                                  kinds=known.kinds, org_type=known.type))
    for o in orgs:
        key = strip_quotes(o.text)
        if key in orgs_defined:
            continue
        known = gaz.find("org", o.text)
        notes = list(o.notes) + [f"found by rule: {o.rule}"]
        if known:
            ident = ids.make("org", known.id)
            en, typ = known.en, known.type
            notes = [f"linked to curated {known.id} ({known.where.rsplit(':', 1)[0]})"]
        else:
            ident = ids.make("org", slugify(o.text))
            en, translated = _english(o.text, _ORG_EN)
            typ = o.org_type
            if not translated:
                notes.append(_TRANSLATE)
        orgs_defined[key] = ident
        # a label the sentence does not hold as written (“甲”“乙”2支志愿服务队 → “乙”志愿服务队) is ours: say so
        # (the curated data's rule composed-label-without-note asks it of every accepted entry)
        composed = None if o.text in text else (
            "Composed by govkg draft: the report writes this name and its kind of body apart "
            "(a run of names before a count); the label joins them.")
        sd.organizations.append(_entry(o.text, en, text, o.confidence, notes, id=ident, type=typ, label_note=composed))
        anchors[("org", ident)] = o.text
    for m in mechs:
        key = strip_quotes(m.text)
        if key in mech_defined:
            ident = mech_defined[key]
            if any(v.get("use") == ident or v.get("id") == ident for v in sd.mechanisms):
                continue
            sd.mechanisms.append({"use": ident, "evidence": text, "status": "draft", "confidence": round(m.confidence, 2),
                                  "note": "the same name is drafted at another site: one mechanism used at both"})
            continue
        known = gaz.find("mechanism", m.text)
        notes = list(m.notes) + [f"found by rule: {m.rule}"]
        if known:
            ident = ids.make("mechanism", known.id)
            en, kinds = known.en, tuple(known.kinds)
            notes = [f"linked to curated {known.id} ({known.where.rsplit(':', 1)[0]})"]
        else:
            ident = ids.make("mechanism", slugify(m.text))
            en, translated = _english(m.text, _MECH_EN)
            kinds = tuple(m.kinds)
            if not translated:
                notes.append(_TRANSLATE)
        mech_defined[key] = ident
        # a kind only when the report's words name it (a label or keyword of the kind in the sentence);
        # otherwise the mechanism is left untyped for the reviewer (a draft may be), with a note
        unnamed = [k for k in kinds if not any(w in text for w in vocab.kind_words.get(k, ()) if len(w) >= 2)]
        kinds = tuple(k for k in kinds if k not in unnamed)
        if unnamed:
            notes = [n for n in notes if not n.startswith(("kind ", "kinds proposed"))]
            notes.append(("the curated mechanism's kinds " if known else "kinds the drafter would guess ")
                         + "、".join(unnamed) + " are not named by the sentence's words: left untyped for review"
                         if not kinds else "kind " + "、".join(unnamed) + " dropped: not named by the sentence's words")
        sd.mechanisms.append(_entry(m.text, en, text, m.confidence, notes, id=ident, kinds=list(kinds) or None))
        anchors[("mechanism", ident)] = m.text
    amounts, skip = find_amounts(text, vocab)
    skipped.extend((text, k) for k in skip)
    if len(amounts) > MAX_OUTCOMES_PER_SENTENCE:
        # a table or a list pasted as one sentence: each outcome quotes the whole sentence, so drafting
        # them all would grow with the square of its length; the rest are listed as left out
        skipped.extend((text, Skipped(a.text, a.start, a.end,
                                      "not drafted: the sentence holds more numbers than govkg draft drafts from one "
                                      "sentence (a table or a list written as one sentence): split it into sentences"))
                       for a in amounts[MAX_OUTCOMES_PER_SENTENCE:])
        amounts = amounts[:MAX_OUTCOMES_PER_SENTENCE]
    named = [p for p in others if p.zh in text and sec.site.zh not in text]
    for a in amounts:
        ca, _ = clause_of(text, a.start, a.end)
        head = text[ca:a.start]
        credited = None
        for key, ident in mech_defined.items():
            if key and key in strip_quotes(head):
                credited = ident
        notes = list(a.notes)
        subject = None
        if named:
            subject = place_ids.get(named[-1].zh)
            notes.append(f"subject guessed: the sentence is about {named[-1].zh}, not the site itself")
        if credited:
            notes.append("credited to the mechanism its clause names")
        period = {"zh": a.period[0], "en": a.period[1]} if a.period else None
        ident = ids.make("outcome", f"{sid}-{slugify(a.label)[:40]}")
        sd.outcomes.append(_entry(a.label, _amount_en(a, vocab), text, a.confidence, notes, id=ident,
                                  value=a.value, value_max=a.value_max, unit=a.unit,
                                  comparator=None if a.comparator == "exactly" else a.comparator,
                                  measure=None if a.measure == "level" and a.direction is None else a.measure,
                                  direction=a.direction, mechanism=credited, subject=subject, period=period))
        anchors[("outcome", ident)] = a.text
