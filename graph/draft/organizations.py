"""Organizations of a sentence: names ending in 党支部, 协会, 公司, 服务队 …, and runs of quoted team names."""

from __future__ import annotations

import re

from .names import LEADING, Name, name_start
from .quotes import in_quotes, quoted_spans

__all__ = ["ORG_SUFFIXES", "find_organizations"]

#: Endings of an organization's name, the type they suggest, and whether the ending is
#: specific enough to be read anywhere (False: only after 组建/成立/联合 … or in a list with one).
ORG_SUFFIXES = (
    ("党总支", "party-organization", True), ("党支部", "party-organization", True),
    ("党委", "party-organization", True),
    ("区委", "party-organization", True), ("县委", "party-organization", True), ("市委", "party-organization", True),
    ("两委", "government-body", True), ("小组", "government-body", True), ("理事会", "association", True),
    ("委会", "association", True), ("所", "government-body", False),
    ("部", "government-body", False), ("办", "government-body", False),
    ("有限公司", "company", True), ("发展公司", "community-company", True), ("公司", "company", True),
    ("联合会", "association", True), ("协会", "association", True), ("商会", "association", True),
    ("合作社", "association", True), ("研究所", "research-institute", True), ("研究院", "research-institute", True),
    ("科学院", "research-institute", True), ("科院", "research-institute", True), ("学院", "school", True), ("大学", "school", True),
    ("高校", "school", True), ("学校", "school", False), ("政府", "government-body", True),
    ("委员会", "government-body", True), ("控制中心", "government-body", True), ("中心", "government-body", False),
    ("志愿服务平台", "volunteer-team", True), ("志愿服务队", "volunteer-team", True), ("服务队", "volunteer-team", True),
    ("调解队", "mediation-team", True), ("先锋队", "resident-group", True), ("联盟", "alliance", False),
    ("产业园", "company", False), ("团", "resident-group", False), ("队", "resident-group", False),
)
_FOUNDING = ("牵头成立", "推动成立", "组建", "成立", "联合", "链接", "依托", "动员", "吸引", "邀请")
_CJK = "\u4e00-\u9fff"


def clause_start(sentence: str, pos: int) -> int:
    """Where the clause holding ``pos`` starts."""
    while pos > 0 and sentence[pos - 1] not in "，,；;：:。！？!?":
        pos -= 1
    return pos


def _type_of(text: str) -> tuple[str, str] | None:
    for suf, typ, _ in ORG_SUFFIXES:
        if text.endswith(suf):
            return suf, _party(text, suf, typ)
    return None


def _party(text: str, suf: str, typ: str) -> str:
    """A party body when its name says 党 before a committee or group ending (党小组, 党工委)."""
    return "party-organization" if "党" in text[:-len(suf) or None] + suf and suf in ("小组", "委", "委会") else typ


#: Endings of a public body named after its place (区平安办, 市档案馆, 南区街道党工委, 某街道办事处物业站):
#: an office, hall, committee, station, bureau or court.
_BODY_HEADS = "办馆委所处站局院"
#: Characters after 所 that make it a particle (所需, 所想, 所有), not an office.
_PARTICLE_SUO = r"[需想盼急愿有在属做谓以得为要求能辖]"
def _common_suo(text: str) -> bool:
    """Whether ``text`` ends in a two-character word of jieba's dictionary ending in 所 (厕所, 场所,
    住所): a common noun, not an office (法所, 出所, 究所 are no words: 司法所, 派出所, 研究所)."""
    from .sites import segmenter as _jieba

    return _jieba().dt.FREQ.get(text[-2:], 0) > 0


#: Characters before a one-character place (由区平安办: the district's) that end a word.
_BEFORE_PLACE = "由与和及向对在为从经、，,；;：:（( "


def find_organizations(sentence: str) -> list[Name]:
    """Organizations named in one sentence, each with a proposed type (a guess from its ending).

    A name directly after a count (41家企业, 5所中专学校) is a kind of thing, not a name, and is
    left out; so is 村委会/居委会 (a place).

    Examples
    --------
    >>> s = "柳树村党支部联合省林科院、青禾农业发展有限公司等单位成立共建联盟,组建“红马甲”“护河队”2支志愿服务队。"
    >>> [(n.text, n.org_type) for n in find_organizations(s)]  # doctest: +NORMALIZE_WHITESPACE
    [('柳树村党支部', 'party-organization'), ('省林科院', 'research-institute'),
     ('青禾农业发展有限公司', 'company'), ('共建联盟', 'alliance'),
     ('“红马甲”志愿服务队', 'volunteer-team'), ('“护河队”志愿服务队', 'volunteer-team')]
    """
    out = _quoted_names(sentence)

    def free(a, b):
        return all(b <= n.start or a >= n.end for n in out)

    out += _place_bodies(sentence, free)
    for suf, typ, anywhere in ORG_SUFFIXES:
        for m in re.finditer(re.escape(suf), sentence):
            end = m.end()
            if end < len(sentence) and sentence[end] in "区县镇村会网报台刊" and not sentence.startswith(("会长", "会员"), end) \
                    or not free(m.start(), end):
                continue  # 大观区人民政府网, 中山日报: a place or a media outlet, not the body
            start, verb = name_start(sentence, end, m.start(), verbs=_FOUNDING)
            near_list = sentence[m.start() - 1:m.start()] in ("、", "和", "与", "及") or sentence[end:end + 1] in ("、", "等", "与", "和", "及")
            if start >= m.start() and suf not in ("党委", "党总支", "党支部", "党小组", "党工委") and not (len(suf) >= 3 and near_list):
                continue
            if start > m.start() or in_quotes(sentence, start) or (suf == "商会" and sentence[m.start() - 1:m.start()] == "协"):
                continue
            lead = LEADING.match(sentence[start:end])
            if lead and lead.end() <= end - start - len(suf):
                start += lead.end()
            text = sentence[start:end]
            if "的" in text[:-len(suf)]:  # 副组长的加强…领导小组: the name starts after 的
                start += text.rindex("的", 0, len(text) - len(suf)) + 1
                text = sentence[start:end]
            if suf == "政府" and not re.search(r"(?:省|市|区|县|镇|乡|街道)(?:人民)?政府$", text):
                continue  # 构建政府主导…: a government is named by its place
            if suf in ("部", "办") and (len(text) < 2 or sentence[end:end + 1] in "门分署位队长属件"
                                       or re.search(r"(?:举|创|承|兴|代|包|督|查|要|多|好|快|难|怎么|内|外|全|干|局|即|级|领|协)[部办]$", text)):
                continue
            if "和" in text[1:-len(suf)] and len(text) - text.rindex("和") - 1 > len(suf):
                start += text.rindex("和") + 1  # 司法所和小区业委会: two bodies
                text = sentence[start:end]
            if text.startswith(("设立", "成立", "组建", "各地", "辖区", "有关")):
                continue
            bare = len(text) <= len(suf)
            listed = sentence[start - 1:start] in ("、", "和", "与", "及") or sentence[end:end + 1] in ("、", "等", "与", "和", "及")
            if bare and not (typ == "party-organization" and (start == clause_start(sentence, start) or verb)
                             or len(suf) >= 3 and listed):
                continue
            before = sentence[max(0, start - 3):start]
            if re.search(r"(\d+|[一二两三四五六七八九十百]+)[家所个支名位座]$", before) or text.endswith(("村委会", "居委会")):
                continue
            in_list = listed
            if not anywhere and verb is None and not in_list:
                continue
            if "“" in text or "”" in text or len(text) > 16 or re.search(r"\d", text) or suf == "所" and (
                    len(text) < 3 or re.match(_PARTICLE_SUO, sentence[end:end + 1]) or _common_suo(text)):
                continue  # 厕所; 所有, 所需; 公共厕所: not an office
            typ = _party(text, suf, typ)
            notes: tuple[str, ...] = (f"type {typ} guessed from the ending {suf}",)
            if bare:
                notes += ("the report writes only the kind of body: say whose it is (the site's, a village committee's …)",)
            out.append(Name(text, start, end, f"name ending in {suf}" + (f" after {verb}" if verb else ""),
                            0.4 if bare else 0.7 if (anywhere or verb) else 0.5, org_type=typ, notes=notes))
    return sorted(out, key=lambda n: n.start)


def _quoted_names(sentence: str) -> list[Name]:
    """Organizations a sentence names in quotation marks: a run of quoted team names before a count,
    or a quoted name with an organization ending inside or right after it."""
    out: list[Name] = []

    def free(a, b):
        return all(b <= n.start or a >= n.end for n in out)

    # A run of quoted names before a count and a team word: “红马甲”“护河队”2支志愿服务队.
    for m in re.finditer(rf"((?:“[^“”]{{1,12}}”[、和及]?){{2,}})(?:\d+|[一二两三四五六七八九十]+)[支个家](?P<what>[{_CJK}]{{1,8}})", sentence):
        what = m.group("what")
        t = _type_of(what)
        if t is None:
            continue
        for a, b in quoted_spans(m.group(1)):
            q = m.group(1)[a:b]
            start = m.start(1) + a
            out.append(Name(q + what, start, start + len(q), "quoted names before a count of teams", 0.7,
                            org_type=t[1], notes=(f"type {t[1]} guessed from the ending {t[0]}", f"name composed: {q} + {what}")))
    # A quoted name with an organization ending inside or right after: “睦邻团”, “睦邻源”矛盾纠纷调解队.
    for a, b in quoted_spans(sentence):
        if not free(a, b):
            continue
        tail = re.findall(rf"^[{_CJK}]{{0,8}}", sentence[b:])[0].split("的")[0]  # “中山网”的所有: 的 ends the name
        t = None
        for k in range(len(tail), 0, -1):
            if _type_of(tail[:k]):
                t, end = _type_of(tail[:k]), b + k
                break
        if t is None and re.search(r"[团队]$", sentence[a + 1:b - 1]) and any(
                sentence[max(0, a - 6):a].endswith(v) for v in _FOUNDING):
            t, end = _type_of(sentence[a + 1:b - 1]), b
        if t is None:
            continue
        out.append(Name(sentence[a:end], a, end, "quoted name with an organization ending", 0.75,
                        org_type=t[1], notes=(f"type {t[1]} guessed from the ending {t[0]}",)))
    return out


def _place_bodies(sentence: str, free) -> list[Name]:
    """Public bodies named after their place: 区平安办, 市档案馆, 南区街道党工委, 某街道办事处物业站.

    The place is a chain of administrative names (checked by ``sites.parse_chain``) or one of
    省/市/区/县/镇/乡 alone after a boundary or a function word (由区平安办牵头: the district's);
    the name ends at the last office, hall, committee, station, bureau or court ending
    (办/馆/委/所/处/站/局/院) before a clause mark; 所 before a verb (所需, 所想) is a particle.

    Examples
    --------
    >>> [n.text for n in find_organizations("由区平安办牵头,村两委与市档案馆共同谋划。")]
    ['区平安办', '村两委', '市档案馆']
    """
    from .sites import function_word_inside as _function_word_inside, parse_chain

    cands = []
    for h in range(1, len(sentence)):
        head = sentence[h]
        if head not in _BODY_HEADS or head == "所" and re.match(_PARTICLE_SUO, sentence[h + 1:h + 2]):
            continue  # 所 before a verb (所需, 所想) is a particle
        for k in range(1, 7):
            stem = sentence[h - k:h]
            if h - k < 1 or not re.fullmatch(f"[{_CJK}]+", stem) or any(c in _NOT_IN_STEM for c in stem) \
                    or re.search("社区|小区|村", stem):
                break
            at = h - k
            start = None
            if sentence[at - 1] in "省市区县镇乡" and (at - 1 == 0 or sentence[at - 2] in _BEFORE_PLACE):
                start = at - 1
            for p in range(max(0, at - 24), at - 1):
                chain = sentence[p:at]
                if re.fullmatch(f"[{_CJK}]+", chain) and not re.search("社区|小区|村|委", chain) and parse_chain(chain) \
                        and not _function_word_inside(sentence, p, at + 1):  # 邀请|北京中路街道: the verb is not a place
                    start = p
                    break
            if start is not None:
                cands.append((start, h + 1, head))
                break
    out: list[Name] = []
    for start, end, head in sorted(cands, key=lambda c: (c[0], -c[1])):
        if not free(start, end) or any(n.start < end and n.end > start for n in out):
            continue
        text = sentence[start:end]
        if text.endswith(("村委会", "居委会")):
            continue
        stem = text[:-1]
        typ = "party-organization" if head == "委" and "党" in stem else "government-body"
        out.append(Name(text, start, end, f"a public body named after its place (ending {head})", 0.6,
                        org_type=typ, notes=(f"type {typ} guessed from the ending {head}",)))
    return out


_NOT_IN_STEM = set("的了是和与及或在对为把被将等个各该本此这其每、，,；;：:。")
