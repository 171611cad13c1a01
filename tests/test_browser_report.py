"""Browser test of the HTML report (issue 20): rendered column widths, page length, table of contents.

Debian chromium via Playwright, at a common laptop window (1366 × 768), every network request blocked."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from govkg.cli import cli

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}
#: Every table cell: its text, width, and how many lines its text takes.
CELLS = """() => [...document.querySelectorAll('table')].flatMap((t, ti) => [...t.querySelectorAll('th, td')].map(c => {
  const r = document.createRange(); r.selectNodeContents(c.querySelector('summary') || c);  // a folded sentence: its summary
  const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
  return {table: ti, text: (c.querySelector('summary') || c).innerText.trim(), width: c.getBoundingClientRect().width, lines: tops.size};
}))"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    out = {}
    for lang in ("zh", "en"):
        path = d / f"report-{lang}.html"
        r = CliRunner().invoke(cli, ["--build-dir", str(d / "build"), "report", "-o", str(path), "--lang", lang])
        assert r.exit_code == 0, r.output
        out[lang] = path
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_tables_are_readable_and_the_page_is_short(browser, reports, lang):
    ctx = browser.new_context(viewport=VIEWPORT)
    blocked = []
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file://", "data:"))
              else (blocked.append(r.request.url), r.abort()))
    page = ctx.new_page()
    try:
        page.goto(reports[lang].resolve().as_uri())
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 8000, height  # the bundled data: was 18,793 px (zh) and 22,942 px (en)
        cells = page.evaluate(CELLS)
        assert len(cells) > 100
        # no one-character columns: a short text (a site, a number, a kind) stays on one line
        short = [c for c in cells if 0 < len(c["text"]) <= 12]
        broken = [c for c in short if c["lines"] > 1]
        assert not broken, broken[:5]
        assert min(c["width"] for c in cells) >= 40
        # the table of contents links to every section
        toc = page.evaluate("() => [...document.querySelectorAll('nav.toc a')].map(a => a.getAttribute('href'))")
        ids = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => '#' + h.id)")
        assert toc == ids and len(ids) >= 8
        # one profile per site, with the evidence folded beside the outcomes and context facts apart
        assert page.locator("h2 + h3, h3").count() >= 8
        assert page.locator("td.q details").count() >= 20 and page.locator("details.facts").count() >= 5
        assert blocked == []
    finally:
        ctx.close()
