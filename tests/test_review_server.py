"""The review server's safety (issue 23): Host and Origin, the token kept private, timeouts and limits; concurrent
appliers; hostile data folders; `draft --force` never replacing reviewed files."""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govkg.cli import cli
from govkg.draft import draft_report, write_draft
from govkg.draft.review import ReviewError, apply_decisions
from govkg.draft.review_server import ReviewServer
from govkg.errors import GovkgError

from reviewhttp import post_with_content_length

LANHU = Path(__file__).parent / "fixtures" / "draft" / "lanhu.txt"
SOURCE = {"file": "sources/lanhu-test.yaml", "section": "source", "id": "lanhu-test", "action": "edit",
          "values": {"en": "Lanhu test material", "publisher": "测试出版社/Test Press", "date": "2025-03-01"}}
SITE = "sites/qingquanshequ.yaml"


@pytest.fixture
def server(drafted):
    s = ReviewServer(drafted, timeout=1.0, deadline=2.5, max_body=10_000, max_connections=4)
    s.start()
    yield s
    s.stop()


def request(server, method, path, *, host=None, headers=None, body=None):
    port = server.httpd.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{port}")
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def decision(drafted, value=98):
    site = yaml.safe_load((drafted / SITE).read_text(encoding="utf-8"))
    o = next(v for v in site["outcomes"] if v["value"] == value)["id"]
    return {"decisions": [SOURCE, {"file": SITE, "section": "outcomes", "id": o, "action": "accept"}]}


def test_host_and_origin_are_checked(server, drafted):
    port = server.httpd.server_address[1]
    tok = {"X-Govkg-Token": server.token}
    assert request(server, "GET", "/")[0] == 200
    assert request(server, "GET", "/", host=f"localhost:{port}")[0] == 200
    # DNS rebinding: the page's own name comes as Host
    for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}"):
        assert request(server, "GET", "/", host=host)[0] == 421, host
        assert request(server, "GET", "/data", host=host, headers=tok)[0] == 421, host
    # a navigation to the page may come from anywhere; its data only to the page itself
    assert request(server, "GET", "/", headers={"Sec-Fetch-Site": "cross-site"})[0] == 200
    assert request(server, "GET", "/data", headers={**tok, "Sec-Fetch-Site": "cross-site"})[0] == 403
    assert request(server, "GET", "/data", headers={**tok, "Origin": "http://evil.example"})[0] == 403
    before = (drafted / SITE).read_bytes()
    post = {**tok, "Content-Type": "application/json"}
    for bad in ({"Origin": f"http://evil.example:{port}"}, {"Origin": f"http://127.0.0.1:{port + 1}"},
                {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        status, _ = request(server, "POST", "/decisions", headers={**post, **bad}, body=decision(drafted))
        assert status == 403, bad
    assert (drafted / SITE).read_bytes() == before
    status, body = request(server, "POST", "/decisions", headers={**post, "Origin": f"http://127.0.0.1:{port}",
                                                                    "Sec-Fetch-Site": "same-origin"}, body=decision(drafted))
    assert status == 200 and json.loads(body)["accepted"] == 1


def test_the_token_is_in_no_page_and_the_data_needs_it(server):
    status, page = request(server, "GET", "/")
    assert status == 200 and server.token.encode() not in page and "清泉".encode() not in page
    assert request(server, "GET", "/data")[0] == 403
    assert request(server, "GET", "/data", headers={"X-Govkg-Token": "x" * 32})[0] == 403
    status, data = request(server, "GET", "/data", headers={"X-Govkg-Token": server.token})
    assert status == 200 and any("清泉社区" in s["text"] for s in json.loads(data)["sentences"])
    assert server.page_url.endswith("#token=" + server.token) and server.token not in server.url


def test_cli_serve_prints_no_token_and_its_opener_file_is_private(drafted, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "govkg", "review", str(drafted), "--serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        out = "".join(lines)
        assert "token=" not in out and "reviewing" in out, out
        opener = Path(out.split("open file://")[1].split(" ")[0])
        mode = stat.S_IMODE(opener.stat().st_mode)
        assert mode == 0o600 and stat.S_IMODE(opener.parent.stat().st_mode) == 0o700
        assert "#token=" in opener.read_text(encoding="utf-8")
    finally:
        proc.terminate()  # our own child, by its handle
        proc.wait(timeout=10)


def test_timeouts_body_cap_and_connection_cap(server):
    port = server.httpd.server_address[1]
    # a half-sent head is dropped after the timeout
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port)
    t0 = time.monotonic()
    assert s.recv(100) == b"" and time.monotonic() - t0 < 5
    s.close()
    # a head sent a byte at a time, each within the read timeout: cut off at the deadline
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0 = time.monotonic()
    got = None
    for b in b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Slow: " % port + b"a" * 100:
        try:
            s.sendall(bytes([b]))
        except OSError:
            break
        time.sleep(0.4)
        if time.monotonic() - t0 > 6:
            break
    s.settimeout(5)
    try:
        got = s.recv(100)
    except OSError:
        got = b""
    assert got == b"" and time.monotonic() - t0 < 6
    s.close()
    # a body over the cap: 413 before it is read
    status, _ = request(server, "POST", "/decisions", headers={"X-Govkg-Token": server.token,
                                                               "Content-Type": "application/json"},
                        body={"decisions": ["x" * 20_000]})
    assert status == 413
    for length in ("+6", "0x10", "1_0"):
        assert post_with_content_length(port, server.token, length) == 400, length
    # more idle connections than the cap: the next one is answered 503 at once, normal service after they time out
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert extra.recv(100).startswith(b"HTTP/1.1 503")
    for c in idle + [extra]:
        c.close()
    time.sleep(1.5)
    assert request(server, "GET", "/")[0] == 200


def test_two_appliers_at_once_keep_both_edits(drafted):
    site = yaml.safe_load((drafted / SITE).read_text(encoding="utf-8"))
    ids = [v["id"] for v in site["outcomes"][:2]]
    apply_decisions(drafted, {"decisions": [SOURCE]})
    errors = []

    def edit(ident, en):
        try:
            apply_decisions(drafted, {"decisions": [{"file": SITE, "section": "outcomes", "id": ident, "action": "edit",
                                                     "values": {"en": en}}]})
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(i, f"edited {n}")) for n, i in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    site = yaml.safe_load((drafted / SITE).read_text(encoding="utf-8"))
    assert [next(v for v in site["outcomes"] if v["id"] == i)["en"] for i in ids] == ["edited 0", "edited 1"]


def test_a_file_changed_meanwhile_is_not_overwritten(drafted, monkeypatch):
    """An editor saving the file while the decisions are checked: the decisions are refused, the editor's text kept."""
    from govkg.draft import decisions  # apply_decisions checks the folder with decisions.check_folder

    real = decisions.check_folder

    def check_then_someone_saves(data_dir, texts, **kw):
        real(data_dir, texts, **kw)
        p = drafted / SITE
        p.write_text(p.read_text(encoding="utf-8") + "# an editor's change\n", encoding="utf-8")

    monkeypatch.setattr(decisions, "check_folder", check_then_someone_saves)
    with pytest.raises(ReviewError, match="changed by someone else"):
        apply_decisions(drafted, decision(drafted))
    assert (drafted / SITE).read_text(encoding="utf-8").endswith("# an editor's change\n")


def test_deep_yaml_in_the_folder_is_a_clean_error(drafted, tmp_path):
    (drafted / "sites" / "deep.yaml").write_text("a: " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    dec = tmp_path / "d.json"
    dec.write_text(json.dumps(decision(drafted)), encoding="utf-8")
    r = CliRunner().invoke(cli, ["review", str(drafted), "--apply", str(dec)])
    assert r.exit_code == 1 and "nested more than" in r.output, r.output
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output


def test_draft_force_never_replaces_a_reviewed_file(drafted):
    apply_decisions(drafted, decision(drafted))
    before = (drafted / SITE).read_bytes()
    r = CliRunner().invoke(cli, ["draft", str(LANHU), "-o", str(drafted), "--source-id", "lanhu-test", "--force",
                                 "--no-gazetteer"])
    assert r.exit_code == 1 and "holds review decisions" in r.output
    assert "qingquanshequ.yaml" in r.output or "lanhu-test.yaml" in r.output
    assert (drafted / SITE).read_bytes() == before
    with pytest.raises(GovkgError, match="holds review decisions"):
        write_draft(draft_report(LANHU, source_id="lanhu-test"), drafted, text_path=LANHU, force=True)


def _raw(server, data: bytes) -> bytes:
    """What the server answers ``data`` sent as it is on a new connection, until it closes."""
    s = socket.create_connection(("127.0.0.1", server.httpd.server_address[1]), timeout=10)
    s.sendall(data)
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    return out


def test_http_is_parsed_by_the_endpoints_parser_with_its_limits(server):
    """One HTTP layer (govkg.poolhttp, httptools) for the endpoint and the review server (issue 22)."""
    host = f"127.0.0.1:{server.httpd.server_address[1]}".encode()
    tok = server.token.encode()
    # a head over 64 KiB is refused, however it arrives
    big = _raw(server, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 431 "), big[:100]
    # not HTTP: 400 with the parser's reason; an HTTP/1.1 request without Host: 400
    assert _raw(server, b"\x16\x03\x01 hello\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert _raw(server, b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # a chunked body over the cap: 413 while it is read; under the cap: refused, decisions need a Content-Length
    post = b"POST /decisions HTTP/1.1\r\nHost: " + host + b"\r\nX-Govkg-Token: " + tok + (
        b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunks = b"".join(b"%x\r\n%s\r\n" % (5000, b" " * 5000) for _ in range(3)) + b"0\r\n\r\n"
    assert _raw(server, post + chunks).startswith(b"HTTP/1.1 413 ")
    small = _raw(server, post + b"2\r\n{}\r\n0\r\n\r\n")
    assert small.startswith(b"HTTP/1.1 400 ") and b"no chunked bodies" in small
    # a client waiting for 100 Continue gets it; HEAD gets the head only; other methods 501
    s = socket.create_connection(("127.0.0.1", server.httpd.server_address[1]), timeout=10)
    s.sendall(b"POST /decisions HTTP/1.1\r\nHost: " + host + b"\r\nX-Govkg-Token: " + tok
              + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(b"x]")  # not JSON: the body was read and judged
    assert s.recv(100).startswith(b"HTTP/1.1 400 ")
    s.close()
    head = _raw(server, b"HEAD / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n") and b"Content-Security-Policy" in head
    assert _raw(server, b"DELETE / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n").startswith(b"HTTP/1.1 501 ")


def test_stop_ends_open_connections_at_once(drafted):
    s = ReviewServer(drafted, timeout=30.0, deadline=60.0)
    s.start()
    idle = [socket.create_connection(("127.0.0.1", s.httpd.server_address[1]), timeout=10) for _ in range(3)]
    time.sleep(0.2)
    t0 = time.monotonic()
    s.stop()
    assert time.monotonic() - t0 < 2 and all(c.recv(10) == b"" for c in idle)
    for c in idle:
        c.close()
