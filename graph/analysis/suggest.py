"""Sites like yours also use …: kinds of mechanism a site's most similar sites use and it does not, each score explained."""

from __future__ import annotations

from rdflib import URIRef

from ..errors import GovkgError
from .index import entry, site_index
from .matching import find_site
from .similarity import similar_to

__all__ = ["suggest", "join_names"]


def join_names(names: list[str], lang: str) -> str:
    """``a、b、c`` in zh, ``a, b and c`` in en.

    Examples
    --------
    >>> join_names(["A", "B", "C"], "en"), join_names(["甲", "乙"], "zh")
    ('A, B and C', '甲、乙')
    """
    if not names:
        return ""
    if lang == "zh":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def suggest(graph, site, *, neighbors: int = 3, top: int = 10, by: str = "kinds", weight: str = "idf") -> dict:
    """Kinds of mechanism that the sites most like ``site`` use and ``site`` does not: "sites like yours also use …".

    A description of peers, not advice: the ``neighbors`` sites most similar to ``site``
    (``govkg.analysis.similarity.FORMULA``) each vote for the kinds they use and ``site``
    lacks, with their similarity as weight. ``score`` = the similarity of the voters ÷ the
    similarity of all the neighbours (1.0: every neighbour uses it); ``explanation`` says
    this in words with the numbers. A broader kind is left out when a narrower kind below
    it is listed. Each entry names its voters with their similarity and their mechanisms
    of that kind.

    Returns
    -------
    dict
        ``{"site": {"iri", "label"}, "neighbors": [...], "suggestions": [{"iri", "label",
        "score", "tied", "used_by": [{"iri", "label", "similarity", "mechanisms"}],
        "explanation": {"zh", "en"}}], "message": {"zh", "en"} (only when empty)}``; ``tied``:
        another kind has the same score.

    Raises
    ------
    NotFoundError
        For an unknown site, with the closest names.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> s = suggest(_example_graph(), "甲社区", weight="none")["suggestions"][0]
    >>> s["label"]["en"], s["score"]
    ('mutual-aid elderly care', 0.7742)
    >>> print(s["explanation"]["en"])
    Of the 2 sites most like Jia Community, Yi Village (similarity 0.857) uses it; score 0.77 = 0.857 ÷ 1.107, the summed similarity of all 2.
    """
    if neighbors < 1:
        raise GovkgError("neighbors must be at least 1")
    index = site_index(graph)
    iri = find_site(index, site)
    i = index.row[iri]
    near = similar_to(index, iri, k=neighbors, by=by, weight=weight)
    K = index.kinds.matrix
    M = index.mechanisms.matrix
    MK = index.mechanism_kinds.tocsc()
    own = set(K.indices[K.indptr[i]:K.indptr[i + 1]].tolist())
    res = {"site": entry(index, iri), "neighbors": near, "suggestions": []}
    total = sum(n["similarity"] for n in near)
    votes: dict = {}
    for n in near:
        r = index.row[URIRef(n["iri"])]
        ks = set(K.indices[K.indptr[r]:K.indptr[r + 1]].tolist())
        for c in ks - own:
            votes.setdefault(c, []).append((n, r))
    cols = index.kinds.columns
    ancestors = set().union(*(index.broader.get(cols[c], frozenset()) for c in votes)) if votes else set()
    me = {lang: index.label(iri, lang) for lang in ("zh", "en")}
    out = []
    for c, voters in votes.items():
        if cols[c] in ancestors:
            continue
        used_by = []
        kind_mechs = set(MK.indices[MK.indptr[c]:MK.indptr[c + 1]].tolist())
        for n, r in voters:
            mechs = set(M.indices[M.indptr[r]:M.indptr[r + 1]].tolist()) & kind_mechs
            used_by.append(entry(index, index.sites[r], similarity=n["similarity"],
                                 mechanisms=[entry(index, index.mechanisms.columns[m])
                                             for m in sorted(mechs, key=lambda m: str(index.mechanisms.columns[m]))]))
        part = sum(n["similarity"] for n, _ in voters)
        score = part / total if total else 0.0
        k = len(near)
        who = {"zh": join_names([f"{index.label(index.sites[r], 'zh')}(相似度 {n['similarity']:.3f})" for n, r in voters], "zh"),
               "en": join_names([f"{index.label(index.sites[r], 'en')} (similarity {n['similarity']:.3f})" for n, r in voters], "en")}
        verb = "uses" if len(voters) == 1 else "use"
        en = (f"Of the {k} sites most like {me['en']}, {who['en']} {verb} it; "
              + (f"score {score:.2f} = {part:.3f} ÷ {total:.3f}, the summed similarity of all {k}." if len(voters) < k
                 else f"score {score:.2f}: all {k} use it."))
        zh = (f"与{me['zh']}最相似的 {k} 个示范点中,{who['zh']}使用此类机制;"
              + (f"得分 {score:.2f} = {part:.3f} ÷ {total:.3f}(全部 {k} 个的相似度之和)。" if len(voters) < k
                 else f"得分 {score:.2f}:{k} 个都在使用。"))
        out.append(entry(index, cols[c], score=round(score, 4), used_by=used_by, explanation={"zh": zh, "en": en}))
    out.sort(key=lambda d: (-d["score"], -len(d["used_by"]), d["iri"]))
    scores = [d["score"] for d in out]
    for d in out:
        d["tied"] = scores.count(d["score"]) > 1
    res["suggestions"] = out[:top]
    if not out:
        res["message"] = ({"zh": "没有与本点相似的示范点。", "en": "No other site is similar to this one."}
                          if not near else
                          {"zh": "最相似示范点使用的机制类型本点都已具备。",
                           "en": "This site already uses every kind its most similar sites use."})
    return res
