"""One worker process of the pool: a single-threaded HTTP/1.1 server on the shared listening socket,
with a watchdog thread that hands its other connections on while a request runs long (see
``govkg.pool`` for the whole design)."""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any

from .guard import deny_network, die_with_parent, limit_memory  # die_with_parent: named here too
from .poolhttp import (BadRequest, Connection, HEAD_TIMEOUT, IDLE_TIMEOUT, LINGER, PLAIN_TYPE, RECV_BYTES,
                       REQUEST_TIMEOUT, Request, http_response, plain_response)
from .poolstate import (DEBUG, HANDOVER_MAX, IDLE, LONG, MAX_BUFFERED, MAX_CONNECTIONS, QUERY, REPEAT_COOLDOWN,
                        SLOT, SLOT0, SWEEP, TICK, WRITING, recv_fds)

__all__ = ["Worker", "open_files_for", "die_with_parent", "fill_heap_holes"]

_HEAP_BIN = re.compile(r'<size from="(\d+)" to="\d+" total="\d+" count="(\d+)"/>')
_HEAP_FREE = re.compile(r'<total type="rest" count="(\d+)"')


def fill_heap_holes(limit: int = 4_000_000) -> int:
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


def open_files_for(connections: int) -> int:
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


class Worker:
    """The life of one worker process (runs after the fork)."""

    def __init__(self, pool: Any, slot: int, ctrl: socket.socket):  # pool: the govkg.pool.WorkerPool that forked it
        self.pool, self.slot, self.ctrl, self.app = pool, slot, ctrl, pool.app
        self.lock = pool._locks[slot]
        self.conns: dict[int, Connection] = {}
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
        self.rbuf = bytearray(RECV_BYTES)
        self.rview = memoryview(self.rbuf)

    # -- shared state ---------------------------------------------------------------------
    def _phase(self, phase: int, started: float = 0.0) -> None:
        SLOT.pack_into(self.pool._state, SLOT0 + SLOT.size * self.slot, self.pid, phase, started, len(self.conns))

    def _busier_than_another(self) -> bool:
        """Whether another worker that can take a connection now holds fewer than this one."""
        mine, now = len(self.conns), time.monotonic()
        for slot in range(self.pool.size):
            if slot != self.slot:
                pid, phase, started, conns = SLOT.unpack_from(self.pool._state, SLOT0 + SLOT.size * slot)
                if pid and conns < mine and (phase == IDLE or now - started < LONG):
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
        die_with_parent()
        deny_network(explain=True)  # hostile (issue 23 H1): no query in this worker can open a connection
        self.ep = select.epoll()
        self.lfd = self.pool._listen.fileno()
        self.ep.register(self.lfd, select.EPOLLIN)
        self.ep.register(self.ctrl.fileno(), select.EPOLLIN)
        self.mu.acquire()
        threading.Thread(target=self._watchdog, daemon=True).start()
        self.max_conns = open_files_for(MAX_CONNECTIONS)
        if self.pool.memory:
            limit_memory(self.pool.memory)
        self._phase(IDLE)
        swept = time.monotonic()
        while True:
            self.mu.release()
            wait = -1 if self.listening else max(0.0, self.relisten - time.monotonic())
            if self.conns:
                wait = SWEEP if wait < 0 else min(wait, SWEEP)
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
            if time.monotonic() - swept >= SWEEP:
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

    def _refuse(self, conn: Connection, status: int, message: str) -> None:
        """Answer an error and close the connection after a short linger (the answer is not lost to a reset)."""
        if DEBUG:
            print(f"pool: worker {self.slot} refuses {status}: {message}", file=sys.stderr, flush=True)
        self._send(conn, plain_response(status, message, self.pool.error_headers))
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return self._close(conn)
        conn.closing = time.monotonic() + LINGER
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
            if DEBUG:
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
            self._add(Connection(sock))

    def _add(self, conn: Connection) -> None:
        conn.sock.setblocking(True)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 30, 0))
        if conn.sock.family in (socket.AF_INET, socket.AF_INET6):
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conns[conn.fd] = conn
        self.ep.register(conn.fd, select.EPOLLIN | select.EPOLLRDHUP)
        self._phase(IDLE if self.current is None else self.current[3], 0.0 if self.current is None else self.current[2])
        if conn.pending:  # what it had sent before it was handed over
            data, conn.pending = conn.pending, b""
            self._take(conn, data, adopted=True)

    def _adopt(self) -> None:
        """A connection another worker handed over (through the supervisor), with what it had read of it."""
        while True:
            try:
                msg, fds = recv_fds(self.ctrl)
            except (BlockingIOError, InterruptedError):
                return
            if not msg and not fds:
                os._exit(0)  # the supervisor has gone
            for fd in fds:
                conn = Connection(socket.socket(fileno=fd), msg[9:])
                conn.since = struct.unpack_from("!d", msg, 1)[0]  # when it began waiting, in the worker before
                self._add(conn)

    def _forget(self, conn: Connection) -> None:
        """Stop watching ``conn`` (it is closed or handed over next)."""
        self.conns.pop(conn.fd, None)
        try:
            self.ep.unregister(conn.fd)
        except (OSError, ValueError):
            pass

    def _close(self, conn: Connection) -> None:
        self._forget(conn)
        conn.sock.close()
        if self.current is None:
            self._phase(IDLE)

    def _read(self, conn: Connection) -> None:
        try:  # into a buffer allocated once: recv(64 KiB) would allocate and shrink 64 KiB per request
            n = conn.sock.recv_into(self.rbuf, RECV_BYTES, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            n = 0
        if not n:
            return self._close(conn)
        if conn.closing:  # lingering after an error answer: what comes is dropped
            return
        self._take(conn, bytes(self.rview[:n]))

    def _take(self, conn: Connection, data: bytes, adopted: bool = False) -> None:
        """Parse what ``conn`` sent, then answer every request it completes, one after the other."""
        if not conn.in_message and not adopted:
            conn.since = time.monotonic()  # a request begins
        try:
            conn.feed(data)
        except BadRequest as exc:
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
        if len(conn.buf) + len(conn.body) > RECV_BYTES:
            self._make_room()

    def _answer(self, conn: Connection, req: Request, close: bool) -> bool:
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
            status, headers, body = 503, {"Content-Type": PLAIN_TYPE}, (
                b"The query ran out of memory (the cap per query was reached) and was stopped.\n")
        except Exception as exc:  # noqa: BLE001 - a worker must answer, whatever happens
            status, headers, body = 500, {"Content-Type": PLAIN_TYPE}, (
                f"Internal error: {type(exc).__name__}: {exc}\n".encode("utf-8"))
        finally:
            self.mu.acquire()
        announced = self.announced == self.rid
        if kind == QUERY:
            with self.lock:  # the supervisor decides under the same lock whether to kill us
                late = time.monotonic() > started + self.pool.timeout
                if not late:
                    self._phase(WRITING, started)
            while late:  # past the deadline: the supervisor kills this worker and answers 503
                time.sleep(1)
        else:
            self._phase(WRITING, started)
        ok = self._send(conn, http_response(status, headers, body, head_only=req.method == "HEAD", close=close))
        self.current = None
        self._phase(IDLE)
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

    def _repeat_refused(self, conn: Connection, req: Request, close: bool) -> bool:
        """503 at once for a request that ran past the deadline a moment ago (``REPEAT_COOLDOWN``)."""
        text = (f"Query refused: the same request ran past the deadline of {self.pool.timeout:g} s less than "
                f"{REPEAT_COOLDOWN:g} s ago and was stopped; the data have not changed, so it would again. "
                f"Simplify it (add LIMIT, narrow the patterns).\n").encode("utf-8")
        return self._send(conn, http_response(503, {"Content-Type": PLAIN_TYPE, **self.pool.error_headers}, text,
                                          head_only=req.method == "HEAD", close=close))

    def _send(self, conn: Connection, data: bytes) -> bool:
        try:
            conn.sock.sendall(data)
            return True
        except OSError:
            return False

    def _retire(self, keep: Connection | None) -> None:
        if keep is not None:
            self.conns.pop(keep.fd, None)
            self._hand_over(keep)
        for conn in list(self.conns.values()):
            self._hand_over(conn)
        os._exit(0)

    def _hand_over(self, conn: Connection) -> None:
        """Pass ``conn`` with the bytes it has read ahead, intact, to the supervisor for another worker;
        a connection that holds more than one message can carry, or lingers, stays here."""
        if conn.closing or not conn.known or conn.ready or len(conn.buf) > HANDOVER_MAX:
            return
        try:
            socket.send_fds(self.ctrl, [b"M" + struct.pack("!d", conn.since) + bytes(conn.buf)], [conn.fd])
        except OSError:
            return  # kept: answered by this worker once it is free
        self._forget(conn)
        conn.sock.close()

    # -- the watchdog thread --------------------------------------------------------------
    def _watchdog(self) -> None:
        """Every ``TICK`` s: a query still running is announced to the supervisor (with its client's
        socket, for the 503). A query that has used ``TICK`` s of CPU gets its worker niced (not a
        page: its rendering is bounded, and niced on a machine busy with other work it took 16 to
        33 s instead of 3.4); a request that has used ``LONG`` s of CPU (or run five times as
        long) has the worker's other connections handed to other workers. CPU time, not the
        clock: on a loaded machine a short request can take long without being the one to step
        aside for."""
        long = min(LONG, self.pool.timeout / 2)
        niced = 0
        while True:
            time.sleep(TICK)
            cur = self.current
            if cur is None or cur[0] == self.handled_long:
                continue
            now = time.monotonic()
            if now - cur[2] < TICK:
                continue
            try:
                used = time.clock_gettime(self.cpu) - cur[4]
            except OSError:  # pragma: no cover - no per-thread CPU clock
                used = now - cur[2]
            if cur[0] == self.announced and (used < TICK or cur[0] == niced) and used < long and now - cur[2] < 5 * long:
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
                if used >= TICK and cur[0] != niced and cur[3] == QUERY:
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
