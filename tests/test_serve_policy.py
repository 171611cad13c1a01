"""govkg serve's explicit policy towards browsers and hostile clients (issue 23 L1, L2, L4, M3): Host names answered, CORS on /sparql only, /health without PIDs, an escaped log, bounded caches, and a plain query answered through a flood."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psutil
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
GOVKG = str(Path(sys.executable).with_name("govkg"))
CROSS3 = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def start(tmp_path, *args):
    p = subprocess.Popen([GOVKG, "--data", str(DATA), "--build-dir", str(tmp_path / "build"), "serve", "--port", "0",
                          *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "http://" not in line:
        p.kill()
        raise AssertionError(f"server did not start: {line}{p.stderr.read()}")
    url = line.split("query page ")[1].split()[0]
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    return p, (host, int(port))


def stop(p) -> str:
    """Stop the server; what it wrote to stderr."""
    kids = psutil.Process(p.pid).children(recursive=True)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=10)
    psutil.wait_procs(kids, timeout=5)
    return err


def ask(addr, data: bytes, timeout: float = 30) -> tuple[int, dict, bytes]:
    """One raw request; ``(status, headers, body)``."""
    with socket.create_connection(addr, timeout=timeout) as s, s.makefile("rb") as f:
        s.sendall(data)
        status = int(f.readline().split()[1])
        headers = {}
        while (line := f.readline()) not in (b"\r\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers, f.read(int(headers.get("content-length", 0)))


def get(path: str, host: str | None = "127.0.0.1", extra: str = "", method: str = "GET") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\n" + (f"Host: {host}\r\n" if host else "") + extra +
            "Connection: close\r\n\r\n").encode()


ASK_Q = "/sparql?" + urllib.parse.urlencode({"query": "ASK { site:gaoxinshequ a gk:DemonstrationSite }"})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    p, addr = start(tmp_path_factory.mktemp("policy"), "--workers", "2", "--verbose")
    yield addr, p
    stop(p)


@pytest.mark.parametrize("host, status", [("127.0.0.1", 200), ("localhost:7878", 200), ("[::1]:7878", 200),
                                          ("LOCALHOST", 200), ("evil.example", 421), ("evil.example:7878", 421),
                                          ("127.0.0.1.evil.example", 421)])
def test_only_loopback_host_names_are_answered(server, host, status):
    addr, _ = server
    code, _, body = ask(addr, get(ASK_Q, host))
    assert code == status, body
    if status == 421:
        assert b"DNS rebinding" in body and b"--allow-host" in body
    code, _, _ = ask(addr, get("/health", None).replace(b"HTTP/1.1", b"HTTP/1.0"))  # no Host at all: not a browser
    assert code == 200


def test_cors_on_the_endpoint_only_and_health_without_pids(server):
    addr, _ = server
    _, h, _ = ask(addr, get(ASK_Q, extra="Origin: http://other.example\r\n"))
    assert h["access-control-allow-origin"] == "*" and "access-control-allow-credentials" not in h
    code, h, _ = ask(addr, get("/sparql", extra="Origin: http://other.example\r\nAccess-Control-Request-Method: POST\r\n",
                               method="OPTIONS"))
    assert code == 204 and "POST" in h["access-control-allow-methods"]
    for path in ("/", "/health", "/static/page.js", "/views/similarity.html", "/nothing-here"):
        _, h, body = ask(addr, get(path, extra="Origin: http://other.example\r\n"))
        assert "access-control-allow-origin" not in h, path
    code, _, body = ask(addr, get("/health"))
    health = json.loads(body)
    assert code == 200 and health["status"] == "ok" and "worker_pids" not in health
    assert not any(str(c.pid) in body.decode() for c in psutil.Process(server[1].pid).children())


def test_no_cors_and_allow_host(tmp_path):
    p, addr = start(tmp_path, "--workers", "1", "--no-cors", "--allow-host", "govkg.test")
    try:
        code, h, _ = ask(addr, get(ASK_Q, "govkg.test:8080", "Origin: http://other.example\r\n"))
        assert code == 200 and "access-control-allow-origin" not in h
        code, h, _ = ask(addr, get("/sparql", extra="Origin: http://other.example\r\n", method="OPTIONS"))
        assert code == 204 and "access-control-allow-origin" not in h and "access-control-allow-methods" not in h
        assert ask(addr, get(ASK_Q, "localhost"))[0] == 200 and ask(addr, get(ASK_Q, "other.test"))[0] == 421
    finally:
        stop(p)


def test_verbose_log_escapes_what_it_writes(tmp_path):
    p, addr = start(tmp_path, "--workers", "1", "--verbose")
    try:
        code, _, _ = ask(addr, b"GET /\x1b]0;PWNED\x07\x1b[2J HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert code == 400  # llhttp: not a request target
        assert ask(addr, get("/%1b%5B2J"))[0] == 404
    finally:
        err = stop(p)
    assert "GET /%1b%5B2J 404" in err and "\x1b" not in err and "\x07" not in err


def test_per_text_caches_keep_only_short_texts():
    from govkg import serve

    long_query = "SELECT * WHERE { ?s rdfs:label ?o } #" + "x" * 100_000
    assert serve._prefixes_for(long_query) == {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    assert long_query not in serve._PREFIXES_FOR
    assert serve._unquoted("ASK%20%7B%7D%23" + "y" * 10_000).startswith("ASK {}#")
    assert not any(len(k) > serve._CACHED_TEXT for k in serve._UNQUOTED)
    short = "ASK { ?s rdfs:label ?o }"
    serve._prefixes_for(short)
    assert short in serve._PREFIXES_FOR


def test_a_plain_query_is_answered_through_a_flood(tmp_path):
    """Runaway queries on every worker, nested queries and half-open connections from other clients:
    a plain ASK {} is still answered (bench_serve.py --flood prints how long it waited), every
    runaway gets 503, every nested query 400, and no worker dies of anything but a deadline."""
    p, addr = start(tmp_path, "--workers", "2", "--timeout", "2")
    stop_at = time.monotonic() + 8
    codes: dict[str, list] = {"runaway": [], "nested": []}
    nested = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"

    def flood(kind, text):
        while time.monotonic() < stop_at:
            try:
                codes[kind].append(ask(addr, get("/sparql?" + urllib.parse.urlencode({"query": text})))[0])
            except OSError as exc:
                codes[kind].append(repr(exc))

    threads = [threading.Thread(target=flood, args=("runaway", CROSS3)) for _ in range(4)]
    threads += [threading.Thread(target=flood, args=("nested", nested)) for _ in range(2)]
    for t in threads:
        t.start()
    half_open = []
    try:
        for _ in range(300):
            s = socket.create_connection(addr)
            s.sendall(b"GET /sparql?query=ASK HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            half_open.append(s)
        time.sleep(1)
        answers = []
        for _ in range(3):
            t0 = time.monotonic()
            answers.append((ask(addr, get("/sparql?query=ASK%20%7B%7D")), time.monotonic() - t0))
            time.sleep(0.5)
    finally:
        for t in threads:
            t.join()
        for s in half_open:
            s.close()
        err = stop(p)
    for (code, _, body), waited in answers:
        assert code == 200 and json.loads(body)["boolean"] is True, (code, body, waited)
    assert set(codes["runaway"]) == {503} and len(codes["runaway"]) >= 4, codes["runaway"]
    assert set(codes["nested"]) == {400}, codes["nested"][:5]
    assert "Traceback" not in err, err


def test_a_request_stopped_at_the_deadline_is_not_run_again_at_once(tmp_path):
    p, addr = start(tmp_path, "--workers", "2", "--timeout", "1")
    try:
        text = CROSS3 + " # the first"
        path = "/sparql?" + urllib.parse.urlencode({"query": text})
        code, _, body = ask(addr, get(path))
        assert code == 503 and b"deadline of 1 s" in body
        t = time.monotonic()
        code, _, body = ask(addr, get(path))
        assert code == 503 and b"less than 60 s ago" in body and time.monotonic() - t < 0.9
        code, _, body = ask(addr, get("/sparql?" + urllib.parse.urlencode({"query": CROSS3 + " # another"})))
        assert code == 503 and b"ran past the deadline of 1 s, and the worker" in body  # another text: run
        code, _, body = ask(addr, get(ASK_Q))
        assert code == 200 and json.loads(body)["boolean"] is True
    finally:
        stop(p)


def test_when_every_worker_runs_long_the_newest_is_stopped_for_a_waiting_request(tmp_path):
    p, addr = start(tmp_path, "--workers", "2", "--timeout", "6")
    answers = {}

    def run(name):
        path = "/sparql?" + urllib.parse.urlencode({"query": CROSS3 + f" # {name}"})
        answers[name] = ask(addr, get(path), timeout=60)

    try:
        threads = [threading.Thread(target=run, args=(n,)) for n in ("one", "two")]
        for t in threads:
            t.start()
            time.sleep(0.3)
        time.sleep(1.5)  # both workers run a long query now
        code, _, body = ask(addr, get(ASK_Q), timeout=60)
        assert code == 200 and json.loads(body)["boolean"] is True
        for t in threads:
            t.join()
    finally:
        stop(p)
    busy = [n for n, (code, _, body) in answers.items() if code == 503 and b"every worker was running" in body]
    assert busy == ["two"], answers  # the newest; the oldest ran on to its deadline
    assert answers["one"][0] == 503 and b"deadline of 6 s" in answers["one"][2]
