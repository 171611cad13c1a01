"""govkg.pool under hostile clients (issue 23 M2, L3): request deadlines, the connection cap, the buffered-bytes cap, connections handed over with their read-ahead intact — on a real worker pool in a process of its own, with its limits made small."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest

# The pool in a fresh interpreter, its limits set from argv before the workers are forked.
_SERVER = r"""
import json, sys, time
import govkg.pool as pool
import govkg.poolhttp, govkg.poolstate, govkg.poolworker
# a limit is set in every module of the pool that reads it (each holds its own name for it)
for name, value in json.loads(sys.argv[1]).items():
    holders = [m for m in (pool, govkg.poolhttp, govkg.poolstate, govkg.poolworker) if hasattr(m, name)]
    assert holders, name
    for m in holders:
        setattr(m, name, value)

def app(req):
    if req.path == "/slow":
        end = time.monotonic() + 2
        while time.monotonic() < end:  # busy: the watchdog sees CPU time used
            pass
    return 200, {"Content-Type": "text/plain"}, f"{req.method} {req.path} {len(req.body)}".encode()
app.kind = lambda req: pool.QUERY

p = pool.WorkerPool(("127.0.0.1", 0), app, size=int(sys.argv[2]), timeout=30)
print(p.url, flush=True)
try:
    p.serve_forever()
except KeyboardInterrupt:
    pass
finally:
    p.close()
"""


@pytest.fixture
def start():
    procs = []

    def run(workers: int = 1, **limits):
        p = subprocess.Popen([sys.executable, "-c", _SERVER, json.dumps(limits), str(workers)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        url = p.stdout.readline().strip()
        assert url.startswith("http://"), p.stderr.read()
        host, port = url[len("http://"):].rstrip("/").split(":")
        return host, int(port)

    yield run
    for p in procs:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def read_answer(s: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes or goes quiet for ``timeout`` seconds."""
    s.settimeout(timeout)
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    return out
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def request(addr, data: bytes) -> bytes:
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(data)
        return read_answer(s)


GET = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_a_slow_head_or_body_gets_408_and_an_idle_connection_is_closed(start):
    addr = start(HEAD_TIMEOUT=0.5, REQUEST_TIMEOUT=1.0, IDLE_TIMEOUT=1.0)
    with socket.create_connection(addr) as s:
        s.sendall(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the head never ends
        t = time.monotonic()
        out = read_answer(s)
        assert out.startswith(b"HTTP/1.1 408 ") and b"within 0.5 s" in out and time.monotonic() - t < 5
    with socket.create_connection(addr) as s:
        s.sendall(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345")  # half a body
        assert read_answer(s).startswith(b"HTTP/1.1 408 ")
    with socket.create_connection(addr) as s:
        s.sendall(GET)
        assert read_answer(s).startswith(b"HTTP/1.1 200 ")
        s.settimeout(5)
        t = time.monotonic()
        assert s.recv(10) == b"" and time.monotonic() - t < 4  # idle past 1 s: closed by the server
    assert request(addr, GET).startswith(b"HTTP/1.1 200 ")


def test_connection_cap_closes_the_longest_idle_and_serves_the_new_one(start):
    addr = start(MAX_CONNECTIONS=8)
    idle = [socket.create_connection(addr) for _ in range(30)]
    try:
        time.sleep(0.3)
        assert request(addr, GET).startswith(b"HTTP/1.1 200 ")
        closed = 0
        for s in idle:
            s.settimeout(0.2)
            try:
                closed += s.recv(1) == b""
            except (socket.timeout, ConnectionResetError):
                pass
        assert closed >= 20
    finally:
        for s in idle:
            s.close()


def test_buffered_bytes_cap_answers_503_to_the_largest(start):
    addr = start(MAX_BUFFERED=300_000)
    conns = []
    try:
        for _ in range(6):
            s = socket.create_connection(addr)
            s.sendall(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900000\r\n\r\n" + b"a" * 100_000)
            conns.append(s)
        time.sleep(0.5)
        answers = [read_answer(s, timeout=1) for s in conns]
        assert sum(a.startswith(b"HTTP/1.1 503 ") for a in answers) >= 3, answers
        assert request(addr, GET).startswith(b"HTTP/1.1 200 ")
    finally:
        for s in conns:
            s.close()


@pytest.mark.parametrize("size", [30_000, 100_000, 300_000])
def test_a_connection_handed_over_keeps_what_it_had_sent(start, size):
    """A worker running a long request hands its other connections on with the bytes they had sent:
    an upload half sent before the hand-over and finished after it is answered whole."""
    addr = start(workers=2)
    for _ in range(3):  # the two connections land on the same worker in at least some rounds
        upload = socket.create_connection(addr)
        upload.sendall(f"POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {2 * size}\r\n\r\n".encode()
                       + b"b" * size)
        slow = socket.create_connection(addr)
        slow.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.6)
        upload.sendall(b"b" * size)
        out = read_answer(upload)
        assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(f"POST /up {2 * size}".encode()), out[:200]
        assert read_answer(slow).endswith(b"GET /slow 0")
        upload.close()
        slow.close()


def test_chunked_body_over_the_limit_is_413(start):
    addr = start(MAX_BODY=1000)
    body = b"".join(b"%x\r\n%s\r\n" % (300, b"c" * 300) for _ in range(5)) + b"0\r\n\r\n"
    out = request(addr, b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert out.startswith(b"HTTP/1.1 413 ")
    body = b"".join(b"%x\r\n%s\r\n" % (300, b"c" * 300) for _ in range(3)) + b"0\r\n\r\n"
    out = request(addr, b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"POST /x 900")
