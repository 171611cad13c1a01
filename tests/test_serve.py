"""govkg serve: a real server started by the tests, queried by clients we did not write (SPARQLWrapper, rdflib's SPARQLStore, urllib)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from govkg.query import run_query

DATA = Path(__file__).resolve().parent.parent / "data"
GOVKG = str(Path(sys.executable).with_name("govkg"))
SITES_EN = "SELECT ?s ?l WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l FILTER(LANG(?l) = 'en') } ORDER BY ?l"
CROSS3 = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ORDER_CROSS = "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c ?a"
TIMEOUT = 3


SERVERS: dict[str, int] = {}  # base URL -> the serving process's PID (its children are the workers)


def worker_pids(url: str) -> list[int]:
    """The worker processes of the server at ``url`` (``/health`` does not list them: issue 23 L1)."""
    return [c.pid for c in psutil.Process(SERVERS[url]).children() if c.status() != psutil.STATUS_ZOMBIE]


def start_server(tmp_path, *args):
    """``govkg serve`` on a free loopback port; returns (process, base URL)."""
    p = subprocess.Popen([GOVKG, "--data", str(DATA), "--build-dir", str(tmp_path / "build"), "serve", "--port", "0",
                          *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "http://" not in line:
        p.kill()
        raise AssertionError(f"server did not start: {line}{p.stderr.read()}")
    url = line.split("query page ")[1].split()[0]
    SERVERS[url] = p.pid
    return p, url


def stop_server(p) -> None:
    kids = psutil.Process(p.pid).children(recursive=True)
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0
    gone, alive = psutil.wait_procs(kids, timeout=5)
    assert alive == [], f"left running: {alive}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    p, url = start_server(tmp_path_factory.mktemp("serve"), "--timeout", str(TIMEOUT), "--workers", "3",
                          "--max-rows", "5000", "--memory", "768")
    yield url
    stop_server(p)


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


def q(url, text, **params):
    return f"{url}sparql?" + urllib.parse.urlencode({"query": text, **params})


# --- clients we did not write --------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper(server, store, method, fmt):
    from SPARQLWrapper import CSV, GET, JSON, POST, TSV, XML, SPARQLWrapper

    expected = [(str(s), str(label)) for s, label in run_query(store, SITES_EN).rows]
    sw = SPARQLWrapper(f"{server}sparql")
    sw.setQuery(SITES_EN)
    sw.setMethod(GET if method == "GET" else POST)
    sw.setReturnFormat({"json": JSON, "xml": XML, "csv": CSV, "tsv": TSV}[fmt])
    res = sw.query()
    out = res.convert()
    if fmt == "json":
        got = [(b["s"]["value"], b["l"]["value"]) for b in out["results"]["bindings"]]
        assert all(b["l"]["xml:lang"] == "en" for b in out["results"]["bindings"])
    elif fmt == "xml":
        got = []  # a xml.dom.minidom Document
        for result in out.getElementsByTagName("result"):
            by_name = {b.getAttribute("name"): b for b in result.getElementsByTagName("binding")}
            got.append(tuple(by_name[v].firstChild.firstChild.data for v in "sl"))
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out.decode("utf-8") if isinstance(out, bytes) else out)))
        assert rows[0] == ["s", "l"]
        got = [tuple(r) for r in rows[1:]]
    else:
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        lines = text.splitlines()
        assert lines[0] == "?s\t?l"
        got = [(s[1:-1], label.rsplit("@", 1)[0][1:-1]) for s, label in (ln.split("\t") for ln in lines[1:])]
    assert got == expected and len(got) == 8


def test_rdflib_sparqlstore_counts_the_same_triples_as_govkg_query(server, store):
    from click.testing import CliRunner
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    from govkg.cli import cli

    g = Graph(store=SPARQLStore(f"{server}sparql", returnFormat="json"))
    n = int(next(iter(g.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))[0])
    r = CliRunner().invoke(cli, ["--data", str(DATA), "query", "-f", "csv", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"])
    assert r.exit_code == 0 and n == int(r.stdout.splitlines()[1]) == len(store)
    site = "https://w3id.org/govkg/id/site/gaoxinshequ"
    from rdflib import RDFS, URIRef

    assert Literal("高新社区", lang="zh") in set(g.objects(URIRef(site), RDFS.label))


# --- the protocol --------------------------------------------------------------------------

def test_post_sparql_query_body_and_cors(server):
    status, h, body = get(f"{server}sparql", "application/sparql-results+json", "POST", SITES_EN.encode("utf-8"),
                          {"Content-Type": "application/sparql-query", "Origin": "http://example.org"})
    assert status == 200 and h["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Credentials" not in h
    assert len(json.loads(body)["results"]["bindings"]) == 8
    status, h, _ = get(f"{server}sparql", method="OPTIONS", headers={"Origin": "http://example.org",
                                                                     "Access-Control-Request-Method": "POST"})
    assert status == 204 and "POST" in h["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("accept, rdflib_format", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                                   ("application/ld+json", "json-ld"),
                                                   ("application/rdf+xml", "xml")])
def test_construct_is_negotiated(server, store, accept, rdflib_format):
    text = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?l }"
    status, h, body = get(q(server, text), accept)
    assert status == 200 and h["Content-Type"].startswith(accept)
    assert isomorphic(Graph().parse(data=body, format=rdflib_format), run_query(store, text).graph)


def test_unacceptable_format_is_406(server):
    status, _, body = get(q(server, SITES_EN), "image/png")
    assert status == 406 and b"application/sparql-results+json" in body


def test_max_rows_cut_says_so(server, store):
    status, h, body = get(q(server, "SELECT * WHERE { ?s ?p ?o VALUES ?x { 1 2 } }"), "text/csv")
    assert status == 200 and h["X-Govkg-Truncated"] == "true; max-rows=5000" and h["X-Govkg-Rows"] == "5000"
    assert len(body.decode("utf-8").splitlines()) == 5001
    status, h, _ = get(q(server, SITES_EN))
    assert status == 200 and "X-Govkg-Truncated" not in h


def test_service_description_and_health(server):
    status, h, body = get(f"{server}sparql", "text/turtle")
    assert status == 200 and h["Content-Type"].startswith("text/turtle")
    g = Graph().parse(data=body, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rows = list(g.query(f"PREFIX sd: <{sd}> SELECT ?e WHERE {{ ?s a sd:Service ; sd:endpoint ?e ; "
                        f"sd:supportedLanguage sd:SPARQL11Query }}"))
    assert [str(r[0]) for r in rows] == [f"{server}sparql"]
    status, _, body = get(f"{server}health")
    assert status == 200 and json.loads(body)["status"] == "ok"


@pytest.mark.parametrize("how", ["get-update", "form-update", "sparql-update", "update-as-query"])
def test_updates_get_403(server, how):
    upd = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = {
        "get-update": lambda: get(f"{server}sparql?" + urllib.parse.urlencode({"update": upd})),
        "form-update": lambda: get(f"{server}sparql", method="POST", headers=form,
                                   data=urllib.parse.urlencode({"update": upd}).encode()),
        "sparql-update": lambda: get(f"{server}sparql", method="POST", data=upd.encode(),
                                     headers={"Content-Type": "application/sparql-update"}),
        "update-as-query": lambda: get(q(server, upd)),
    }[how]()
    assert status == 403 and b"read-only" in body
    assert json.loads(get(q(server, "ASK { <urn:a> <urn:b> <urn:c> }"))[2])["boolean"] is False


def test_service_refused_and_syntax_errors_say_where(server):
    status, _, body = get(q(server, "SELECT * WHERE {\n  SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"))
    assert status == 403 and b"line 2, column 3" in body
    status, _, body = get(q(server, "SELECT ?s\nWHERE { ?s ?p }"))
    assert status == 400 and b"line 2, column" in body


def test_page_views_and_report_are_served(server):
    status, h, body = get(server)
    page = body.decode("utf-8")
    assert status == 200 and "/static/yasgui/yasgui.min.js" in page and "numbers-with-evidence" in page
    for href in ("/views/mechanisms.html", "/views/full.html", "/views/similarity.html", "/report.html",
                 "/report.en.html", "/static/yasgui/LICENSE.txt"):
        assert f'href="{href}"' in page
    status, h, body = get(f"{server}views/similarity.html")
    assert status == 200 and h["Content-Type"].startswith("text/html") and b"govkg" in body
    status, h, body = get(f"{server}report.en.html")
    assert status == 200 and h["Content-Type"].startswith("text/html") and b"<html" in body[:400].lower()
    assert "http://" not in " ".join(l for l in page.splitlines() if "src=" in l or "stylesheet" in l)


def test_http_keep_alive_pipelining_continue_and_head(server):
    """The workers' own HTTP/1.1: two pipelined requests answered in order on one connection,
    ``Expect: 100-continue`` honoured, HEAD without a body, a too large body refused with 413."""
    import socket

    host, port = urllib.parse.urlsplit(server).netloc.split(":")

    def read_response(f, head=False):
        status = f.readline().split()[1]
        headers = {}
        while (line := f.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        return int(status), headers, b"" if head else f.read(int(headers.get("content-length", 0)))

    ask = "/sparql?" + urllib.parse.urlencode({"query": "ASK { site:gaoxinshequ a gk:DemonstrationSite }"})
    with socket.create_connection((host, int(port)), timeout=30) as s, s.makefile("rb") as f:
        s.sendall(f"GET {ask} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        first, second = read_response(f), read_response(f)
        assert first[0] == 200 and json.loads(first[2])["boolean"] is True
        assert second[0] == 200 and json.loads(second[2])["status"] == "ok"
        body = SITES_EN.encode("utf-8")
        s.sendall(f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                  f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        assert f.readline().startswith(b"HTTP/1.1 100") and f.readline() == b"\r\n"
        s.sendall(body)
        status, _, out = read_response(f)
        assert status == 200 and len(json.loads(out)["results"]["bindings"]) == 8
        s.sendall(b"HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + f"GET {ask} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        status, headers, _ = read_response(f, head=True)  # no body follows: the next bytes are the next answer
        assert status == 200 and int(headers["content-length"]) > 0
        assert f.readline().startswith(b"HTTP/1.1 200")
    with socket.create_connection((host, int(port)), timeout=30) as s, s.makefile("rb") as f:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: 99999999\r\n\r\n")
        status, headers, out = read_response(f)
        assert status == 413 and headers["connection"] == "close" and b"larger than" in out


# --- runaway queries -----------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_runaway_queries_get_503_and_others_are_served(server):
    before = set(worker_pids(server))
    results = {}

    def run(name, text):
        t = time.monotonic()
        status, _, body = get(q(server, text))
        results[name] = (status, time.monotonic() - t, body)

    threads = [threading.Thread(target=run, args=a) for a in (("cross", CROSS3), ("order", ORDER_CROSS))]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    status, _, body = get(q(server, "ASK { site:gaoxinshequ a gk:DemonstrationSite }"))
    ask_time = time.monotonic() - t0
    for t in threads:
        t.join()
    assert status == 200 and json.loads(body)["boolean"] is True and ask_time < 1, ask_time
    for name, (code, took, msg) in results.items():
        assert code == 503 and took < TIMEOUT + 1, (name, code, took, msg)
        assert b"stopped" in msg
    end = time.monotonic() + 5  # replacements start in the background
    while len(after := worker_pids(server)) < 3 and time.monotonic() < end:
        time.sleep(0.05)
    killed = before - set(after)
    assert len(killed) >= 2 and not any(_alive(p) for p in killed)
    assert len(after) == 3 and all(_alive(p) for p in after)
    busy = [p for p in after if psutil.Process(p).cpu_percent(interval=0.2) > 50]
    assert busy == []


def test_memory_cap_gets_503_and_the_replacement_answers(tmp_path):
    """A query past the memory cap per worker (200 MiB) gets 503; the worker is replaced and the new one answers."""
    p, url = start_server(tmp_path, "--workers", "1", "--memory", "200", "--timeout", "30")
    try:
        first = worker_pids(url)
        t = time.monotonic()
        status, _, body = get(q(url, ORDER_CROSS))
        assert status == 503 and b"memory cap per query of 200 MiB" in body and time.monotonic() - t < 30, body
        status, _, body = get(q(url, "ASK { site:gaoxinshequ a gk:DemonstrationSite }"))
        assert status == 200 and json.loads(body)["boolean"] is True
        health = json.loads(get(f"{url}health")[2])
        assert worker_pids(url) != first and health["replaced_workers"] == 1 and not _alive(first[0])
        assert "worker_pids" not in health
    finally:
        stop_server(p)


def test_a_runaway_query_does_not_hold_up_a_kept_alive_connection(server):
    """Whichever worker a kept-alive connection was on, a runaway query next to it does not make it wait:
    a worker busy past 0.25 s hands its other connections to another worker."""
    import http.client

    host, port = urllib.parse.urlsplit(server).netloc.split(":")
    ask = "/sparql?" + urllib.parse.urlencode({"query": "ASK { site:gaoxinshequ a gk:DemonstrationSite }"})
    conns = [http.client.HTTPConnection(host, int(port), timeout=30) for _ in range(6)]
    for c in conns:  # spread over the workers
        c.request("GET", ask)
        assert c.getresponse().read() == b'{"head":{},"boolean":true}'
    results = {}

    def run(name, text):
        results[name] = get(q(server, text))[0]

    threads = [threading.Thread(target=run, args=a) for a in (("cross", CROSS3), ("order", ORDER_CROSS))]
    for t in threads:
        t.start()
    time.sleep(0.6)
    for c in conns:
        t0 = time.monotonic()
        c.request("GET", ask)
        r = c.getresponse()
        assert r.status == 200 and r.read() == b'{"head":{},"boolean":true}' and time.monotonic() - t0 < 1
    for t in threads:
        t.join()
    assert results == {"cross": 503, "order": 503}
    for c in conns:  # the same connections still work after the workers that ran the runaways were replaced
        c.request("GET", ask)
        assert c.getresponse().status == 200
        c.close()


def test_public_host_warns(tmp_path):
    """Any non-loopback --host prints a warning first (192.0.2.1 is TEST-NET: never local, so nothing listens)."""
    from click.testing import CliRunner

    from govkg.cli import cli

    r = CliRunner().invoke(cli, ["--data", str(DATA), "--build-dir", str(tmp_path), "serve", "--host", "192.0.2.1",
                                 "--port", "0"])
    assert r.exit_code == 1 and "PUBLIC" in r.stderr and "Error: cannot listen on 192.0.2.1:0" in r.stderr
    assert "Traceback" not in r.stderr
