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
    if not VIRTUOSO or not VIRTUOSO_INI.is_file():
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource); the authenticated "
                    "publish tests need a store with users, which Oxigraph's server does not have")
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


@pytest.mark.parametrize("method, path, times", [("gsp", "/sparql-graph-crud-auth", 2), ("update", "/sparql-auth", 1)])
def test_publish_into_virtuoso_with_a_password(virtuoso, graph, method, path, times):
    for _ in range(times):  # publishing twice keeps the count (the update method's twice is shown on Oxigraph)
        res = publish(graph, virtuoso + path, graph_iri=f"https://example.org/test/{method}", method=method,
                      query_url=virtuoso + "/sparql", user="dba", password="dba")
        assert res.sent == res.counted == len(graph)


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
