"""The whole analysis as plain data, each statistic with what it measures and when it means nothing."""

from __future__ import annotations

from typing import Any

from .centrality import bridging_organizations, centrality
from .communities import communities
from .cooccurrence import kind_cooccurrence
from .index import entry, site_index
from .pairs import shared_columns
from .similarity import FORMULA, similarity_matrix
from .suggest import suggest

__all__ = ["analyze", "notes", "limits"]


def notes(n: int) -> dict:
    """``{statistic: {"measures": {"zh", "en"}, "caveat": {"zh", "en"}}}`` for ``n`` sites: what each
    statistic of ``analyze`` measures, and when it means nothing.

    Examples
    --------
    >>> notes(8)["centrality"]["caveat"]["en"][:40]
    'With 8 sites, a mechanism used at one si'
    """
    return {
        "shared": {
            "measures": {"en": "Named mechanisms and kinds found at two or more sites: counts of sites, no statistic.",
                         "zh": "被两个及以上示范点使用的具体机制和机制类型:只是计数,不是统计量。"},
            "caveat": {"en": "Kinds are assigned by the curators; a broader kind covers every site of its narrower kinds.",
                       "zh": "机制类型由整理者归类;上位类型涵盖其下位类型的全部示范点。"}},
        "similarity": {
            "measures": FORMULA,
            "caveat": {"en": f"Describes what the report says about these {n} sites; a site the report says less about "
                             f"looks less similar to every other.",
                       "zh": f"只描述报道对这 {n} 个示范点的记述;报道写得少的示范点与其他各点都显得不相似。"}},
        "centrality": {
            "measures": {"en": "In the projection two mechanisms (kinds, organizations) are linked when they are found "
                               "at a common site. Degree: the share of the others it is linked to. Betweenness: how "
                               "often it lies on the shortest path between two others (0 to 1).",
                         "zh": "投影网络中,两个机制(类型、组织)出现在同一示范点即相连。度中心性:与之相连的其他节点所占比例;"
                               "介数中心性:位于其他两节点最短路径上的频率(0 至 1)。"},
            "caveat": {"en": f"With {n} sites, a mechanism used at one site is linked to exactly the other mechanisms "
                             f"of that site: its degree reflects how many mechanisms the report lists there, and "
                             f"mechanisms of one site tie. Only a mechanism used at several sites can bridge; ties are "
                             f"listed as ties.",
                       "zh": f"只有 {n} 个示范点时,仅在一个示范点使用的机制只与该点的其他机制相连:其度中心性反映的是报道在该点列出的机制数,"
                             f"同一示范点的机制得分相同。只有在多个示范点使用的机制才可能起桥梁作用;并列者按并列列出。"}},
        "communities": {
            "measures": {"en": "Louvain communities of the site-similarity graph; modularity (−0.5 to 1) says how much "
                               "more alike the sites within the groups are than chance; near 0: no structure.",
                         "zh": "在示范点相似度网络上用 Louvain 方法分组;模块度(−0.5 至 1)表示组内示范点比随机情况更相似的程度,接近 0 即无结构。"},
            "caveat": {"en": "Shown only with at least 20 sites and modularity of at least 0.3.",
                       "zh": "至少 20 个示范点且模块度不低于 0.3 时才列出分组。"}},
        "cooccurrence": {
            "measures": {"en": f"Pairs of kinds found together at two or more of the {n} sites more often than if they "
                               f"were independent (lift > 1). Support: share of sites with both; lift: support ÷ "
                               f"(share with one × share with the other).",
                         "zh": f"在 {n} 个示范点中至少两点同时出现、且比相互独立时更常同时出现(提升度 > 1)的机制类型对。"
                               f"支持度:两者兼有的示范点占比;提升度:支持度 ÷(具有其一的占比 × 具有另一的占比)。"},
            "caveat": {"en": f"A pair at 2 of {n} sites is two observations: lift describes these sites, it is not "
                             f"evidence of a general pattern. Two kinds given to one mechanism always go together.",
                       "zh": f"在 {n} 个示范点中出现于 2 点只是两次观察:提升度只描述这些示范点,不能说明普遍规律。"
                             f"同一机制被归入的两个类型必然同时出现。"}},
        "suggestions": {
            "measures": {"en": "Kinds of mechanism that the most similar sites use and this site does not, as the "
                               "report describes them: sites like yours also use …",
                         "zh": "最相似的示范点使用而本点(据报道)没有的机制类型:与你相似的示范点还在使用……"},
            "caveat": {"en": "A description of peers, not advice: the report may simply not mention a practice a site "
                             "has, and nothing here measures whether a practice works.",
                       "zh": "这是对相似示范点的描述,不是建议:报道可能只是没有提到某点已有的做法,这里也没有衡量任何做法是否有效。"}},
    }


def _source_phrase(srcs: list[dict] | None) -> dict:
    """How many reports, by whom and from when, in words (computed from the reports in the data)."""
    srcs = srcs or []
    k = len(srcs)
    pubs = sorted({(p.get("zh") or p.get("en") or "", p.get("en") or p.get("zh") or "")
                   for p in (s.get("publisher") or {} for s in srcs) if p})
    years = sorted({str(s.get("date") or s.get("date_earliest") or "")[:4] for s in srcs} - {""})
    span = "" if not years else years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"
    who_zh = "、".join(p[0] for p in pubs if p[0])
    who_en = ", ".join(p[1] for p in pubs if p[1])
    if k == 0:
        return {"zh": "数据中没有记录报道来源", "en": "no report is recorded as their source"}
    zh = f"依据 {k} 篇报道的记述" + (f"({','.join(x for x in (who_zh, span) if x)})" if who_zh or span else "")
    en = (f"as {'one report presents' if k == 1 else f'{k} reports present'} them"
          + (f" ({', '.join(x for x in (who_en, span) if x)})" if who_en or span else ""))
    return {"zh": zh, "en": en}


def limits(n: int, sources: list[dict] | None = None) -> list[dict]:
    """What this data can and cannot tell you, as ``[{"zh", "en"}]`` sentences for ``n`` sites.

    ``sources`` (``govkg.analysis.outcomes.sources`` values) are the reports the data quote:
    the first sentence says how many, by whom and from which years, computed from them.

    Examples
    --------
    >>> len(limits(8)) >= 4
    True
    >>> limits(9, [{"publisher": {"zh": "海口网", "en": "Haikou Net"}, "date_earliest": "2024-11-02"},
    ...            {"publisher": {"zh": "长江日报", "en": "Changjiang Daily"}, "date": "2025-03-01"}])[0]["en"][:90]
    'The data describe 9 demonstration sites as 2 reports present them (Haikou Net, Changjiang '
    """
    src = _source_phrase(sources)
    return [
        {"en": f"The data describe {n} demonstration sites {src['en']}: they are not a sample of communities, and "
               f"what the reports leave out is unknown.",
         "zh": f"数据描述 {n} 个示范点,{src['zh']}:它们不是社区的抽样,报道未提及的内容无从得知。"},
        {"en": "Kinds of mechanism are assigned by the curators from the report's wording; another curator could "
               "group them differently, and every count by kind depends on that choice.",
         "zh": "机制类型是整理者根据报道措辞归类的;换一个人可能归类不同,所有按类型的计数都取决于这一选择。"},
        {"en": "It can tell you which named practices and kinds of practice the report places at which sites, which "
               "sites it describes alike, and which numbers it reports — each with its sentence.",
         "zh": "它能告诉你:报道把哪些具体做法和做法类型放在哪些示范点,哪些示范点被描述得相似,报道给出了哪些数字——每条都附原文句子。"},
        {"en": "It cannot tell you whether a practice works, causes an outcome, or would work elsewhere: the numbers "
               "are the sites' own reports, without baselines or comparison sites.",
         "zh": "它不能告诉你某种做法是否有效、是否导致了某项成效、换个地方是否可行:数字是示范点的自述,没有基线,也没有对照点。"},
        {"en": f"With {n} sites, similarity, centrality and co-occurrence describe these sites only; none of them is "
               f"a test, and communities are not shown.",
         "zh": f"只有 {n} 个示范点,相似度、中心性和共现只描述这些示范点,都不是统计检验;也不列出分组。"},
    ]


def _shown(com: dict) -> dict:
    """``communities`` as shown: the groups are left out (``[]``) when they mean nothing."""
    return com if com["meaningful"] else dict(com, communities=[])


def _sources(graph) -> list[dict] | None:
    """The reports of an rdflib graph (``outcomes.sources``), sorted by IRI; None for a bare index."""
    from rdflib import Graph

    if not isinstance(graph, Graph):
        return None
    from .outcomes import sources

    return [v for _, v in sorted(sources(graph).items())]


def _counts(graph, index) -> dict:
    """``govkg.counts.counts`` (the one definition, ``counts.rq``) for a graph or store; for a bare
    ``SiteIndex`` only what it can count the same way (sites, and kinds when every mechanism is used at a site)."""
    import pyoxigraph as ox
    from rdflib import Graph

    if type(graph).__name__ == "OpenBuild":  # govkg.open: count in its store
        graph = graph.store
    if isinstance(graph, (Graph, ox.Store)):
        from ..counts import counts

        return counts(graph)
    return {"sites": len(index.sites)}


def analyze(graph, *, top: int = 10, neighbors: int = 3, by: str = "kinds", weight: str = "idf") -> dict:
    """A summary of the whole analysis, as plain data (what ``govkg analyze --json`` prints).

    Returns
    -------
    dict
        ``counts`` (``govkg.counts.counts``: the one definition of each count), ``shared_mechanisms``, ``shared_kinds``, ``similarity`` (formula, by,
        weight, sites, matrix), ``centrality`` (mechanism, kind, organization; ``top`` each,
        ties kept), ``bridging_organizations``, ``communities`` (with modularity and whether
        it means anything; the groups left out when it does not), ``cooccurrence`` (lift > 1, ``top``), ``suggestions`` (per site,
        ``top`` each), ``notes`` (what each statistic measures, when it means nothing),
        ``limits`` (what the data can and cannot tell) and ``messages`` (what is empty and why).

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> a = analyze(_example_graph())
    >>> {k: a["counts"][k] for k in ("sites", "mechanisms", "kinds")}
    {'sites': 3, 'mechanisms': 6, 'kinds': 9}
    """
    from ..errors import GovkgError

    for name, v in (("top", top), ("neighbors", neighbors)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise GovkgError(f"{name} must be a whole number, 1 or more, got {v!r}")
    index = site_index(graph)
    n = len(index.sites)
    sites, S = similarity_matrix(index, by=by, weight=weight)
    res: dict[str, Any] = {
        "counts": _counts(graph, index),
        "shared_mechanisms": shared_columns(index, "mechanism"),
        "shared_kinds": shared_columns(index, "kind"),
        "similarity": {"metric": "weighted jaccard", "by": by, "weight": weight, "formula": FORMULA,
                       "sites": [entry(index, s) for s in sites], "matrix": [[round(float(v), 4) for v in r] for r in S]},
        "centrality": {lvl: centrality(index, lvl, top=top) for lvl in ("mechanism", "kind", "organization")},
        "bridging_organizations": bridging_organizations(index),
        "communities": _shown(communities(index, by=by, weight=weight)),
        "cooccurrence": kind_cooccurrence(index)[:top],
        "suggestions": {},
        "notes": notes(n),
        "limits": limits(n, _sources(graph)),
        "messages": [],
    }
    for s in index.sites:
        sug = suggest(index, s, neighbors=neighbors, top=top, by=by, weight=weight)
        res["suggestions"][str(s)] = {"site": sug["site"], "suggestions": sug["suggestions"], "neighbors": sug["neighbors"],
                                      **({"message": sug["message"]} if "message" in sug else {})}
    if not index.sites:
        res["messages"].append({"zh": "图中没有示范点。", "en": "The graph holds no demonstration site."})
    if not res["shared_mechanisms"]:
        res["messages"].append({"zh": "没有被两个及以上示范点共用的具体机制。",
                                "en": "No named mechanism is used at two or more sites."})
    if not res["shared_kinds"]:
        res["messages"].append({"zh": "没有被两个及以上示范点共用的机制类型。",
                                "en": "No kind of mechanism is used at two or more sites."})
    return res
