"""govkg serve speaks the SPARQL 1.1 Protocol (issue 19): clients we did not write (SPARQLWrapper in every return format and method, rdflib's SPARQLStore, pandas), result documents from pyoxigraph's serializers, negotiation, dataset parameters, relative IRIs, strict HTTP/1.1 — all against a real server process."""

from __future__ import annotations

import csv
import io
import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.dom.minidom
from pathlib import Path

import psutil
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from govkg.query import run_query

DATA = Path(__file__).resolve().parent.parent / "data"
GOVKG = str(Path(sys.executable).with_name("govkg"))
SITES_EN = "SELECT ?s ?l WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l FILTER(LANG(?l) = 'en') } ORDER BY ?l"
SITES_ASK = "ASK { site:gaoxinshequ a gk:DemonstrationSite }"
SITES_CONSTRUCT = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l }"
SITE = "https://w3id.org/govkg/id/site/gaoxinshequ"
SITES_DESCRIBE = f"DESCRIBE <{SITE}>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-protocol")
    p = subprocess.Popen([GOVKG, "--data", str(DATA), "--build-dir", str(tmp / "build"), "serve", "--port", "0",
                          "--workers", "2", "--timeout", "10", "--max-rows", "5000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "http://" not in line:
        p.kill()
        raise AssertionError(f"server did not start: {line}{p.stderr.read()}")
    yield line.split("query page ")[1].split()[0]
    kids = psutil.Process(p.pid).children(recursive=True)
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0
    assert psutil.wait_procs(kids, timeout=5)[1] == []


def get(url, accept=None, method="GET", data=None, headers=None):
    h = dict(headers or {})
    if accept:
        h["Accept"] = accept
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def q(url, text, *pairs, **params):
    return f"{url}sparql?" + urllib.parse.urlencode([("query", text), *pairs, *params.items()])


def raw(server, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; everything the server answers until it closes (or 5 s)."""
    host, port = urllib.parse.urlsplit(server).netloc.split(":")
    out = b""
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(data)
        try:
            while chunk := s.recv(65536):
                out += chunk
        except socket.timeout:
            pass
    return out


# --- SPARQLWrapper: every return format and method -------------------------------------------

# (query form, SPARQLWrapper return format) -> how to read the converted answer
_SW_CASES = [("select", f) for f in ("json", "xml", "csv", "tsv")] + [("ask", f) for f in ("json", "xml")] + \
    [(form, f) for form in ("construct", "describe") for f in ("xml", "rdfxml", "turtle", "n3", "jsonld", "json")]
_SW_METHODS = ["GET", "POST-form", "POST-direct"]


def _sw_rows(fmt, out):
    if fmt == "json":
        return [(b["s"]["value"], b["l"]["value"]) for b in out["results"]["bindings"]]
    if fmt == "xml":
        rows = []
        for result in out.getElementsByTagName("result"):
            by_name = {b.getAttribute("name"): b for b in result.getElementsByTagName("binding")}
            rows.append(tuple(by_name[v].firstChild.firstChild.data for v in "sl"))
        return rows
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["s", "l"]
        return [tuple(r) for r in rows[1:]]
    lines = text.splitlines()
    assert lines[0] == "?s\t?l"
    return [(s[1:-1], label.rsplit("@", 1)[0][1:-1]) for s, label in (ln.split("\t") for ln in lines[1:])]


@pytest.mark.parametrize("method", _SW_METHODS)
@pytest.mark.parametrize("form, fmt", _SW_CASES)
def test_sparqlwrapper_every_format_and_method(server, store, form, fmt, method):
    import SPARQLWrapper as SW

    sw = SW.SPARQLWrapper(f"{server}sparql")
    sw.setMethod(SW.GET if method == "GET" else SW.POST)
    if method == "POST-direct":
        sw.setRequestMethod(SW.POSTDIRECTLY)
    text = {"select": SITES_EN, "ask": SITES_ASK, "construct": SITES_CONSTRUCT, "describe": SITES_DESCRIBE}[form]
    sw.setQuery(text)
    sw.setReturnFormat({"json": SW.JSON, "xml": SW.XML, "csv": SW.CSV, "tsv": SW.TSV, "rdfxml": SW.RDFXML,
                        "turtle": SW.TURTLE, "n3": SW.N3, "jsonld": SW.JSONLD}[fmt])
    out = sw.query().convert()
    if form == "select":
        expected = [(str(s), str(label)) for s, label in run_query(store, SITES_EN).rows]
        assert _sw_rows(fmt, out) == expected and len(expected) == 8
    elif form == "ask":
        assert (out["boolean"] if fmt == "json" else
                out.getElementsByTagName("boolean")[0].firstChild.data == "true") is True
    else:
        if isinstance(out, (bytes, str)):  # turtle and n3: SPARQLWrapper hands back the text
            out = Graph().parse(data=out, format="turtle")
        elif isinstance(out, xml.dom.minidom.Document):
            out = Graph().parse(data=out.toxml(), format="xml")
        elif isinstance(out, dict):
            out = Graph().parse(data=json.dumps(out), format="json-ld")
        assert isomorphic(out, run_query(store, text).graph) and len(out) > 0


# --- rdflib SPARQLStore, pandas ---------------------------------------------------------------

def test_rdflib_sparqlstore_select_ask_construct(server, store):
    from rdflib import RDFS
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = Graph(store=SPARQLStore(f"{server}sparql", returnFormat="xml"))
    prologue = f"PREFIX gk: <https://w3id.org/govkg/ontology#> PREFIX rdfs: <{RDFS}>\n"
    rows = [(str(s), str(label)) for s, label in g.query(prologue + SITES_EN)]
    assert rows == [(str(s), str(label)) for s, label in run_query(store, SITES_EN).rows]
    assert g.query(f"ASK {{ <{SITE}> ?p ?o }}").askAnswer is True
    built = g.query(f"CONSTRUCT {{ ?s <{RDFS}label> ?l }} WHERE {{ ?s <{RDFS}label> ?l }}").graph
    assert Literal("高新社区", lang="zh") in set(built.objects(URIRef(SITE), RDFS.label))
    assert isomorphic(built, run_query(store, SITES_CONSTRUCT.replace("?s a gk:DemonstrationSite ;", "?s")).graph)


def test_pandas_reads_the_sites_as_csv(server):
    import pandas as pd
    frame = pd.read_csv(q(server, SITES_EN, format="csv"))
    assert list(frame.columns) == ["s", "l"] and len(frame) == 8 and frame["s"].str.startswith("https://").all()
    frame = pd.read_csv(q(server, SITES_EN), storage_options={"Accept": "text/csv"})
    assert len(frame) == 8


# --- result documents ---------------------------------------------------------------------------

BNODES = "SELECT ?b ?c WHERE { BIND(BNODE('x') AS ?b) VALUES ?c { 1 2 } }"
TRIPLE = "SELECT ?t WHERE { BIND(<<( <http://e/a> <http://e/b> \"c\" )>> AS ?t) }"


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml",
                                    "text/csv", "text/tab-separated-values"])
def test_blank_nodes_and_triple_terms_never_500(server, accept):
    for text in (BNODES, TRIPLE):
        status, h, body = get(q(server, text), accept)
        assert status == 200 and h["Content-Type"].startswith(accept), body
    status, _, body = get(q(server, BNODES), "application/sparql-results+json")
    rows = json.loads(body)["results"]["bindings"]
    assert [r["b"]["type"] for r in rows] == ["bnode", "bnode"] and rows[0]["b"]["value"] == rows[1]["b"]["value"]
    status, _, body = get(q(server, TRIPLE), "application/sparql-results+json")
    assert json.loads(body)["results"]["bindings"][0]["t"]["type"] == "triple"
    status, _, body = get(q(server, TRIPLE), "text/tab-separated-values")
    assert body.decode().splitlines()[1] == '<<( <http://e/a> <http://e/b> "c" )>>'


def test_tsv_numbers_short_xml_cr_kept_and_controls_refused(server):
    status, _, body = get(q(server, "SELECT ?n ?d WHERE { BIND(1 AS ?n) BIND(1.5 AS ?d) }"), "text/tab-separated-values")
    assert status == 200 and body.decode().splitlines() == ["?n\t?d", "1\t1.5"]
    status, _, body = get(q(server, 'SELECT ?c WHERE { BIND("a\\r\\nb" AS ?c) }'), "application/sparql-results+xml")
    doc = xml.dom.minidom.parseString(body)
    assert status == 200 and doc.getElementsByTagName("literal")[0].firstChild.data == "a\r\nb"
    status, _, body = get(q(server, 'SELECT ?c WHERE { BIND("bell\\u0007" AS ?c) }'), "application/sparql-results+xml")
    assert status == 406 and b"XML 1.0" in body


def test_max_rows_cut_keeps_documents_valid(server):
    text = "SELECT * WHERE { ?s ?p ?o VALUES ?x { 1 2 } }"
    status, h, body = get(q(server, text), "application/sparql-results+json")
    assert status == 200 and h["X-Govkg-Truncated"] == "true; max-rows=5000"
    assert len(json.loads(body)["results"]["bindings"]) == 5000
    status, h, body = get(q(server, "CONSTRUCT { ?s ?p ?x } WHERE { ?s ?p ?o VALUES ?x { 1 2 } }"), "text/turtle")
    assert status == 200 and h["X-Govkg-Rows"] == "5000" and len(Graph().parse(data=body, format="turtle")) == 5000


# --- negotiation -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, accept, expected", [
    (SITES_EN, "text/csv;q=0.9, application/sparql-results+xml;q=0.5", "text/csv"),
    (SITES_EN, "text/*", "text/csv"),
    (SITES_EN, "application/sparql-results+json;q=0, */*;q=0.5", "application/sparql-results+xml"),
    (SITES_EN, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
    (SITES_CONSTRUCT, "application/*", "application/n-triples"),
    (SITES_CONSTRUCT, None, "text/turtle"),
    (SITES_ASK, None, "application/sparql-results+json"),
])
def test_accept_with_q_values_and_wildcards(server, text, accept, expected):
    status, h, _ = get(q(server, text), accept)
    assert status == 200 and h["Content-Type"].split(";")[0] == expected


def test_format_parameter_is_honoured_or_refused_with_the_list(server):
    status, h, _ = get(q(server, SITES_CONSTRUCT, ("format", "rdf+xml"), ("format", "application/rdf+xml")),
                       "application/rdf+xml")
    assert status == 200 and h["Content-Type"].startswith("application/rdf+xml")
    status, h, _ = get(q(server, SITES_EN, format="csv"), "application/sparql-results+json")
    assert status == 200 and h["Content-Type"].startswith("text/csv")
    status, _, body = get(q(server, SITES_EN, format="html"), "application/sparql-results+json")
    assert status == 406 and b"format html" in body and b"text/tab-separated-values" in body


# --- the protocol's parameters ---------------------------------------------------------------

def test_dataset_parameters_and_from_agree(server):
    g = "http://example.org/none"
    for params in ([("default-graph-uri", g)], [("named-graph-uri", g)], [("default-graph-uri", g), ("named-graph-uri", g)]):
        status, _, body = get(q(server, "ASK { ?s ?p ?o }", *params))
        assert status == 200 and json.loads(body)["boolean"] is False  # the named graph is empty: no triples
    status, _, body = get(q(server, f"ASK FROM <{g}> {{ ?s ?p ?o }}"))
    assert status == 200 and json.loads(body)["boolean"] is False
    status, _, body = get(q(server, "ASK { ?s ?p ?o }"))
    assert json.loads(body)["boolean"] is True
    status, _, body = get(q(server, "ASK {}", ("default-graph-uri", "not an iri")))
    assert status == 400 and b"default-graph-uri" in body


def test_relative_iris_resolve_against_the_endpoint(server):
    status, h, body = get(q(server, "CONSTRUCT { <s> <p> 1 } WHERE {}"), "application/n-triples")
    host = urllib.parse.urlsplit(server).netloc
    assert status == 200 and body.decode().startswith(f"<http://{host}/s> <http://{host}/p> ")


def test_two_queries_are_400(server):
    assert get(q(server, "ASK {}", ("query", "SELECT * {}")))[0] == 400
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert get(f"{server}sparql", method="POST", headers=form,
               data=urllib.parse.urlencode([("query", "ASK {}"), ("query", "ASK {}")]).encode())[0] == 400
    status, _, body = get(q(server, "ASK {}"), method="POST", data=b"ASK {}",
                          headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and b"2 queries" in body


def test_not_utf8_is_400(server):
    status, _, _ = get(f"{server}sparql?query=ASK%20%7B%7D%FF")
    assert status == 400
    status, _, _ = get(f"{server}sparql", method="POST", data=b"query=ASK%20%7B%7D%FF",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400


# --- strict HTTP/1.1 (h11) -------------------------------------------------------------------

def test_chunked_bodies_are_read(server):
    import requests

    def body():
        yield b"ASK { site:gaoxinshequ "
        yield b"a gk:DemonstrationSite }"

    r = requests.post(f"{server}sparql", data=body(), timeout=30,
                      headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.parametrize("request_bytes, status", [
    (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: +6\r\n\r\nASK {}", 400),
    (b"GET /health HTTP/1.1\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (128 << 10) + b"\r\n\r\n", 431),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
])
def test_malformed_requests_are_refused(server, request_bytes, status):
    out = raw(server, request_bytes)
    assert out.startswith(f"HTTP/1.1 {status} ".encode()), out[:200]


def test_http10_without_host_is_served(server):
    out = raw(server, b"GET /health HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 ") and b'"status": "ok"' in out


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("text", ["SELECT ?x ?y WHERE { VALUES ?x { 1 2 3 4 5 6 7 } OPTIONAL { BIND(BNODE() AS ?y) } }",
                                  "SELECT * WHERE {}", "SELECT ?x WHERE { FILTER(false) }"])
def test_batches_join_into_the_whole_document(fmt, text):
    """Rows are serialized a batch at a time (to stream them and to cut them): the joined batches are
    pyoxigraph's own document of all the rows."""
    import pyoxigraph as ox

    from govkg.results import _write_solutions

    s = ox.Store()
    rfmt = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
            "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[fmt]
    whole = s.query(text.replace("BNODE()", "'b'")).serialize(format=rfmt)
    for batch in (1, 2, 3, 7, 100):
        out = []
        n, cut = _write_solutions(s.query(text.replace("BNODE()", "'b'")), fmt, out.append, None, batch=batch)
        assert b"".join(out) == whole and not cut
    out = []
    n, cut = _write_solutions(s.query(text), fmt, out.append, 3, batch=2)
    assert n == min(3, whole.count(b"<result>") if fmt == "xml" else n) and (cut == ("VALUES" in text))
