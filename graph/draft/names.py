"""Named mechanisms of a sentence: quoted names and names ending in 机制, 模式, 议事堂 …, with proposed kinds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .quotes import in_quotes, quoted_spans, strip_quotes
from .vocab import Vocabulary

__all__ = ["Name", "name_start", "find_mechanisms", "propose_kinds", "MECHANISM_SUFFIXES", "PRACTICE_VERBS", "LEADING"]

_CJK = "\u4e00-\u9fff"
#: Endings of an unquoted mechanism name (落实接诉即办工作机制, 建立季度楼栋协商会).
MECHANISM_SUFFIXES = (
    "工作机制", "机制", "工作法", "模式", "议事堂", "议事会", "协商会", "工作室",
    "管理体系", "体系", "工程", "行动", "驿站", "书屋", "小程序", "服务站", "服务中心", "联盟", "改革", "食堂",
    "专班", "制度", "清单",
)
#: Endings allowed right after a quoted name (“清泉夜话”议事会, “三进”工作, “洁净家园”建设).
_QUOTE_SUFFIXES = tuple(x for x in MECHANISM_SUFFIXES if x != "小程序") + ("工作", "理念", "建设", "活动", "项目", "服务阵地", "阵地", "党群共建室",
                                                                           "平台")
#: Verbs that introduce a practice the site runs (探索“积分超市”, 创新“邻里守望”).
PRACTICE_VERBS = (
    "探索推进", "探索", "创新", "打造", "创立", "创建", "建立", "构建", "推行", "推进", "落实", "实施", "开展",
    "发展", "践行", "孵化", "用好", "运用", "依托", "推广", "深化", "发挥", "设立", "以", "加强", "完善", "坚持",
    "建成", "组建", "成立", "召开", "认领", "领办", "担任", "上线", "之一", "小程序",
)
#: Words before a name that make it something else than the site's own practice.
_NOT_PRACTICE = ("按照", "参照", "借鉴", "实现", "成为", "获评", "入选", "破解", "消除", "面对", "围绕", "向")
_BOUNDARY = "，,；;：:。！？!?、（）()——“”\"' \t"
#: Words a name never runs across: function words and verbs of handing, joining or using.
STOP_WORDS = ("将", "把", "向", "对", "为", "与", "给", "在", "由", "被", "该", "其", "到", "形成", "设有", "建有", "按照", "参照", "上缴", "拨付",
              "汇聚", "整合", "配备", "提供", "联动", "带动", "发动", "加入", "利用", "围绕", "通过")
_ONE_CHAR_STOPS = tuple(w for w in STOP_WORDS if len(w) == 1)
LEADING = re.compile(rf"^(?:(?:[{_CJK}]{{0,4}}?(?:全国|全省|全市|全区|省|市|区|县))?(?:首个|首家|第一个)|(?:\d+|[一二两三四五六七八九十]+)[支家个位名所批件项])")


@dataclass(frozen=True)
class Name:
    """A name found in a sentence: ``text`` as written, at ``start``:``end``.

    ``kinds`` are proposed kind ids (a guess from keywords, said in ``notes``); ``org_type`` is
    set for an organization; ``rule`` names the rule that found it.
    """

    text: str
    start: int
    end: int
    rule: str
    confidence: float
    kinds: tuple[str, ...] = ()
    org_type: str | None = None
    notes: tuple[str, ...] = field(default=())


def name_start(sentence: str, end: int, lo: int, *, verbs=PRACTICE_VERBS, lists: bool = False,
               stops=STOP_WORDS) -> tuple[int, str | None]:
    """Where a name ending before ``lo`` … starts: after the last verb, stop word, list mark or clause mark.

    With ``lists`` a name may hold list marks (街区、小区、楼栋三级管理体系) when a verb
    starts it. Returns the start offset and the verb found (None when the name starts at a mark).
    """
    if lists:
        start, verb = name_start(sentence, end, lo, verbs=verbs, lists=False)
        if verb is None and sentence[start - 1:start] == "、":
            a = start
            while a > 0 and (sentence[a - 1] not in _BOUNDARY or sentence[a - 1] == "、") and lo - a < 24:
                a -= 1
            head = sentence[a:lo]
            for v in sorted(verbs, key=len, reverse=True):
                i = head.rfind(v)
                if i >= 0:
                    return a + i + len(v), v
        return start, verb
    a = lo
    while a > 0 and sentence[a - 1] not in _BOUNDARY and lo - a < 20:
        a -= 1
    head = sentence[a:lo]
    best, verb = a, None
    for w in stops:
        i = head.rfind(w)
        if i >= 0 and a + i + len(w) > best:
            best = a + i + len(w)
    for v in verbs:
        i = head.rfind(v)
        if i >= 0 and a + i + len(v) > best:
            best, verb = a + i + len(v), v
    for w in ("了", "出"):  # 组建了…, 孵化出…
        if sentence.startswith(w, best) and verb:
            best += 1
    for w in ("单位",):  # 共建单位青山产业园
        i = sentence.rfind(w, best, lo)
        if i >= 0:
            best = i + len(w)
    return best, verb


def _verb_before(sentence: str, start: int) -> str | None:
    """The verb of practice right before ``start`` (a quoted name's opening mark), or None.

    One of ``PRACTICE_VERBS``, else any word jieba reads there as a verb (``v``, or a set
    phrase ``l`` such as 共同商定: 签署“…”, 开通“…”), else an account, app or platform word
    (公众号“…”, 小程序“…”: the name of the account).
    """
    head = sentence[max(0, start - 6):start]
    for v in sorted(PRACTICE_VERBS, key=len, reverse=True):
        if head.endswith(v) or head.endswith(v + "了"):
            return v
    m = re.search(r"(?:号|程序|平台|APP|App|app)$", head)
    if m:
        return m.group(0)
    import jieba.posseg as pseg

    from .sites import segmenter as _jieba

    _jieba()
    words = pseg.lcut(head.rstrip("了"))
    if words and len(words[-1].word) >= 2 and words[-1].flag in ("v", "l") and _jieba().dt.FREQ.get(words[-1].word, 0) > 0:
        return words[-1].word
    return None


def _blocked_before(sentence: str, start: int) -> bool:
    head = sentence[max(0, start - 6):start]
    return any(head.endswith(w) or head.endswith(w + "的") for w in _NOT_PRACTICE)


def propose_kinds(name: str, context: str, vocab: Vocabulary, *, most: int = 2) -> tuple[tuple[str, ...], str]:
    """Kinds for a mechanism from the kind scheme's labels and alternative labels.

    A keyword in the name scores 2, in the sentence 1; the best ``most`` kinds are returned
    with a note saying which keywords were matched. When no keyword matches, the kinds whose
    labels share the most character pairs with the name are proposed and the note says so.

    Examples
    --------
    >>> from govkg.draft.vocab import vocabulary
    >>> propose_kinds("季度楼栋协商会", "", vocabulary())[0][0]
    'juminxieshanghui'
    """
    scores: dict[str, tuple[int, list[str]]] = {}
    bare = strip_quotes(name)
    for kid, words in vocab.kind_words.items():
        s, hits = 0, []  # type: tuple[int, list[str]]
        for w in words:
            if len(w) < 2:
                continue
            if w in bare:
                s, hits = s + 2 * len(w), hits + [w]
            elif w in context:
                s, hits = s + len(w), hits + [w]
        if s:
            scores[kid] = (s, hits)
    if scores:
        top = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))[:most]
        note = "kinds proposed from keywords: " + "; ".join(f"{k} ({'、'.join(h)})" for k, (_, h) in top)
        return tuple(k for k, _ in top), note

    def pairs(t: str) -> set[str]:
        return {t[i:i + 2] for i in range(len(t) - 1)}

    mine = pairs(bare) | pairs(context)
    ranked = sorted(((len(mine & set().union(*(pairs(w) for w in words))), kid) for kid, words in vocab.kind_words.items()),
                    key=lambda t: (-t[0], t[1]))
    kid = ranked[0][1]
    return (kid,), f"kind {kid} is a weak guess (no keyword of the scheme matched; nearest by shared characters)"


def _extend_quote(sentence: str, b: int) -> int:
    """End of a quoted name with its ending (“清泉夜话”议事会), or ``b`` when none follows."""
    m = re.match(rf"[{_CJK}]{{0,10}}", sentence[b:])
    tail = m.group(0) if m else ""
    tail = re.split(r"[和与及或等的]", tail)[0]  # “周通报”和驻点督导制度: two names
    best = 0
    for suf in _QUOTE_SUFFIXES:
        i = tail.find(suf)
        while i >= 0:
            cand = i + len(suf)
            if "的" not in tail[:cand] and cand > best:
                best = cand
            i = tail.find(suf, i + 1)
    return b + best


#: Heads of a practice's room, hall, station, point or council (调解室, 议事厅, 实践站, 说事点, 评议会).
_ROOM_HEADS = "室厅站点会"


def _room_heads(sentence: str):
    """Each room, hall, station or point ending after a verb (调解|室, 实践|站, 说|事点 …) or a word of
    deliberation or talk (议, 谈, 商, 话: 议事|厅, 议事|点, 茶话|室), and each council after 议 (评议会), as regex matches.

    The verb is read by jieba (tagged ``v``); a room after a noun (会议室, 母婴室, 阅览室 as one
    word) is a facility, not a practice.
    """
    for m in re.finditer(f"[{_ROOM_HEADS}]", sentence):
        h = m.start()
        seg = sentence[max(0, h - 2):h]
        if len(seg) < 2 or not re.fullmatch(f"[{_CJK}]+", seg) or seg == "会议":  # 会议室: a meeting room
            continue
        if m.group(0) == "会":
            if "议" in seg and sentence[h + 1:h + 2] not in ("议", "员", "长"):
                yield m
            continue
        if re.search("[议谈商话]", seg) or _verb_word_before(sentence, h):
            yield m


def _verb_word_before(sentence: str, h: int) -> bool:
    """Whether jieba reads a verb (``v``) ending right before ``h`` and the head at ``h`` as its own word."""
    import jieba.posseg as pseg

    from .sites import segmenter as _jieba

    _jieba()
    a = max(0, h - 6)
    pos = a
    words = pseg.lcut(sentence[a:h + 1])
    for i, w in enumerate(words):
        nxt = pos + len(w.word)
        if nxt == h:
            return w.flag == "v" and len(w.word) >= 2 and i + 1 < len(words) and words[i + 1].word == sentence[h]
        pos = nxt
    return False


#: Quoted words that are figures of speech, not names of a practice (打通“神经末梢”, 织密“一张网”).
_FIGURES = ("末梢", "家门口", "最后一公里", "最后一米", "痛点", "堵点", "难点", "民声", "来源", "日报", "网",
            "金钥匙", "连心桥", "暖心", "幸福感", "获得感", "主心骨", "领头雁", "排头兵", "试验田")


#: Starts and ends that make a name ending in 体系, 机制, 行动 … a phrase, not a name.
_VAGUE_START = ("不断", "确保", "积极", "推动", "提高", "加强", "完善", "健全", "一些", "各项", "相关", "有关", "各类", "这些",
                "他们", "我们", "进一步", "逐步", "全面", "持续", "切实", "真正", "并", "也", "还", "了", "和", "及")
_VAGUE_END = ("治理体系", "制度机制", "实际行动", "工作机制", "体制机制", "长效机制", "工作制度", "管理制度", "各项制度",
              "服务体系", "组织体系", "工作体系", "政策体系", "体系")


def _vague(text: str) -> bool:
    bare = strip_quotes(text)
    return (bare.startswith(_VAGUE_START) or any(w in bare for w in ("是", "了", "用", "把", "让", "的"))
            or bare in _VAGUE_END or any(bare.endswith(e) and len(bare) - len(e) <= 2 for e in _VAGUE_END))


def _figure_of_speech(inner: str, ending: bool = False) -> bool:
    """Whether a quoted ``inner`` is a figure of speech, not a name (打通“神经末梢”, 当好“主角”).

    Besides the words of ``_FIGURES``: a title (《…》), a newspaper (…日报, …晚报), a count of a thing
    (“三剂良方”, “一声哨”: a numeral and a measure word), and, when no mechanism ending follows
    (``ending`` False), one ordinary word of jieba's dictionary (“引擎”, “最大公约数”, “两张皮”):
    a practice's name is a coinage, not a word the dictionary holds.
    """
    if any(inner.endswith(f) or inner == f for f in _FIGURES) or inner.startswith(("《", "〈")) \
            or re.search(r"[日晚商早时]报$", inner):
        return True
    if re.match(r"[一二两三四五六七八九十]+[剂声份张条根把颗盏面]", inner):
        return True
    if not ending and len(inner) >= 2:
        from .sites import segmenter as _jieba

        return _jieba().dt.FREQ.get(inner, 0) > 0
    return False


def _quoted_practices(sentence: str, vocab: Vocabulary, taken: Sequence[tuple[int, int]], repeated: frozenset) -> list[Name]:
    """The quoted names of ``find_mechanisms`` (its first rule), outside the spans ``taken``."""
    out: list[Name] = []

    def free(a, b):
        return all(b <= x or a >= y for x, y in list(taken) + [(n.start, n.end) for n in out])

    for a, b in quoted_spans(sentence):
        if not free(a, b):
            continue
        inner = sentence[a + 1:b - 1]
        end = _extend_quote(sentence, b)
        verb = _verb_before(sentence, a)
        if _blocked_before(sentence, a):
            continue
        if sentence.startswith(("系列报道", "主题采访", "系列活动报道"), b):
            continue  # the name of a news series or campaign (“文明中国”主题采访)
        if _figure_of_speech(inner, end > b) or re.search(r"[，,。？?！!；;：:…]", inner) \
                or end == b and re.fullmatch(r"[\d+＋NnA-Za-z ]+", inner):
            continue  # a quoted remark, a figure of speech, a bare slogan (1+N)
        why = None
        if end == b and verb is not None and verb not in PRACTICE_VERBS and len(inner) <= 4 \
                and re.match(r"[，,；;。]", sentence[b:b + 1]) \
                and name_start(sentence, b, a, stops=_ONE_CHAR_STOPS)[1] is not None:
            continue  # 用好党建引领“实招”: an epithet after a verb of practice (read below), not 引领“实招”
        if end == b and verb is not None and verb not in PRACTICE_VERBS and "、" in inner:
            verb = None  # 确保“功能明晰、服务集成”: a list of qualities after a verb, not a name
        if end == b:
            if sentence.startswith(("相结合", "的方式"), b) or re.search(r"[难题局面目标问题]$", inner):
                continue
            if verb is not None:
                why = f"after {verb}"
            elif inner.endswith(MECHANISM_SUFFIXES) and len(inner) >= 3:
                why = "its own ending names a practice (“实事清单”)"
            elif strip_quotes(inner) in repeated:
                why = "quoted more than once in the report"
            elif re.match(r"[”]?[、和及与]?“", sentence[b:b + 2]) or sentence[max(0, a - 2):a] in ("”、", "”和") \
                    or sentence[a - 1:a] == "”":
                why = "one of a list of quoted names"
            elif re.match(r"(?:等形式|等方式|等举措|等|活动|要求|行动|工作|制度|机制|平台|品牌|为抓手|工单)", sentence[b:]):
                why = "a quoted name followed by " + re.findall(r"^[\u4e00-\u9fff]{0,3}", sentence[b:])[0]
            elif a == 0 or sentence[a - 1] in "\n:：":
                why = "a quoted name heading its sentence"
            elif re.search(rf"(?:\d+|[一二两三四五六七八九十百千]+)[名位支](?:[{_CJK}]{{0,4}})$", sentence[:a]):
                why = "a named role or team after a count of people (数百名“红管家”)"
            if why is None or len(inner) < 2 or len(inner) < 3 and not why.startswith("after"):
                continue
        text = sentence[a:end]
        kinds, note = propose_kinds(text, _clause(sentence, a, end), vocab)
        conf = 0.8 if end > b else 0.6 if why and why.startswith("after") else 0.5
        out.append(Name(text, a, end, "quoted name" + (" with a mechanism ending" if end > b else f" ({why})"),
                        conf, kinds, None, (note,)))
    return out


def find_mechanisms(sentence: str, vocab: Vocabulary, *, taken: Sequence[tuple[int, int]] = (),
                    repeated: frozenset = frozenset()) -> list[Name]:
    """Named mechanisms in one sentence (quoted names and names with a mechanism ending).

    ``taken`` are spans already read as organizations; names overlapping them are left out.
    A quoted name is a practice when a verb of practice comes before it, a mechanism ending after
    it, it is quoted more than once in the report (``repeated``, without quotation marks), it is
    one of a list of quoted names, it heads its sentence, or 等形式/活动/机制 … follows it;
    figures of speech (打通“神经末梢”) are left out.

    Examples
    --------
    >>> from govkg.draft.vocab import vocabulary
    >>> s = "该社区探索“银龄调解”机制,落实接诉即办工作机制,实现“两降两升”。"
    >>> [n.text for n in find_mechanisms(s, vocabulary())]
    ['“银龄调解”机制', '接诉即办工作机制']
    """
    out = _quoted_practices(sentence, vocab, taken, repeated)

    def free(a, b):
        return all(b <= x or a >= y for x, y in list(taken) + [(n.start, n.end) for n in out])

    ends = [(m, f"name ending in {suf}") for suf in MECHANISM_SUFFIXES for m in re.finditer(re.escape(suf), sentence)]
    ends += [(m, f"a room, station or council of a practice ({_ROOM_HEADS})") for m in _room_heads(sentence)]
    for m, rule in ends:
        if True:
            suf = m.group(0)
            end = m.end()
            start, verb = name_start(sentence, end, m.start(), lists=True)
            for n in out:  # 设立矛盾调解室和楼栋议事点: a second name after a first one and 和
                if start <= n.start and n.end < m.start() and sentence[n.end:n.end + 1] in ("和", "及", "与", "、"):
                    start = max(start, n.end + 1)
            if start >= m.start() or end - start < 3 or not free(start, end):
                continue
            if _blocked_before(sentence, start):
                continue
            text = sentence[start:end]
            lead = LEADING.match(text)
            if lead and lead.end() < len(text) - 1:
                start += lead.end()
                text = sentence[start:end]
            while text[:1] in ("的", "和", "及", "与", "并") and len(text) > 3:  # 和驻点督导制度, 的哨源感知网络
                start += 1
                text = sentence[start:end]
            if re.search(r"\d", text) or "“" in text or "”" in text or text.startswith("的") or in_quotes(sentence, start):
                continue
            if _vague(text) or text == suf:
                continue
            kinds, note = propose_kinds(text, _clause(sentence, start, end), vocab)
            out.append(Name(text, start, end, rule, 0.7 if verb else 0.5, kinds, None, (note,)))
    # A practice with an epithet in quotes after a verb: 用好党建引领“实招”, 用好驻村律师“快招”.
    for m in re.finditer(rf"“[{_CJK}]{{1,4}}”(?=[，,；;。])", sentence):
        # the words between the verb and the epithet qualify it (用好协同联动“巧招”): only one-character
        # function words cut them
        start, verb = name_start(sentence, m.end(), m.start(), stops=_ONE_CHAR_STOPS)
        if verb is None or m.start() - start < 2 or not free(start, m.end()) or _blocked_before(sentence, start):
            continue
        if m.start() - start > 8 or re.search("[的了和与及]", sentence[start:m.start()]) or _figure_of_speech(m.group(0)[1:-1], True):
            continue  # 织起了一张严密细致的“治理之网”: a figure of speech with its description, not a practice
        text = sentence[start:m.end()]
        kinds, note = propose_kinds(text, _clause(sentence, start, m.end()), vocab)
        out.append(Name(text, start, m.end(), f"a practice with a quoted epithet after {verb}", 0.5, kinds, None, (note,)))
    for m in re.finditer(rf"(?:召开|开展|组织|举办|举行)了?(?:\d+|[一二两三四五六七八九十]+)[次轮场期届](?P<n>[{_CJK}]{{2,6}}?)(?=[，,、。；;]|$)", sentence):
        a, b = m.start("n"), m.end("n")
        if free(a, b) and not _vague(m.group("n")) and m.group("n") not in ("活动", "会议", "培训", "讲座", "工作"):
            kinds, note = propose_kinds(m.group("n"), _clause(sentence, a, b), vocab)
            out.append(Name(m.group("n"), a, b, "a practice held a counted number of times (召开五次湾子会)", 0.5,
                            kinds, None, (note,)))
    # … and a practice named before its count (开展技能培训12期, 举办专场招聘会4期).
    for m in re.finditer(rf"(?:(?:召开|开展|组织|举办|举行)了?)+(?P<n>[{_CJK}]{{2,8}}?)(?:共|累计)?(?:\d+|[一二两三四五六七八九十]+)[次轮场期届]",
                         sentence):
        a, b = m.start("n"), m.end("n")
        name = m.group("n")
        if free(a, b) and not _vague(name) and not name.endswith(("活动", "会议", "工作")) and name not in ("培训", "讲座") \
                and not re.search(r"[各类项种些多]", name[:2]):
            kinds, note = propose_kinds(name, _clause(sentence, a, b), vocab)
            out.append(Name(name, a, b, "a practice held a counted number of times (开展技能培训十二期)", 0.5,
                            kinds, None, (note,)))
    out += _list_mates(sentence, out, vocab, free)
    return sorted(out, key=lambda n: n.start)


#: Rooms and equipment listed beside a practice (母婴室, 便民活动室): a facility, not a practice.
_FACILITIES = ("大厅", "空间", "卫生间", "停车场", "广场", "窗口")


def _facility(name: str) -> bool:
    """A room, corner or hall (母婴室, 图书角, 阅览室): a facility unless a practice's verb or a word
    of deliberation comes before its head (调解室, 议事厅: ``_room_heads``)."""
    if name.endswith(_FACILITIES):
        return True
    if name[-1:] in "室角间厅馆":
        return not any(m.end() == len(name) for m in _room_heads(name))
    return False


def _list_mates(sentence: str, found: list[Name], vocab: Vocabulary, free) -> list[Name]:
    """Items of an enumeration (甲、乙、丙等…项目) whose other items are drafted names."""
    extra: list[Name] = []
    for m in re.finditer(rf"([{_CJK}]{{2,10}}(?:、[{_CJK}]{{2,10}})+)等", sentence):
        items, pos = [], m.start(1)
        for it in m.group(1).split("、"):
            items.append((pos, pos + len(it)))
            pos += len(it) + 1
        if not any(any(n.start <= a and n.end >= b or (n.start >= a and n.end == b) for n in found) for a, b in items):
            continue
        a0, b0 = items[0]
        start, verb = name_start(sentence, b0, b0 - 1)
        items[0] = (max(a0, start), b0)
        for a, b in items:
            if b - a >= 3 and free(a, b) and not any(n.start < b and n.end > a for n in found + extra) \
                    and not _facility(sentence[a:b]):
                kinds, note = propose_kinds(sentence[a:b], _clause(sentence, a, b), vocab)
                extra.append(Name(sentence[a:b], a, b, "item of a list whose other items are names", 0.5, kinds, None, (note,)))
    return extra


def _clause(sentence: str, a: int, b: int) -> str:
    from ..sentences import clause_of

    x, y = clause_of(sentence, a, b)
    return sentence[x:y]
