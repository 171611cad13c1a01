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
    first = publish(graph, url, graph_iri=iri, method=method, query_url=query, chunk=1000)
    assert first.sent == first.counted == len(graph)
    if method == "update":
        assert first.requests == 1 + -(-len(graph) // 1000) + 1  # DROP, the INSERT chunks, the count
    again = publish(graph, url, graph_iri=iri, method=method, query_url=query, chunk=1000)
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
