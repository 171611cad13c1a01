"""Render a view graph to ONE self-contained HTML page (pyvis + inline vis-network, no network access)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html import escape
from importlib.resources import files
from pathlib import Path

import networkx as nx

from govkg.errors import GovkgError

from .style import CLASSES, SHARED_COLOR, style_of

__all__ = [
    "LARGE_GRAPH", "AUTO_FREEZE", "VizResult", "render_html", "write_viz", "default_viz_path",
    "script_json", "size_warnings", "fixed_layout", "default_labelled", "FONT", "MIN_LABEL_PX",
]

#: Above this many nodes the page is slow to settle: ``write_viz`` returns a warning.
LARGE_GRAPH = 1500
#: Above this many nodes physics is frozen as soon as the layout has stabilised.
AUTO_FREEZE = 400
URL = re.compile(r"(?i)(?:https?|ftp|wss?)://|//cdn")
_LANGS = ("zh", "en")


@dataclass
class VizResult:
    """What ``write_viz`` wrote: the file, the counts of the view graph and any warnings."""

    path: Path
    view: str
    nodes: int
    edges: int
    warnings: list[str] = field(default_factory=list)


def script_json(obj) -> str:
    """``obj`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&``, ``/`` and
    the line separators are escaped, so no ``</script>`` and no ``://`` can appear.

    Examples
    --------
    >>> script_json({"a": "</script><b>&"})
    '{"a": "\\\\u003c\\\\/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(script_json(["https://x"]))
    ['https://x']
    """
    s = json.dumps(obj, ensure_ascii=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("/", "\\/"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(a, b)
    return s


def size_warnings(n_nodes: int, view: str) -> list[str]:
    """The warnings for a page of ``n_nodes`` nodes (empty when it is small enough).

    Examples
    --------
    >>> size_warnings(10, "full")
    []
    >>> "--focus" in size_warnings(5000, "full")[0]
    True
    """
    if n_nodes <= LARGE_GRAPH:
        return []
    hint = "use --focus NAME (with --depth N)" + ("" if view == "mechanisms" else " or --view mechanisms")
    return [f"the {view} view has {n_nodes} nodes (more than {LARGE_GRAPH}); the page may be slow "
            f"to lay out and to use: {hint} to show less"]


def _asset(name: str) -> str:
    return files("govkg.visualize").joinpath(name).read_text(encoding="utf-8")


#: Font sizes (canvas units): sites, other labels drawn by default (class groups, shared mechanisms), the rest.
FONT = {"site": 28, "default": 24, "other": 14}
#: Labels smaller than this on screen (CSS px) are not drawn: at fit-to-window only the default labels show,
#: the others appear when zoomed in (and every label is on the tooltip).
MIN_LABEL_PX = 12
#: The fit-to-window scale the fixed layouts aim at in a 1100 × 900 px graph area.
TARGET_SCALE = 0.7
#: How much the default labels may grow in a large drawing (``font_growth``).
GROW = 48 / 28
FONT_FACE = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def default_labelled(d: dict) -> bool:
    """Whether a node's label is drawn at fit-to-window: sites, class groups and shared mechanisms.

    Examples
    --------
    >>> default_labelled({"cls": "rural-site"}), default_labelled({"cls": "mechanism", "shared": False})
    (True, False)
    """
    return d["cls"].endswith("site") or d["cls"] == "group" or (d["cls"] == "mechanism" and bool(d.get("shared")))


def _font(d: dict) -> int:
    if d["cls"].endswith("site"):
        return FONT["site"]
    return FONT["default"] if default_labelled(d) else FONT["other"]


def _size(d: dict, degree: int, view: str) -> float:
    """The radius of a node (canvas units)."""
    cls = d["cls"]
    if cls.endswith("site"):
        return 22.0
    if cls == "group":
        return min(34.0, 14 + 2.5 * math.sqrt(d.get("count", 1)))
    if cls == "mechanism":
        return 15.0 if d.get("shared") else 8.0
    if cls in ("outcome", "response"):
        return 6.0
    return 8.0


def _short(d: dict, lang: str) -> str:
    from .layout import short_label

    text = d.get(f"label_{lang}") or d.get("label_zh") or d.get("label_en") or ""
    ring = d["cls"].endswith("site") or d["cls"] == "group"  # narrower: they sit side by side on the ring
    return short_label(text, lang, width=(8 if lang == "zh" else 14) if ring else None)


def _wider(d: dict) -> str:
    from .layout import text_width

    zh, en = _short(d, "zh"), _short(d, "en")
    return max((zh, en), key=lambda s: max(text_width(x, 10) for x in s.split("\n")))


def _node_info(d: dict) -> dict:
    """The tooltip fields of a node (plain text; the page builds DOM nodes from them with textContent)."""
    return {
        "class": {"zh": d.get("class_zh", ""), "en": d.get("class_en", "")},
        "details": d.get("details", []),
        "kinds": d.get("kind_labels", []),
        "sites": d.get("sites", []) if d["cls"] in ("mechanism", "kind") else [],
        "outcomes": [{"zh": o["zh"], "en": o["en"]} for o in d.get("outcomes", [])],
        "evidence": d.get("evidence", []),
        "links": d.get("links", []),
    }


def _layout(G: nx.DiGraph) -> dict:
    """Initial positions for large graphs, in O(nodes + edges), so that the browser's physics only
    has to polish: sites on an outer ring (grouped by district), kinds on an inner ring, every other
    node near the mean of its already placed neighbours (breadth first), with a little jitter."""
    import numpy as np

    n = G.number_of_nodes()
    rnd = np.random.default_rng(7)
    U = G.to_undirected(as_view=True)
    spacing = 28.0
    R = spacing * math.sqrt(n) * 0.9
    pos: dict = {}

    def ring(nodes, radius):
        for i, v in enumerate(nodes):
            a = 2 * math.pi * i / max(len(nodes), 1)
            pos[v] = (radius * math.cos(a), radius * math.sin(a))

    sites = sorted((v for v, d in G.nodes(data=True) if d["cls"].endswith("site")),
                   key=lambda v: (G.nodes[v].get("districts") or [""])[0] + "|" + v)
    kinds = sorted((v for v, d in G.nodes(data=True) if d["cls"] == "kind"), key=lambda v: -U.degree(v))
    ring(sites, R)
    ring(kinds, R * 0.35)
    frontier = list(pos)
    while len(pos) < n:
        if not frontier:  # another component: start it on the far ring
            v = next(v for v in G if v not in pos)
            a = rnd.uniform(0, 2 * math.pi)
            pos[v] = (1.2 * R * math.cos(a), 1.2 * R * math.sin(a))
            frontier = [v]
        nxt = []
        for u in frontier:
            for v in U.neighbors(u):
                if v in pos:
                    continue
                placed = [pos[w] for w in U.neighbors(v) if w in pos]
                x = sum(p[0] for p in placed) / len(placed)
                y = sum(p[1] for p in placed) / len(placed)
                r = spacing * (1.5 + 2.5 * rnd.random())
                a = rnd.uniform(0, 2 * math.pi)
                pos[v] = (x + r * math.cos(a), y + r * math.sin(a))
                nxt.append(v)
        frontier = nxt
    return {k: (round(v[0], 1), round(v[1], 1)) for k, v in pos.items()}


def _site_ring_order(H: nx.DiGraph, sites: list) -> tuple[list, list]:
    """Sites grouped by district (then by label), and the indices where a new district starts."""
    def key(v):
        d = H.nodes[v]
        return ((d.get("districts") or ["~"])[0], d.get("label_zh", ""), v)

    order = sorted(sites, key=key)
    starts = [i for i in range(1, len(order)) if key(order[i])[0] != key(order[i - 1])[0]]
    return order, starts


def fixed_layout(H: nx.DiGraph, groups: list[dict] | None = None) -> dict:
    """Positions for a view graph of up to ``AUTO_FREEZE`` nodes, drawn without physics.

    Sites (and the class groups of a collapsed full view) sit on a ring grouped by district, far
    enough apart that no two labels overlap; every other node is placed between the sites it links
    to and moved until no edge passes through a node it does not end at (``layout.anchored_layout``).
    The positions are then spread, if needed, so that the default labels are at least
    ``MIN_LABEL_PX`` high at fit-to-window in a 1100 × 900 px graph area.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> for i in range(3):
    ...     G.add_node(f"s{i}", cls="urban-site", label_zh=f"社区{i}", label_en=f"Site {i}", districts=["d"])
    >>> pos = fixed_layout(G)
    >>> sorted(pos) == ["s0", "s1", "s2"]
    True
    """
    from .layout import anchored_layout, label_box, ring_without_overlap

    groups = groups or []
    und = H.to_undirected(as_view=True)
    attrs = {v: H.nodes[v] for v in H}
    for g in groups:
        attrs[g["id"]] = g
    radius = {v: _size(d, und.degree(v) if v in H else 0, "") for v, d in attrs.items()}
    fonts = {v: _font(d) for v, d in attrs.items()}
    labels = {v: _wider(d) for v, d in attrs.items() if default_labelled(d)}
    sites = [v for v, d in H.nodes(data=True) if d["cls"].endswith("site")]
    order, starts = _site_ring_order(H, sites)
    if groups:  # interleave the class groups with the districts
        ids = [g["id"] for g in groups]
        chunks, last = [], 0
        for s in starts + [len(order)]:
            chunks.append(order[last:s])
            last = s
        ring_nodes, gaps = [], []
        per = max(1, math.ceil(len(ids) / max(len(chunks), 1)))
        for c in chunks:
            ring_nodes += c
            ring_nodes += ids[:per]
            ids = ids[per:]
        ring_nodes += ids
    else:
        ring_nodes, gaps = order, starts
    n_ring = max(len(ring_nodes), 1)
    start = max(160.0, n_ring * 150 / (2 * math.pi))
    # room for the default labels to grow (font_growth) when the drawing is large
    ring_fonts = {v: f * GROW if v in labels else f for v, f in fonts.items()}
    pinned = ring_without_overlap(ring_nodes, radius, labels, ring_fonts, start_radius=start, gaps=gaps) if ring_nodes else {}
    L: nx.Graph = nx.Graph()
    L.add_nodes_from(attrs)
    # a node linked to a site stays close to it: its pull is stronger than that of other links
    # (less so in a dense graph, where the nodes around a site would crowd)
    dense = und.number_of_edges() > 2 * max(len(sites), 1) * 10
    pull = 2.0 if dense else 4.0
    L.add_edges_from((u, v, {"weight": pull if u in pinned or v in pinned else 1.0}) for u, v in und.edges())
    room = ring_fonts
    pos = anchored_layout(L, pinned, radius, labels=labels, sizes=room, spacing=90.0 if dense else 70.0)
    # spread (never shrink: shrinking could bring an edge onto a node) to reach the target scale
    shown = [v for v in pos if not groups or v in pinned]
    xs, ys = [], []
    for v in shown:
        x, y = pos[v]
        xs += [x - radius[v], x + radius[v]]
        ys += [y - radius[v], y + radius[v]]
        if v in labels:
            b = label_box(x, y, radius[v], labels[v], fonts[v])
            xs += [b[0], b[2]]
            ys += [b[3]]
    if xs:
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        # vis-network fits 1.1 times the drawing into the window
        f = min(1100 / 1.1 / TARGET_SCALE / max(w, 1), 900 / 1.1 / TARGET_SCALE / max(h, 1))
        if f > 1:
            pos = {v: (round(x * f, 1), round(y * f, 1)) for v, (x, y) in pos.items()}
    return pos


def font_growth(H: nx.DiGraph, pos: dict, groups: list[dict] | None = None, shown=None) -> float:
    """How much the default labels (``FONT``) grow so that every one of them is at least
    ``MIN_LABEL_PX`` (+ 3) high at fit-to-window in a 1100 × 900 px area: 1 to ``GROW`` (the room
    ``fixed_layout`` keeps for them). ``shown``: the nodes drawn (default: all, and the groups).

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("s", cls="urban-site", label_zh="甲", label_en="A")
    >>> font_growth(G, {"s": (0, 0)})
    1.0
    """
    from .layout import label_box

    und = H.to_undirected(as_view=True)
    attrs = {v: H.nodes[v] for v in H} | {g["id"]: g for g in groups or []}
    xs, ys = [], []
    for v in (shown if shown is not None else attrs):
        d = attrs[v]
        x, y = pos[v]
        r = _size(d, und.degree(v) if v in H else 0, "")
        xs += [x - r, x + r]
        ys += [y - r, y + r]
        if default_labelled(d):
            b = label_box(x, y, r, _wider(d), _font(d) * GROW)
            xs += [b[0], b[2]]
            ys += [b[3]]
    if not xs:
        return 1.0
    scale = min(1.0, 1100 / 1.1 / max(max(xs) - min(xs), 1), 900 / 1.1 / max(max(ys) - min(ys), 1))
    need = (MIN_LABEL_PX + 3) / scale / min(FONT["default"], FONT["site"])
    return round(min(GROW, max(1.0, need)), 3)


def _iterations(n: int) -> int:
    """Physics iterations before the page reports a stabilised layout for graphs laid out by the
    browser (more than ``AUTO_FREEZE`` nodes, starting from ``_layout``'s positions): a budget of
    about 150,000 node-steps.

    Examples
    --------
    >>> _iterations(500), _iterations(2000), _iterations(5000)
    (200, 75, 30)
    """
    return max(25, min(200, 150_000 // max(n, 1)))


def _options(n: int, view: str, fixed: bool) -> dict:
    big = n > AUTO_FREEZE
    return {
        "autoResize": True,
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "nodes": {"font": {"size": FONT["other"], "face": FONT_FACE, "color": "#222222", "strokeWidth": 4,
                           "strokeColor": "#ffffff"},
                  "borderWidth": 1,
                  "scaling": {"label": {"enabled": False, "drawThreshold": MIN_LABEL_PX + 1, "maxVisible": 40}}},
        "edges": {
            "smooth": False,
            "color": {"color": "#a8a8a8", "highlight": "#333333", "hover": "#555555"},
            "font": {"size": 10, "color": "#555555", "strokeWidth": 3, "strokeColor": "#ffffff", "align": "middle"},
            "arrows": {"to": {"enabled": view not in ("similarity", ""), "scaleFactor": 0.4}},
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": big,
                        "hideEdgesOnZoom": big, "multiselect": False, "navigationButtons": False},
        "physics": {
            "enabled": not fixed,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -3000, "centralGravity": 0.25, "springLength": 60,
                          "springConstant": 0.04, "damping": 0.2, "avoidOverlap": 0, "theta": 0.9},
            "minVelocity": 1.0,
            "adaptiveTimestep": False,
            "stabilization": {"enabled": not fixed, "iterations": _iterations(n), "updateInterval": 50, "fit": True},
        },
    }


def _groups(H: nx.DiGraph) -> list[dict]:
    """The class groups a full view starts collapsed into: one per class other than the sites."""
    counts: dict = {}
    for _, d in H.nodes(data=True):
        if not d["cls"].endswith("site"):
            counts[d["cls"]] = counts.get(d["cls"], 0) + 1
    out = []
    for cls in CLASSES:
        if cls in counts:
            c = CLASSES[cls]
            out.append({"id": f"govkg-group-{cls}", "cls": "group", "of": cls, "count": counts[cls],
                        "label_zh": f"{c['zh_pl']}({counts[cls]})", "label_en": f"{c['en_pl']} ({counts[cls]})",
                        "color": c["color"], "shape": c["shape"]})
    return out


def render_html(G: nx.DiGraph, *, lang: str = "zh", title: str | None = None) -> str:
    """One self-contained HTML page showing view graph ``G`` (as returned by ``views.view_graph``).

    vis-network and its CSS are inlined; the Bootstrap links pyvis adds are removed; the page
    holds no ``http(s)://`` reference. Every text from the data reaches the page as escaped JSON
    and is put into the DOM with ``textContent`` (never as HTML). ``G`` is not modified.

    Up to ``AUTO_FREEZE`` nodes the layout is computed here (``fixed_layout``) and drawn without
    physics; larger graphs start from ``_layout``'s positions and settle in the browser. Labels
    are cut to two short lines (the tooltip has the full text); at fit-to-window only sites,
    class groups and shared mechanisms are labelled. A full view starts collapsed: one node per
    class, expanded by a click.

    Parameters
    ----------
    G : networkx.DiGraph
        A view graph.
    lang : {"zh", "en"}
        The initial language of the labels (the page can switch).
    title : str, optional
        The page title.

    Raises
    ------
    GovkgError
        For an unknown language, or if a remote reference slipped into the page.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("urn:a", cls="urban-site", label_zh="<b>甲</b>", label_en="A")
    >>> page = render_html(G)
    >>> "<b>甲</b>" in page, "http://" in page or "https://" in page
    (False, False)
    """
    from govkg.extras import require

    Network = require("pyvis.network", "the interactive HTML view (govkg viz)").Network

    if lang not in _LANGS:
        raise GovkgError(f"unknown language {lang!r}; choose zh or en")
    view = G.graph.get("view", "")
    H = G.copy()
    n = H.number_of_nodes()
    fixed = n <= AUTO_FREEZE
    groups = _groups(H) if view == "full" and not G.graph.get("focus") else []
    pos = fixed_layout(H, groups) if fixed else _layout(H)
    if groups and not fixed:  # the class groups on a ring just outside the drawing
        from .layout import ring

        R = 1.15 * max((math.hypot(*p) for p in pos.values()), default=100.0)
        pos.update(ring([g["id"] for g in groups], R, start=-math.pi / 2 + math.pi / len(groups)))
    k = 1.0
    if fixed:  # the default labels grow with the drawing (the others appear on zoom)
        shown = [v for v, d in H.nodes(data=True) if d["cls"].endswith("site")] + [g["id"] for g in groups] \
            if groups else None
        k = font_growth(H, pos, groups, shown)
    def font_of(d):
        return round(_font(d) * k) if default_labelled(d) else _font(d)

    net = Network(height="100vh", width="100%", directed=view != "similarity", cdn_resources="in_line",
                  heading="")
    und = H.to_undirected(as_view=True)
    collapsed = {g["of"] for g in groups}
    present = []
    # drawing order = stacking order of the labels: sites last, so that their labels are on top
    rank = {"group": 3, "urban-site": 4, "rural-site": 4}
    order = sorted(H.nodes, key=lambda v: (rank.get(H.nodes[v]["cls"], 1 + bool(H.nodes[v].get("shared")))))
    for node in order:
        d = H.nodes[node]
        cls = d["cls"]
        if cls not in present:
            present.append(cls)
        st = style_of(cls, shared=bool(d.get("shared")))
        extra: dict = {}
        if node in pos:
            extra.update(x=pos[node][0], y=pos[node][1])
        if cls in collapsed:  # collapsed from the start: hidden, and out of the physics until expanded
            extra.update(hidden=True, physics=False)
        if d.get("shared"):
            extra.update(borderWidth=3, color={"background": st["color"], "border": "#8c4a00"})
        short = {lg: _short(d, lg) for lg in _LANGS}
        net.add_node(
            node, label=short[lang], shape=st["shape"],
            color=extra.pop("color", st["color"]), size=round(_size(d, und.degree(node), view), 1),
            font={"size": font_of(d)}, cls=cls, label_zh=d.get("label_zh", ""), label_en=d.get("label_en", ""),
            short_zh=short["zh"], short_en=short["en"], default_label=default_labelled(d),
            kinds=d.get("kinds", []), districts=d.get("districts", []), shared=bool(d.get("shared")),
            info=_node_info(d), **extra,
        )
    wmax = max((float(d.get("weight", 1.0)) for *_, d in H.edges(data=True)), default=1.0) or 1.0
    for a, b, d in H.edges(data=True):
        w = float(d.get("weight", 1.0))
        width = (1 + 7 * w / wmax) if view == "similarity" else (4 if d.get("emphasis") else 1)
        einfo = {"shared_mechanisms": d.get("shared_mechanisms", []), "shared_kinds": d.get("shared_kinds", []),
                 "link": d.get("link"), "score": d.get("score")}
        kw: dict = {}
        if {H.nodes[a]["cls"], H.nodes[b]["cls"]} & collapsed:
            kw["hidden"] = True
        if d.get("emphasis"):
            kw["color"] = {"color": SHARED_COLOR if view != "similarity" else "#c05a00", "highlight": "#8c4a00"}
        net.add_edge(a, b, label_zh=d.get("label_zh", ""), label_en=d.get("label_en", ""), width=round(width, 2),
                     info=einfo, **kw)
    net.options = _options(n, view, fixed)
    page = net.generate_html()

    for g in groups:
        g.update(x=pos[g["id"]][0], y=pos[g["id"]][1], size=_size(g, 0, view), font=font_of(g),
                 short_zh=_short(g, "zh"), short_en=_short(g, "en"))
    config = {
        "lang": lang,
        "view": view,
        "title": title or "",
        "focus": G.graph.get("focus") or "",
        "autoFreeze": n > AUTO_FREEZE,
        "fixedLayout": fixed,
        "classes": [{"id": c, "color": CLASSES[c]["color"], "shape": CLASSES[c]["shape"],
                     "zh": CLASSES[c]["zh"], "en": CLASSES[c]["en"]} for c in CLASSES if c in present],
        "sharedColor": SHARED_COLOR,
        "showShared": view == "mechanisms" and any(d.get("shared") for _, d in H.nodes(data=True)),
        "kinds": _kind_options(H),
        "sharedKinds": _shared_kinds(H) if view == "mechanisms" else [],
        "districts": _district_options(H),
        "groups": groups,
        # every class expanded: the drawing is larger, the default labels grow by this much more
        "expandedScale": round(font_growth(H, pos) / k, 3) if groups and fixed else None,
        "edgeLegend": G.graph.get("edge_legend") or None,
        "counts": {"nodes": n, "edges": H.number_of_edges()},
    }
    return _assemble(page, config, title or "govkg", lang)


def _kind_options(H: nx.DiGraph) -> list[dict]:
    """The kinds offered by the kind filter: those of the view (kind nodes, else nodes' kind lists)."""
    seen: dict = {}
    for _, d in H.nodes(data=True):
        if d["cls"] == "kind":
            seen[d["kinds"][0] if d.get("kinds") else None] = {"zh": d["label_zh"], "en": d["label_en"]}
    out = [{"id": k, **v} for k, v in seen.items() if k]
    return sorted(out, key=lambda x: x["zh"])


def _shared_kinds(H: nx.DiGraph) -> list[dict]:
    """The kinds used at two or more sites (with their narrower kinds), most sites first: the panel lists them
    by name, each a button that shows only its mechanisms and sites."""
    out = [{"id": d["kinds"][0], "zh": d["label_zh"], "en": d["label_en"], "n": d.get("n_sites", 0)}
           for _, d in H.nodes(data=True) if d["cls"] == "kind" and d.get("kinds") and d.get("n_sites", 0) >= 2]
    return sorted(out, key=lambda x: (-x["n"], x["zh"]))


def _district_options(H: nx.DiGraph) -> list[dict]:
    names: dict = {}
    for _, d in H.nodes(data=True):
        if d["cls"].endswith("site"):
            for det in d.get("details", []):
                if det["zh"].startswith("所属区:") and d.get("districts"):
                    names[d["districts"][0]] = {"zh": det["zh"].split(":", 1)[1], "en": det["en"].split(": ", 1)[1]}
    return sorted(({"id": k, **v} for k, v in names.items()), key=lambda x: x["zh"])


_BOOTSTRAP = re.compile(r"<link[^>]*bootstrap[^>]*/?>|<script[^>]*bootstrap[^>]*>\s*</script>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.S)
_BLOCK = re.compile(r"(<(script|style)\b[^>]*>)(.*?)(</\2>)", re.S | re.I)


def _strip_urls(block: re.Match) -> str:
    # Inside JS and CSS "\/" is the same character as "/": the code is unchanged, but no
    # "scheme://" text is left (vis-network's licence comments and its SVG namespace string).
    return block.group(1) + block.group(3).replace("://", ":\\/\\/") + block.group(4)


def _assemble(page: str, config: dict, title: str, lang: str) -> str:
    page = _BOOTSTRAP.sub("", page)
    page = _COMMENT.sub("", page)
    page = _HEADING.sub("", page)
    page = _BLOCK.sub(_strip_urls, page)
    head = (
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title).replace('://', ':&#47;&#47;')}</title>\n<style>{_asset('viz.css')}</style>\n"
    )
    panel = '<div id="govkg-panel" class="govkg-panel" role="complementary"></div>\n'
    tail = (f'<script type="application/json" id="govkg-config">{script_json(config)}</script>\n'
            f"<script>{_asset('viz.js')}</script>\n")
    page = page.replace("<html>", f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    page = page.replace("</head>", head + "</head>", 1)
    page = page.replace("<body>", "<body>\n" + panel, 1)
    # pyvis calls drawGraph() at the end of its script; call it from ours instead, so that our
    # listeners are attached in the same task as the network is created (stabilisation is async
    # and could otherwise finish before our script runs).
    call = page.rfind("drawGraph();")
    if call < 0:
        raise GovkgError("unexpected pyvis page: no drawGraph() call")
    page = page[:call] + page[call + len("drawGraph();"):]
    idx = page.rfind("</body>")
    if idx < 0:
        raise GovkgError("pyvis produced a page without </body>")
    page = page[:idx] + tail + page[idx:]
    m = URL.search(page)
    if m:
        raise GovkgError(f"the page would load a remote resource ({page[max(0, m.start() - 40):m.end() + 40]!r})")
    return page


def default_viz_path(build_dir: str | Path, view: str) -> Path:
    """Where ``govkg viz`` writes without ``-o``: ``<build_dir>/govkg-<view>.html``.

    Examples
    --------
    >>> default_viz_path("build", "mechanisms").as_posix()
    'build/govkg-mechanisms.html'
    """
    return Path(build_dir) / f"govkg-{view}.html"


def write_viz(graph, path: str | Path, *, view: str = "mechanisms", focus: str | None = None,
              depth: int = 1, lang: str = "zh", top_k: int = 3) -> VizResult:
    """Build the view graph of ``graph``, render it and write the page to ``path`` atomically.

    Parameters
    ----------
    graph : rdflib.Graph or govkg.OpenBuild
    path : path
        The HTML file to write (its folder is created).
    view, focus, depth, top_k
        See ``views.view_graph``.
    lang : {"zh", "en"}

    Returns
    -------
    VizResult
        ``warnings`` suggests ``--focus`` or the ``mechanisms`` view above ``LARGE_GRAPH`` nodes.
    """
    from govkg.writers import write_atomic

    from .views import view_graph

    G = view_graph(graph, view, focus=focus, depth=depth, top_k=top_k)
    title = {"full": "govkg · 全图 full graph", "mechanisms": "govkg · 示范点与机制 sites & mechanisms",
             "similarity": "govkg · 示范点相似度 site similarity"}[view]
    if focus:
        title += f" · {focus}"
    page = render_html(G, lang=lang, title=title)
    out = write_atomic(Path(path), page)
    return VizResult(out, view, G.number_of_nodes(), G.number_of_edges(), size_warnings(G.number_of_nodes(), view))
