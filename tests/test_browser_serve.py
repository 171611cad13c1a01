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


# --- issue 19 and 23 L16: the editor knows our prefixes, plain values, example parameters, safe links ----

def _editor_state(pg):
    """The Run button's state (``query_valid`` / ``query_error``) and how many lines have an error marker."""
    return (pg.evaluate("() => document.querySelector('.yasqe_queryButton').className").split()[-1],
            pg.evaluate("() => document.querySelectorAll('.yasqe .parseErrorIcon').length"))


def test_typed_query_with_our_prefixes_is_not_an_error(page):
    pg, blocked, errors = page
    pg.evaluate("""() => document.querySelector('.CodeMirror').CodeMirror.setValue(
        'SELECT ?s ?l WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l } ORDER BY ?l')""")
    pg.wait_for_timeout(500)
    assert _editor_state(pg) == ("query_valid", 0)
    pg.click(".yasqe_queryButton")
    rows = _table_rows(pg)
    assert len(rows) == 6 and ["site:gaoxinshequ", "Gaoxin Community"] in rows, rows
    # an undeclared prefix is still an error
    pg.evaluate("() => document.querySelector('.CodeMirror').CodeMirror.setValue('SELECT * WHERE { ?s nosuch:p ?o }')")
    pg.wait_for_timeout(500)
    assert _editor_state(pg) == ("query_error", 1)
    assert errors == [] and blocked == []


def test_values_are_plain_by_default_with_a_toggle(page):
    pg, blocked, errors = page
    pg.evaluate("""() => { const cm = document.querySelector('.CodeMirror').CodeMirror;
        cm.setValue('SELECT ?l ?b WHERE { site:gaoxinshequ rdfs:label ?l FILTER(LANG(?l) = "zh") BIND(false AS ?b) }');
        }""")
    pg.click(".yasqe_queryButton")
    rows = _table_rows(pg)
    assert rows == [["高新社区", "false"]], rows
    pg.click(".yasr .tableControls label.switch")  # "Simple view" off: the RDF syntax of each value
    pg.wait_for_function("document.querySelector('.yasr table.dataTable tbody td sup') !== null", timeout=10_000)
    rows = _table_rows(pg)
    cells = [c for c in rows[0] if c]
    assert any("@zh" in c for c in cells) and any("xsd:boolean" in c or "XMLSchema#boolean" in c for c in cells), rows
    assert errors == [] and blocked == []


def test_example_parameters_are_fields(page, store):
    pg, blocked, errors = page
    pg.select_option("#examples", "claims-of-a-site")
    field = pg.wait_for_selector("#params input[name='$site']", timeout=10_000)
    assert field.input_value() == "文山村@zh"
    rows = _table_rows(pg)
    assert rows and all(r[0] == "文山村" for r in rows), rows[:3]  # ?site: the first column (simple view: no row numbers)
    field.fill("角布村@zh")
    field.press("Enter")
    pg.wait_for_function("Array.from(document.querySelectorAll('.yasr table.dataTable tbody tr td:nth-child(1)'))"
                         ".every(td => td.innerText === '角布村')", timeout=30_000)
    assert "%24site=" in pg.get_attribute("#dl-csv", "href")
    assert errors == [] and blocked == []


def test_javascript_iris_are_never_links(page):
    pg, blocked, errors = page
    pg.evaluate("""() => { const cm = document.querySelector('.CodeMirror').CodeMirror;
        cm.setValue("SELECT ?x ?y WHERE { BIND(IRI(\\"javascript:alert('x')\\") AS ?x) BIND(<https://example.org/a'b> AS ?y) }");
        }""")
    pg.click(".yasqe_queryButton")
    _table_rows(pg)
    hrefs = pg.eval_on_selector_all(".yasr table.dataTable a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/a'b"], hrefs
    text = pg.inner_text(".yasr table.dataTable tbody")
    assert "javascript:alert('x')" in text
    assert errors == [] and blocked == []
