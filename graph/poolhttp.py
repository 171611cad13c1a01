"""HTTP/1.1 on one connection: requests parsed by httptools (llhttp: strict framing, chunked bodies) within
limits of size, and the responses framed (``http_response``); the one HTTP layer of the pool's workers and
of the review server."""

from __future__ import annotations

import collections
import http
import socket
import time
from email.utils import formatdate

import httptools

__all__ = ["Request", "Connection", "BadRequest", "http_response", "plain_response", "http_date", "HEAD_TIMEOUT",
           "REQUEST_TIMEOUT", "IDLE_TIMEOUT", "LINGER", "MAX_HEAD", "MAX_BODY", "RECV_BYTES", "PLAIN_TYPE"]

MAX_HEAD = 64 << 10
RECV_BYTES = 64 << 10  # bytes read from a connection at once
MAX_BODY = 1 << 20
#: Deadlines (seconds) for a client: to send a whole request head, a whole request (head and
#: body), and the next request on a kept-alive connection; after an error answer, the
#: connection lingers this long (reading and dropping what the client still sends, so that the
#: answer is not lost to a reset) before it is closed.
HEAD_TIMEOUT, REQUEST_TIMEOUT, IDLE_TIMEOUT, LINGER = 10.0, 30.0, 60.0, 1.0
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}
PLAIN_TYPE = "text/plain; charset=utf-8"


class Request:
    """One HTTP request: ``method``, ``path``, ``query`` (the raw query string), ``headers`` (lower-case names), ``body``."""

    __slots__ = ("method", "path", "query", "headers", "body", "version")

    def __init__(self, method, path, query, headers, body, version):
        self.method, self.path, self.query, self.headers, self.body, self.version = (
            method, path, query, headers, body, version)


_date_cache: list = [0, ""]  # [second, its HTTP date]


def http_date() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def http_response(status: int, headers: dict, body: bytes, *, head_only=False, close=False) -> bytes:
    """An answer's bytes: the status line, our own headers (never a client's text) and the length
    are all it holds, so it is written here (h11's ``send``, tried first, validated every header of
    every answer and cost as much as evaluating a lookup query; httptools only parses)."""
    head = "".join([f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nServer: govkg\r\nDate: {http_date()}\r\n",
                    *[f"{k}: {v}\r\n" for k, v in headers.items()],
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n" if close else
                    f"Content-Length: {len(body)}\r\n\r\n"]).encode("latin-1")
    return head if head_only else head + body


def plain_response(status: int, message: str, headers: dict | None = None) -> bytes:
    """A complete ``Connection: close`` answer: the supervisor writes it on a socket whose HTTP state
    lived in a worker it killed, and a worker on a connection it is about to close (a protocol error)."""
    return http_response(status, {"Content-Type": PLAIN_TYPE, **(headers or {})},
                     (message.rstrip() + "\n").encode("utf-8"), close=True)


class BadRequest(Exception):
    """Raised from a parser callback: the request is answered ``status`` and the connection closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Connection:
    """A client connection: its socket, its HTTP/1.1 parser (httptools: llhttp, the parser of
    Node.js) with the request being read, the requests read and not yet answered (``ready``), and
    the bytes received since the current request began (``buf``: what is handed over intact with
    the connection; ``known`` is false when a pipelined request began inside a read, so that
    where it began is not known, and the connection then stays with its worker).

    The parser calls the ``on_*`` methods. Each answer is written by ``http_response``: the status
    line, our own headers (never a client's text) and the length are all it holds. A body longer
    than ``max_body`` bytes (default ``MAX_BODY``) is refused (413) before it is read. A pool worker feeds the
    connection from its event loop (``feed``); a server with a thread per connection waits for
    each request with ``read_request``.
    """

    __slots__ = ("sock", "fd", "buf", "known", "parser", "url", "headers", "body", "ready", "in_message",
                 "head_done", "head_bytes", "head_size", "continued", "expects", "since", "closing", "began", "completed", "pending",
                 "max_body")
    headers: list[tuple[str, str]]

    def __init__(self, sock: socket.socket, buf: bytes = b"", *, max_body: int | None = None):
        self.max_body = MAX_BODY if max_body is None else max_body  # the module's limit as it is now
        self.sock, self.fd, self.buf, self.known = sock, sock.fileno(), bytearray(), True
        self.since = time.monotonic()  # when the current request began, or the connection went idle
        self.closing = 0.0  # when a lingering connection is closed for good (0: not lingering)
        self.parser = httptools.HttpRequestParser(self)
        self.url, self.headers, self.body = b"", [], bytearray()
        self.ready: collections.deque = collections.deque()
        self.in_message = self.head_done = self.continued = self.expects = False
        self.head_bytes = self.head_size = self.began = self.completed = 0
        self.pending = bytes(buf)

    # -- parser callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.url, self.headers, self.body = b"", [], bytearray()
        self.in_message, self.head_done, self.continued, self.expects = True, False, False, False
        self.head_size = 0
        self.began += 1

    def _grow_head(self, n: int) -> None:
        """Count ``n`` more bytes of the request head: 431 past ``MAX_HEAD``, however the head came in reads."""
        self.head_size += n
        if self.head_size > MAX_HEAD:
            raise BadRequest(431, f"The request head is larger than {MAX_HEAD >> 10} KiB.")

    def on_url(self, url: bytes) -> None:
        self._grow_head(len(url))
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value) + 4)
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.head_done = True
        fields = dict(self.headers)
        if self.parser.get_http_version() == "1.1" and "host" not in fields:
            raise BadRequest(400, "Bad request: an HTTP/1.1 request must name its Host.")
        length = fields.get("content-length")
        if length is not None and int(length) > self.max_body:
            raise BadRequest(413, f"The request body is larger than {self.max_body:,} bytes.")
        self.expects = fields.get("expect", "").lower() == "100-continue"

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > self.max_body:
            raise BadRequest(413, f"The request body is larger than {self.max_body:,} bytes.")

    def on_message_complete(self) -> None:
        headers: dict[str, str] = {}
        for name, value in self.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        target = self.url.decode("latin-1")
        if target[:7].lower() == "http://" or target[:8].lower() == "https://":  # absolute form (RFC 9112, 3.2.2)
            rest = target.split("//", 1)[1]
            target = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        path, _, query = target.partition("?")
        req = Request(self.parser.get_method().decode("latin-1"), path, query, headers, bytes(self.body),
                      "HTTP/" + self.parser.get_http_version())
        self.ready.append((req, not self.parser.should_keep_alive()))
        self.in_message = self.head_done = False
        self.url, self.headers, self.body = b"", [], bytearray()
        self.completed += 1

    def feed(self, data: bytes) -> None:
        """Parse ``data``; the requests it completes go to ``ready`` (``BadRequest`` if it is not HTTP/1.1)."""
        was_in, began, completed = self.in_message, self.began, self.completed
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:  # we upgrade to nothing: what follows is the next request
            self.parser = httptools.HttpRequestParser(self)
            rest = data[exc.args[0]:] if exc.args and isinstance(exc.args[0], int) else b""
            self.buf, self.known = bytearray(), True
            if rest:
                self.feed(rest)
            return
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ or exc.__cause__
            if isinstance(cause, BadRequest):
                raise cause from None
            raise BadRequest(400, f"Bad request: {exc}.") from None
        except httptools.HttpParserError as exc:
            raise BadRequest(400, f"Bad request: {exc}.") from None
        if self.in_message and not self.head_done:
            self.head_bytes = (self.head_bytes if was_in and self.began == began else 0) + len(data)
            if self.head_bytes > MAX_HEAD:
                raise BadRequest(431, f"The request head is larger than {MAX_HEAD >> 10} KiB.")
        if not self.in_message:
            self.buf, self.known = bytearray(), True
        elif self.completed == completed and (was_in or self.began == began + 1):
            if not was_in:
                self.buf, self.known = bytearray(), True
            self.buf += data  # the current request from its first byte (a read begins or continues it)
        else:
            self.buf, self.known = bytearray(), False  # it began after another one inside this read

    def read_request(self, *, timeout: float, deadline: float) -> tuple[Request, bool] | None:
        """Wait (blocking) for the next request to come whole: ``(request, close)``, or ``None`` when
        the client closed the connection, sent nothing for ``timeout`` seconds, or had not sent the
        whole request by ``deadline`` (a ``time.monotonic()`` value: a client sending a byte now and
        then is cut off). ``close`` is true when the client asked to close the connection after
        the answer. A client waiting for ``100 Continue`` gets it. ``BadRequest`` when what came
        is not HTTP/1.1 or is over a limit.
        """
        if self.pending:
            data, self.pending = self.pending, b""
            self.feed(data)
        while not self.ready:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self.sock.settimeout(min(timeout, left))
                data = self.sock.recv(RECV_BYTES)
            except OSError:  # a timeout (TimeoutError is an OSError) or a reset
                return None
            if not data:
                return None
            self.feed(data)
            if self.expects and self.head_done and not self.continued and not self.ready:
                self.continued = True
                try:
                    self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                except OSError:
                    return None
        return self.ready.popleft()
