"""A readable bilingual report of the analysis (HTML or Markdown), and the text output of ``analyze`` and ``suggest``.

Long module: the report's sections and its two renderers (HTML, Markdown) share the block format defined here.
Long function ``report_blocks``: the report's sections in reading order, a few blocks each.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from rdflib import Graph

from .analysis.labels import pick
from .errors import GovkgError
from .writers import write_atomic, write_set

__all__ = ["summary_text", "suggestions_text", "outcomes_table", "report_blocks", "render_markdown", "render_html",
           "write_report", "md_escape", "amount", "Quote"]

_T = {
    "title": ("海口市基层治理示范点：机制网络分析报告", "Haikou grassroots-governance demonstration sites: network analysis of mechanisms"),
    "overview": ("概况", "Overview"),
    "counts": ("示范点 {sites} 个，具体机制 {mechanisms} 项，机制类型 {kinds} 个（含上位类型），组织 {organizations} 个，"
               "其他行政区域 {areas} 个，成效数据 {outcomes} 条，成效表述 {claims} 条。",
               "{sites} sites, {mechanisms} named mechanisms, {kinds} kinds of mechanism (broader kinds included), "
               "{organizations} organizations, {areas} other administrative areas, {outcomes} outcomes with a number and "
               "{claims} claims without one."),
    "limits": ("这些数据能说明什么、不能说明什么", "What this data can and cannot tell you"),
    "measures": ("度量内容：", "What it measures: "),
    "caveat": ("何时没有意义：", "When it means nothing: "),
    "shared": ("共用机制", "Shared mechanisms"),
    "shared_m": ("被两个及以上示范点共用的具体机制", "Named mechanisms used at two or more sites"),
    "shared_k": ("被两个及以上示范点共用的机制类型", "Kinds of mechanism used at two or more sites"),
    "similarity": ("示范点相似度", "Site similarity"),
    "most_like": ("最相似的示范点", "Most similar sites"),
    "communities": ("示范点分组", "Groups of sites"),
    "modularity": ("Louvain 分组，模块度 {q:.3f}。", "Louvain communities, modularity {q:.3f}."),
    "centrality": ("中心性", "Centrality"),
    "bridging": ("跨示范点的组织", "Organizations linking several sites"),
    "cooc": ("常同时出现的机制类型", "Kinds found together more often than chance"),
    "suggestions": ("与之相似的示范点还在使用……", "Sites like this one also use …"),
    "outcomes": ("各示范点成效数据", "Outcomes of each site"),
    "source": ("资料来源", "Source"),
    "none": ("（无）", "(none)"),
    "mechanism": ("机制", "Mechanism"), "kind": ("类型", "Kind"), "organization": ("组织", "Organization"),
    "sites": ("示范点", "Sites"), "n_sites": ("点数", "Number of sites"), "site": ("示范点", "Site"),
    "rank": ("名次", "Rank"), "degree": ("度中心性", "Degree"), "betweenness": ("介数中心性", "Betweenness"),
    "support": ("支持度", "Support"), "lift": ("提升度", "Lift"), "score": ("得分", "Score"),
    "why": ("得分说明", "What the score means"), "examples": ("它们的做法", "Their mechanisms"),
    "what": ("度量内容", "What is measured"), "value": ("数值", "Value"), "evidence": ("原文依据", "Evidence"),
    "credited": ("归因机制", "Credited to"), "similarity_col": ("相似度", "Similarity"),
    "community": ("第 {id} 组", "Group {id}"),
    "tied": ("{n} 项并列", "{n} tied"),
    "of_n": ("{k}/{n}", "{k} of {n}"),
    "similar_to": ("与 {site} 最相似", "Most similar to {site}"),
    "nothing": ("无。", "Nothing."),
    "figure_missing": ("（未安装 matplotlib，未绘制相似度图；安装：pip install 'govkg[viz]'。）",
                       "(matplotlib is not installed: no similarity figure; pip install 'govkg[viz]' draws it.)"),
    "figure_too_many": ("（{n:,} 个示范点的相似度热图无法辨读（最多 {most} 个），未绘制；各点最相似的示范点见下表。）",
                        "(No similarity heat map: one of {n:,} sites is not legible (at most {most}); "
                        "the table below lists each site's most similar sites.)"),
    "published": ("发布", "published"), "rights": ("版权", "rights"),
    "toc": ("目录", "Contents"),
    "profiles": ("示范点概况", "Site profiles"),
    "profile_mechs": ("具体机制({n} 项):", "Named mechanisms ({n}): "),
    "profile_kinds": ("。机制类型:", ". Kinds: "),
    "profile_like": ("。最相似的 3 个示范点(相似度):", ". Most like (similarity): "),
    "like_in_profiles": ("每个示范点最相似的 3 个示范点列在下文“示范点概况”中。",
                         "Each site's 3 most similar sites are listed in its profile below."),
    "credited_outcomes": ("归因于具体做法的成效", "Outcomes credited to a practice"),
    "other_facts": ("报道未归因于具体做法的事实(背景情况,或未注明由哪项做法取得的结果)",
                    "Facts the report credits to no practice (context, or results it ties to no practice)"),
    "suggest_top": ("得分最高的 3 个类型", "Top 3 kinds"),
    "suggest_score": ("得分 = 使用该类型的相似示范点的相似度之和 ÷ 最相似的 {k} 个示范点的相似度之和(1.00:{k} 个都在使用);"
                      "govkg suggest 示范点 逐条说明每个得分。",
                      "Score = the summed similarity of the similar sites that use the kind ÷ the summed similarity of all "
                      "{k} most similar sites (1.00: all {k} use it); govkg suggest SITE explains each score."),
    "suggest_from": ("依据(最相似的示范点)", "From (the most similar sites)"),
    "evidence_summary": ("原文", "sentence"),
    "published_after": ("发布于 {d} 或之后", "published on or after {d}"),
}


def _t(key: str, lang: str, **kw) -> str:
    return _T[key][0 if lang == "zh" else 1].format(**kw)


def _lab(entry: dict | None, lang: str) -> str:
    """The label of an ``{"iri", "label"}`` entry in ``lang`` (never its IRI)."""
    return pick((entry or {}).get("label", {}), lang, "?")


def _both(entry: dict, lang: str) -> str:
    """``高新社区 (Gaoxin Community)`` — the chosen language first, the other in brackets."""
    lab = entry.get("label", {})
    a, b = lab.get(lang), lab.get("en" if lang == "zh" else "zh")
    return f"{a} ({b})" if a and b and a != b else (a or b or "?")


def _join(items, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def amount(value, unit: dict | None, lang: str = "en", comparator: dict | None = None) -> str:
    """A number with its unit and comparator for a reader: ``超过 120人``, ``more than 120 persons``.

    Uses ``govkg.units.format_amount`` (``606万元``, ``6.06 million yuan``); a unit it does not
    know is written by its label in ``lang`` (its note in brackets dropped).

    Examples
    --------
    >>> amount(120, {"iri": "x", "label": {"zh": "人", "en": "persons"}, "text": "人"}, "en",
    ...        {"label": {"zh": "超过", "en": "more than"}, "iri": "https://w3id.org/govkg/ontology#MoreThan"})
    'more than 120 persons'
    """
    unit = unit or {}
    if unit.get("iri") and value is not None:
        try:
            from .units import format_amount
        except ImportError:  # pragma: no cover - govkg.units ships with govkg
            format_amount = None  # type: ignore[assignment]
        if format_amount is not None:
            try:
                return format_amount(value, unit["iri"], lang=lang, comparator=(comparator or {}).get("iri"))
            except GovkgError:
                pass  # a unit it cannot convert falls back to the label
    comp = ""
    if comparator and not comparator.get("iri", "").endswith("#Exactly"):
        comp = pick(comparator.get("label", {}), lang) + ("" if lang == "zh" else " ")
    num = "" if value is None else (f"{value:,}" if lang == "en" and isinstance(value, int) else str(value))
    name = pick(unit.get("label", {}), lang) or unit.get("text", "")
    name = re.sub(r"\s*\(.*\)$", "", name) if lang == "en" else name
    text = f"{num}{'' if lang == 'zh' or name == '%' else ' '}{name}".strip()
    return f"{comp}{text}"


def _outcome_value(o: dict, lang: str) -> str:
    if o.get("value") is None:
        text = pick((o.get("direction") or {}).get("label", {}), lang) or ("（无数值）" if lang == "zh" else "(no number)")
    else:
        text = amount(o["value"], o.get("unit"), lang, o.get("comparator"))
        if (o.get("measure") or {}).get("iri", "").endswith("Change"):
            d = pick((o.get("direction") or {}).get("label", {}), lang)
            text += f"（{d or '变化量'}）" if lang == "zh" else f" ({d or 'change'})"
    if o.get("period"):
        p = pick(o["period"], lang)
        text += f"，{p}" if lang == "zh" else f", {p}"
    return text


def _source_text(src: dict | None, lang: str) -> str:
    if not src:
        return ""
    parts = [_lab(src, lang)]
    if src.get("publisher"):
        parts.append(pick(src["publisher"], lang))
    if src.get("date"):
        parts.append(f"{_t('published', lang)} {src['date']}")
    elif src.get("date_earliest"):
        parts.append(_t("published_after", lang, d=src["date_earliest"]))
    if src.get("url"):
        parts.append(src["url"])
    return ("，" if lang == "zh" else ", ").join(p for p in parts if p)


def _evidence_text(evidence: list, lang: str) -> str:
    return " / ".join(f"“{' '.join(e['text'].split())}”" for e in evidence)


class Quote(str):
    """A table cell holding evidence sentences: the HTML report folds it (``<details>``), Markdown prints it."""


def _quote(evidence: list, lang: str) -> Quote:
    return Quote(_evidence_text(evidence, lang))


def _note_blocks(note: dict, lang: str) -> list[tuple]:
    return [("note", _t("measures", lang) + note["measures"][lang]), ("note", _t("caveat", lang) + note["caveat"][lang])]


def _centrality_rows(rows: list[dict], lang: str, n_show: int | None = None) -> list[list]:
    from .analysis.centrality import tie_groups

    out = []
    for group in tie_groups(rows)[:n_show]:
        d = group[0]
        names = _join([_lab(x, lang) for x in group], lang)
        if len(group) > 1:
            names = f"{_t('tied', lang, n=len(group))}: {names}"
        sites = sorted({x["sites"] for x in group})
        out.append([f"{d['rank']}{'=' if len(group) > 1 else ''}", names, "/".join(map(str, sites)),
                    f"{d['degree']:.3f}", f"{d['betweenness']:.3f}"])
    return out


def _counts_sentence(c: dict, lang: str) -> str:
    """The overview's counts (``govkg.counts``, one definition) as a sentence; the bare list when some are unknown."""
    from .counts import COUNTED, counts_text

    if all(k in c for k in COUNTED):
        return _t("counts", lang, **c)
    return counts_text(c, lang)


def summary_text(res: dict, lang: str = "zh") -> str:
    """The ``govkg analyze`` summary as plain text (``res`` from ``govkg.analysis.analyze``).

    Every statistic comes with what it measures and when it means nothing; ties are listed
    as ties; labels only, never IRIs.

    Examples
    --------
    >>> from govkg.analysis import analyze, _example_graph
    >>> print(summary_text(analyze(_example_graph()), "en").splitlines()[0])
    3 sites, 6 named mechanisms, 9 kinds of mechanism (broader kinds included), 0 organizations, 0 other administrative areas, 1 outcomes with a number and 0 claims without one.
    """
    notes = res["notes"]
    n = res["counts"]["sites"]
    out = [_counts_sentence(res["counts"], lang)]
    out += [m[lang] for m in res.get("messages", [])]
    out += ["", _t("limits", lang) + ":"] + [f"  - {x[lang]}" for x in res["limits"]]

    def note(key):
        return [f"  {_t('measures', lang)}{notes[key]['measures'][lang]}", f"  {_t('caveat', lang)}{notes[key]['caveat'][lang]}"]

    for key, title in (("shared_mechanisms", "shared_m"), ("shared_kinds", "shared_k")):
        out += ["", _t(title, lang) + ":"]
        rows = res[key] or []
        out += [f"  {d['site_count']}  {_both(d, lang)}: {_join([_lab(s, lang) for s in d['sites']], lang)}" for d in rows] or [f"  {_t('none', lang)}"]
    out += ["", _t("similarity", lang) + ":"] + note("similarity")
    com = res["communities"]
    out += ["", _t("communities", lang) + ":"] + note("communities")
    if com["meaningful"]:
        out.append("  " + _t("modularity", lang, q=com["modularity"]))
        out += [f"  {_t('community', lang, id=c['id'])}: {_join([_lab(s, lang) for s in c['sites']], lang)}" for c in com["communities"]]
    else:
        out.append("  " + com["reason"][lang])
    out += ["", _t("centrality", lang) + ":"] + note("centrality")
    for lvl in ("mechanism", "kind", "organization"):
        out.append(f"  {_t(lvl, lang)} — {_t('rank', lang)} | {_t('degree', lang)} | {_t('betweenness', lang)} | ({_t('n_sites', lang)}):")
        rows = _centrality_rows(res["centrality"][lvl], lang, 5)
        out += [f"    {r[0]:4} {r[3]}  {r[4]}  ({r[2]})  {r[1]}" for r in rows] or [f"    {_t('none', lang)}"]
    out += ["", _t("bridging", lang) + ":"]
    out += [f"  {d['site_count']}  {_lab(d, lang)}" for d in res["bridging_organizations"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("cooc", lang) + ":"] + note("cooccurrence")
    out += [f"  {_t('lift', lang)} {r['lift']:.2f}, {_t('support', lang)} {r['support']:.2f} "
            f"({_t('of_n', lang, k=r['sites'], n=n)}): {_lab(r['a'], lang)} + {_lab(r['b'], lang)}"
            for r in res["cooccurrence"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("suggestions", lang)] + note("suggestions")
    for s in res["suggestions"].values():
        top = _join([f"{_lab(x, lang)} ({x['score']:.2f})" for x in s["suggestions"][:3]], lang) or s.get("message", {}).get(lang, "")
        out.append(f"  {_lab(s['site'], lang)}: {top}")
    return "\n".join(out)


def suggestions_text(res: dict, lang: str = "zh") -> str:
    """The ``govkg suggest`` result as plain text: "sites like yours also use …", each score explained.

    Examples
    --------
    >>> from govkg.analysis import suggest, _example_graph
    >>> print(suggestions_text(suggest(_example_graph(), "甲社区"), "en").splitlines()[1])
      0.71  Yi Village
    """
    from .analysis.summary import notes

    note = notes(0)["suggestions"]
    out = [_t("similar_to", lang, site=_both(res["site"], lang)) + ":"]
    out += [f"  {n['similarity']:.2f}{'=' if n.get('tied') else ''}  {_lab(n, lang)}" for n in res["neighbors"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("suggestions", lang)]
    for x in res["suggestions"]:
        out.append(f"  {x['score']:.2f}{'=' if x.get('tied') else ' '} {_both(x, lang)} — {x['explanation'][lang]}")
        for u in x["used_by"]:
            if u["mechanisms"]:
                out.append(f"        {_lab(u, lang)}: {_join([_lab(m, lang) for m in u['mechanisms']], lang)}")
    if not res["suggestions"]:
        out.append("  " + res.get("message", {}).get(lang, _t("nothing", lang)))
    out += ["", note["caveat"][lang]]
    return "\n".join(out)


def outcomes_table(rows: list[dict], lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of outcomes (``govkg.analysis.outcomes``) for a reader: labels, amounts, evidence."""
    header = [_t("site", lang), _t("what", lang), _t("value", lang), _t("credited", lang), _t("evidence", lang)]
    body = [[_lab(o["site"], lang), pick(o["label"], lang, "?"), _outcome_value(o, lang),
             _lab(o["mechanism"], lang) if o.get("mechanism") else "", _evidence_text(o["evidence"], lang)] for o in rows]
    return header, body


def _similarity_figure(res: dict, lang: str) -> tuple:
    """``("figure", png, caption)``, or ``("p", why not)`` when matplotlib is missing or the
    sites are too many for a legible heat map."""
    try:
        from govkg.visualize.figures import MAX_HEATMAP_SITES, similarity_figure
    except ImportError:
        return ("p", _t("figure_missing", lang))
    n = len(res["similarity"]["sites"])
    if n > MAX_HEATMAP_SITES:
        return ("p", _t("figure_too_many", lang, n=n, most=MAX_HEATMAP_SITES))
    try:
        return ("figure", similarity_figure(res["similarity"]["sites"], res["similarity"]["matrix"], lang),
                _t("similarity", lang))
    except ImportError:
        return ("p", _t("figure_missing", lang))


def report_blocks(graph, lang: str = "zh", *, neighbors: int = 3, top: int = 5, by: str = "kinds",
                  weight: str = "idf") -> list[tuple]:
    """The report as a list of blocks, each ``("h1"|"h2"|"h3"|"p", text)``, ``("ul", [texts])``,
    ``("table", header, rows)`` (a ``Quote`` cell holds evidence sentences), ``("facts", title, [(text,
    Quote)])`` (folded in HTML), ``("toc", title)`` (the list of ``h2`` sections) or ``("figure", png_bytes,
    caption)``; rendered by
    ``render_markdown`` and ``render_html``. All text is plain (the renderers escape it).

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> blocks = report_blocks(_example_graph(), "en")
    >>> blocks[0][0], sum(b[0] == "figure" for b in blocks)
    ('h1', 1)
    """
    from .analysis import analyze, site_index
    from .analysis.outcomes import SOURCE_QUERY, is_opened, outcomes, sources
    from .analysis.provenance import link_evidence

    if lang not in ("zh", "en"):
        raise GovkgError(f"lang must be 'zh' or 'en', not {lang!r}")
    index = site_index(graph)
    opened = graph if is_opened(graph) else None  # a build opened with govkg.open: read from its store
    rdf = graph if isinstance(graph, Graph) else None
    res = analyze(index, top=top, neighbors=neighbors, by=by, weight=weight)
    has_rdf = rdf is not None or opened is not None  # else only a SiteIndex: no counts, sources, outcomes
    srcs = (sources(rdf) if opened is None else sources(opened.construct(SOURCE_QUERY))) if has_rdf else {}
    if has_rdf:
        from .analysis.summary import limits
        from .counts import counts

        res["counts"] = counts(rdf if opened is None else opened.store)
        res["limits"] = limits(len(index.sites), [v for _, v in sorted(srcs.items())])
    notes, n = res["notes"], res["counts"]["sites"]
    B: list[tuple] = [("h1", _t("title", lang)), ("toc", _t("toc", lang)), ("h2", _t("overview", lang)),
                      ("p", _counts_sentence(res["counts"], lang))]
    B += [("p", m[lang]) for m in res["messages"]]
    B += [("h2", _t("limits", lang)), ("ul", [x[lang] for x in res["limits"]])]

    B += [("h2", _t("shared", lang))] + _note_blocks(notes["shared"], lang)
    if opened is not None:  # only the links the table shows
        evidence = opened.link_evidence(sorted({d["iri"] for d in res["shared_mechanisms"]}))
    else:
        evidence = link_evidence(rdf) if rdf is not None else {}
    from rdflib import URIRef

    B.append(("h3", _t("shared_m", lang)))
    rows = []
    for d in res["shared_mechanisms"]:
        for s in d["sites"]:
            ev = evidence.get((URIRef(d["iri"]), URIRef(s["iri"])), [])
            rows.append([_both(d, lang), _lab(s, lang), _quote(ev, lang)])
    B.append(("table", [_t("mechanism", lang), _t("site", lang), _t("evidence", lang)], rows) if rows else ("p", _t("none", lang)))
    B.append(("h3", _t("shared_k", lang)))
    rows = [[_lab(d, lang), d["site_count"], _join([_lab(s, lang) for s in d["sites"]], lang)] for d in res["shared_kinds"]]
    B.append(("table", [_t("kind", lang), _t("n_sites", lang), _t("sites", lang)], rows) if rows else ("p", _t("none", lang)))

    B += [("h2", _t("similarity", lang))] + _note_blocks(notes["similarity"], lang)
    B.append(_similarity_figure(res, lang))
    B.append(("p", _t("like_in_profiles", lang)))

    com = res["communities"]
    B += [("h2", _t("communities", lang))] + _note_blocks(notes["communities"], lang)
    if com["meaningful"]:
        B.append(("p", _t("modularity", lang, q=com["modularity"])))
        B.append(("table", ["#", _t("sites", lang)],
                  [[_t("community", lang, id=c["id"]), _join([_lab(s, lang) for s in c["sites"]], lang)] for c in com["communities"]]))
    else:
        B.append(("p", com["reason"][lang]))

    B += [("h2", _t("centrality", lang))] + _note_blocks(notes["centrality"], lang)
    for lvl in ("mechanism", "kind", "organization"):
        rows = _centrality_rows(res["centrality"][lvl], lang, 3)
        B.append(("h3", _t(lvl, lang)))
        B.append(("table", [_t("rank", lang), _t(lvl, lang), _t("n_sites", lang), _t("degree", lang), _t("betweenness", lang)], rows)
                 if rows else ("p", _t("none", lang)))
    B.append(("h3", _t("bridging", lang)))
    rows = [[_both(d, lang), d["site_count"], _join([_lab(s, lang) for s in d["sites"]], lang)] for d in res["bridging_organizations"]]
    B.append(("table", [_t("organization", lang), _t("n_sites", lang), _t("sites", lang)], rows) if rows else ("p", _t("none", lang)))

    B += [("h2", _t("cooc", lang))] + _note_blocks(notes["cooccurrence"], lang)
    rows = [[_lab(r["a"], lang), _lab(r["b"], lang), _t("of_n", lang, k=r["sites"], n=n), f"{r['support']:.2f}", f"{r['lift']:.2f}"]
            for r in res["cooccurrence"]]
    B.append(("table", [_t("kind", lang), _t("kind", lang), _t("n_sites", lang), _t("support", lang), _t("lift", lang)], rows)
             if rows else ("p", _t("none", lang)))

    B += [("h2", _t("suggestions", lang))] + _note_blocks(notes["suggestions"], lang)
    B.append(("note", _t("suggest_score", lang, k=neighbors)))
    rows = []
    for s in res["suggestions"].values():
        top3 = _join([f"{_lab(x, lang)} {x['score']:.2f}{'=' if x.get('tied') else ''}" for x in s["suggestions"][:3]], lang)
        near = _join([f"{_lab(x, lang)} {x['similarity']:.2f}" for x in s["neighbors"]], lang)
        rows.append([_lab(s["site"], lang), top3 or s.get("message", {}).get(lang, _t("nothing", lang)), near])
    B.append(("table", [_t("site", lang), _t("suggest_top", lang), _t("suggest_from", lang)], rows)
             if rows else ("p", _t("nothing", lang)))

    B.append(("h2", _t("profiles", lang)))
    per_site: dict[str | None, list] = {}  # one pass over the graph, not one per site (2,000 sites: minutes)
    for r in (outcomes(rdf if opened is None else opened) if has_rdf else []):
        per_site.setdefault((r["site"] or {}).get("iri"), []).append(r)
    M, P = index.mechanisms.matrix.tocsr(), index.kinds.matrix.tocsr()
    from .analysis.similarity import similar_to
    from .shared import most_specific

    for i, s in enumerate(index.sites):
        B.append(("h3", _both({"label": index.labels.get(s, {})}, lang)))
        mechs = [index.mechanisms.columns[c] for c in M.indices[M.indptr[i]:M.indptr[i + 1]].tolist()]
        names = sorted(index.label(m, lang) for m in mechs)
        kinds = sorted(index.label(k, lang) for k in most_specific(index, P.indices[P.indptr[i]:P.indptr[i + 1]].tolist()))
        nearest = similar_to(index, s, k=3, by=by, weight=weight)
        like = _join([f"{_lab(x, lang)} {x['similarity']:.2f}{'=' if x['tied'] else ''}" for x in nearest], lang)
        B.append(("p", _t("profile_mechs", lang, n=len(names)) + _join(names, lang)
                  + (" " if lang == "en" else "") + _t("profile_kinds", lang) + _join(kinds, lang)
                  + (" " if lang == "en" else "") + _t("profile_like", lang) + (like or _t("none", lang))
                  + ("。" if lang == "zh" else ".")))
        outs = per_site.get(str(s), [])
        credited = [o for o in outs if o.get("mechanism")]
        other = [o for o in outs if not o.get("mechanism")]
        if credited:
            by_mech: dict = {}
            for o in credited:
                by_mech.setdefault(o["mechanism"]["iri"], []).append(o)
            rows = []
            for group in sorted(by_mech.values(), key=lambda g: _lab(g[0]["mechanism"], lang)):
                sentences = list(dict.fromkeys(e["text"] for o in group for e in o["evidence"]))
                facts = ("；" if lang == "zh" else "; ").join(
                    f"{pick(o['label'], lang, '?')}{'：' if lang == 'zh' else ': '}{_outcome_value(o, lang)}" for o in group)
                rows.append([_lab(group[0]["mechanism"], lang), facts, _quote([{"text": t} for t in sentences], lang)])
            B.append(("table", [_t("credited_outcomes", lang), _t("what", lang), _t("evidence", lang)], rows))
        if other:
            B.append(("facts", _t("other_facts", lang) + f" ({len(other)})", [(f"{pick(o['label'], lang, '?')}" + (f"({_outcome_value(o, lang)})" if lang == "zh"
                                 else f" ({_outcome_value(o, lang)})") if o.get("value") is not None
                                 else pick(o["label"], lang, "?"), _quote(o["evidence"], lang)) for o in other]))
        if not outs:
            B.append(("p", _t("none", lang)))
    if srcs:
        listed = sorted(srcs.values(), key=lambda d: d["iri"])
        if listed:
            B += [("h2", _t("source", lang))]
            for src in listed:
                B.append(("p", _source_text(src, lang)))
                if src.get("rights"):
                    B.append(("p", f"{_t('rights', lang)}: {src['rights']}"))
    return B


_MD_INLINE = re.compile(r"([\\`*_\[\]{}|~])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))")


def md_escape(text, line_start: bool = True) -> str:
    """``text`` safe in Markdown: HTML characters as entities, Markdown punctuation escaped, one line.

    No raw HTML from the data, and a newline in a label cannot start a heading, a list or a
    quote (newlines become spaces; a leading ``#``, ``>``, ``-``, ``+``, ``=`` or ``1.`` is escaped
    unless ``line_start`` is false, as in a table cell).

    Examples
    --------
    >>> md_escape("<img src=x onerror=alert(1)>\\n# x|y")
    '&lt;img src=x onerror=alert(1)&gt; # x\\\\|y'
    >>> md_escape("# heading")
    '\\\\# heading'
    """
    t = " ".join(str(text).split())
    t = html.escape(t, quote=False)
    t = _MD_INLINE.sub(r"\\\1", t)
    if not line_start:
        return t
    return _MD_LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), t)


def render_markdown(blocks: list[tuple], figure_names: list[str] | None = None) -> str:
    """Markdown of ``blocks`` (every text escaped with ``md_escape``); figure ``k`` is linked as
    ``figure_names[k]`` (written beside the file).

    Examples
    --------
    >>> print(render_markdown([("h1", "T"), ("table", ["a", "b"], [[1, "x|y"]])]))
    # T
    <BLANKLINE>
    | a | b |
    |---|---|
    | 1 | x\\|y |
    <BLANKLINE>
    """
    from urllib.parse import quote

    out, k = [], 0
    h2 = [b[1] for b in blocks if b[0] == "h2"]
    for b in blocks:
        kind = b[0]
        if kind == "toc":
            out += [f"**{md_escape(b[1])}**", ""] + [f"- [{md_escape(t)}](#{_md_anchor(t)})" for t in h2] + [""]
        elif kind == "facts":
            out += [md_escape(b[1]) + ":", ""]
            out += [f"- {md_escape(t)} — {md_escape(q)}" if q else f"- {md_escape(t)}" for t, q in b[2]] + [""]
        elif kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + md_escape(b[1]), ""]
        elif kind in ("p", "note"):
            out += [md_escape(b[1]), ""]
        elif kind == "ul":
            out += [f"- {md_escape(x)}" for x in b[1]] + [""]
        elif kind == "table":
            out.append("| " + " | ".join(md_escape(h, False) for h in b[1]) + " |")
            out.append("|" + "|".join("---" for _ in b[1]) + "|")
            out += ["| " + " | ".join(md_escape(c, False) for c in r) + " |" for r in b[2]]
            out.append("")
        elif kind == "figure":
            name = (figure_names or [])[k] if figure_names and k < len(figure_names) else None
            # a file name with spaces, brackets or parentheses would end the link: percent-encode it
            src = ("".join(quote(c) if c in " ()[]<>\\%\"'`" or not c.isprintable() else c for c in name) if name
                   else "data:image/png;base64," + base64.b64encode(b[1]).decode("ascii"))
            out += [f"![{md_escape(b[2])}]({src})", ""]
            k += 1
    return "\n".join(out)


def _md_anchor(title: str) -> str:
    """The anchor GitHub-style renderers give a heading: lower case, punctuation dropped, spaces as ``-``.

    Examples
    --------
    >>> _md_anchor("What this data can and cannot tell you"), _md_anchor("示范点概况")
    ('what-this-data-can-and-cannot-tell-you', '示范点概况')
    """
    t = re.sub(r"[^\w\- ]", "", str(title).strip().lower())
    return t.replace(" ", "-")


_CSS = """body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:1280px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.88em}th,td{border:1px solid #ccc;padding:.2em .45em;vertical-align:top;text-align:left}
th{background:#eef3f8;white-space:nowrap}td{min-width:4.5em}td.q{min-width:5em;white-space:nowrap}p{margin:.45em 0}h3{margin:1.1em 0 .3em}details summary{cursor:pointer;color:#555}ul.facts details,ul.facts summary{display:inline}
ul.facts details[open]{display:block}
ul.facts{columns:2;column-gap:2em;padding-left:1.2em}ul.facts li{break-inside:avoid;margin-bottom:.2em}
nav.toc ol{columns:2;margin:.3em 0 1em}h1{font-size:1.6em}h2{border-bottom:2px solid #dde;padding-bottom:.2em;margin-top:1.4em}img{max-width:min(100%,500px)}p.note{font-size:.9em;color:#444;margin:.25em 0}figure{margin:1em 0}figcaption{color:#555;font-size:.9em}"""


def render_html(blocks: list[tuple], lang: str = "zh") -> str:
    """A self-contained HTML page of ``blocks``: figures embedded as base64 PNG, all text escaped.

    Examples
    --------
    >>> "<td>&lt;b&gt;</td>" in render_html([("table", ["x"], [["<b>"]])])
    True
    """
    e = html.escape
    title = next((b[1] for b in blocks if b[0] == "h1"), "govkg")
    out = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"]
    h2 = [b[1] for b in blocks if b[0] == "h2"]
    n2 = 0

    def cell(c) -> str:
        if isinstance(c, Quote) and c:
            return (f'<td class="q"><details><summary>{e(_t("evidence_summary", lang))}</summary>'
                    f"{e(str(c))}</details></td>")
        return f"<td>{e(str(c))}</td>"

    for b in blocks:
        kind = b[0]
        if kind == "toc":
            out.append(f'<nav class="toc"><strong>{e(b[1])}</strong><ol>'
                       + "".join(f'<li><a href="#s{i + 1}">{e(t)}</a></li>' for i, t in enumerate(h2)) + "</ol></nav>")
        elif kind == "h2":
            n2 += 1
            out.append(f'<h2 id="s{n2}">{e(str(b[1]))}</h2>')
        elif kind == "facts":
            out.append(f'<details class="facts"><summary>{e(b[1])}</summary><ul class="facts">' + "".join(
                f"<li>{e(t)}" + (f'<details><summary>{e(_t("evidence_summary", lang))}</summary>{e(str(q))}</details>' if q else "")
                + "</li>" for t, q in b[2]) + "</ul></details>")
        elif kind == "note":
            out.append(f'<p class="note">{e(str(b[1]))}</p>')
        elif kind in ("h1", "h2", "h3", "p"):
            out.append(f"<{kind}>{e(str(b[1]))}</{kind}>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in b[1]) + "</ul>")
        elif kind == "table":
            out.append("<table><thead><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in b[1]) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(cell(c) for c in r) + "</tr>" for r in b[2]]
            out.append("</tbody></table>")
        elif kind == "figure":
            data = base64.b64encode(b[1]).decode("ascii")
            out.append(f'<figure><img alt="{e(b[2])}" src="data:image/png;base64,{data}"><figcaption>{e(b[2])}</figcaption></figure>')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(graph, path, lang: str = "zh", **options) -> list[Path]:
    """Write the report to ``path`` (``.html``: self-contained; ``.md``: Markdown with its figure
    written beside it as ``<stem>-similarity.png``); every file atomically. Returns the files written.

    ``options`` go to ``report_blocks`` (``neighbors``, ``top``, ``by``, ``weight``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from govkg.analysis import _example_graph
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.md"
    >>> [f.name for f in write_report(_example_graph(), p, "en")]
    ['r-similarity.png', 'r.md']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".md", ".markdown"):
        raise GovkgError(f"report file must end in .html or .md, not {path.name!r}")
    blocks = report_blocks(graph, lang, **options)
    if suffix in (".html", ".htm"):
        return [write_atomic(path, render_html(blocks, lang))]
    figs = [b for b in blocks if b[0] == "figure"]
    names = [f"{path.stem}-similarity.png" if k == 0 else f"{path.stem}-figure{k + 1}.png" for k in range(len(figs))]
    files = {path.with_name(n): f[1] for n, f in zip(names, figs)}
    files[path] = render_markdown(blocks, names)
    return write_set(files)
