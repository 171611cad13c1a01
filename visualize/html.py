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
    "script_json", "size_warnings",
]

#: Above this many nodes the page is slow to settle: ``write_viz`` returns a warning.
LARGE_GRAPH = 1500
#: Above this many nodes physics is frozen as soon as the layout has stabilised.
AUTO_FREEZE = 400
_URL = re.compile(r"(?i)(?:https?|ftp|wss?)://|//cdn")
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


def _size(d: dict, degree: int, view: str) -> float:
    cls = d["cls"]
    if cls == "mechanism":
        return 12 + 10 * math.sqrt(max(d.get("n_sites", 1), 1) - 1) + (6 if d.get("shared") else 0)
    if cls == "kind":
        return 10 + 4 * math.sqrt(d.get("n_sites", 0))
    if cls.endswith("site"):
        return 18 + 3 * math.sqrt(degree)
    if cls in ("outcome", "response"):
        return 7
    return 9 + 2 * math.sqrt(degree)


def _node_info(d: dict) -> dict:
    """The tooltip fields of a node (plain text; the page builds DOM nodes from them with textContent)."""
    return {
        "class": {"zh": d.get("class_zh", ""), "en": d.get("class_en", "")},
        "details": d.get("details", []),
        "kinds": d.get("kind_labels", []),
        "sites": d.get("sites", []) if d["cls"] in ("mechanism", "kind") else [],
        "outcomes": [{"zh": o["zh"], "en": o["en"]} for o in d.get("outcomes", [])],
        "evidence": d.get("evidence", []),
    }


def _layout(G: nx.DiGraph) -> dict:
    """Initial positions for large graphs, in O(nodes + edges), so that the browser's physics only
    has to polish: sites on an outer ring (grouped by district), kinds on an inner ring, every other
    node near the mean of its already placed neighbours (breadth first), with a little jitter."""
    import numpy as np

    n = G.number_of_nodes()
    if n <= AUTO_FREEZE:
        return {}
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


def _iterations(n: int) -> int:
    """Physics iterations before the page reports a stabilised layout: many for small graphs; for
    large ones (which start from ``_layout``'s positions) a budget of about 150,000 node-steps.

    Examples
    --------
    >>> _iterations(100), _iterations(300), _iterations(2000), _iterations(5000)
    (1000, 400, 75, 30)
    """
    if n <= 150:
        return 1000
    if n <= AUTO_FREEZE:
        return 400
    return max(25, min(200, 150_000 // n))


def _options(n: int, view: str) -> dict:
    big = n > AUTO_FREEZE
    return {
        "autoResize": True,
        "layout": {"improvedLayout": n <= 150, "randomSeed": 7},
        "nodes": {"font": {"size": 14, "color": "#222222", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 1},
        "edges": {
            "smooth": False if big else {"enabled": True, "type": "continuous", "roundness": 0.3},
            "color": {"color": "#a0a0a0", "highlight": "#333333", "hover": "#555555"},
            "font": {"size": 10, "color": "#555555", "strokeWidth": 3, "strokeColor": "#ffffff", "align": "middle"},
            "arrows": {"to": {"enabled": view != "similarity", "scaleFactor": 0.5}},
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": big,
                        "hideEdgesOnZoom": big, "multiselect": False, "navigationButtons": False},
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000 if not big else -3000, "centralGravity": 0.25,
                          "springLength": 110 if not big else 60, "springConstant": 0.04,
                          "damping": 0.2 if big else 0.12, "avoidOverlap": 0.1 if not big else 0,
                          "theta": 0.9 if big else 0.5},
            "minVelocity": 1.0 if big else 0.75,
            "adaptiveTimestep": not big,
            "stabilization": {"enabled": True, "iterations": _iterations(n),
                              "updateInterval": 50, "fit": True},
        },
    }


def render_html(G: nx.DiGraph, *, lang: str = "zh", title: str | None = None) -> str:
    """One self-contained HTML page showing view graph ``G`` (as returned by ``views.view_graph``).

    vis-network and its CSS are inlined; the Bootstrap links pyvis adds are removed; the page
    holds no ``http(s)://`` reference. Every text from the data reaches the page as escaped JSON
    and is put into the DOM with ``textContent`` (never as HTML). ``G`` is not modified.

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
    pos = _layout(H)
    net = Network(height="100vh", width="100%", directed=view != "similarity", cdn_resources="in_line",
                  heading="")
    und = H.to_undirected(as_view=True)
    present = []
    for node, d in H.nodes(data=True):
        cls = d["cls"]
        if cls not in present:
            present.append(cls)
        st = style_of(cls, shared=bool(d.get("shared")))
        extra = {}
        if node in pos:
            extra.update(x=pos[node][0], y=pos[node][1])
        if d.get("shared"):
            extra.update(borderWidth=3, color={"background": st["color"], "border": "#8c4a00"})
        net.add_node(
            node, label=d.get(f"label_{lang}") or d.get("label_zh") or node, shape=st["shape"],
            color=extra.pop("color", st["color"]), size=round(_size(d, und.degree(node), view), 1),
            cls=cls, label_zh=d.get("label_zh", ""), label_en=d.get("label_en", ""),
            kinds=d.get("kinds", []), districts=d.get("districts", []), shared=bool(d.get("shared")),
            info=_node_info(d), **extra,
        )
    for a, b, d in H.edges(data=True):
        w = float(d.get("weight", 1.0))
        width = (1 + math.sqrt(w)) if view == "similarity" else (4 if d.get("emphasis") else 1)
        einfo = {"shared_mechanisms": d.get("shared_mechanisms", []), "shared_kinds": d.get("shared_kinds", [])}
        kw = {}
        if d.get("emphasis"):
            kw["color"] = {"color": SHARED_COLOR if view != "similarity" else "#c05a00", "highlight": "#8c4a00"}
        net.add_edge(a, b, label=d.get(f"label_{lang}", ""), label_zh=d.get("label_zh", ""),
                     label_en=d.get("label_en", ""), width=round(width, 2), info=einfo, **kw)
    net.options = _options(n, view)
    page = net.generate_html()

    kinds = _kind_options(H)
    districts = _district_options(H)
    config = {
        "lang": lang,
        "view": view,
        "title": title or "",
        "focus": G.graph.get("focus") or "",
        "autoFreeze": n > AUTO_FREEZE,
        "classes": [{"id": c, "color": CLASSES[c]["color"], "shape": CLASSES[c]["shape"],
                     "zh": CLASSES[c]["zh"], "en": CLASSES[c]["en"]} for c in CLASSES if c in present],
        "sharedColor": SHARED_COLOR,
        "showShared": view == "mechanisms" and any(d.get("shared") for _, d in H.nodes(data=True)),
        "kinds": kinds,
        "districts": districts,
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
    m = _URL.search(page)
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
              depth: int = 1, lang: str = "zh") -> VizResult:
    """Build the view graph of ``graph``, render it and write the page to ``path`` atomically.

    Parameters
    ----------
    graph : rdflib.Graph
    path : path
        The HTML file to write (its folder is created).
    view, focus, depth
        See ``views.view_graph``.
    lang : {"zh", "en"}

    Returns
    -------
    VizResult
        ``warnings`` suggests ``--focus`` or the ``mechanisms`` view above ``LARGE_GRAPH`` nodes.
    """
    from govkg.writers import write_atomic

    from .views import view_graph

    G = view_graph(graph, view, focus=focus, depth=depth)
    title = {"full": "govkg · 全图 full graph", "mechanisms": "govkg · 示范点与机制 sites & mechanisms",
             "similarity": "govkg · 示范点相似度 site similarity"}[view]
    if focus:
        title += f" · {focus}"
    page = render_html(G, lang=lang, title=title)
    out = write_atomic(Path(path), page)
    return VizResult(out, view, G.number_of_nodes(), G.number_of_edges(), size_warnings(G.number_of_nodes(), view))
