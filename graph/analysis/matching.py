"""Names matched as values against zh/en labels and ids: exact, prefix and substring hits, ranked."""

from __future__ import annotations

import difflib
import re
import unicodedata

from ..errors import NotFoundError
from .index import site_index

__all__ = ["normalize", "normalize_all", "match_score", "rank_matches", "best_matches", "closest", "find_site", "text_lang",
           "KIND_MATCH", "kind_match_score", "kind_matches"]

_QUOTES = re.compile("[\"'“”‘’「」『』《》〈〉()（）]")


def normalize(text: str) -> str:
    """``text`` as compared: NFKC, case folded, quotes and brackets dropped, spaces collapsed.

    Examples
    --------
    >>> normalize(" “椰智荟”议事堂 "), normalize("Gaoxin  COMMUNITY")
    ('椰智荟议事堂', 'gaoxin community')
    """
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(_QUOTES.sub("", t).split())


def match_score(name: str, ls: dict, iri) -> int:
    """How well ``name`` matches a term with labels ``ls`` (``{"zh", "en"}``) and IRI ``iri``.

    3: an exact label or the id (the IRI's last segment); 2: a label starts with it; 1: a
    label contains it; 0: no match. Compared after ``normalize`` (case, quotes and
    brackets ignored).

    Examples
    --------
    >>> ls = {"zh": "高新社区", "en": "Gaoxin Community"}
    >>> [match_score(n, ls, "urn:x/gaoxinshequ") for n in ("gaoxinshequ", "高新", "community", "江源")]
    [3, 2, 1, 0]
    >>> match_score("椰智荟议事堂", {"zh": "“椰智荟”议事堂"}, "urn:x/m")
    3
    """
    n = normalize(name)
    if not n:
        return 0
    texts = [normalize(t) for t in (ls.get("zh", ""), ls.get("en", "")) if t]
    slug = str(iri).rsplit("/", 1)[-1]
    if n in texts or n == slug.casefold():
        return 3
    if any(t.startswith(n) for t in texts):
        return 2
    if any(n in t for t in texts):
        return 1
    return 0


def rank_matches(name: str, candidates, labels_of) -> list[tuple[int, object]]:
    """Every candidate matching ``name`` as ``(score, candidate)``: exact hits, then prefix, then substring.

    ``labels_of(candidate)`` gives ``{"zh", "en"}``. ``name`` is compared as a value in
    Python; it never becomes query text. Within a score, candidates keep IRI order.

    Examples
    --------
    >>> labs = {"a": {"zh": "议事堂议事会"}, "b": {"zh": "“椰智荟”议事堂"}, "c": {"zh": "网格"}}
    >>> rank_matches("议事堂", sorted(labs), labs.get)
    [(2, 'a'), (1, 'b')]
    """
    n = normalize(name)
    if not n:
        return []
    cands = list(candidates)
    labels = [labels_of(c) or {} for c in cands]
    texts = normalize_all([ls.get(lang) or "" for ls in labels for lang in ("zh", "en")])
    scored = []
    for i, c in enumerate(cands):  # match_score's rules, the texts normalized at once
        zh, en = texts[2 * i], texts[2 * i + 1]
        if n == zh or n == en or n == str(c).rsplit("/", 1)[-1].casefold():
            scored.append((3, c))
        elif zh.startswith(n) or en.startswith(n):
            scored.append((2, c))
        elif n in zh or n in en:
            scored.append((1, c))
    return sorted(scored, key=lambda x: (-x[0], str(x[1])))


def normalize_all(texts: list[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, normalized as one text joined by NUL and split again.

    Three times faster over the 100,000 labels of a national build's mechanisms (one Unicode
    normalization, case fold and quote removal instead of one a label): NUL is a starter
    that composes with nothing, and case folding and the quote removal go character by
    character, so no label reaches into the next. A text holding NUL is normalized alone.

    Examples
    --------
    >>> normalize_all([" “椰智荟”议事堂 ", "Gaoxin  COMMUNITY", "", "ＡＢ"])
    ['椰智荟议事堂', 'gaoxin community', '', 'ab']
    """
    if not texts or any("\x00" in t for t in texts):
        return [normalize(t) for t in texts]
    joined = _QUOTES.sub("", unicodedata.normalize("NFKC", "\x00".join(str(t) for t in texts)).casefold())
    return [" ".join(t.split()) for t in joined.split("\x00")]


def best_matches(name: str, candidates, labels_of) -> list:
    """The candidates matching ``name`` best (see ``match_score``), sorted; empty when none does."""
    ranked = rank_matches(name, candidates, labels_of)
    return [c for sc, c in ranked if sc == ranked[0][0]] if ranked else []


def closest(name: str, texts: list[str], n: int = 5) -> list[str]:
    """Up to ``n`` of ``texts`` closest to ``name`` (difflib), for "Did you mean" hints."""
    return difflib.get_close_matches(str(name), list(dict.fromkeys(texts)), n=n, cutoff=0.3)


def text_lang(text: str | None, default: str = "zh") -> str:
    """``"zh"`` when ``text`` holds a CJK character, ``"en"`` when it holds Latin letters only, else ``default``.

    What ``--lang auto`` answers in: the language of the name asked about.

    Examples
    --------
    >>> text_lang("高新社区"), text_lang("Gaoxin Community"), text_lang(None, "zh")
    ('zh', 'en', 'zh')
    """
    if not text:
        return default
    if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text):
        return "zh"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en"
    return default


def find_site(graph, name):
    """The IRI of the one site whose id, IRI or zh/en label matches ``name`` (exact, else prefix, else substring).

    The one site look-up of govkg: ``shared``, ``similar``, ``suggest`` and the analysis
    all use it. ``name`` is compared as a value (see ``match_score``); it never becomes
    query text. ``graph`` is an rdflib graph or a ``SiteIndex``.

    Raises
    ------
    NotFoundError
        When no site matches (the closest labels are suggested), or several match equally well.

    Examples
    --------
    >>> from govkg.analysis import _example_graph, site_index
    >>> idx = site_index(_example_graph())
    >>> [str(find_site(idx, n)).rsplit("/", 1)[1] for n in ("乙村", "Jia", "乙")]
    ['b', 'a', 'b']
    """
    index = site_index(graph)
    row = index.row_by_text.get(str(name).strip())
    if row is not None:
        return index.sites[row]

    def labels_of(s):
        return index.labels.get(s, {})

    rank = getattr(index.labels, "rank", None)  # an opened build's label table ranks in SQL
    ranked = rank(str(name), "site") if rank is not None else None
    if ranked is None:
        found = best_matches(str(name), index.sites, labels_of)
    else:
        found = [c for sc, c in ranked if sc == ranked[0][0]]
    if len(found) == 1:
        return found[0]
    if not found:
        near = getattr(index.labels, "near", None)
        names = near(str(name), "site") if near is not None else \
            [t for s in index.sites for t in index.labels.get(s, {}).values() if t]
        lang = text_lang(str(name), "en")
        fallback = [index.label(s, lang) for s in index.sites[:5]]
        raise NotFoundError("site", str(name), closest(str(name), names) or fallback)
    labs = [index.label(s) for s in found]
    if len(set(labs)) < len(labs):
        labs = [f"{index.label(s)} ({str(s).rsplit('/', 1)[-1]})" for s in found]
    raise NotFoundError("single site", str(name), labs)


#: How a kind matched a search (``kind_matches``), best first, with its score.
KIND_MATCH = {6: "exact", 5: "alt", 4: "prefix", 3: "substring", 2: "word", 1: "definition", 0: "narrower"}
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and the of for in on or to with by at as is are be from".split())


def _stems(text: str) -> set:
    """The English word stems of ``text`` (Snowball), stop words left out."""
    import snowballstemmer

    words = [w for w in _WORD.findall(normalize(text)) if w not in _STOP]
    return set(snowballstemmer.stemmer("english").stemWords(words))


def kind_match_score(name: str, ls: dict, texts: dict | None, iri) -> int:
    """How well ``name`` matches a kind by meaning, in zh or en: a key of ``KIND_MATCH`` (-1: no match).

    6: its zh/en label or id; 5: one of its ``skos:altLabel``; 4: a label or altLabel starts
    with ``name``; 3: one contains it; 2: every English word of ``name`` is, stemmed, a word of a
    label or altLabel ("mediator" finds "mediation"); 1: ``name`` is in its ``skos:definition``
    (contained, or all its English word stems there). Compared after ``normalize``.

    Examples
    --------
    >>> ls = {"zh": "矛盾纠纷调解队", "en": "dispute mediation team"}
    >>> texts = {"alt": {"zh": ["调解"], "en": ["mediation"]}, "definition": {"zh": ["调解矛盾纠纷的队伍。"],
    ...          "en": ["A team that settles quarrels between neighbours."]}}
    >>> [kind_match_score(n, ls, texts, "urn:k/x") for n in ("dispute mediation team", "调解", "mediat", "纠纷",
    ...                                                       "mediators", "队伍", "quarrel", "grid")]
    [6, 5, 4, 3, 2, 1, 1, -1]
    """
    n = normalize(name)
    if not n:
        return -1
    texts = texts or {}
    labs = [normalize(t) for t in (ls.get("zh", ""), ls.get("en", "")) if t]
    alts = [normalize(t) for lang in ("zh", "en") for t in texts.get("alt", {}).get(lang, ())]
    defs = [normalize(t) for lang in ("zh", "en") for t in texts.get("definition", {}).get(lang, ())]
    if n in labs or n == str(iri).rsplit("/", 1)[-1].casefold():
        return 6
    if n in alts:
        return 5
    names = labs + alts
    if any(t.startswith(n) for t in names):
        return 4
    if any(n in t for t in names):
        return 3
    want = _stems(n)
    if want and any(want <= _stems(t) for t in names):
        return 2
    if any(n in t for t in defs) or (want and any(want <= _stems(t) for t in defs)):
        return 1
    return -1


def kind_matches(name: str, index) -> list[tuple[int, object]]:
    """The kinds in use matching ``name`` by meaning, each with the kinds narrower than it: ``[(score, kind)]``.

    The one kind search of govkg (``shared --kind``, ``outcomes --kind``): ``name`` is
    compared as a value (never query text) with each kind's zh/en labels, altLabels and
    definitions (``kind_match_score``); every kind narrower than a kind whose label or
    altLabel matched is added with score 0 (``KIND_MATCH[0]``, "narrower") unless it matched
    itself (a match in a definition alone does not bring narrower kinds in: definitions
    mention many things). A kind's sites already include those of its narrower kinds
    (``SiteIndex.kinds`` is rolled up). Best score first, then IRI.

    Examples
    --------
    >>> from govkg.analysis import _example_graph, site_index
    >>> [(sc, str(k).rsplit("/", 1)[1]) for sc, k in kind_matches("互助养老", site_index(_example_graph()))]
    [(6, 'huzhuyanglao')]
    """
    index = site_index(index)
    texts = index.texts or {}
    kinds = list(index.kinds.columns)
    scored = {k: kind_match_score(name, index.labels.get(k, {}), texts.get(k), k) for k in kinds}
    hits = {k for k, sc in scored.items() if sc >= 2}  # a definition alone does not bring in narrower kinds
    for k in kinds:
        if k not in hits and index.broader.get(k, frozenset()) & hits:
            scored[k] = 0
    return sorted(((sc, k) for k, sc in scored.items() if sc >= 0), key=lambda x: (-x[0], str(x[1])))
