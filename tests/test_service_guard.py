"""SERVICE and deep nesting (issue 23 H1, M1): decided by a SPARQL parser, and query processes have no network at all."""

from __future__ import annotations

import os
import signal
import socket
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
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govkg.cli import cli
from govkg.errors import QueryError
from govkg.guard import MAX_DEPTH, check_query, deny_network, find_service, run_in_child
from govkg.query import run_query

DATA = Path(__file__).resolve().parent.parent / "data"
GOVKG = str(Path(sys.executable).with_name("govkg"))
DEEP = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"


class Listener:
    """The "intranet": a TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def bypasses(port: int) -> list[str]:
    """The audit's bypass and variants of it: text that a lexer reads as a string hides the SERVICE."""
    url = f"http://127.0.0.1:{port}/internal-admin?x=1"
    return [
        f"SELECT ?s WHERE {{ BIND(1<'a>' AS ?z) SERVICE <{url}> {{ ?s ?p ?o }} BIND('' AS ?w) }}",
        f"SELECT * WHERE {{ FILTER(1<'a>') SERVICE <{url}> {{ ?s ?p ?o }} FILTER(1!='x') }}",
        f'SELECT * WHERE {{ FILTER(1<"a>") SERVICE <{url}> {{ ?s ?p ?o }} FILTER(1!="x") }}',
        f"SELECT * WHERE {{ FILTER(2<'#>') SERVICE SILENT <{url}> {{ ?s ?p ?o }} FILTER('x'!='') }}",
        f"SELECT * WHERE {{ FILTER(?a<'>') service <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <http://127.0.0.1:{port}/> SELECT * WHERE {{ FILTER(1<'>') SERVICE x:y {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) FILTER(1<'a>') SERVICE ?u {{ ?s ?p ?o }} FILTER(''='') }}",
        f"SELECT * WHERE {{ FILTER(1<'a>') SeRvIcE\n#'\n<{url}> {{ ?s ?p ?o }} }}",
    ]


# --- the check: a parser decides ---------------------------------------------------------------

def test_the_audit_bypass_and_its_variants_are_refused():
    for q in bypasses(1):
        with pytest.raises(QueryError, match="SERVICE .*is refused"):
            check_query(q)


def test_no_false_positive_on_service_in_strings_iris_comments_and_names(store):
    for q in ['SELECT ("SERVICE <x>" AS ?s) {}',
              "SELECT ?service WHERE { BIND('SERVICE <http://x/> { ?s ?p ?o }' AS ?service) }",
              'SELECT * WHERE { ?s <http://x/SERVICE> ?o } # SERVICE <http://x/> { }\n',
              "PREFIX service: <http://x/> SELECT * WHERE { ?s service:SERVICE ?o }",
              'SELECT * WHERE { BIND("""a " SERVICE <http://x/> {}""" AS ?x) }']:
        assert find_service(q) is None, q
        check_query(q)
        run_query(store, q)  # and the engine accepts it


_NOISE = st.lists(st.sampled_from(list("<>'\"#\\{}()?$:;. \nSERVICEservice") + ["SERVICE", " SERVICE <http://h/> {?s ?p ?o} "]),
                  max_size=30).map("".join)


def _string_literal(text: str, quote: str) -> str:
    """``text`` written as a SPARQL string in ``quote`` (one of ' " ''' \"\"\")."""
    out = text.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    if len(quote) == 1:
        out = out.replace("\n", "\\n")
    return quote + out + quote


def _iri(text: str) -> str:
    kept = "".join(c for c in text if c not in '<>"{}|^`\\' and ord(c) > 0x20)
    return "<http://x/" + kept.replace("#", "%23") + "#SERVICE>"


def _comment(text: str) -> str:
    return "# " + text.replace("\n", " ") + "\n"


@st.composite
def innocent_queries(draw):
    """Valid queries whose strings, IRIs and comments hold every character a lexer can trip on, and no SERVICE pattern."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        noise = draw(_NOISE)
        kind = draw(st.sampled_from(["'", '"', "'''", '"""', "iri", "comment", "lt"]))
        if kind == "iri":
            parts.append(f"FILTER(?x != {_iri(noise)})")
        elif kind == "comment":
            parts.append(_comment(noise))
        elif kind == "lt":  # the audit's trap: 1<'...' is less-than, not an IRI
            parts.append(f"FILTER(1<{_string_literal(noise, chr(39))})")
        else:
            parts.append(f"BIND({_string_literal(noise, kind)} AS ?v{len(parts)})")
    return "SELECT * WHERE { BIND(1 AS ?x) " + " ".join(parts) + " }"


@st.composite
def hostile_queries(draw):
    """A real SERVICE pattern between pieces of the same noise (the bypass generalised)."""
    before = draw(innocent_queries())[len("SELECT * WHERE { "):-2]
    after = draw(innocent_queries())[len("SELECT * WHERE { "):-2]
    target = draw(st.sampled_from(["<http://127.0.0.1:1/x>", "?x", "SILENT <http://127.0.0.1:1/>"]))
    word = draw(st.sampled_from(["SERVICE", "service", "Service"]))
    return f"SELECT * WHERE {{ {before} {word} {target} {{ ?s ?p ?o }} {after} }}"


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(innocent_queries())
def test_fuzz_no_false_positive_at_the_lexer_boundary(store, q):
    assert find_service(q) is None, q
    run_query(store, q)  # a valid query, answered


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(hostile_queries())
def test_fuzz_every_hidden_service_is_found(q):
    assert find_service(q) is not None, q


def test_a_text_that_is_not_a_query_is_said_so(tmp_path):
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    with pytest.raises(QueryError, match="not a SPARQL query"):
        check_query(readme)


# --- nesting: refused before a parser can overflow its stack ------------------------------------

def test_nesting_at_the_limit_passes_and_beyond_is_refused(store):
    ok = "SELECT * WHERE { FILTER(" + "(" * (MAX_DEPTH - 2) + "1" + ")" * (MAX_DEPTH - 2) + ") }"
    assert run_query(store, ok).rows == ((),)
    for deep in (DEEP, "SELECT * WHERE " + "{" * 200_000 + "}" * 200_000, "SELECT * WHERE { FILTER(" + "(" * 300_000,
                 "SELECT * WHERE { " + "OPTIONAL { " * 20_000 + "?s ?p ?o" + " }" * 20_000 + " }",
                 "SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * 10_000) + " }"):
        with pytest.raises(QueryError, match="limit is"):
            run_query(store, deep)


def test_a_deep_query_does_not_kill_the_library_caller():
    # on main this process died with SIGSEGV (exit 139): run it apart from the test process
    code = ("import sys\nfrom govkg.query import run_query\nfrom govkg.errors import QueryError\nimport pyoxigraph\n"
            "try:\n    run_query(pyoxigraph.Store(), sys.stdin.read())\nexcept QueryError as e:\n    print(e)\n")
    p = subprocess.run([sys.executable, "-c", code], input=DEEP, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "nests brackets 5002 deep" in p.stdout, (p.returncode, p.stdout, p.stderr[-500:])


def test_the_cli_refuses_a_deep_query_with_its_reason(built_data):
    r = CliRunner().invoke(cli, ["--data", str(built_data), "query", DEEP])
    assert r.exit_code == 1 and "nests brackets 5002 deep" in r.output and "memory" not in r.output, r.output


# --- and no connection is ever opened -------------------------------------------------------

def test_run_query_opens_no_connection(graph, listener):
    for q in bypasses(listener.port):
        for kw in ({}, {"timeout": 30}):
            with pytest.raises(QueryError, match="SERVICE"):
                run_query(graph, q, **kw)
    time.sleep(0.2)
    assert listener.accepted == 0


def test_govkg_query_opens_no_connection(built_data, listener):
    for q in bypasses(listener.port):
        r = CliRunner().invoke(cli, ["--data", str(built_data), "query", q])
        assert r.exit_code == 1 and "SERVICE" in r.output and "refused" in r.output, r.output
    time.sleep(0.2)
    assert listener.accepted == 0


def test_a_query_child_cannot_connect_whatever_it_runs(listener):
    """The sandbox alone, without the query check: the child of run_in_child has no network."""

    def connect(send, port):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            return "connected"
        except OSError as exc:
            return exc.errno
        finally:
            s.close()

    assert run_in_child(connect, (listener.port,), timeout=30) != "connected"
    # and the parent still can (the listener works)
    socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()
    time.sleep(0.2)
    assert listener.accepted == 1


def test_deny_network_says_which_mechanism():
    def child(send):
        return deny_network()

    assert run_in_child(child, timeout=30).startswith("network namespace")


def _net_ns(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def test_govkg_serve_opens_no_connection_and_its_workers_have_no_network(tmp_path, listener):
    p = subprocess.Popen([GOVKG, "--data", str(DATA), "--build-dir", str(tmp_path / "build"), "serve", "--port", "0",
                          "--workers", "2", "--timeout", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert "http://" in line, line + p.stderr.read()
        url = line.split("query page ")[1].split()[0]
        for q in bypasses(listener.port):
            try:
                with urllib.request.urlopen(f"{url}sparql?" + urllib.parse.urlencode({"query": q}), timeout=30) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            assert status == 403 and b"SERVICE" in body, (q, status, body)
        with urllib.request.urlopen(f"{url}sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), timeout=30) as r:
            assert r.status == 200  # the server still answers
        workers = psutil.Process(p.pid).children()
        assert len(workers) == 2
        assert all(_net_ns(w.pid) != _net_ns(os.getpid()) for w in workers)
    finally:
        kids = psutil.Process(p.pid).children(recursive=True)
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        psutil.wait_procs(kids, timeout=5)
    time.sleep(0.2)
    assert listener.accepted == 0
