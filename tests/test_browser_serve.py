"""The query page of govkg serve in Debian chromium through Playwright, every request to another origin blocked.

Runs by default (``.ci/run`` installs chromium); fails, not skips, when it is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from govkg.query import run_query
from govkg.resources import example_queries

_spec = importlib.util.spec_from_file_location("_serve_helpers", Path(__file__).with_name("test_serve.py"))
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
start_server, stop_server = _helpers.start_server, _helpers.stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    p, url = start_server(tmp_path_factory.mktemp("serve-page"), "--timeout", "10", "--workers", "2", "--max-rows", "6")
    yield url
    stop_server(p)


@pytest.fixture
def page(browser, server):
    """The query page with every request that does not go to our server aborted and recorded."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked, errors = [], []

    def route(r):
        if r.request.url.startswith(server):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    pg = ctx.new_page()
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server)
    pg.wait_for_selector(".yasqe .CodeMirror", timeout=30_000)
    yield pg, blocked, errors
    ctx.close()


def _table_rows(pg):
    pg.wait_for_selector(".yasr table.dataTable tbody tr", timeout=30_000)
    return pg.eval_on_selector_all(".yasr table.dataTable tbody tr",
                                   "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(td => td.innerText))")


def test_example_query_shows_its_rows_offline(page, server, store):
    pg, blocked, errors = page
    name = "sites-by-district"
    expected = run_query(store, example_queries()[name])
    pg.select_option("#examples", name)
    rows = _table_rows(pg)
    assert len(expected.rows) > 6 and len(rows) == 6  # cut by the server's --max-rows 6 …
    pg.wait_for_function("document.getElementById('note').textContent.includes('Cut')", timeout=10_000)
    assert "first 6 rows" in pg.text_content("#note")  # … and the page says so
    text = "\n".join(" ".join(r) for r in rows)
    first = [str(t) for t in expected.rows[0] if t is not None]
    assert any(v.split("/")[-1] in text for v in first)
    editor = pg.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert editor.startswith("PREFIX ") and "PREFIX gk: <https://w3id.org/govkg/ontology#>" in editor
    assert pg.get_attribute("#dl-csv", "href").startswith(server + "sparql?format=csv&query=PREFIX")
    assert errors == [] and blocked == []


def test_shared_link_runs_the_query(page):
    pg, blocked, errors = page
    pg.evaluate("""() => document.querySelector('.CodeMirror').CodeMirror.setValue(
        'SELECT ?l WHERE { site:gaoxinshequ rdfs:label ?l } ORDER BY ?l')""")
    pg.click("#share")
    link = pg.url
    assert "#query=" in link
    pg.goto("about:blank")
    pg.goto(link)
    rows = _table_rows(pg)
    text = "\n".join(" ".join(r) for r in rows)
    assert len(rows) == 2 and "高新社区" in text and "Gaoxin Community" in text
    assert pg.text_content("#note") == "2 rows"
    assert errors == [] and blocked == []
