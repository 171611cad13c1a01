"""Organizations of a sentence: names ending in 党支部, 协会, 公司, 服务队 …, and runs of quoted team names."""

from __future__ import annotations

import re

from .names import _LEADING, Name, _in_quotes, name_start, quoted_spans

__all__ = ["ORG_SUFFIXES", "find_organizations"]

#: Endings of an organization's name, the type they suggest, and whether the ending is
#: specific enough to be read anywhere (False: only after 组建/成立/联合 … or in a list with one).
ORG_SUFFIXES = (
    ("党总支", "party-organization", True), ("党支部", "party-organization", True), ("党工委", "party-organization", True),
    ("党委", "party-organization", True), ("党小组", "party-organization", True),
    ("区委", "party-organization", True), ("县委", "party-organization", True), ("市委", "party-organization", True),
    ("两委", "government-body", True), ("领导小组", "government-body", True), ("理事会", "association", True),
    ("业委会", "association", True), ("档案馆", "government-body", True), ("司法所", "government-body", True),
    ("派出所", "government-body", True), ("物业站", "government-body", True), ("办事处", "government-body", True),
    ("办公室", "government-body", True), ("平安办", "government-body", True), ("文明办", "government-body", True),
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
            return suf, typ
    return None


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
        tail = re.findall(rf"^[{_CJK}]{{0,8}}", sentence[b:])[0]
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
            if start > m.start() or _in_quotes(sentence, start) or (suf == "商会" and sentence[m.start() - 1:m.start()] == "协"):
                continue
            lead = _LEADING.match(sentence[start:end])
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
            if text.startswith(("下设", "设立", "成立", "组建", "各地", "辖区", "有关")):
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
            if "“" in text or "”" in text or len(text) > 16 or re.search(r"\d", text):
                continue
            notes: tuple[str, ...] = (f"type {typ} guessed from the ending {suf}",)
            if bare:
                notes += ("the report writes only the kind of body: say whose it is (the site's, a village committee's …)",)
            out.append(Name(text, start, end, f"name ending in {suf}" + (f" after {verb}" if verb else ""),
                            0.4 if bare else 0.7 if (anywhere or verb) else 0.5, org_type=typ, notes=notes))
    return sorted(out, key=lambda n: n.start)
