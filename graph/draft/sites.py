"""Sites and the places above them, found in running text (no heading lines needed), with jieba and cpca."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .places import Place
from ..sentences import Sentence

__all__ = ["SiteMention", "find_sites", "area_fallback", "parse_chain", "AREA_SUFFIXES", "segmenter",
           "function_word_inside"]

_CJK = "\u4e00-\u9fff"
#: Endings of a place above a site and the area type each gives (longest first).
AREA_SUFFIXES = (
    ("特别行政区", "province"), ("自治区", "province"), ("自治州", "city"), ("经济开发区", "development-zone"),
    ("开发区", "development-zone"), ("新区", "development-zone"), ("街道", "subdistrict"), ("地区", "city"),
    ("省", "province"), ("市", "city"), ("区", "district"), ("县", "district"), ("旗", "district"),
    ("镇", "town"), ("乡", "town"),
)
#: Endings of a site's name and its type (a 小区 is a site only when the report names no other).
SITE_SUFFIXES = (("居民区", "community"), ("社区", "community"), ("村", "village"), ("小区", "community"))
_AREA_RE = "|".join(s for s, _ in AREA_SUFFIXES)
_CHAIN = re.compile(rf"((?:[{_CJK}]{{2,10}}?(?:{_AREA_RE}))*?)([{_CJK}]{{2,6}})")
#: Characters a place name never holds: function words, measure words, demonstratives.
_STOP = set("的了在到与是为对从把将被让给向于及或等个各该本此这那其每全着过也都就还又以由并如第")
#: Words before 社区/村/小区 that make a kind of place, not a name (城市社区, 老旧小区, 五好社区).
_GENERIC = {
    "城市", "城乡", "乡村", "农村", "老旧", "和谐", "五好", "示范", "典型", "文明", "美丽", "智慧", "平安", "幸福",
    "绿色", "数字", "虚拟", "试点", "基层", "全国", "全省", "全市", "全区", "全县", "所在", "相关", "周边",
    "毗邻", "辖区", "本地", "当地", "新型", "红色", "法治", "模范", "宜居", "无邪", "和美", "未来", "完整",
    "老", "新", "大", "小", "我们", "他们", "居民", "业主", "农民", "村民", "各个", "多个", "其他", "周围",
    "建设", "治理", "服务", "管理", "加强", "城镇", "商品房", "安置", "保障房", "无物业", "网格", "党建",
    "融入", "提升", "推进", "打造", "创建", "回迁", "开放式", "封闭式", "美丽乡", "特色", "传统", "自然",
}
#: Two-character words ending in 村 that are not names (乡村, 农村, 驻村 …).
_NOT_VILLAGE = {"乡村", "农村", "驻村", "进村", "各村", "全村", "本村", "该村", "每村", "此村", "村村", "山村", "渔村",
                "入村", "到村", "在村", "回村", "出村", "留村", "强村", "富村", "兴村", "治村", "建村", "护村"}


@dataclass
class SiteMention:
    """A site the text names: its name, type, the places stated next to it, and where it is named.

    ``chain`` is the longest chain of places written right before the name in one of its
    mentions (长宁区程家桥街道南龚居民区 → 长宁区, 程家桥街道); ``first`` is the first sentence
    naming the site (with its chain when there is one: ``chain_sentence``).
    """

    name: str
    type: str
    chain: tuple[Place, ...] = ()
    first: Sentence | None = None
    chain_sentence: Sentence | None = None
    count: int = 0
    index: int = 0
    compound: bool = False
    notes: list[str] = field(default_factory=list)
    heads: bool = False


#: A line that starts with a site's name and a colon, after an item mark: ``3. 南岭村：…``, ``（二）东湖社区:``.
_ITEM_HEAD = re.compile(rf"^\s*(?:[(（]?[\d一二三四五六七八九十]+[)）.．、]\s*|[【\[])?(?P<name>[{_CJK}]{{2,30}})[】\]]?\s*[：:]")


@lru_cache(maxsize=1)
def segmenter():
    """The jieba module, quiet and with its dictionary loaded (``segmenter().dt.FREQ``), once."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # the dictionary (jieba.dt.FREQ) is read by the rules before any segmentation
    return jieba


_jieba = segmenter


def _token_starts(sentence: str) -> list[int]:
    """Offsets where jieba starts a word in ``sentence`` (the segmenter ships its dictionary offline)."""
    out, pos = [], 0
    for tok in _jieba().lcut(sentence, HMM=True):
        out.append(pos)
        pos += len(tok)
    return out


def _area_type(name: str) -> str | None:
    for suf, typ in AREA_SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            return typ
    return None


def parse_chain(text: str) -> tuple[Place, ...] | None:
    """``text`` read as places above a site (西安市碑林区张家村街道), or None when it is not only that.

    Of the ways to cut ``text`` into names ending in 省/市/区/县/镇/乡/街道 …, the one with the
    most names is taken (南区街道 is one name: 街道 needs a name before it).

    Examples
    --------
    >>> [(p.zh, p.type) for p in parse_chain("西安市碑林区张家村街道")]
    [('西安市', 'city'), ('碑林区', 'district'), ('张家村街道', 'subdistrict')]
    >>> [p.zh for p in parse_chain("中山市南区街道")]
    ['中山市', '南区街道']
    >>> parse_chain("记者到集贤路街道") is None, parse_chain("黄河厂社区") is None
    (True, True)
    """
    if not text:
        return ()
    best = _cuts(text)
    return None if best is None else tuple(Place(p, _area_type(p) or "") for p in best)


@lru_cache(maxsize=8192)
def _cuts(text: str) -> tuple[str, ...] | None:
    if not text:
        return ()
    best = None
    for suf, _ in AREA_SUFFIXES:
        for m in re.finditer(re.escape(suf), text):
            end = m.end()
            part = text[:end]
            if not _valid_area(part):
                continue
            rest = _cuts(text[end:])
            if rest is not None and (best is None or len(rest) + 1 > len(best)):
                best = (part, *rest)
    return best


def _valid_area(p: str) -> bool:
    typ = _area_type(p)
    if typ is None or len(p) > 12:
        return False
    suf = next(s for s, _ in AREA_SUFFIXES if p.endswith(s))
    stem = p[: -len(suf)]
    if len(stem) < 2 and not (suf == "县" and len(stem) == 1):
        return False
    if any(c in _STOP for c in stem) or stem in _GENERIC or not re.fullmatch(f"[{_CJK}]+", stem):
        return False
    if p.endswith(("社区", "小区", "居民区", "街区", "城市", "都市", "超市", "集市", "夜市", "门市", "上市")) or p in (
            "城区", "郊区", "山区", "市区", "全区", "该区", "辖区", "片区", "老区", "景区", "校区", "园区", "营区", "矿区"):
        return False
    return True


def _left_bound(sentence: str, pos: int, limit: int = 28) -> int:
    a = pos
    while a > 0 and re.match(rf"[{_CJK}]", sentence[a - 1]) and sentence[a - 1] not in _STOP and pos - a < limit:
        a -= 1
    return a


def _mentions(s: Sentence):
    """``(name, type, chain)`` of each site named in one sentence."""
    text = s.text
    starts = None
    for m in re.finditer("|".join(x for x, _ in SITE_SUFFIXES), text):
        p, q = m.start(), m.end()
        suf = m.group(0)
        if suf == "村":
            if text[p - 1:q] in _NOT_VILLAGE or re.match(rf"(?:{_AREA_RE}|社区|委|居民|民|干部|级|庄|两委|集体|组|务|规|史)", text[q:q + 2]):
                continue
        if suf == "社区" and text[q:q + 1] in "村":  # 社区村 (a 村 named after a 社区) is rare: skip
            continue
        a = _left_bound(text, p)
        if p - a < 2:
            continue
        if starts is None:
            starts = set(_token_starts(text))
        best = None
        for i in range(a, p - 1):
            if i not in starts and i != a:
                continue
            # the places stated before the name, then the name (2-6 characters)
            for j in range(p - 2, i - 1, -1):
                if p - j > 6:
                    break
                chain = parse_chain(text[i:j])
                if chain is None:
                    continue
                name = text[j:p]
                if chain and j not in starts and not (text[j - 1:j] in "镇乡县区市道"):
                    continue
                if not _valid_name(name):
                    continue
                if not chain and (j not in starts or _verb(text, j, p) or function_word_inside(text, j, p)):
                    # a bare name starts where jieba starts a word (记者到蔡山社区 → 蔡山), and is not a verb (召开社区)
                    continue
                best = (chain, name)
                break
            if best:
                break
        if best is None:
            # the word jieba ends right before the suffix, or the two before it (座|洞村 → 座洞)
            cands = sorted(x for x in starts if a <= x <= p - 2)
            if cands:
                j = cands[-1]
                name = text[j:p]
                if _valid_name(name) and not _verb(text, j, p):
                    best = ((), name)
        if best is None:
            continue
        chain, name = best
        typ = dict(SITE_SUFFIXES)[suf]
        if name.endswith(("街道", "镇", "乡")):
            continue
        yield name + suf, typ, chain, suf == "小区"


def _valid_name(name: str) -> bool:
    if "社区" in name or "小区" in name or name in _GENERIC or any(c in _STOP for c in name) or re.match(r"[\d〇零一二两三四五六七八九十百千万]", name):
        return False
    if any(name.endswith(g) for g in _GENERIC if len(g) >= 2):
        return False
    # a name that starts with a place (崆峒区城市): the place is above, the rest is not a name
    return not any(_cuts(name[:k]) for k in range(2, len(name)))


def _verb(sentence: str, a: int, b: int) -> bool:
    """Whether ``sentence[a:b]`` is one word that jieba tags as a verb, adverb or function word (召开, 依托)."""
    import jieba.posseg as pseg

    _jieba()
    pos = 0
    for w in pseg.lcut(sentence[max(0, a - 4):b + 2]):
        start = max(0, a - 4) + pos
        pos += len(w.word)
        if start == a and start + len(w.word) == b:
            # only a word of jieba's dictionary: a rare name (咀头) gets a guessed tag from the HMM
            known = _jieba().dt.FREQ.get(w.word, 0) > 0
            return known and w.flag[:1] in ("v", "d", "p", "c", "r", "u", "a") and w.flag not in ("vn",)
    return False


def function_word_inside(sentence: str, a: int, b: int) -> bool:
    """Whether a word of ``sentence[a:b]`` before its last is a verb, pronoun or function word (记者|走进|柳岸)."""
    import jieba.posseg as pseg

    _jieba()
    words = pseg.lcut(sentence[a:b])
    return any(_jieba().dt.FREQ.get(w.word, 0) > 0 and w.flag[:1] in ("v", "p", "r", "c", "u", "d") and w.flag != "vn"
               for w in words[:-1])


def find_sites(sentences: list[Sentence]) -> list[SiteMention]:
    """The sites a report names, in order of first mention, with the places stated next to each.

    A name with places before it (西安市碑林区张家村街道科研社区) is a site; a bare name
    (蔡山社区) is one when it is named twice, in one of the first three sentences, or heads an
    item of a list (``3. 南岭村：…``). A bare name starts after any verb, pronoun or function word
    jieba reads before it (记者走进柳岸社区 → 柳岸社区). A 小区 is a
    site only when no 社区 or 村 is (the compound is then the demonstration point).

    Examples
    --------
    >>> from govkg.sentences import split_sentences
    >>> ss = split_sentences("近日,西安市碑林区张家村街道科研社区召开会议。科研社区居民参加。\\n七星台镇沈家店村修路。")
    >>> [(m.name, [p.zh for p in m.chain]) for m in find_sites(ss)]
    [('科研社区', ['西安市', '碑林区', '张家村街道']), ('沈家店村', ['七星台镇'])]
    """
    found: dict[str, SiteMention] = {}
    for n, s in enumerate(sentences):
        for name, typ, chain, compound in _mentions(s):
            m = found.get(name)
            if m is None:
                m = found[name] = SiteMention(name, typ, first=s, index=n, compound=compound)
            m.count += 1
            if len(chain) > len(m.chain):
                m.chain, m.chain_sentence = chain, s
            head = _ITEM_HEAD.match(s.text)
            if head and head.group("name").endswith(name):
                m.heads = True
    keep = [m for m in found.values() if m.chain or m.count >= 2 or m.index < 3 or m.heads]
    # a name inside another's (草厂社区 in 前门街道草厂社区 is merged above; 二村 in 机械二村社区)
    keep = [m for m in keep if not any(o is not m and o.name.endswith(m.name) and o.count >= m.count for o in keep)]
    main = [m for m in keep if not m.compound]
    return main or [m for m in keep if m.compound]


def area_fallback(sentences: list[Sentence]) -> tuple[Place, tuple[Place, ...], Sentence] | None:
    """For a report that names no site: the lowest place it names most (a district, a county), with the places above it.

    cpca (a gazetteer of China's administrative divisions) confirms a district or county and
    the city above it; towns and subdistricts are read from their endings.
    """
    counts: dict[str, tuple[int, tuple[Place, ...], Sentence]] = {}
    for s in sentences:
        for m in re.finditer(rf"(?:[{_CJK}]{{1,8}}?(?:{_AREA_RE}))+", s.text):
            a = m.start()
            starts = set(_token_starts(s.text))
            for i in range(a, m.end() - 1):
                if i != a and i not in starts:
                    continue
                chain = parse_chain(s.text[i:m.end()])
                if chain and _real(chain[0].zh):
                    low = chain[-1]
                    c, best, first = counts.get(low.zh, (0, chain, s))
                    counts[low.zh] = (c + 1, chain if len(chain) > len(best) else best, first)
                    break
    if not counts:
        return None
    order = {"town": 0, "subdistrict": 0, "district": 1, "development-zone": 1, "city": 2}
    _, (_, chain, s) = min(counts.items(), key=lambda kv: (-kv[1][0], order.get(kv[1][1][-1].type, 3)))
    return chain[-1], chain[:-1], s


@lru_cache(maxsize=4096)
def _real(name: str) -> bool:
    """Whether cpca knows ``name`` as a province, city or district, or it ends like a town or subdistrict."""
    if name.endswith(("街道", "镇", "乡")):
        return True
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import cpca

            df = cpca.transform([name])
    except Exception:  # noqa: BLE001 - the gazetteer is a help: without it every ending counts
        return True
    row = df.iloc[0]
    return any(isinstance(row.get(k), str) and row.get(k) and name.startswith(row.get(k)[:2]) for k in ("省", "市", "区"))
