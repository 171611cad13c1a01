"""A readable bilingual report of the analysis (HTML or Markdown), and the text output of the CLI."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS

from .writers import write_atomic, write_set
from .errors import GovkgError
from .namespace import SCHEMA

__all__ = ["summary_text", "suggestions_text", "similarity_figure", "report_blocks", "render_markdown",
           "render_html", "write_report", "CJK_FONT"]

#: The font of every figure (Debian ``fonts-noto-cjk``), so that Chinese labels render.
CJK_FONT = "Noto Sans CJK SC"

_T = {
    "title": ("海口市基层治理示范点：机制网络分析报告", "Haikou grassroots-governance demonstration sites: network analysis of mechanisms"),
    "overview": ("概况", "Overview"),
    "counts": ("示范点 {sites} 个，具体机制 {mechanisms} 项，机制类型 {kinds} 个（含上位类型），组织 {organizations} 个。",
               "{sites} sites, {mechanisms} named mechanisms, {kinds} kinds of mechanism (broader kinds included), {organizations} organizations."),
    "shared": ("共用机制", "Shared mechanisms"),
    "shared_m": ("被两个及以上示范点共用的具体机制", "Named mechanisms used at two or more sites"),
    "shared_k": ("被两个及以上示范点共用的机制类型", "Kinds of mechanism used at two or more sites"),
    "similarity": ("示范点相似度", "Site similarity"),
    "sim_note": ("相似度为 Jaccard 系数：两点共有的具体机制与机制类型（沿 skos:broader 上卷）数，除以两点合计的数目。",
                 "Similarity is the Jaccard index over each site's named mechanisms and kinds (rolled up along skos:broader): shared features over all features of the two sites."),
    "communities": ("示范点社群", "Communities of sites"),
    "comm_note": ("在以相似度加权的示范点网络上运行 Louvain 社群发现（固定随机种子，结果可复现）。",
                  "Louvain community detection on the site network weighted by similarity (fixed seed, reproducible)."),
    "centrality": ("中心性", "Centrality"),
    "cent_note": ("在投影网络中（两个机制、类型或组织出现在同一示范点即相连）计算度中心性与介数中心性。",
                  "Degree and betweenness centrality in the projections (two mechanisms, kinds or organizations are linked when they occur at a common site)."),
    "bridging": ("跨示范点的组织", "Organizations linking several sites"),
    "cooc": ("常同时出现的机制类型", "Kinds that go together"),
    "cooc_note": ("支持度 = 同时具有两类型的示范点占比；提升度 > 1 表示两者同时出现的频率高于随机。",
                  "Support = share of sites with both kinds; lift > 1 means they co-occur more often than chance."),
    "suggestions": ("可借鉴的机制类型", "What each site could adopt"),
    "sugg_note": ("对每个示范点，取最相似的 {n} 个示范点，列出它们使用而本点尚无的机制类型；得分为使用该类型的相似点的相似度之和占比。",
                  "For each site, the kinds its {n} most similar sites use and it lacks; the score is the share of the neighbours' similarity held by the sites using the kind."),
    "outcomes": ("各示范点成效数据", "Outcomes of each site"),
    "source": ("资料来源", "Source"),
    "none": ("（无）", "(none)"),
    "mechanism": ("机制", "Mechanism"), "kind": ("类型", "Kind"), "organization": ("组织", "Organization"),
    "sites": ("示范点", "Sites"), "n_sites": ("点数", "Sites"), "site": ("示范点", "Site"),
    "degree": ("度中心性", "Degree"), "betweenness": ("介数中心性", "Betweenness"),
    "support": ("支持度", "Support"), "lift": ("提升度", "Lift"), "score": ("得分", "Score"),
    "why": ("理由", "Why"), "examples": ("可参考的做法", "Practices to look at"),
    "what": ("度量内容", "What is measured"), "value": ("数值", "Value"), "evidence": ("原文依据", "Evidence"),
    "community": ("社群 {id}", "Community {id}"),
    "similar_to": ("与 {site} 最相似", "Most similar to {site}"),
    "nothing": ("无可建议。", "Nothing to suggest."),
}
_COMPARATOR = {"MoreThan": ("超过 ", "more than "), "Approximately": ("约 ", "about "), "Exactly": ("", "")}


def _t(key: str, lang: str, **kw) -> str:
    return _T[key][0 if lang == "zh" else 1].format(**kw)


def _lab(entry: dict, lang: str) -> str:
    lab = entry.get("label", {})
    other = "en" if lang == "zh" else "zh"
    return lab.get(lang) or lab.get(other) or entry.get("iri", "")


def _both(entry: dict, lang: str) -> str:
    """``高新社区 (Gaoxin Community)`` — the chosen language first, the other in brackets."""
    lab = entry.get("label", {})
    other = "en" if lang == "zh" else "zh"
    a, b = lab.get(lang), lab.get(other)
    return f"{a} ({b})" if a and b else (a or b or entry.get("iri", ""))


def _value(o: dict, lang: str) -> str:
    pre = _COMPARATOR.get(o.get("comparator") or "Exactly", ("", ""))[0 if lang == "zh" else 1]
    v = o.get("value_text") if o.get("value_text") is not None else o.get("value")
    sep = "" if lang == "zh" else " "
    text = f"{pre}{v}{sep}{o.get('unit', '')}".strip()
    if o.get("measure") == "Change":
        text += "（变化量）" if lang == "zh" else " (change)"
    return text


def summary_text(res: dict, lang: str = "zh") -> str:
    """The ``govkg analyze`` summary as plain text (``res`` from ``govkg.analysis.analyze``).

    Examples
    --------
    >>> from govkg.analysis import analyze, _example_graph
    >>> print(summary_text(analyze(_example_graph()), "en").splitlines()[0])
    3 sites, 6 named mechanisms, 9 kinds of mechanism (broader kinds included), 1 organizations.
    """
    out = [_t("counts", lang, **res["counts"])]
    for m in res.get("messages", []):
        out.append(m[lang])
    for key, title in (("shared_mechanisms", "shared_m"), ("shared_kinds", "shared_k")):
        out += ["", _t(title, lang) + ":"]
        rows = res[key] or []
        out += [f"  {d['site_count']}  {_both(d, lang)}: {', '.join(_lab(s, lang) for s in d['sites'])}" for d in rows] or [f"  {_t('none', lang)}"]
    out += ["", _t("communities", lang) + ":"]
    out += [f"  {c['id']}. {', '.join(_lab(s, lang) for s in c['sites'])}" for c in res["communities"]] or [f"  {_t('none', lang)}"]
    for lvl in ("mechanism", "kind", "organization"):
        rows = res["centrality"][lvl][:5]
        out += ["", f"{_t('centrality', lang)} ({_t(lvl, lang)}):"]
        out += [f"  {d['betweenness']:.3f}  {d['degree']:.3f}  {_lab(d, lang)}" for d in rows] or [f"  {_t('none', lang)}"]
    out += ["", _t("bridging", lang) + ":"]
    out += [f"  {d['site_count']}  {_lab(d, lang)}" for d in res["bridging_organizations"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("cooc", lang) + ":"]
    out += [f"  {r['sites']}  lift {r['lift']:.2f}  {_lab(r['a'], lang)} + {_lab(r['b'], lang)}" for r in res["cooccurrence"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("suggestions", lang) + ":"]
    for s in res["suggestions"].values():
        top = ", ".join(f"{_lab(x, lang)} ({x['score']:.2f})" for x in s["suggestions"][:3]) or s.get("message", {}).get(lang, "")
        out.append(f"  {_lab(s['site'], lang)}: {top}")
    return "\n".join(out)


def suggestions_text(res: dict, lang: str = "zh") -> str:
    """The ``govkg suggest`` result as plain text (``res`` from ``govkg.analysis.suggest``).

    Examples
    --------
    >>> from govkg.analysis import suggest, _example_graph
    >>> print(suggestions_text(suggest(_example_graph(), "甲社区"), "en").splitlines()[1])
      0.82  Yi Village
    """
    out = [_t("similar_to", lang, site=_both(res["site"], lang)) + ":"]
    out += [f"  {n['similarity']:.2f}  {_lab(n, lang)}" for n in res["neighbors"]] or [f"  {_t('none', lang)}"]
    out += ["", _t("suggestions", lang) + ":"]
    for x in res["suggestions"]:
        out.append(f"  {x['score']:.2f}  {_both(x, lang)} — {x['explanation'][lang]}")
        for u in x["used_by"]:
            if u["mechanisms"]:
                out.append(f"        {_lab(u, lang)}: {', '.join(_lab(m, lang) for m in u['mechanisms'])}")
    if not res["suggestions"]:
        out.append("  " + res.get("message", {}).get(lang, _t("nothing", lang)))
    return "\n".join(out)


def similarity_figure(sites: list[dict], matrix, lang: str = "zh") -> bytes:
    """A heat map of the site × site similarity as PNG bytes (matplotlib Agg, CJK font ``CJK_FONT``).

    Examples
    --------
    >>> png = similarity_figure([{"label": {"zh": "甲"}}, {"label": {"zh": "乙"}}], [[1, .5], [.5, 1]])
    >>> png[:4] == b"\\x89PNG"
    True
    """
    import io

    from .extras import require

    require("matplotlib", "the report's similarity figure")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import font_manager

    S = np.asarray(matrix, dtype=float)
    n = len(sites)
    names = [_lab(s, lang) for s in sites]
    family = [CJK_FONT] if any(f.name == CJK_FONT for f in font_manager.fontManager.ttflist) else ["sans-serif"]
    with plt.rc_context({"font.family": family, "font.sans-serif": [*family, "DejaVu Sans"], "axes.unicode_minus": False}):
        size = max(4.0, 0.55 * n + 2.5)
        fig, ax = plt.subplots(figsize=(size + 1.2, size), dpi=110)
        shown = np.ma.masked_where(np.eye(n, dtype=bool), S) if n else np.ma.zeros((1, 1))
        off = S[~np.eye(n, dtype=bool)] if n > 1 else np.zeros(1)
        vmax = float(off.max()) if off.size and off.max() > 0 else 1.0
        cmap = plt.get_cmap("Blues").with_extremes(bad="#dddddd")
        im = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax)
        ax.set_xticks(range(n), names, rotation=60, ha="right")
        ax.set_yticks(range(n), names)
        if n <= 30:
            for a in range(n):
                for b in range(n):
                    ax.text(b, a, "—" if a == b else f"{S[a, b]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if a != b and S[a, b] > 0.6 * vmax else "black")
        ax.set_title("示范点相似度（Jaccard，对角线略去）" if lang == "zh" else "Site similarity (Jaccard; diagonal omitted)")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()


def _source_notes(graph: Graph, lang: str) -> list[str]:
    notes = []
    for s in sorted(graph.subjects(RDF.type, SCHEMA.NewsArticle)):
        labs = {getattr(o, "language", None): str(o) for o in graph.objects(s, RDFS.label)}
        text = labs.get(lang) or labs.get("zh") or labs.get("en") or str(s)
        url = next(iter(graph.objects(s, SCHEMA.url)), None)
        rights = next(iter(graph.objects(s, DCTERMS.rights)), None)
        notes.append(" ".join(x for x in (text, str(url) if url else "", f"({rights})" if rights else "") if x))
    return notes


def report_blocks(graph, lang: str = "zh", *, neighbors: int = 3, top: int = 10) -> list[tuple]:
    """The report as a list of blocks, each ``("h1"|"h2"|"h3"|"p", text)``, ``("table", header, rows)``
    or ``("figure", png_bytes, caption)``; rendered by ``render_markdown`` and ``render_html``.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> blocks = report_blocks(_example_graph(), "en")
    >>> blocks[0][0], sum(b[0] == "figure" for b in blocks)
    ('h1', 1)
    """
    from .analysis import analyze, site_index, site_outcomes

    if lang not in ("zh", "en"):
        raise GovkgError(f"lang must be 'zh' or 'en', not {lang!r}")
    index = site_index(graph)
    res = analyze(index, top=top, neighbors=neighbors)
    B: list[tuple] = [("h1", _t("title", lang)), ("h2", _t("overview", lang)), ("p", _t("counts", lang, **res["counts"]))]
    B += [("p", m[lang]) for m in res["messages"]]

    B.append(("h2", _t("shared", lang)))
    for key, title, extra in (("shared_mechanisms", "shared_m", "kinds"), ("shared_kinds", "shared_k", None)):
        B.append(("h3", _t(title, lang)))
        rows = [[_both(d, lang), d["site_count"], "、".join(_lab(s, lang) for s in d["sites"]) if lang == "zh"
                 else ", ".join(_lab(s, lang) for s in d["sites"])] for d in res[key]]
        B.append(("table", [_t("mechanism" if extra else "kind", lang), _t("n_sites", lang), _t("sites", lang)], rows)
                 if rows else ("p", _t("none", lang)))

    B += [("h2", _t("similarity", lang)), ("p", _t("sim_note", lang))]
    B.append(("figure", similarity_figure(res["similarity"]["sites"], res["similarity"]["matrix"], lang),
              _t("similarity", lang)))

    B += [("h2", _t("communities", lang)), ("p", _t("comm_note", lang))]
    B.append(("table", ["#", _t("sites", lang)],
              [[_t("community", lang, id=c["id"]), ", ".join(_lab(s, lang) for s in c["sites"])] for c in res["communities"]]))

    B += [("h2", _t("centrality", lang)), ("p", _t("cent_note", lang))]
    for lvl in ("mechanism", "kind", "organization"):
        rows = [[_both(d, lang), d["sites"], f"{d['degree']:.3f}", f"{d['betweenness']:.3f}"] for d in res["centrality"][lvl]]
        B.append(("h3", _t(lvl, lang)))
        B.append(("table", [_t(lvl, lang), _t("n_sites", lang), _t("degree", lang), _t("betweenness", lang)], rows)
                 if rows else ("p", _t("none", lang)))
    B.append(("h3", _t("bridging", lang)))
    rows = [[_both(d, lang), d["site_count"], ", ".join(_lab(s, lang) for s in d["sites"])] for d in res["bridging_organizations"]]
    B.append(("table", [_t("organization", lang), _t("n_sites", lang), _t("sites", lang)], rows) if rows else ("p", _t("none", lang)))

    B += [("h2", _t("cooc", lang)), ("p", _t("cooc_note", lang))]
    rows = [[_lab(r["a"], lang), _lab(r["b"], lang), r["sites"], f"{r['support']:.2f}", f"{r['lift']:.2f}"] for r in res["cooccurrence"]]
    B.append(("table", [_t("kind", lang), _t("kind", lang), _t("n_sites", lang), _t("support", lang), _t("lift", lang)], rows)
             if rows else ("p", _t("none", lang)))

    B += [("h2", _t("suggestions", lang)), ("p", _t("sugg_note", lang, n=neighbors))]
    for s in res["suggestions"].values():
        B.append(("h3", _both(s["site"], lang)))
        rows = [[_both(x, lang), f"{x['score']:.2f}", x["explanation"][lang],
                 "; ".join(f"{_lab(u, lang)}: " + ", ".join(_lab(m, lang) for m in u["mechanisms"]) for u in x["used_by"] if u["mechanisms"])]
                for x in s["suggestions"]]
        B.append(("table", [_t("kind", lang), _t("score", lang), _t("why", lang), _t("examples", lang)], rows)
                 if rows else ("p", s.get("message", {}).get(lang, _t("nothing", lang))))

    B.append(("h2", _t("outcomes", lang)))
    rdf = graph if isinstance(graph, Graph) else None
    for s in index.sites:
        B.append(("h3", _both({"iri": str(s), "label": index.labels.get(s, {})}, lang)))
        outs = site_outcomes(rdf, s) if rdf is not None else []
        rows = [[_lab(o, lang), _value(o, lang), " / ".join(o["evidence"])] for o in outs]
        B.append(("table", [_t("what", lang), _t("value", lang), _t("evidence", lang)], rows) if rows else ("p", _t("none", lang)))
    if rdf is not None:
        notes = _source_notes(rdf, lang)
        if notes:
            B += [("h2", _t("source", lang))] + [("p", n) for n in notes]
    return B


def _md_cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[tuple], figure_names: list[str] | None = None) -> str:
    """Markdown of ``blocks``; figure ``k`` is linked as ``figure_names[k]`` (written beside the file).

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
    out, k = [], 0
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + b[1], ""]
        elif kind == "p":
            out += [b[1], ""]
        elif kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in b[1]) + " |")
            out.append("|" + "|".join("---" for _ in b[1]) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b[2]]
            out.append("")
        elif kind == "figure":
            name = (figure_names or [])[k] if figure_names and k < len(figure_names) else None
            src = name or "data:image/png;base64," + base64.b64encode(b[1]).decode("ascii")
            out += [f"![{b[2]}]({src})", ""]
            k += 1
    return "\n".join(out)


_CSS = """body{font-family:'Noto Sans CJK SC','Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.55;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.92em}th,td{border:1px solid #ccc;padding:.3em .55em;vertical-align:top;text-align:left}
th{background:#eef3f8}h1{font-size:1.6em}h2{border-bottom:2px solid #dde;padding-bottom:.2em;margin-top:1.8em}img{max-width:100%}figure{margin:1em 0}figcaption{color:#555;font-size:.9em}"""


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
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3", "p"):
            out.append(f"<{kind}>{e(str(b[1]))}</{kind}>")
        elif kind == "table":
            out.append("<table><thead><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in b[1]) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in b[2]]
            out.append("</tbody></table>")
        elif kind == "figure":
            data = base64.b64encode(b[1]).decode("ascii")
            out.append(f'<figure><img alt="{e(b[2])}" src="data:image/png;base64,{data}"><figcaption>{e(b[2])}</figcaption></figure>')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(graph, path, lang: str = "zh") -> list[Path]:
    """Write the report to ``path`` (``.html``: self-contained; ``.md``: Markdown with its figure
    written beside it as ``<stem>-similarity.png``); every file atomically. Returns the files written.

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
    blocks = report_blocks(graph, lang)
    if suffix in (".html", ".htm"):
        return [write_atomic(path, render_html(blocks, lang))]
    figs = [b for b in blocks if b[0] == "figure"]
    names = [f"{path.stem}-similarity.png" if k == 0 else f"{path.stem}-figure{k + 1}.png" for k in range(len(figs))]
    files = {path.with_name(n): f[1] for n, f in zip(names, figs)}
    files[path] = render_markdown(blocks, names)
    return write_set(files)
