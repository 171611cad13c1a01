"""Browser tests of the default `govkg viz` page, the site × kind matrix (issue 20): Debian chromium via
Playwright, every network request blocked. Legibility is measured on the rendered page."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import govkg
from govkg.cli import cli
from govkg.shared import shared_mechanisms, sites as site_iris
from govkg.visualize.matrix import matrix_data

pytestmark = pytest.mark.browser

XSS = Path(__file__).parent / "fixtures" / "viz" / "xss"
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """`govkg viz` (the default view) in zh and en, written through the CLI."""
    d = tmp_path_factory.mktemp("matrix")
    out = {}
    for lang in ("zh", "en"):
        path = d / f"matrix-{lang}.html"
        r = CliRunner().invoke(cli, ["--build-dir", str(d / "build"), "viz", "--lang", lang, "-o", str(path)])
        assert r.exit_code == 0, r.output
        assert "kinds × 8 sites" in r.output
        out[lang] = path
    return out


@pytest.fixture(scope="module")
def data(graph):
    return matrix_data(graph)


class Opened:
    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.blocked, self.errors, self.dialogs = [], [], []

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
        self.page.on("dialog", lambda dlg: (self.dialogs.append(dlg.message), dlg.dismiss()))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.govkg && window.govkg.ready", timeout=30_000)

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)


@pytest.fixture
def open_page(browser):
    opened = []

    def _open(path):
        o = Opened(browser, path)
        opened.append(o)
        return o

    yield _open
    for o in opened:
        o.context.close()


#: For every row label: its kind, text, font size, box, and whether its cell cuts it.
MEASURE = """() => [...document.querySelectorAll('#matrix tbody tr')].map(tr => {
  const th = tr.querySelector('th.kind'), span = th.querySelector('.kind-label');
  const r = span.getBoundingClientRect(), c = th.getBoundingClientRect();
  return {kind: tr.dataset.kind, text: span.textContent, px: parseFloat(getComputedStyle(span).fontSize),
          box: [r.left, r.top, r.right, r.bottom], clipped: r.right > c.right + 0.5 || r.left < c.left - 0.5};
})"""


def _overlap(a, b):
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shared_kinds_are_legible_at_first_sight(pages, open_page, data, graph, lang):
    o = open_page(pages[lang])
    assert o.blocked == [] and o.errors == [] and o.dialogs == []
    rows = o.js(MEASURE)
    shared = {k["id"]: k for k in data["kinds"] if k["site_count"] >= 2}
    # the kinds `govkg shared` lists as used at two or more sites (26 in the bundled data)
    assert set(shared) == {k["iri"] for k in shared_mechanisms(graph)["kinds"]} and len(shared) >= 20
    assert {r["kind"] for r in rows} == set(shared)  # shown at first: exactly the shared kinds
    W, H = VIEWPORT["width"], VIEWPORT["height"]
    legible = []
    for r in rows:
        x0, y0, x1, y1 = r["box"]
        inside = x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H
        alone = not any(_overlap(r["box"], q["box"]) for q in rows if q is not r)
        if r["px"] >= 11 and inside and alone and not r["clipped"] and r["text"] == shared[r["kind"]]["label"][lang]:
            legible.append(r["kind"])
    assert len(legible) / len(shared) >= 0.9, sorted(set(shared) - set(legible))
    # the site headers too: every site named in full, at 11 px or more
    heads = o.js("""() => [...document.querySelectorAll('thead th.site')].map(th => ({t: th.textContent,
                    px: parseFloat(getComputedStyle(th).fontSize), over: th.scrollWidth > th.clientWidth}))""")
    assert [h["t"] for h in heads] == [s["label"][lang] for s in data["sites"]]
    assert all(h["px"] >= 11 and not h["over"] for h in heads)


def test_clicking_a_cell_shows_mechanisms_and_evidence(pages, open_page, data):
    o = open_page(pages["zh"])
    kind = next(k for k in data["kinds"] if k["label"]["zh"] == "矛盾纠纷化解")
    site = next(s for s in data["sites"] if s["label"]["zh"] == "高新社区")
    mechs = data["cells"][f"{kind['id']}|{site['id']}"]
    o.page.click(f'td.cell button[data-kind="{kind["id"]}"][data-site="{site["id"]}"]')
    o.page.wait_for_selector("#panel", state="visible")
    panel = o.page.text_content("#panel")
    assert "矛盾纠纷化解 @ 高新社区" in panel
    for m in mechs:
        assert data["mechanisms"][m]["label"]["zh"] in panel
        for ev in data["mechanisms"][m]["evidence"][site["id"]]:
            assert ev["text"] in panel
    assert o.page.locator("#panel blockquote.evidence").count() >= 1
    assert "不早于 2024-11-02" in panel and "全市城乡基层治理现场会议8个示范点观摩报道" in panel
    # the hover title names the mechanisms of the cell
    title = o.page.get_attribute(f'td.cell button[data-kind="{kind["id"]}"][data-site="{site["id"]}"]', "title")
    assert all(data["mechanisms"][m]["label"]["zh"] in title for m in mechs)
    # the panel fits the window and closes
    box = o.js("() => document.getElementById('panel').getBoundingClientRect().toJSON()")
    assert box["bottom"] <= VIEWPORT["height"] + 1 and box["right"] <= VIEWPORT["width"] + 1
    o.page.keyboard.press("Escape")
    assert o.page.locator("#panel").is_hidden()


def test_language_switch_and_all_kinds(pages, open_page, data):
    o = open_page(pages["zh"])
    o.page.click("#lang")
    rows = o.js(MEASURE)
    by_id = {k["id"]: k for k in data["kinds"]}
    assert all(r["text"] == by_id[r["kind"]]["label"]["en"] for r in rows)
    assert o.page.text_content("#title").startswith("Sites × kinds")
    o.page.check("#all-kinds")
    assert o.page.locator("#matrix tbody tr").count() == len(data["kinds"])


def test_data_text_stays_text(browser, tmp_path, open_page):
    g = govkg.build_graph(XSS, sources_dirs=[])
    from govkg.visualize.matrix import write_matrix

    path, _, _ = write_matrix(g, tmp_path / "xss.html")
    o = open_page(path)
    assert o.dialogs == [] and o.errors == []
    assert "<img src=x onerror=alert(1)>" in o.page.text_content("thead")
    assert o.page.locator("thead img").count() == 0


def test_matrix_needs_no_pyvis(tmp_path, monkeypatch):
    import sys

    for name in list(sys.modules):
        if name == "pyvis" or name.startswith("pyvis."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "pyvis", None)
    r = CliRunner().invoke(cli, ["--build-dir", str(tmp_path / "b"), "viz", "-o", str(tmp_path / "m.html")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "://" not in page and "<script src" not in page


def test_expand_all_leaves_no_stale_tooltip(browser, graph, tmp_path):
    """The full network view (audit: a tooltip stayed on screen after "Expand all")."""
    from govkg.visualize import html

    path = html.write_viz(graph, tmp_path / "full.html", view="full").path
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.govkg && window.govkg.stabilized", timeout=60_000)
        page.evaluate("window.govkg.freeze(true)")
        xy = page.evaluate("""() => { const n = window.govkg.network; const id = n.body.nodeIndices.find(
                                 i => i.startsWith('govkg-group-')); const d = n.canvasToDOM(n.getPositions([id])[id]);
                                 const r = document.getElementById('mynetwork').getBoundingClientRect();
                                 return [r.left + d.x, r.top + d.y]; }""")
        page.mouse.move(xy[0] - 30, xy[1] - 30)
        page.mouse.move(xy[0], xy[1], steps=3)
        page.wait_for_selector("#govkg-tooltip", state="visible", timeout=5000)
        page.click("#govkg-expand")
        assert page.locator("#govkg-tooltip").is_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mechanism_network_names_the_shared_kinds(browser, graph, tmp_path, lang):
    """The mechanism network's panel names every kind used at two or more sites, with its number of
    sites; a click keeps only that kind's mechanisms and sites."""
    from govkg.visualize import html

    path = html.write_viz(graph, tmp_path / f"mech-{lang}.html", view="mechanisms", lang=lang).path
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.govkg && window.govkg.stabilized", timeout=60_000)
        shared = shared_mechanisms(graph)["kinds"]
        buttons = page.evaluate("""() => [...document.querySelectorAll('#govkg-shared-kinds button')].map(b => ({
            kind: b.dataset.kind, text: b.textContent, px: parseFloat(getComputedStyle(b).fontSize)}))""")
        assert [b["kind"] for b in buttons] == [k["iri"] for k in sorted(shared, key=lambda k: (-k["site_count"], k["label"]["zh"]))]
        assert all(b["text"] == f"{k['label'][lang]} {k['site_count']}" and b["px"] >= 11
                   for b, k in zip(buttons, sorted(shared, key=lambda k: (-k["site_count"], k["label"]["zh"]))))
        top = next(k for k in shared if k["label"]["zh"] == "党建引领")
        page.click(f'#govkg-shared-kinds button[data-kind="{top["iri"]}"]')
        shown = page.evaluate("() => window.govkg.nodes.get({filter: n => !n.hidden}).map(n => n.id)")
        sites = {s["iri"] for s in top["sites"]}
        all_sites = {str(s) for s in site_iris(graph)}
        assert sites <= set(shown) and not (all_sites - sites) & set(shown)
    finally:
        context.close()
