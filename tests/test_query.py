"""Read-only SPARQL: predeclared prefixes, bound values, syntax errors with position, result formats."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest
from rdflib import Literal, URIRef

from govkg.errors import QueryError
from govkg.query import QueryResult, format_table, run_query, stream_query
from govkg.resources import example_queries


def test_prefixes_are_predeclared(store):
    r = run_query(store, "SELECT (COUNT(?s) AS ?n) WHERE { ?s a gk:DemonstrationSite }")
    assert r.rows[0][0].toPython() == 8


def test_values_are_bound_not_pasted(store):
    q = "SELECT ?s ?name WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?name }"
    r = run_query(store, q, bindings={"name": Literal("江源村", lang="zh")})
    assert [str(s) for s, _ in r.rows] == ["https://w3id.org/govkg/id/site/jiangyuancun"]
    hostile = '江源村"@zh } UNION { ?s ?p ?name'
    assert run_query(store, q, bindings={"name": Literal(hostile, lang="zh")}).rows == ()


def test_syntax_error_shows_line_and_column(store):
    with pytest.raises(QueryError, match=r"line 2, column \d+"):
        run_query(store, "SELECT ?s\nWHERE { ?s ?p }")


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR DEFAULT",
    "PREFIX x: <urn:x#> DELETE { ?s ?p ?o } INSERT { ?s x:p 1 } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused(store, update):
    n = len(store)
    with pytest.raises(QueryError, match="read-only"):
        run_query(store, update)
    assert len(store) == n


def test_ask_and_construct(store):
    assert run_query(store, "ASK { site:gaoxinshequ a gk:DemonstrationSite }").boolean is True
    g = run_query(store, "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l }").graph
    assert len(g) == 16


def _streamed(store, text, fmt, **kw):
    chunks: list[bytes] = []
    w = stream_query(store, text, fmt, chunks.append, timeout=30, **kw)
    return w, b"".join(chunks)


def test_json_is_sparql_results_json(store):
    q = "SELECT ?s ?l WHERE { site:jiangyuancun rdfs:label ?l BIND(site:jiangyuancun AS ?s) } ORDER BY ?l"
    w, out = _streamed(store, q, "json")
    doc = json.loads(out)
    assert (w.kind, w.fmt, w.media_type, w.rows) == ("select", "json", "application/sparql-results+json", 2)
    assert doc["head"]["vars"] == ["s", "l"]
    b = doc["results"]["bindings"]
    assert b[0]["s"] == {"type": "uri", "value": "https://w3id.org/govkg/id/site/jiangyuancun"}
    assert {x["l"]["xml:lang"]: x["l"]["value"] for x in b} == {"zh": "江源村", "en": "Jiangyuan Village"}
    assert json.loads(_streamed(store, "ASK { site:nowhere ?p ?o }", "json")[1]) == {"head": {}, "boolean": False}


def test_csv_round_trips(store):
    q = "SELECT ?site WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?site FILTER(LANG(?site)='zh') }"
    out = _streamed(store, q, "csv")[1].decode("utf-8")
    assert out.count("\r\n") == 9  # RFC 4180 line ends, as the SPARQL 1.1 CSV results format says
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == ["site"] and len(rows) == 9 and ["高新社区"] in rows


def test_a_text_value_of_several_readings_is_written_once_in_every_format(store):
    """Plain text is read as text, text@zh and text@en: the answers of the three readings are merged
    (each row once) and written by the one writer, in any format, with the row cut counted."""
    q = "SELECT ?s ?name WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?name }"
    for fmt in ("json", "xml", "csv", "tsv"):
        w, out = _streamed(store, q, fmt, bindings={"name": "江源村"})
        assert w.rows == 1 and not w.truncated and out.count(b"jiangyuancun") == 1, (fmt, out)
    w, out = _streamed(store, "SELECT ?l WHERE { ?s rdfs:label ?l }", "json", bindings={"l": "江源村"}, max_rows=0)
    assert w.rows == 0 and w.truncated and json.loads(out)["results"]["bindings"] == []
    assert json.loads(_streamed(store, "ASK { ?s rdfs:label ?l }", "json", bindings={"l": "Jiangyuan Village"})[1])["boolean"]
    w, out = _streamed(store, "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }", "nt", bindings={"l": "江源村"})
    assert (w.kind, w.rows) == ("construct", 1) and out.count(b"\n") == 1
    with pytest.raises(QueryError, match="a CONSTRUCT query answers in one of"):
        _streamed(store, "CONSTRUCT WHERE { ?s rdfs:label ?l }", "csv", bindings={"l": "江源村"})


def test_table_lines_up_cjk_text():
    from wcwidth import wcswidth

    r = QueryResult("select", ("site", "n"), ((Literal("高新社区"), Literal(1)), (Literal("Gaoxin"), Literal(22)),
                                              (URIRef("https://w3id.org/govkg/id/site/jiangyuancun"), None)))
    lines = format_table(r).splitlines()
    bars = {wcswidth(line[: line.index("|")]) for line in lines if "|" in line}
    assert len(bars) == 1, lines
    assert "site:jiangyuancun" in format_table(r)
    assert lines[-1] == "(3 rows)"


def test_long_cells_are_shortened_only_in_tables():
    r = QueryResult("select", ("t",), ((Literal("很" * 100),),))
    assert "…" in format_table(r, max_width=20) and "…" not in format_table(r, max_width=None)


@pytest.mark.parametrize("name", sorted(example_queries()))
def test_example_queries_run_and_answer(store, name):
    r = run_query(store, example_queries()[name])
    assert r.kind == "select" and r.rows, f"example {name} returned nothing"


def test_bindings_read_text_like_the_cli(store):
    from govkg.errors import QueryError

    q = "SELECT ?s ?name WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?name }"
    zh = run_query(store, q, bindings={"name": "江源村@zh"})
    plain_zh = run_query(store, q, bindings={"name": "江源村"})
    plain_en = run_query(store, q, bindings={"name": "Jiangyuan Village"})
    assert [str(r[0]) for r in zh.rows] == [str(r[0]) for r in plain_zh.rows] == [str(r[0]) for r in plain_en.rows]
    assert len(zh.rows) == 1 and zh.rows[0][1].language == "zh" and plain_en.rows[0][1].language == "en"
    assert run_query(store, q, bindings={"name": "江源村@en"}).rows == ()
    ask = run_query(store, "ASK { ?s rdfs:label ?name }", bindings={"name": "Jiangyuan Village"})
    assert ask.boolean is True
    with pytest.raises(QueryError):
        run_query(store, q, bindings={"name": "<not an iri>"})
    with pytest.raises(QueryError):
        run_query(store, q, bindings={"name": 3.5})


# --- the guard: deadline, row cap, SERVICE refused, Ctrl-C -------------------------------

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_runaway_query_is_stopped_at_the_deadline(store):
    import time

    import psutil

    from govkg.guard import QueryTimeout

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    t = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 1 s"):
        run_query(store, RUNAWAY, timeout=1)
    assert time.monotonic() - t < 2
    left = [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before and _alive(p.pid)]
    assert left == []


def test_max_rows_cuts_and_says_so(store):
    q = "SELECT ?s WHERE { ?s a gk:DemonstrationSite }"
    r = run_query(store, q, max_rows=3)
    assert len(r.rows) == 3 and r.truncated
    r = run_query(store, q, max_rows=8)
    assert len(r.rows) == 8 and not r.truncated
    g = run_query(store, "CONSTRUCT WHERE { ?s a gk:DemonstrationSite }", max_rows=5)
    assert len(g.graph) == 5 and g.truncated


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o .SERVICE SILENT <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "select * where {\n  service ?endpoint { ?s ?p ?o } VALUES ?endpoint { <http://127.0.0.1:1/> } }",
])
def test_service_is_refused(store, text):
    with pytest.raises(QueryError, match=r"SERVICE .*line \d+, column \d+ is refused"):
        run_query(store, text)


def test_the_word_service_elsewhere_is_fine(store):
    q = ('SELECT ?service WHERE { BIND("SERVICE" AS ?service) # SERVICE in a comment\n'
         '  FILTER(?service != <http://example.org/SERVICE>) }')
    assert run_query(store, q).rows[0][0] == Literal("SERVICE")


def test_stream_query_writes_rows_as_they_come(store):
    from govkg.query import stream_query

    chunks = []
    w = stream_query(store, "SELECT ?s ?l WHERE { ?s rdfs:label ?l }", "tsv", chunks.append, timeout=10)
    assert len(chunks) > 1 and w.rows > 500 and not w.truncated
    lines = b"".join(chunks).decode("utf-8").splitlines()
    assert lines[0] == "?s\t?l" and len(lines) == w.rows + 1


def test_cli_query_guard(tmp_path):
    """--timeout, --max-rows and Ctrl-C through the real console script."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import psutil

    govkg = str(Path(sys.executable).with_name("govkg"))
    r = subprocess.run([govkg, "query", "--timeout", "1", RUNAWAY], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "longer than 1 s" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([govkg, "query", "-f", "csv", "--max-rows", "2", "SELECT ?s WHERE { ?s a gk:DemonstrationSite }"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3 and "cut at 2 rows" in r.stderr
    p = subprocess.Popen([govkg, "query", "--timeout", "0", RUNAWAY], stderr=subprocess.PIPE, text=True)
    kids: list = []
    try:
        deadline = time.monotonic() + 20
        while not psutil.Process(p.pid).children() and time.monotonic() < deadline:
            time.sleep(0.05)
        kids = psutil.Process(p.pid).children()
        child = kids[0].pid
        time.sleep(0.3)
        t = time.monotonic()
        p.send_signal(signal.SIGINT)
        assert p.wait(5) == 1
        assert time.monotonic() - t < 1.5
        assert "Aborted" in p.stderr.read() and not _alive(child)
    finally:  # a failure leaves no runaway query burning a core for the rest of the run
        for k in kids:
            with contextlib.suppress(psutil.Error):
                k.kill()
        if p.poll() is None:
            p.kill()
            p.wait()
