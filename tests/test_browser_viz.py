"""Browser tests of the govkg viz page: Debian chromium driven by Playwright, every network request blocked.

These run by default (``.ci/run`` installs chromium); without it they skip, and fail in CI (tests/components.py).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

import govkg
from govkg.namespace import ID
from govkg.visualize import html, views
from govkg.visualize.layout import short_label

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures" / "viz"
YEZHIHUI = str(ID["mechanism/yezhihuiyishitang"])
GAOXIN, JIANGYUAN = str(ID["site/gaoxinshequ"]), str(ID["site/jiangyuancun"])
XSS_SITE = str(ID["site/xss-site"])
XSS_LABEL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURES / "data", sources_dirs=[])


@pytest.fixture(scope="module")
def pages(graph, tmp_path_factory):
    """The three views of the fixture data and the XSS page, written as files, with their view graphs."""
    d = tmp_path_factory.mktemp("viz")
    out = {}
    for v in views.VIEWS:
        res = html.write_viz(graph, d / f"{v}.html", view=v)
        out[v] = (res.path, views.view_graph(graph, v))
    xg = govkg.build_graph(FIXTURES / "xss", sources_dirs=[])
    res = html.write_viz(xg, d / "xss.html", view="full")
    out["xss"] = (res.path, views.view_graph(xg, "full"))
    return out


class Opened:
    """A page opened from file:// with the network cut; records console errors, dialogs and blocked requests."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.govkg && window.govkg.stabilized", timeout=60_000)

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def node_xy(self, node_id: str):
        """Where the node is drawn, in page coordinates (physics frozen first)."""
        self.js("window.govkg.freeze(true)")
        return self.js("""id => { const n = window.govkg.network; const p = n.getPositions([id])[id];
                               const d = n.canvasToDOM(p); const r = document.getElementById('mynetwork').getBoundingClientRect();
                               return [r.left + d.x, r.top + d.y]; }""", node_id)

    def click_node(self, node_id: str):
        """A real mouse click on the node as drawn on the canvas."""
        x, y = self.node_xy(node_id)
        self.page.mouse.click(x, y)

    def hover_node(self, node_id: str) -> str:
        """Move the mouse onto the node; returns the text of the tooltip that appears."""
        x, y = self.node_xy(node_id)
        self.page.mouse.move(x - 30, y - 30)
        self.page.mouse.move(x, y, steps=3)
        self.page.wait_for_selector("#govkg-tooltip", state="visible", timeout=5000)
        return self.page.text_content("#govkg-tooltip")

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser):
    opened = []

    def _open(path):
        o = Opened(browser, path)
        opened.append(o)
        return o

    yield _open
    for o in opened:
        o.close()


@pytest.mark.parametrize("view", views.VIEWS)
def test_loads_offline_without_errors_and_counts_match(pages, open_page, view):
    path, G = pages[view]
    o = open_page(path)
    assert o.errors == [] and o.blocked == [] and o.dialogs == []
    assert o.js("window.govkg.counts()") == {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    if view == "full":  # starts collapsed: the sites and one node per other class
        n_sites = sum(1 for _, d in G.nodes(data=True) if d["cls"].endswith("site"))
        n_classes = len({d["cls"] for _, d in G.nodes(data=True)} - {"urban-site", "rural-site"})
        assert o.js("window.govkg.rendered().nodes") == n_sites + n_classes
        o.js("window.govkg.expandAll()")
    assert o.js("window.govkg.rendered()") == {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    assert o.js("typeof vis") == "object"


def test_search_finds_mediation_in_both_languages(pages, open_page):
    path, G = pages["full"]
    o = open_page(path)
    expected = {n for n, d in G.nodes(data=True) if "调解" in d["label_zh"]}
    assert len(expected) >= 2  # the mediation team and the mediation mechanism
    o.page.fill("#govkg-search", "调解")
    ids = o.page.eval_on_selector_all("#govkg-results button", "bs => bs.map(b => b.dataset.id)")
    assert set(ids) == expected
    o.page.fill("#govkg-search", "mediation")
    ids_en = o.page.eval_on_selector_all("#govkg-results button", "bs => bs.map(b => b.dataset.id)")
    assert set(ids_en) == expected
    # choosing a result selects and highlights it
    o.page.click("#govkg-results button >> nth=0")
    assert o.js("window.govkg.network.getSelectedNodes()") == [ids_en[0]]
    assert o.page.text_content("#govkg-details")


def test_clicking_the_shared_mechanism_lights_up_both_sites(pages, open_page):
    path, _ = pages["mechanisms"]
    o = open_page(path)
    o.click_node(YEZHIHUI)
    lit = set(o.js("window.govkg.highlighted()"))
    assert {GAOXIN, JIANGYUAN} <= lit
    assert o.js("window.govkg.network.getSelectedNodes()") == [YEZHIHUI]
    # the others are greyed out, the neighbours keep their colour
    colors = o.js("Object.fromEntries(window.govkg.nodes.get().map(n => [n.id, n.color]))")
    assert colors[GAOXIN] != colors[str(ID["site/guangyangshequ"])]
    assert "200,200,200" in str(colors[str(ID["site/guangyangshequ"])])
    assert "高新社区" in o.page.text_content("#govkg-details") or "椰智荟" in o.page.text_content("#govkg-details")
    # clicking empty canvas clears it
    box = o.page.locator("#mynetwork").bounding_box()
    o.page.mouse.click(box["x"] + 3, box["y"] + 3)
    assert o.js("window.govkg.highlighted()") == []


def test_hover_shows_labels_outcomes_and_evidence(pages, open_page):
    path, _ = pages["mechanisms"]
    o = open_page(path)
    tip = o.hover_node(YEZHIHUI)
    assert "“椰智荟”议事堂" in tip and "Yezhihui Deliberation Hall" in tip
    assert "运用议事堂处置问题件数:28件" in tip and "more than 13 items" in tip
    assert "江源村党支部牵头成立“椰智荟”议事堂" in tip and "测试用报道" in tip
    assert "议事堂议事会" in tip  # its kind
    o.page.mouse.move(2, 2)


def test_language_toggle_relabels_every_node(pages, open_page):
    path, G = pages["full"]
    o = open_page(path)
    zh = {n: html._short(d, "zh") for n, d in G.nodes(data=True)}
    en = {n: html._short(d, "en") for n, d in G.nodes(data=True)}
    labels = lambda: o.js("Object.fromEntries(window.govkg.nodes.get({filter: n => !n.proxy}).map(n => [n.id, n.label]))")  # noqa: E731
    assert labels() == zh
    o.page.click("#govkg-lang-en")
    assert labels() == en
    assert o.page.get_attribute("#govkg-lang-en", "aria-pressed") == "true"
    assert "Legend" in o.page.text_content("#govkg-panel")
    o.page.click("#govkg-lang-zh")
    assert labels() == zh
    assert "图例" in o.page.text_content("#govkg-panel")


def test_filters_hide_nodes_and_their_edges(pages, open_page):
    path, G = pages["full"]
    o = open_page(path)
    o.page.click("#govkg-expand")
    n_kinds = sum(1 for _, d in G.nodes(data=True) if d["cls"] == "kind")
    o.page.uncheck("input[data-class=kind]")
    assert o.js("window.govkg.rendered().nodes") == G.number_of_nodes() - n_kinds
    o.page.check("input[data-class=kind]")
    assert o.js("window.govkg.rendered()") == {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()}
    meilan = str(ID["area/meilanqu"])
    o.page.select_option("#govkg-district", meilan)
    shown = set(o.js("window.govkg.nodes.get({filter: n => !n.hidden}).map(n => n.id)"))
    assert GAOXIN not in shown and JIANGYUAN in shown
    o.page.select_option("#govkg-district", "")
    o.page.select_option("#govkg-kind", str(govkg.KIND["yishitangyishihui"]))
    shown = set(o.js("window.govkg.nodes.get({filter: n => !n.hidden}).map(n => n.id)"))
    assert {YEZHIHUI, GAOXIN, JIANGYUAN} <= shown and str(ID["site/guangyangshequ"]) not in shown


def test_clicking_a_class_node_expands_the_class(pages, open_page):
    path, G = pages["full"]
    o = open_page(path)
    assert "mechanism" in o.js("window.govkg.collapsed()")
    assert o.js("id => window.govkg.nodes.get(id).hidden", YEZHIHUI) is True
    o.click_node("govkg-group-mechanism")
    assert "mechanism" not in o.js("window.govkg.collapsed()")
    assert o.js("id => window.govkg.nodes.get(id).hidden", YEZHIHUI) is False
    assert o.js("window.govkg.nodes.get('govkg-group-mechanism').hidden") is True
    # its uses are drawn, and lines to the classes still collapsed stand for theirs
    shown_edges = o.js("window.govkg.edges.get({filter: e => !e.hidden}).map(e => [e.from, e.to])")
    assert [YEZHIHUI, GAOXIN] in shown_edges
    assert [YEZHIHUI, "govkg-group-kind"] in shown_edges or ["govkg-group-kind", YEZHIHUI] in shown_edges
    o.page.click("#govkg-collapse")
    assert o.js("id => window.govkg.nodes.get(id).hidden", YEZHIHUI) is True
    # searching for a node of a collapsed class expands it
    o.page.fill("#govkg-search", "椰智荟")
    o.page.click("#govkg-results button >> nth=0")
    assert o.js("id => window.govkg.nodes.get(id).hidden", YEZHIHUI) is False


def test_physics_can_be_frozen(pages, open_page):
    path, _ = pages["mechanisms"]
    o = open_page(path)
    # a small graph is laid out in Python and drawn without physics; the button lets physics run
    assert o.js("window.govkg.frozen()") is True
    assert o.js("window.govkg.network.physics.options.enabled") is False
    o.page.click("#govkg-freeze")
    assert o.js("window.govkg.frozen()") is False
    assert o.js("window.govkg.network.physics.options.enabled") is True
    o.page.click("#govkg-freeze")
    assert o.js("window.govkg.network.physics.options.enabled") is False


def test_xss_label_stays_text(pages, open_page):
    path, _ = pages["xss"]
    o = open_page(path)
    o.page.fill("#govkg-search", "<img")
    o.page.click("#govkg-results button >> nth=0")
    o.click_node(XSS_SITE)
    o.page.hover("#govkg-panel")
    details = o.page.text_content("#govkg-details")
    assert XSS_LABEL in details and "<script>alert(2)</script>证据\"&" in details
    assert o.js("id => window.govkg.nodes.get(id).label_zh", XSS_SITE) == XSS_LABEL
    assert o.js("id => window.govkg.nodes.get(id).label", XSS_SITE) == short_label(XSS_LABEL, "zh", width=8)
    assert o.js("document.querySelectorAll('img').length") == 0
    assert o.js("document.querySelectorAll('b[onmouseover], [onerror]').length") == 0
    # the tooltip holds the label as text
    o.page.mouse.click(5, 5)
    assert XSS_LABEL in o.hover_node(XSS_SITE)
    assert o.js("document.querySelectorAll('#govkg-tooltip *').length") > 0
    assert o.js("document.querySelectorAll('img, [onerror]').length") == 0
    o.page.wait_for_timeout(300)
    assert o.dialogs == [] and o.errors == [] and o.blocked == []


def test_screenshot_is_not_blank(pages, open_page, tmp_path):
    from matplotlib.image import imread

    path, _ = pages["mechanisms"]
    o = open_page(path)
    o.js("window.govkg.freeze(true)")
    shot = tmp_path / "mechanisms.png"
    o.page.screenshot(path=str(shot))
    img = imread(str(shot))[:, 320:, :3]  # the graph, right of the side panel
    non_white = (img.min(axis=2) < 0.9).mean()
    colours = {tuple(px) for px in (img[::7, ::7] * 255).astype(int).reshape(-1, 3)}
    assert non_white > 0.005, f"only {non_white:.2%} of the graph area is drawn ({shot})"
    assert len(colours) > 20


# ---------------------------------------------------------------- legibility, measured on the real data

MIN_PX = 12  # the smallest label height on screen we call readable
MEASURE = """() => {
  const net = window.govkg.network, N = window.govkg.nodes;
  net.redraw();
  const scale = net.getScale();
  const nodes = net.body.nodeIndices.map(id => {
    const node = net.body.nodes[id], lm = node.labelModule, d = N.get(id);
    return { id, x: node.x, y: node.y, r: node.options.size, cls: d.cls, def: !!d.default_label,
             drawn: lm.visible(), font: lm.fontOptions.size, label: node.options.label,
             box: lm.visible() ? [lm.size.left, lm.size.top, lm.size.left + lm.size.width, lm.size.top + lm.size.height] : null };
  });
  const edges = net.body.edgeIndices.map(id => [net.body.edges[id].fromId, net.body.edges[id].toId]);
  const c = document.getElementById("mynetwork").getBoundingClientRect();
  return { scale, nodes, edges, canvas: [c.width, c.height],
           threshold: net.body.nodes[net.body.nodeIndices[0]].options.scaling.label.drawThreshold };
}"""


@pytest.fixture(scope="module")
def real_pages(tmp_path_factory):
    """The views of the bundled data (the data the issue was measured on), in both languages."""
    d = tmp_path_factory.mktemp("real")
    g = govkg.build_graph()
    out = {}
    for v in views.VIEWS:
        for lang in ("en", "zh"):
            out[v, lang] = html.write_viz(g, d / f"{v}-{lang}.html", view=v, lang=lang).path
    return out


def _segment_distance(p, a, b):
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / L2))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def check_legible(m: dict, *, where: str) -> dict:
    """Assert, from what the page drew: every default label drawn, at least MIN_PX high on screen, no
    other label drawn, no two drawn labels overlapping, no disc over a drawn label, and no edge within
    the disc of a node it does not end at. Returns a few figures for the report."""
    scale = m["scale"]
    nodes = {n["id"]: n for n in m["nodes"]}
    drawn = [n for n in m["nodes"] if n["drawn"]]
    assert {n["id"] for n in drawn} == {n["id"] for n in m["nodes"] if n["def"] and n["label"]}, where
    for n in drawn:
        assert n["font"] * scale >= MIN_PX, f"{where}: {n['label']!r} is {n['font'] * scale:.1f} px"
        # and opaque: vis-network fades a label out over the last pixel above its threshold
        assert n["font"] * scale >= m["threshold"], f"{where}: {n['label']!r} is drawn faded"
    for i, a in enumerate(drawn):
        for b in drawn[i + 1:]:
            A, B = a["box"], b["box"]
            ox = min(A[2], B[2]) - max(A[0], B[0])
            oy = min(A[3], B[3]) - max(A[1], B[1])
            assert not (ox > 1 / scale and oy > 1 / scale), f"{where}: labels {a['label']!r} and {b['label']!r} overlap"
        for v in m["nodes"]:
            if v["id"] == a["id"]:
                continue
            A = a["box"]
            cx, cy = min(max(v["x"], A[0]), A[2]), min(max(v["y"], A[1]), A[3])
            assert math.hypot(v["x"] - cx, v["y"] - cy) >= v["r"] - 1, f"{where}: a node covers label {a['label']!r}"
    crossings = []
    for u, w in m["edges"]:
        for v in m["nodes"]:
            if v["id"] in (u, w):
                continue
            d = _segment_distance((v["x"], v["y"]), (nodes[u]["x"], nodes[u]["y"]), (nodes[w]["x"], nodes[w]["y"]))
            if d < v["r"]:
                crossings.append((nodes[u]["label"], nodes[w]["label"], v["label"], round(d, 1)))
    assert crossings == [], f"{where}: edges through unrelated nodes: {crossings[:5]}"
    return {"scale": scale, "drawn": len(drawn), "min_px": min(n["font"] * scale for n in drawn)}


def _shoot(o, name, tmp_path):
    from matplotlib.image import imread

    shot = tmp_path / f"{name}.png"
    o.page.screenshot(path=str(shot))
    keep = os.environ.get("GOVKG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        o.page.screenshot(path=str(Path(keep) / f"{name}.png"))
    img = imread(str(shot))[:, 320:, :3]
    assert (img.min(axis=2) < 0.9).mean() > 0.005, f"{shot} is blank"
    return img


@pytest.mark.parametrize("view", views.VIEWS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_views_are_legible_at_fit_to_window(real_pages, open_page, tmp_path, view, lang):
    o = open_page(real_pages[view, lang])
    assert o.errors == [] and o.blocked == []
    o.js("window.govkg.fit()")
    m = o.js(MEASURE)
    check_legible(m, where=f"{view}/{lang}")
    _shoot(o, f"{view}-{lang}", tmp_path)
    # the drawing fills the window (the similarity view used to sit in a quarter of it)
    xs = [(n["x"]) * m["scale"] for n in m["nodes"]]
    ys = [(n["y"]) * m["scale"] for n in m["nodes"]]
    assert max(max(xs) - min(xs) - m["canvas"][0] * 0.6, max(ys) - min(ys) - m["canvas"][1] * 0.6) > 0
    # site labels lie on top: sites are drawn after every other node
    order = [n["cls"] for n in m["nodes"]]
    first_site = min(i for i, c in enumerate(order) if c.endswith("site"))
    assert all(c.endswith("site") for c in order[first_site:])
    if view == "full":  # and every node of the expanded graph keeps clear of the edges too
        o.js("window.govkg.expandAll()")
        o.js("window.govkg.fit()")
        m = o.js(MEASURE)
        assert len(m["nodes"]) > 200
        check_legible(m, where=f"full expanded/{lang}")
        _shoot(o, f"full-expanded-{lang}", tmp_path)


def test_zooming_in_shows_the_other_labels(real_pages, open_page):
    o = open_page(real_pages["mechanisms", "en"])
    o.js("window.govkg.fit()")
    before = o.js(MEASURE)
    assert sum(n["drawn"] for n in before["nodes"]) == 10
    o.js("window.govkg.network.moveTo({scale: 1.2, animation: false})")
    after = o.js(MEASURE)
    assert all(n["drawn"] for n in after["nodes"] if n["label"])  # every label at 1.2 × (14 px × 1.2 ≥ 12 px)


def test_hover_gives_the_full_label_of_a_cut_one(real_pages, open_page):
    o = open_page(real_pages["mechanisms", "en"])
    cut = o.js("window.govkg.nodes.get({filter: n => n.short_en.endsWith('…')}).map(n => [n.id, n.label_en])")
    assert cut
    node_id, full = cut[0]
    assert full in o.hover_node(node_id)


def test_similarity_page_says_what_the_lines_measure(real_pages, open_page):
    o = open_page(real_pages["similarity", "en"])
    legend = o.page.text_content("#govkg-edge-legend")
    assert "Jaccard" in legend and "3 strongest" in legend
    n_edges = o.js("window.govkg.rendered().edges")
    assert 8 * 3 / 2 <= n_edges <= 8 * 3
    e = o.js("window.govkg.edges.get()[0]")
    assert e["label_en"].startswith("similarity ")


def test_panel_gives_each_site_of_a_shared_mechanism_with_its_evidence(pages, open_page):
    path, _ = pages["mechanisms"]
    o = open_page(path)
    o.click_node(YEZHIHUI)
    details = o.page.text_content("#govkg-details")
    assert "Where it is used" in details or "使用地点及依据" in details
    assert "高新社区" in details and "江源村" in details
    assert "测试用报道" in details
    # tooltip and panel text: no IRI, no raw id
    assert "w3id.org" not in details and "yezhihuiyishitang" not in details
    tip = o.hover_node(YEZHIHUI)
    assert "w3id.org" not in tip and "yezhihuiyishitang" not in tip


def test_panel_of_a_single_site_mechanism_ties_its_sentences_to_the_site(real_pages, open_page):
    o = open_page(real_pages["mechanisms", "zh"])
    g = govkg.build_graph()
    G = views.view_graph(g, "mechanisms")
    m = next(n for n, d in G.nodes(data=True) if d["cls"] == "mechanism" and not d["shared"] and d["evidence"])
    (link,) = G.nodes[m]["links"]
    o.js("id => window.govkg.highlight(id)", m)
    details = o.page.text_content("#govkg-details")
    assert link["evidence"][0]["text"] in details
    assert f"关于 / About: {link['site']['zh']}" in details
    assert "来源 / Source: " + link["evidence"][0]["source"]["zh"] in details
    assert "w3id.org" not in details
