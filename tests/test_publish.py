"""govkg publish into real triple stores started by the tests: Oxigraph's server (PyPI ``oxigraph``) always, Virtuoso when installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from components import require
from govkg.cli import cli
from govkg.publish import DEFAULT_GRAPH, PublishError, publish

DATA = Path(__file__).resolve().parent.parent / "data"
OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="module")
def oxigraph():
    """``oxigraph serve`` (in-memory, read-write) on a free loopback port: (store URL, query URL)."""
    require("oxigraph")
    port = free_port()
    p = subprocess.Popen([OXIGRAPH, "serve", "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/query?query=ASK%7B%7D", p)
        yield f"{base}/store", f"{base}/query"
    finally:
        p.terminate()
        p.wait(10)


@pytest.mark.parametrize("method", ["gsp", "update"])
def test_publish_into_oxigraph_twice_keeps_the_count(oxigraph, graph, method):
    store, query = oxigraph
    url = store if method == "gsp" else store.replace("/store", "/update")
    iri = f"https://example.org/test/{method}"
    first = publish(graph, url, graph_iri=iri, method=method, query_url=query, chunk=700)
    assert first.sent == first.counted == len(graph)
    if method == "update":
        assert first.requests == 1 + -(-len(graph) // 700) + 1  # DROP, the INSERT chunks, the count
    again = publish(graph, url, graph_iri=iri, method=method, query_url=query, chunk=700)
    assert again.counted == first.counted


def test_cli_publish(oxigraph, graph, monkeypatch):
    store, query = oxigraph
    r = CliRunner().invoke(cli, ["--data", str(DATA), "publish", store, "--query-url", query])
    assert r.exit_code == 0, r.output
    assert f"published {len(graph):,} triples into <{DEFAULT_GRAPH}>" in r.stdout
    r = CliRunner().invoke(cli, ["--data", str(DATA), "publish", store, "--graph", "bad iri> } DROP ALL {"])
    assert r.exit_code == 1 and "not an absolute IRI" in r.stderr
    r = CliRunner().invoke(cli, ["--data", str(DATA), "publish", store, "--user", "u", "--password-env", "NO_SUCH_VAR_X"])
    assert r.exit_code == 1 and "NO_SUCH_VAR_X is not set" in r.stderr


def test_count_mismatch_fails(oxigraph, graph):
    """Counting in the wrong place (our read-only endpoint is not the store) fails loudly."""
    store, query = oxigraph
    with pytest.raises(PublishError, match="cannot reach|holds 0 triples"):
        publish(graph, store, graph_iri="https://example.org/test/mismatch",
                query_url=f"http://127.0.0.1:{free_port()}/query")


def test_unreachable_store_is_a_clean_error(graph):
    r = CliRunner().invoke(cli, ["--data", str(DATA), "publish", f"http://127.0.0.1:{free_port()}/store"])
    assert r.exit_code == 1 and "cannot reach" in r.stderr and "Traceback" not in r.stderr


# --- Virtuoso (Debian virtuoso-opensource), when installed ---------------------------------

VIRTUOSO = shutil.which("virtuoso-t")
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A throw-away Virtuoso (new database in a temp folder, loopback ports); user dba, password dba."""
    require("virtuoso")  # the authenticated publish tests need a store with users, which Oxigraph's server does not have
    import re

    d = tmp_path_factory.mktemp("virtuoso")
    http_port, sql_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text(encoding="utf-8").replace("/var/lib/virtuoso-opensource-7/db", str(d))
    ini = re.sub(r"(?m)^ServerPort\s*=\s*1111", f"ServerPort = 127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^ServerPort\s*=\s*8890", f"ServerPort = 127.0.0.1:{http_port}", ini)
    ini = re.sub(r"(?m)^NumberOfBuffers\s*=.*", "NumberOfBuffers = 2000", ini)
    ini = re.sub(r"(?m)^MaxDirtyBuffers\s*=.*", "MaxDirtyBuffers = 1500", ini)
    (d / "virtuoso.ini").write_text(ini, encoding="utf-8")
    p = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(d / "virtuoso.ini")], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(f"{base}/sparql?query=ASK%7B%7D", p, seconds=90)
        yield base
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


@pytest.mark.slow
@pytest.mark.parametrize("method, path, times", [("gsp", "/sparql-graph-crud-auth", 2), ("update", "/sparql-auth", 1)])
def test_publish_into_virtuoso_with_a_password(virtuoso, graph, method, path, times):
    for _ in range(times):  # publishing twice keeps the count (the update method's twice is shown on Oxigraph)
        res = publish(graph, virtuoso + path, graph_iri=f"https://example.org/test/{method}", method=method,
                      query_url=virtuoso + "/sparql", user="dba", password="dba")
        assert res.sent == res.counted == len(graph)


@pytest.mark.slow
def test_wrong_password_fails_cleanly(virtuoso, graph, monkeypatch):
    monkeypatch.setenv("GOVKG_TEST_VIRTUOSO_PW", "not-the-password")
    r = CliRunner().invoke(cli, ["--data", str(DATA), "publish", virtuoso + "/sparql-graph-crud-auth", "--query-url",
                                 virtuoso + "/sparql", "--user", "dba", "--password-env", "GOVKG_TEST_VIRTUOSO_PW"])
    assert r.exit_code == 1 and "refused the credentials of user 'dba' (HTTP 401)" in r.stderr
    assert "not-the-password" not in r.output and "Traceback" not in r.output
    with pytest.raises(PublishError, match=r"refused the credentials of user 'dba' \(HTTP 401\)"):
        publish(graph, virtuoso + "/sparql-auth", method="update", user="dba", password="wrong")
    with pytest.raises(PublishError, match=r"HTTP 401.*give --user"):
        publish(graph, virtuoso + "/sparql-graph-crud-auth")


# --- hostile stores (issue 23 M5, L13): real HTTP servers on 127.0.0.1 that misbehave ----------

import base64  # noqa: E402
import http.server  # noqa: E402
import threading  # noqa: E402

PASSWORD = "S3cr3t-PW!"
BASIC = base64.b64encode(f"dba:{PASSWORD}".encode()).decode()


class _Peer(http.server.BaseHTTPRequestHandler):
    """A fake store: what it does depends on the path; every request is logged on the server."""

    protocol_version = "HTTP/1.1"
    #: An idle keep-alive connection is closed after this many seconds (a test's result may hold the
    #: client's response, and with it the connection, open): its thread must not outlive the test.
    timeout = 0.5

    def log_message(self, *args):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _any(self):
        body = self._body()
        srv = self.server
        srv.log.append((self.command, self.path, self.headers.get("Authorization"), len(body)))
        path = self.path.split("?")[0]
        if path == "/redirect":
            self._answer(307, headers=[("Location", f"http://127.0.0.1:{srv.other}/store{self.path[len(path):]}")])
        elif path == "/challenge":  # the other host: a Digest challenge with a nonce it chose
            self._answer(401, b"who are you", [("WWW-Authenticate", 'Digest realm="evil", nonce="abc", qop="auth"')])
        elif path == "/huge":  # an error body without end
            self.send_response(500)
            self.send_header("Connection", "close")
            self.end_headers()
            end = time.monotonic() + 10
            try:
                while time.monotonic() < end:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/slow":  # one byte at a time, head and body
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"y" * 100
            end = time.monotonic() + 10
            try:
                for i in range(len(reply)):
                    if time.monotonic() > end:
                        break
                    self.wfile.write(reply[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.4)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/echo":  # a store that says what it got, Authorization included
            if self.headers.get("Authorization") is None:
                self._answer(401, b"log in", [("WWW-Authenticate", 'Basic realm="store"')])
            else:
                self._answer(400, f"bad request; you sent {self.headers.get('Authorization')} pw={PASSWORD}".encode())
        else:
            self._answer(404, b"no such store")

    do_GET = do_PUT = do_POST = do_HEAD = _any


@pytest.fixture
def peers():
    """Two fake stores on two ports of 127.0.0.1 (two origins): the store, and "another host"."""
    servers = []
    for _ in range(2):
        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
        s.daemon_threads = True
        s.log = []
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    store, other = servers
    store.other = other.server_address[1]
    other.other = store.server_address[1]
    yield store, other
    for s in servers:
        s.shutdown()
        s.server_close()


def _publish(built_data, url, *extra):
    env = {"STOREPW": PASSWORD}
    return CliRunner().invoke(cli, ["--data", str(built_data), "publish", url, *extra], env=env)


def _url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_a_redirect_to_another_origin_sends_it_neither_graph_nor_credentials(built_data, peers):
    store, other = peers
    r = _publish(built_data, _url(store, "/redirect"), "--user", "dba", "--password-env", "STOREPW")
    assert r.exit_code == 1 and "another origin" in r.output and "--follow-redirects" in r.output, r.output
    assert other.log == []  # on main: the 933 KB graph was PUT there
    assert all(auth is None or "dba" not in base64.b64decode(auth.split()[-1] + "==").decode("latin-1", "replace")
               for _m, _p, auth, _n in store.log if auth and auth.startswith("Basic"))


def test_another_hosts_digest_challenge_is_never_answered(built_data, peers):
    store, other = peers
    other_path = "/challenge"
    store.other = other.server_address[1]

    class Redirect(_Peer):  # the store sends everything to the other host's challenge
        def _any(self):
            self._body()
            self.server.log.append((self.command, self.path, self.headers.get("Authorization"), 0))
            self._answer(307, headers=[("Location", f"http://127.0.0.1:{self.server.other}{other_path}")])

        do_GET = do_PUT = do_POST = do_HEAD = _any

    store.RequestHandlerClass = Redirect
    r = _publish(built_data, _url(store, "/x"), "--user", "dba", "--password-env", "STOREPW", "--follow-redirects")
    assert r.exit_code == 1, r.output
    assert other.log and all(auth is None for _m, _p, auth, _n in other.log), other.log  # on main: Digest username="dba"
    assert PASSWORD not in r.output and BASIC not in r.output


def test_following_redirects_when_told_still_sends_no_credentials(built_data, peers):
    store, other = peers
    r = _publish(built_data, _url(store, "/redirect"), "--user", "dba", "--password-env", "STOREPW",
                 "--follow-redirects")
    assert r.exit_code == 1  # the other host has no store at /store
    assert other.log and all(auth is None for _m, _p, auth, _n in other.log), other.log


def test_an_endless_error_body_is_read_only_in_part(built_data, peers):
    store, _ = peers
    t = time.monotonic()
    r = _publish(built_data, _url(store, "/huge"))
    assert r.exit_code == 1 and "HTTP 500" in r.output and isinstance(r.exception, SystemExit), r.output[:500]
    assert time.monotonic() - t < 8  # on main: 3 GB read, then a MemoryError traceback
    assert len(r.output) < 1000


def test_a_store_that_trickles_is_stopped_at_the_deadline(built_data, peers):
    store, _ = peers
    t = time.monotonic()
    r = _publish(built_data, _url(store, "/slow"), "--timeout", "2")
    took = time.monotonic() - t
    assert r.exit_code == 1 and "longer than 2 s" in r.output, r.output
    assert took < 6, took  # on main: never ends (the timeout was per read)


def test_an_echoing_store_never_shows_the_password(built_data, peers):
    store, _ = peers
    r = _publish(built_data, _url(store, "/echo"), "--user", "dba", "--password-env", "STOREPW")
    assert r.exit_code == 1 and "you sent" in r.output, r.output
    assert BASIC not in r.output and PASSWORD not in r.output and "***" in r.output, r.output


def test_a_password_in_the_url_is_refused_and_not_shown(built_data, peers):
    store, _ = peers
    port = store.server_address[1]
    for url in (f"http://dba:InUrlPw@127.0.0.1:{port}/store", f"http://dba@127.0.0.1:{port}/store"):
        r = _publish(built_data, url)
        assert r.exit_code == 1 and "--password-env" in r.output and "InUrlPw" not in r.output, r.output
    assert store.log == []
