"""Pre-forked worker processes that each serve HTTP on one shared listening socket, supervised so that a request past its deadline is stopped for real and answered 503.

Layout: the serving process loads the store, binds the listening socket and forks the workers
(the store's memory is shared copy-on-write); it starts no thread of its own, and stays as the
*supervisor*. Each worker is a single-threaded HTTP/1.1 server (keep-alive, one request at a
time) that accepts connections on the shared socket and answers them with ``app(request)``
over its copy of the store: the common request costs no hop between processes.

Deadlines: a worker publishes in shared memory what it is doing and since when. A request
running longer than ``LONG`` seconds is noticed by a watchdog thread in the worker (Oxigraph
releases the GIL while it evaluates a query); the watchdog lowers the worker's CPU priority,
hands its other, idle connections to the supervisor, which queues them for the next idle worker (so
that no client waits behind a runaway query, nor is passed from one busy worker to another), and gives the supervisor a duplicate of the
client's socket. When the deadline passes, the supervisor kills the worker (SIGKILL:
Oxigraph's engine cannot be cancelled from inside), answers **503** on that socket, and forks a
replacement; if the worker dies on its own (the memory cap), the client gets 503 as well. A
reply is only written once the worker, under a lock shared with the supervisor, has claimed it
before the deadline: never a 200 cut by a kill.

Load shedding (issue 23 M3): when every worker has run a query for ``SHED_AFTER`` s (or a quarter of the deadline) and requests
are waiting (queued in the supervisor or in the listening socket's accept queue), the most
recent of those queries is stopped the same way (503, saying why); and a request identical to
one stopped at the deadline less than ``REPEAT_COOLDOWN`` s ago is answered 503 at once.

HTTP/1.1 is parsed by httptools (llhttp, Node.js's parser: strict framing, chunked bodies); a client has
``HEAD_TIMEOUT`` s to send a request head and ``REQUEST_TIMEOUT`` s for a whole request (408),
a kept-alive connection idle for ``IDLE_TIMEOUT`` s is closed, and a worker holds at most
``MAX_CONNECTIONS`` connections and ``MAX_BUFFERED`` bytes of unanswered requests.
"""

from __future__ import annotations

import collections
import errno
import http
import mmap
import multiprocessing
import os
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
from email.utils import formatdate

import httptools

from .guard import deny_network, limit_memory

__all__ = ["WorkerPool", "Request", "LONG", "QUERY", "PAGE", "QUICK", "SHED_AFTER"]

#: Seconds of CPU after which a running request counts as long: its worker's other connections
#: are handed to other workers. (A query running ``_TICK`` to ``2 * _TICK`` s has its client's
#: socket given to the supervisor; one that has used ``_TICK`` s of CPU has its worker niced.)
LONG = 0.1
#: Kinds of request (``app.kind(request)``): a query runs under the deadline; a page (rendered
#: once, may take seconds) does not; a quick answer does not either.
QUERY, PAGE, QUICK = 1, 2, 4
_IDLE, _WRITING = 0, 3

_DEBUG = bool(os.environ.get("GOVKG_POOL_DEBUG"))  # the supervisor logs kills and ends to stderr
_TICK = 0.02  # seconds between two looks of a worker's watchdog at the request it runs
_MAX_HEAD = 64 << 10
_RECV = 64 << 10  # bytes read from a connection at once
_MAX_BODY = 1 << 20
#: Deadlines (seconds) for a client: to send a whole request head, a whole request (head and
#: body), and the next request on a kept-alive connection; after an error answer, the
#: connection lingers this long (reading and dropping what the client still sends, so that the
#: answer is not lost to a reset) before it is closed.
HEAD_TIMEOUT, REQUEST_TIMEOUT, IDLE_TIMEOUT, _LINGER = 10.0, 30.0, 60.0, 1.0
#: Connections a worker holds at most; a new one beyond it closes the one waiting the longest
#: (lower when the limit on open files does not leave room for it).
MAX_CONNECTIONS = 1000
#: Bytes of unanswered requests a worker holds at most; beyond it the largest is answered 503 and closed.
MAX_BUFFERED = 32 << 20
#: The most bytes read ahead that a connection handed to another worker can take with it (one
#: message on a Unix socket); a connection holding more stays with its worker.
_HANDOVER_MAX = 192 << 10
_SWEEP = 0.25  # seconds between two looks at the deadlines
#: Seconds after which, when every worker runs a query at least that long and requests are
#: waiting, the most recent of those queries is stopped (503) so that the waiting are served
#: (a quarter of the deadline when that is shorter).
SHED_AFTER = 1.0
_HEADER = struct.Struct("!q")  # replaced workers
_SLOT = struct.Struct("!qqdq")  # pid, phase, started (time.monotonic, the same clock in every process), connections
_SLOT0 = 16
_MARK = struct.Struct("!qd")  # a request (its hash) and when its worker was killed at the deadline
_MARKS = 64  # how many such requests are remembered
#: Seconds during which a request identical to one stopped at the deadline (same method, target and
#: body: the data are read-only, it would run as long again) is answered 503 at once instead of run.
REPEAT_COOLDOWN = 60.0
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}
_PLAIN = "text/plain; charset=utf-8"


class Request:
    """One HTTP request: ``method``, ``path``, ``query`` (the raw query string), ``headers`` (lower-case names), ``body``."""

    __slots__ = ("method", "path", "query", "headers", "body", "version")

    def __init__(self, method, path, query, headers, body, version):
        self.method, self.path, self.query, self.headers, self.body, self.version = (
            method, path, query, headers, body, version)


def _open_files_for(connections: int) -> int:
    """Raise this process's limit on open files towards ``connections`` + 64 (up to the hard limit); how many
    connections it then leaves room for."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + 64
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):  # pragma: no cover
            pass
    return connections if soft == resource.RLIM_INFINITY else max(8, min(connections, soft - 64))


def _accept_queue(sock: socket.socket) -> int:
    """How many connections wait in a listening TCP socket's accept queue (Linux: ``tcpi_unacked``
    of ``TCP_INFO`` holds it for a listening socket, as ``ss -l`` shows it); 0 if unknown."""
    try:
        return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0]
    except (OSError, AttributeError, struct.error):  # pragma: no cover - not Linux
        return 0


_date_cache: list = [0, ""]  # [second, its HTTP date]


def _date() -> str:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def _response(status: int, headers: dict, body: bytes, *, head_only=False, close=False) -> bytes:
    """An answer's bytes: the status line, our own headers (never a client's text) and the length
    are all it holds, so it is written here (h11's ``send``, tried first, validated every header of
    every answer and cost as much as evaluating a lookup query; httptools only parses)."""
    head = "".join([f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nServer: govkg\r\nDate: {_date()}\r\n",
                    *[f"{k}: {v}\r\n" for k, v in headers.items()],
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n" if close else
                    f"Content-Length: {len(body)}\r\n\r\n"]).encode("latin-1")
    return head if head_only else head + body


def _plain_response(status: int, message: str, headers: dict | None = None) -> bytes:
    """A complete ``Connection: close`` answer: the supervisor writes it on a socket whose HTTP state
    lived in a worker it killed, and a worker on a connection it is about to close (a protocol error)."""
    return _response(status, {"Content-Type": _PLAIN, **(headers or {})},
                     (message.rstrip() + "\n").encode("utf-8"), close=True)


def _recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors sent with it, without waiting (``BlockingIOError`` if none)."""
    import array

    fds = array.array("i")
    msg, ancdata, _, _ = sock.recvmsg(_HANDOVER_MAX + 16, socket.CMSG_LEN(4 * fds.itemsize), socket.MSG_DONTWAIT)
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    return msg, list(fds)


_HEAP_BIN = re.compile(r'<size from="(\d+)" to="\d+" total="\d+" count="(\d+)"/>')
_HEAP_FREE = re.compile(r'<total type="rest" count="(\d+)"')
def _fill_heap_holes(limit: int = 4_000_000) -> int:
    """Take the small free chunks out of the C heap's free lists for good; return how many (glibc only, else 0).

    Loading a large in-memory store leaves hundreds of thousands of small free chunks scattered
    over hundreds of MiB (at 20,000 sites: 269,000 chunks, 34 MiB free in a 515 MiB heap).
    glibc hands its bins out first-in first-out, so a forked worker's allocations (Oxigraph's
    per-query structures) would walk them all: each first write to a page shared with the
    supervisor is a copy-on-write fault (13,000 in a worker's first 1,500 lookups) and each
    allocation a cache miss. Once the free lists are empty, the workers allocate from the top
    of the heap and reuse the same few chunks. Costs about 0.2 s at 20,000 sites and holds
    memory that was free but already counted in the heap.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        info, memstream, fclose, malloc = libc.malloc_info, libc.open_memstream, libc.fclose, libc.malloc
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return 0
    memstream.restype = ctypes.c_void_p
    malloc.restype = ctypes.c_void_p
    malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    taken = 0
    for _ in range(3):
        buf, size = ctypes.c_void_p(), ctypes.c_size_t()
        stream = memstream(ctypes.byref(buf), ctypes.byref(size))
        if not stream:
            return taken
        info(0, ctypes.c_void_p(stream))
        fclose(ctypes.c_void_p(stream))
        xml = ctypes.string_at(buf, size.value).decode("ascii", "replace")
        libc.free(buf)
        main = xml.split('<heap nr="1">')[0]  # the main thread's arena (the workers' serving thread)
        free = _HEAP_FREE.search(main)
        if free is None or int(free.group(1)) < 1000 or taken >= limit:
            break
        # the size field carries flag bits; a request of (chunk size - 8) bytes gets a chunk of that size
        for chunk, count in sorted(((int(a) & ~7, int(c)) for a, c in _HEAP_BIN.findall(main)), reverse=True):
            for _ in range(min(count, limit - taken)):
                malloc(chunk - 8)  # kept for good: never freed
                taken += 1
    return taken


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (no effect elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


class _BadRequest(Exception):
    """Raised from a parser callback: the request is answered ``status`` and the connection closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Conn:
    """A client connection: its socket, its HTTP/1.1 parser (httptools: llhttp, the parser of
    Node.js) with the request being read, the requests read and not yet answered (``ready``), and
    the bytes received since the current request began (``buf``: what is handed over intact with
    the connection; ``known`` is false when a pipelined request began inside a read, so that
    where it began is not known, and the connection then stays with its worker).

    The parser calls the ``on_*`` methods. Each answer is written by ``_response``: the status
    line, our own headers (never a client's text) and the length are all it holds.
    """

    __slots__ = ("sock", "fd", "buf", "known", "parser", "url", "headers", "body", "ready", "in_message",
                 "head_done", "head_bytes", "continued", "expects", "since", "closing", "began", "completed", "pending")
    headers: list[tuple[str, str]]

    def __init__(self, sock: socket.socket, buf: bytes = b""):
        self.sock, self.fd, self.buf, self.known = sock, sock.fileno(), bytearray(), True
        self.since = time.monotonic()  # when the current request began, or the connection went idle
        self.closing = 0.0  # when a lingering connection is closed for good (0: not lingering)
        self.parser = httptools.HttpRequestParser(self)
        self.url, self.headers, self.body = b"", [], bytearray()
        self.ready: collections.deque = collections.deque()
        self.in_message = self.head_done = self.continued = self.expects = False
        self.head_bytes = self.began = self.completed = 0
        self.pending = bytes(buf)

    # -- parser callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.url, self.headers, self.body = b"", [], bytearray()
        self.in_message, self.head_done, self.continued, self.expects = True, False, False, False
        self.began += 1

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.head_done = True
        fields = dict(self.headers)
        if self.parser.get_http_version() == "1.1" and "host" not in fields:
            raise _BadRequest(400, "Bad request: an HTTP/1.1 request must name its Host.")
        length = fields.get("content-length")
        if length is not None and int(length) > _MAX_BODY:
            raise _BadRequest(413, f"The request body is larger than {_MAX_BODY:,} bytes.")
        self.expects = fields.get("expect", "").lower() == "100-continue"

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > _MAX_BODY:
            raise _BadRequest(413, f"The request body is larger than {_MAX_BODY:,} bytes.")

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
        """Parse ``data``; the requests it completes go to ``ready`` (``_BadRequest`` if it is not HTTP/1.1)."""
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
            if isinstance(cause, _BadRequest):
                raise cause from None
            raise _BadRequest(400, f"Bad request: {exc}.") from None
        except httptools.HttpParserError as exc:
            raise _BadRequest(400, f"Bad request: {exc}.") from None
        if self.in_message and not self.head_done:
            self.head_bytes = (self.head_bytes if was_in and self.began == began else 0) + len(data)
            if self.head_bytes > _MAX_HEAD:
                raise _BadRequest(431, f"The request head is larger than {_MAX_HEAD >> 10} KiB.")
        if not self.in_message:
            self.buf, self.known = bytearray(), True
        elif self.completed == completed and (was_in or self.began == began + 1):
            if not was_in:
                self.buf, self.known = bytearray(), True
            self.buf += data  # the current request from its first byte (a read begins or continues it)
        else:
            self.buf, self.known = bytearray(), False  # it began after another one inside this read


class _Worker:
    """The life of one worker process (runs after the fork)."""

    def __init__(self, pool: WorkerPool, slot: int, ctrl: socket.socket):
        self.pool, self.slot, self.ctrl, self.app = pool, slot, ctrl, pool.app
        self.lock = pool._locks[slot]
        self.conns: dict[int, _Conn] = {}
        self.mu = threading.Lock()  # held by the main thread except while it runs a request
        #: (request number, connection, started, kind, CPU time at start) while a request runs
        self.current: tuple | None = None
        self.handled_long = 0  # the last request number the watchdog found long
        self.announced = 0  # the last request number whose client's socket the supervisor holds
        self.niced = 0  # the last request number for which this worker was niced
        self.rid = 0
        self.listening = True
        self.relisten = 0.0  # when to listen again after leaving a connection to a less busy worker
        self.tid = threading.get_native_id()
        self.cpu = time.pthread_getcpuclockid(threading.get_ident())  # this (main) thread's CPU time
        self.pid = os.getpid()
        self.rbuf = bytearray(_RECV)
        self.rview = memoryview(self.rbuf)

    # -- shared state ---------------------------------------------------------------------
    def _phase(self, phase: int, started: float = 0.0) -> None:
        _SLOT.pack_into(self.pool._state, _SLOT0 + _SLOT.size * self.slot, self.pid, phase, started, len(self.conns))

    def _busier_than_another(self) -> bool:
        """Whether another worker that can take a connection now holds fewer than this one."""
        mine, now = len(self.conns), time.monotonic()
        for slot in range(self.pool.size):
            if slot != self.slot:
                pid, phase, started, conns = _SLOT.unpack_from(self.pool._state, _SLOT0 + _SLOT.size * slot)
                if pid and conns < mine and (phase == _IDLE or now - started < LONG):
                    return True
        return False

    # -- main loop ------------------------------------------------------------------------
    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            signal.set_wakeup_fd(-1)  # the supervisor's
        except ValueError:
            pass
        _die_with_parent()
        deny_network(explain=True)  # hostile (issue 23 H1): no query in this worker can open a connection
        self.ep = select.epoll()
        self.lfd = self.pool._listen.fileno()
        self.ep.register(self.lfd, select.EPOLLIN)
        self.ep.register(self.ctrl.fileno(), select.EPOLLIN)
        self.mu.acquire()
        threading.Thread(target=self._watchdog, daemon=True).start()
        self.max_conns = _open_files_for(MAX_CONNECTIONS)
        if self.pool.memory:
            limit_memory(self.pool.memory)
        self._phase(_IDLE)
        swept = time.monotonic()
        while True:
            self.mu.release()
            wait = -1 if self.listening else max(0.0, self.relisten - time.monotonic())
            if self.conns:
                wait = _SWEEP if wait < 0 else min(wait, _SWEEP)
            try:
                events = self.ep.poll(wait)
            except InterruptedError:
                events = []
            finally:
                self.mu.acquire()
            # first the connections handed over (they waited longest), then the requests of the
            # connections held, in the order they came, and new connections last
            ctrl = self.ctrl.fileno()
            for fd, _ in sorted(events, key=lambda e: 0 if e[0] == ctrl else 2 if e[0] == self.lfd else 1):
                if fd == self.lfd:
                    self._accept()
                elif fd == ctrl:
                    self._adopt()
                elif fd in self.conns:
                    self._read(self.conns[fd])
            if not self.listening and self.current is None and time.monotonic() >= self.relisten:
                self.ep.register(self.lfd, select.EPOLLIN)
                self.listening = True
            if time.monotonic() - swept >= _SWEEP:
                swept = time.monotonic()
                self._sweep(swept)

    def _sweep(self, now: float) -> None:
        """Close what is past its deadline: a lingering connection, an idle one, a request sent too slowly (408)."""
        for conn in list(self.conns.values()):
            if conn.closing:
                if now >= conn.closing:
                    self._close(conn)
            elif conn.in_message:  # a request has begun
                limit = REQUEST_TIMEOUT if conn.head_done else HEAD_TIMEOUT
                if now - conn.since > limit:
                    self._refuse(conn, 408, f"The request was not complete within {limit:g} s.")
            elif now - conn.since > IDLE_TIMEOUT:
                self._close(conn)

    def _refuse(self, conn: _Conn, status: int, message: str) -> None:
        """Answer an error and close the connection after a short linger (the answer is not lost to a reset)."""
        if _DEBUG:
            print(f"pool: worker {self.slot} refuses {status}: {message}", file=sys.stderr, flush=True)
        self._send(conn, _plain_response(status, message, self.pool.error_headers))
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return self._close(conn)
        conn.closing = time.monotonic() + _LINGER
        conn.buf, conn.body = bytearray(), bytearray()

    def _make_room(self, incoming: int = 0) -> None:
        """Keep within ``MAX_CONNECTIONS`` (closing the connection idle the longest) and ``MAX_BUFFERED``
        (answering 503 to the largest unanswered request)."""
        current = self.current[1] if self.current is not None else None
        others = [c for c in self.conns.values() if c is not current]
        while others and len(self.conns) + incoming > self.max_conns:
            # lingering ones first, then the one waiting longest (an idle keep-alive or a request never finished)
            oldest = min(others, key=lambda c: (not c.closing, c.since))
            others.remove(oldest)
            if _DEBUG:
                print(f"pool: worker {self.slot} evicts a connection (of {len(self.conns)})", file=sys.stderr, flush=True)
            self._close(oldest)
        while others and sum(len(c.buf) + len(c.body) for c in others) > MAX_BUFFERED:
            largest = max(others, key=lambda c: len(c.buf) + len(c.body))
            others.remove(largest)
            self._refuse(largest, 503, "The server holds too many unanswered requests; try again.")

    def _accept(self, most: int = 64) -> None:
        """Take the connections waiting to be accepted, in the order they came (up to ``most``), unless
        another worker holds fewer and can serve them now."""
        for _ in range(most):
            if not self.listening:  # stopped listening meanwhile (a long request ran)
                return
            if self.pool.size > 1 and self._busier_than_another():  # leave it to that one, for a while
                self.ep.unregister(self.lfd)
                self.listening, self.relisten = False, time.monotonic() + 0.005
                return
            self._make_room(1)
            try:
                sock, _ = self.pool._listen.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # none left, or another worker took it
            except OSError as exc:  # out of descriptors (EMFILE): make room, the next poll retries
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    raise
                if self.conns:
                    self._make_room(len(self.conns))  # closes the one idle the longest
                return
            self._add(_Conn(sock))

    def _add(self, conn: _Conn) -> None:
        conn.sock.setblocking(True)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 30, 0))
        if conn.sock.family in (socket.AF_INET, socket.AF_INET6):
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conns[conn.fd] = conn
        self.ep.register(conn.fd, select.EPOLLIN | select.EPOLLRDHUP)
        self._phase(_IDLE if self.current is None else self.current[3], 0.0 if self.current is None else self.current[2])
        if conn.pending:  # what it had sent before it was handed over
            data, conn.pending = conn.pending, b""
            self._take(conn, data, adopted=True)

    def _adopt(self) -> None:
        """A connection another worker handed over (through the supervisor), with what it had read of it."""
        while True:
            try:
                msg, fds = _recv_fds(self.ctrl)
            except (BlockingIOError, InterruptedError):
                return
            if not msg and not fds:
                os._exit(0)  # the supervisor has gone
            for fd in fds:
                conn = _Conn(socket.socket(fileno=fd), msg[9:])
                conn.since = struct.unpack_from("!d", msg, 1)[0]  # when it began waiting, in the worker before
                self._add(conn)

    def _forget(self, conn: _Conn) -> None:
        """Stop watching ``conn`` (it is closed or handed over next)."""
        self.conns.pop(conn.fd, None)
        try:
            self.ep.unregister(conn.fd)
        except (OSError, ValueError):
            pass

    def _close(self, conn: _Conn) -> None:
        self._forget(conn)
        conn.sock.close()
        if self.current is None:
            self._phase(_IDLE)

    def _read(self, conn: _Conn) -> None:
        try:  # into a buffer allocated once: recv(64 KiB) would allocate and shrink 64 KiB per request
            n = conn.sock.recv_into(self.rbuf, _RECV, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            n = 0
        if not n:
            return self._close(conn)
        if conn.closing:  # lingering after an error answer: what comes is dropped
            return
        self._take(conn, bytes(self.rview[:n]))

    def _take(self, conn: _Conn, data: bytes, adopted: bool = False) -> None:
        """Parse what ``conn`` sent, then answer every request it completes, one after the other."""
        if not conn.in_message and not adopted:
            conn.since = time.monotonic()  # a request begins
        try:
            conn.feed(data)
        except _BadRequest as exc:
            conn.ready.clear()
            return self._refuse(conn, exc.status, str(exc))
        while conn.ready and conn.fd in self.conns and not conn.closing:
            req, close = conn.ready.popleft()
            if not self._answer(conn, req, close) or close:
                return self._close(conn)
            conn.since = time.monotonic()
        if conn.in_message and conn.expects and not conn.continued and conn.head_done:
            conn.continued = True
            self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(conn.buf) + len(conn.body) > _RECV:
            self._make_room()

    def _answer(self, conn: _Conn, req: Request, close: bool) -> bool:
        kind = self.app.kind(req)
        if kind == QUERY:
            key = hash((req.method, req.path, req.query, req.body))  # the same in every worker: forked, one seed
            if self.pool._stopped_lately(key):
                return self._repeat_refused(conn, req, close)
            struct.pack_into("!q", self.pool._state, self.pool._hashes0 + 8 * self.slot, key)
        self.rid += 1
        started = time.monotonic()
        self._phase(kind, started)
        self.current = (self.rid, conn, started, kind, time.clock_gettime(self.cpu))
        self.mu.release()
        try:
            status, headers, body = self.app(req)
        except MemoryError:
            status, headers, body = 503, {"Content-Type": _PLAIN}, (
                b"The query ran out of memory (the cap per query was reached) and was stopped.\n")
        except Exception as exc:  # noqa: BLE001 - a worker must answer, whatever happens
            status, headers, body = 500, {"Content-Type": _PLAIN}, (
                f"Internal error: {type(exc).__name__}: {exc}\n".encode("utf-8"))
        finally:
            self.mu.acquire()
        announced = self.announced == self.rid
        if kind == QUERY:
            with self.lock:  # the supervisor decides under the same lock whether to kill us
                late = time.monotonic() > started + self.pool.timeout
                if not late:
                    self._phase(_WRITING, started)
            while late:  # past the deadline: the supervisor kills this worker and answers 503
                time.sleep(1)
        else:
            self._phase(_WRITING, started)
        ok = self._send(conn, _response(status, headers, body, head_only=req.method == "HEAD", close=close))
        self.current = None
        self._phase(_IDLE)
        if announced and kind == QUERY:
            try:
                socket.send_fds(self.ctrl, [b"D" + struct.pack("!q", self.rid)], [])
            except OSError:
                pass
        if self.niced == self.rid:
            try:
                os.setpriority(os.PRIO_PROCESS, self.tid, 0)
            except OSError:  # not allowed to raise the priority again: a fresh worker instead
                self._retire(conn if ok and not close else None)
        return ok

    def _repeat_refused(self, conn: _Conn, req: Request, close: bool) -> bool:
        """503 at once for a request that ran past the deadline a moment ago (``REPEAT_COOLDOWN``)."""
        text = (f"Query refused: the same request ran past the deadline of {self.pool.timeout:g} s less than "
                f"{REPEAT_COOLDOWN:g} s ago and was stopped; the data have not changed, so it would again. "
                f"Simplify it (add LIMIT, narrow the patterns).\n").encode("utf-8")
        return self._send(conn, _response(503, {"Content-Type": _PLAIN, **self.pool.error_headers}, text,
                                          head_only=req.method == "HEAD", close=close))

    def _send(self, conn: _Conn, data: bytes) -> bool:
        try:
            conn.sock.sendall(data)
            return True
        except OSError:
            return False

    def _retire(self, keep: _Conn | None) -> None:
        if keep is not None:
            self.conns.pop(keep.fd, None)
            self._hand_over(keep)
        for conn in list(self.conns.values()):
            self._hand_over(conn)
        os._exit(0)

    def _hand_over(self, conn: _Conn) -> None:
        """Pass ``conn`` with the bytes it has read ahead, intact, to the supervisor for another worker;
        a connection that holds more than one message can carry, or lingers, stays here."""
        if conn.closing or not conn.known or conn.ready or len(conn.buf) > _HANDOVER_MAX:
            return
        try:
            socket.send_fds(self.ctrl, [b"M" + struct.pack("!d", conn.since) + bytes(conn.buf)], [conn.fd])
        except OSError:
            return  # kept: answered by this worker once it is free
        self._forget(conn)
        conn.sock.close()

    # -- the watchdog thread --------------------------------------------------------------
    def _watchdog(self) -> None:
        """Every ``_TICK`` s: a query still running is announced to the supervisor (with its client's
        socket, for the 503). A query that has used ``_TICK`` s of CPU gets its worker niced (not a
        page: its rendering is bounded, and niced on a machine busy with other work it took 16 to
        33 s instead of 3.4); a request that has used ``LONG`` s of CPU (or run five times as
        long) has the worker's other connections handed to other workers. CPU time, not the
        clock: on a loaded machine a short request can take long without being the one to step
        aside for."""
        long = min(LONG, self.pool.timeout / 2)
        niced = 0
        while True:
            time.sleep(_TICK)
            cur = self.current
            if cur is None or cur[0] == self.handled_long:
                continue
            now = time.monotonic()
            if now - cur[2] < _TICK:
                continue
            try:
                used = time.clock_gettime(self.cpu) - cur[4]
            except OSError:  # pragma: no cover - no per-thread CPU clock
                used = now - cur[2]
            if cur[0] == self.announced and (used < _TICK or cur[0] == niced) and used < long and now - cur[2] < 5 * long:
                continue
            if not self.mu.acquire(blocking=False):
                continue  # the main thread is between requests
            try:
                if self.current is not cur:
                    continue
                if cur[0] != self.announced:
                    self.announced = cur[0]
                    if cur[3] == QUERY:
                        try:
                            socket.send_fds(self.ctrl, [b"L" + struct.pack("!q", cur[0])], [cur[1].fd])
                        except OSError:
                            pass
                if used >= _TICK and cur[0] != niced and cur[3] == QUERY:
                    niced = self.niced = cur[0]
                    try:
                        os.setpriority(os.PRIO_PROCESS, self.tid, 15)  # yield the CPU to the short requests
                    except OSError:
                        pass
                if used < long and now - cur[2] < 5 * long:
                    continue
                self.handled_long = cur[0]
                if self.listening:
                    self.ep.unregister(self.lfd)
                    self.listening, self.relisten = False, 0.0
                if self.pool.size > 1:
                    for conn in list(self.conns.values()):
                        if conn is not cur[1]:
                            self._hand_over(conn)
                    self._phase(cur[3], cur[2])  # the connections it still holds: the supervisor sheds only then
            finally:
                self.mu.release()


class WorkerPool:
    """``size`` worker processes serving HTTP with ``app`` on ``address``, under a deadline and a memory cap.

    Parameters
    ----------
    address : tuple
        ``(host, port)`` to listen on (port 0: any free port).
    app : callable
        ``app(request) -> (status, headers, body)`` and ``app.kind(request)`` (``QUERY``, ``PAGE``
        or ``QUICK``); runs in the workers, after the fork.
    size : int
        Number of worker processes.
    timeout : float
        Deadline in seconds for a ``QUERY`` request.
    memory : int, optional
        Bytes each worker may allocate beyond what it shares with the supervisor (``RLIMIT_AS``).
    messages : dict, optional
        ``{"timeout": text, "died": text}``: the bodies of the 503 answers.
    before_fork : callable, optional
        Called with the pool once it listens, before the workers are forked.
    error_headers : dict, optional
        Headers added to the answers the pool writes itself (400, 408, 413, 431 and 503), e.g. CORS.

    Create the pool in a process that has started no thread; ``serve_forever()`` supervises.

    Examples
    --------
    >>> import urllib.request
    >>> app = lambda req: (200, {"Content-Type": "text/plain"}, b"hello")
    >>> app.kind = lambda req: QUICK
    >>> with WorkerPool(("127.0.0.1", 0), app, size=1, timeout=5) as pool:  # the workers serve at once
    ...     urllib.request.urlopen(pool.url).read()
    b'hello'
    """

    def __init__(self, address, app, *, size: int = 2, timeout: float = 30.0, memory: int | None = None,
                 messages: dict | None = None, before_fork=None, error_headers: dict | None = None):
        self.app, self.size, self.timeout, self.memory = app, size, timeout, memory
        self.error_headers = dict(error_headers or {})
        self.shed_after = min(SHED_AFTER, timeout / 4)
        self.messages = {"timeout": f"Query stopped: it ran past the deadline of {timeout:g} s, and the worker "
                                    f"running it was killed and replaced.",
                         "died": "The query was stopped: the worker running it ended without an answer (most "
                                 "likely it reached the memory cap per query).",
                         "busy": f"Query stopped after {min(SHED_AFTER, timeout / 4):g} s: every worker was running a long query and "
                                 f"other requests were waiting, so the most recent long query was stopped to serve "
                                 f"them. Try again later.", **(messages or {})}
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._listen = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listen.bind(address)
            self._listen.listen(512)
        except OSError:
            self._listen.close()
            raise
        self._listen.setblocking(False)
        self.server_address = self._listen.getsockname()
        # per slot: its state, then the hash of the request it runs; then the ring of requests stopped at the deadline
        self._hashes0 = _SLOT0 + _SLOT.size * size
        self._marks0 = self._hashes0 + 8 * size
        self._state = mmap.mmap(-1, self._marks0 + _MARK.size * _MARKS)
        self._marked = 0
        ctx = multiprocessing.get_context("fork")
        self._locks = [ctx.Lock() for _ in range(size)]
        self._ctrl: list[socket.socket | None] = [None] * size
        self._theirs: list[socket.socket | None] = [None] * size  # kept: what a dead worker had not read yet
        self._pidfd: list[int | None] = [None] * size
        self._pid: list[int] = [0] * size
        self._killed: list[str | bool] = [False] * size  # why the pool killed it (False: it did not)
        self._inflight: list[dict] = [{} for _ in range(size)]  # request number -> duplicate of the client socket
        self._closed = False
        self._next = 0
        self._waiting: collections.deque = collections.deque()  # (fd, bytes read ahead) for the next idle worker
        self._ep = select.epoll()
        if before_fork is not None:
            before_fork(self)
        for slot in range(size):
            self._fork(slot)

    # -- what others read -------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    @property
    def pids(self) -> list[int]:
        """The process ids of the current workers (readable in the workers too)."""
        return [p for p in (_SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * i)[0] for i in range(self.size))
                if p]

    @property
    def replaced(self) -> int:
        """How many workers were killed (or ended) and replaced so far."""
        return _HEADER.unpack_from(self._state, 0)[0]

    # -- the supervisor -----------------------------------------------------------------
    def _fork(self, slot: int) -> None:
        _fill_heap_holes()  # the store is loaded: the worker's allocations then stay compact (cheap once done)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for end in (ours, theirs):  # room for one connection's read-ahead in one message
            for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                try:
                    end.setsockopt(socket.SOL_SOCKET, opt, 2 * _HANDOVER_MAX)
                except OSError:  # pragma: no cover
                    pass
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                self._ep.close()
                for other in self._ctrl + self._theirs:
                    if other is not None:
                        other.close()
                for fd in self._pidfd:
                    if fd is not None:
                        os.close(fd)
                for socks in self._inflight:
                    for s in socks.values():
                        s.close()
                for fd, _ in self._waiting:  # the supervisor's: a copy here would keep them open
                    os.close(fd)
                self._waiting.clear()
                _Worker(self, slot, theirs).run()
            except BaseException:  # noqa: BLE001 - a worker never returns into the supervisor's code
                code = 1
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self._theirs[slot] = theirs
        _SLOT.pack_into(self._state, _SLOT0 + _SLOT.size * slot, pid, _IDLE, 0.0, 0)
        self._pid[slot], self._ctrl[slot], self._killed[slot] = pid, ours, False
        self._pidfd[slot] = pidfd = os.pidfd_open(pid)
        self._ep.register(ours.fileno(), select.EPOLLIN)
        self._ep.register(pidfd, select.EPOLLIN)

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        """Supervise until ``close()`` (or an exception such as KeyboardInterrupt).

        SIGINT and SIGTERM also reach the loop through ``signal.set_wakeup_fd`` (in the main
        thread): a signal that arrives while a replacement is being forked can otherwise stay
        unhandled until the next one, and the server would not stop.
        """
        tick = min(poll_interval, 0.05, self.timeout / 4)
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        try:
            old = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        except ValueError:  # not the main thread: Python's own signal handling only
            old = None
        self._ep.register(wake_r.fileno(), select.EPOLLIN)
        try:
            self._supervise(tick, wake_r)
        finally:
            if old is not None:
                signal.set_wakeup_fd(old)
            try:
                self._ep.unregister(wake_r.fileno())
            except (OSError, ValueError):
                pass
            wake_r.close()
            wake_w.close()

    def _supervise(self, tick: float, wake_r: socket.socket) -> None:
        while not self._closed:
            try:
                events = self._ep.poll(tick)
            except InterruptedError:
                continue
            for fd, _ in events:
                if fd == wake_r.fileno():
                    try:
                        got = wake_r.recv(64)
                    except BlockingIOError:
                        got = b""
                    if signal.SIGINT in got or signal.SIGTERM in got:
                        raise KeyboardInterrupt
                    continue
                for slot in range(self.size):
                    ctrl = self._ctrl[slot]
                    if ctrl is not None and fd == ctrl.fileno():
                        self._message(slot)
                    elif fd == self._pidfd[slot]:
                        self._ended(slot)
            self._deadlines()
            self._dispatch()

    def _message(self, slot: int) -> None:
        ctrl = self._ctrl[slot]
        while ctrl is not None:
            try:
                msg, fds = _recv_fds(ctrl)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not msg and not fds:
                return
            kind = msg[:1]
            if kind == b"M":  # an idle connection to pass to another worker
                for fd in fds:
                    self._pass_on(slot, fd, msg[1:])
            elif kind == b"L":  # a long query: keep its client's socket to answer 503 if need be
                (rid,) = struct.unpack("!q", msg[1:9])
                for fd in fds:
                    self._inflight[slot][rid] = socket.socket(fileno=fd)
            elif kind == b"D":  # that long query was answered by the worker
                (rid,) = struct.unpack("!q", msg[1:9])
                s = self._inflight[slot].pop(rid, None)
                if s is not None:
                    s.close()
            for fd in fds if kind not in (b"M", b"L") else ():
                os.close(fd)

    def _pass_on(self, slot: int, fd: int, buffered: bytes) -> None:
        """Queue a connection handed over by the worker in ``slot`` (or left by a dead one) for the next
        responsive worker, in the order the connections began waiting (``buffered`` starts with that time)."""
        self._waiting.append((fd, buffered))
        if len(self._waiting) > 1 and buffered[:8] < self._waiting[-2][1][:8]:  # came back: to its place
            self._waiting = collections.deque(sorted(self._waiting, key=lambda w: struct.unpack_from("!d", w[1])[0]))
        self._dispatch()

    @staticmethod
    def _responsive(phase: int, started: float, *, now: float) -> bool:
        """Whether a worker in ``phase`` since ``started`` will read a connection given now: idle, or
        busy with a request that has not run long (a worker kept busy by short queries is rarely idle)."""
        return phase == _IDLE or (phase in (QUERY, _WRITING, QUICK) and now - started < LONG)

    def _dispatch(self) -> None:
        """Give the queued connections, first come first served, to workers that are idle now.

        A connection is never given to a worker running a long query: it would not read it
        until its deadline, and hand it on again (issue 23 M3: with every worker running a
        runaway query, a plain ``ASK {}`` waited 29.8 s against a 5 s deadline). It waits here
        until a worker is idle or busy only with a short request (``_responsive``).
        """
        while self._waiting:
            now = time.monotonic()
            idle = [i for i in range(self.size) if self._ctrl[i] is not None
                    and self._responsive(*_SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * i)[1:3], now=now)]
            if not idle:
                return
            fd, buffered = self._waiting.popleft()
            target = idle[self._next % len(idle)]
            self._next += 1
            ctrl = self._ctrl[target]
            assert ctrl is not None  # idle holds live workers only
            try:
                socket.send_fds(ctrl, [b"M" + buffered], [fd])
            except OSError:
                pass
            os.close(fd)

    def _deadlines(self) -> None:
        now = time.monotonic()
        for slot in range(self.size):
            pid, phase, started, _ = _SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * slot)
            if phase != QUERY or now <= started + self.timeout or self._killed[slot]:
                continue
            with self._locks[slot]:
                pid, phase, started, _ = _SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * slot)
                if phase == QUERY and time.monotonic() > started + self.timeout:
                    self._kill(slot)
                    key = struct.unpack_from("!q", self._state, self._hashes0 + 8 * slot)[0]
                    _MARK.pack_into(self._state, self._marks0 + _MARK.size * (self._marked % _MARKS), key,
                                    time.monotonic())
                    self._marked += 1
                    struct.pack_into("!d", self._state, 8, time.monotonic())  # the last mark: workers look only then
        self._shed(now)

    def _stopped_lately(self, key: int) -> bool:
        """Whether a request with hash ``key`` was stopped at the deadline less than ``REPEAT_COOLDOWN`` s ago."""
        now = time.monotonic()
        if now - struct.unpack_from("!d", self._state, 8)[0] >= REPEAT_COOLDOWN:
            return False  # no request stopped at the deadline lately (the common case: no look at the ring)
        for i in range(_MARKS):
            k, when = _MARK.unpack_from(self._state, self._marks0 + _MARK.size * i)
            if k == key and when and now - when < REPEAT_COOLDOWN:
                return True
        return False

    def _shed(self, now: float) -> None:
        """When every worker has run a query for ``SHED_AFTER`` s and requests are waiting, stop the most recent.

        Without this, clients repeating runaway queries on every worker make everyone else wait a
        whole deadline per runaway queued before them (issue 23 M3: ``ASK {}`` waited 29.8 s
        against a 5 s deadline); with it, a waiting request gets a worker within about
        ``SHED_AFTER`` s plus a fork. The oldest long queries keep running to their deadline. A
        request is waiting when one is queued here for an idle worker or in the listening
        socket's accept queue.
        """
        if self.size < 2 or any(self._killed) or not (self._waiting or _accept_queue(self._listen)):
            return
        busy = []
        for slot in range(self.size):
            pid, phase, started, conns = _SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * slot)
            if not pid or phase != QUERY or now - started < self.shed_after:
                return
            busy.append((started, conns, slot))
        _, conns, newest = max(busy)
        if conns > 1:  # its other connections are not handed over yet: a kill now would cut them
            return
        with self._locks[newest]:
            _, phase, _, _ = _SLOT.unpack_from(self._state, _SLOT0 + _SLOT.size * newest)
            if phase == QUERY:
                self._kill(newest, "busy")

    def _kill(self, slot: int, reason: str = "timeout") -> None:
        if _DEBUG:
            print(f"pool: kill slot {slot} ({reason}) at {time.monotonic():.3f}", file=sys.stderr, flush=True)
        self._killed[slot] = reason
        pidfd = self._pidfd[slot]
        if pidfd is None:  # ended already
            return
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _ended(self, slot: int) -> None:
        """The worker in ``slot`` has ended: answer 503 to the query it was running, fork a replacement."""
        if _DEBUG:
            print(f"pool: slot {slot} ended at {time.monotonic():.3f}; holding {list(self._inflight[slot])}",
                  file=sys.stderr, flush=True)
        self._message(slot)  # what it said last (connections handed over, answers given)
        pid, pidfd, ctrl, theirs = self._pid[slot], self._pidfd[slot], self._ctrl[slot], self._theirs[slot]
        assert pidfd is not None and ctrl is not None and theirs is not None  # only a live worker ends
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        self._ep.unregister(pidfd)
        os.close(pidfd)
        self._ep.unregister(ctrl.fileno())
        ctrl.close()
        self._ctrl[slot] = self._pidfd[slot] = None
        unread = []  # connections handed to it that it had not taken yet: they go to another worker
        while True:
            try:
                msg, fds = _recv_fds(theirs)
            except OSError:
                break
            if not msg and not fds:
                break
            unread += [(fd, msg[1:]) for fd in fds]
        theirs.close()
        self._theirs[slot] = None
        text = self.messages[self._killed[slot] or "died"]
        _SLOT.pack_into(self._state, _SLOT0 + _SLOT.size * slot, 0, _IDLE, 0.0, 0)  # /health: gone
        for s in self._inflight[slot].values():
            try:
                s.setblocking(True)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 5, 0))
                s.sendall(_plain_response(503, text, self.error_headers))
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._inflight[slot].clear()
        if not self._closed:
            _HEADER.pack_into(self._state, 0, self.replaced + 1)
            self._fork(slot)
            self._dispatch()  # the connections waiting for an idle worker: before it accepts new ones
        for fd, buffered in unread:
            self._pass_on(-1, fd, buffered)

    def close(self) -> None:
        """Kill every worker (waiting for their end) and stop listening."""
        if self._closed:
            return
        self._closed = True
        for slot in range(self.size):
            if self._pidfd[slot] is not None:
                self._kill(slot)
        for slot in range(self.size):
            pidfd = self._pidfd[slot]
            if pidfd is not None:
                select.select([pidfd], [], [], 5)
                try:
                    os.waitpid(self._pid[slot], 0)
                except ChildProcessError:
                    pass
                os.close(pidfd)
                self._pidfd[slot] = None
            for socks in (self._ctrl, self._theirs):
                sock = socks[slot]
                if sock is not None:
                    sock.close()
                    socks[slot] = None
            for s in self._inflight[slot].values():
                s.close()
        while self._waiting:
            os.close(self._waiting.popleft()[0])
        self._listen.close()
        self._ep.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
