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

This module is the supervisor (``WorkerPool``: forking, dispatching handed-over connections,
deadlines, load shedding); a worker is ``govkg.poolworker``, HTTP on one connection
``govkg.poolhttp``, and what the two sides share (phases, shared-memory layout, limits)
``govkg.poolstate``.
"""

from __future__ import annotations

import collections
import mmap
import multiprocessing
import os
import select
import signal
import socket
import struct
import sys
import time

from .poolhttp import Request, plain_response
from .poolstate import (DEBUG, HANDOVER_MAX, HEADER, IDLE, LONG, MARK, MARKS, PAGE, QUERY, QUICK, REPEAT_COOLDOWN,
                        SHED_AFTER, SLOT, SLOT0, WRITING, recv_fds)
from .poolworker import Worker, fill_heap_holes

__all__ = ["WorkerPool", "Request", "LONG", "QUERY", "PAGE", "QUICK", "SHED_AFTER"]


def _accept_queue(sock: socket.socket) -> int:
    """How many connections wait in a listening TCP socket's accept queue (Linux: ``tcpi_unacked``
    of ``TCP_INFO`` holds it for a listening socket, as ``ss -l`` shows it); 0 if unknown."""
    try:
        return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0]
    except (OSError, AttributeError, struct.error):  # pragma: no cover - not Linux
        return 0


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
        self._hashes0 = SLOT0 + SLOT.size * size
        self._marks0 = self._hashes0 + 8 * size
        self._state = mmap.mmap(-1, self._marks0 + MARK.size * MARKS)
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
        return [p for p in (SLOT.unpack_from(self._state, SLOT0 + SLOT.size * i)[0] for i in range(self.size))
                if p]

    @property
    def replaced(self) -> int:
        """How many workers were killed (or ended) and replaced so far."""
        return HEADER.unpack_from(self._state, 0)[0]

    # -- the supervisor -----------------------------------------------------------------
    def _fork(self, slot: int) -> None:
        fill_heap_holes()  # the store is loaded: the worker's allocations then stay compact (cheap once done)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for end in (ours, theirs):  # room for one connection's read-ahead in one message
            for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                try:
                    end.setsockopt(socket.SOL_SOCKET, opt, 2 * HANDOVER_MAX)
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
                Worker(self, slot, theirs).run()
            except BaseException:  # noqa: BLE001 - a worker never returns into the supervisor's code
                code = 1
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self._theirs[slot] = theirs
        SLOT.pack_into(self._state, SLOT0 + SLOT.size * slot, pid, IDLE, 0.0, 0)
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
                msg, fds = recv_fds(ctrl)
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
        return phase == IDLE or (phase in (QUERY, WRITING, QUICK) and now - started < LONG)

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
                    and self._responsive(*SLOT.unpack_from(self._state, SLOT0 + SLOT.size * i)[1:3], now=now)]
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
            pid, phase, started, _ = SLOT.unpack_from(self._state, SLOT0 + SLOT.size * slot)
            if phase != QUERY or now <= started + self.timeout or self._killed[slot]:
                continue
            with self._locks[slot]:
                pid, phase, started, _ = SLOT.unpack_from(self._state, SLOT0 + SLOT.size * slot)
                if phase == QUERY and time.monotonic() > started + self.timeout:
                    self._kill(slot)
                    key = struct.unpack_from("!q", self._state, self._hashes0 + 8 * slot)[0]
                    MARK.pack_into(self._state, self._marks0 + MARK.size * (self._marked % MARKS), key,
                                    time.monotonic())
                    self._marked += 1
                    struct.pack_into("!d", self._state, 8, time.monotonic())  # the last mark: workers look only then
        self._shed(now)

    def _stopped_lately(self, key: int) -> bool:
        """Whether a request with hash ``key`` was stopped at the deadline less than ``REPEAT_COOLDOWN`` s ago."""
        now = time.monotonic()
        if now - struct.unpack_from("!d", self._state, 8)[0] >= REPEAT_COOLDOWN:
            return False  # no request stopped at the deadline lately (the common case: no look at the ring)
        for i in range(MARKS):
            k, when = MARK.unpack_from(self._state, self._marks0 + MARK.size * i)
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
            pid, phase, started, conns = SLOT.unpack_from(self._state, SLOT0 + SLOT.size * slot)
            if not pid or phase != QUERY or now - started < self.shed_after:
                return
            busy.append((started, conns, slot))
        _, conns, newest = max(busy)
        if conns > 1:  # its other connections are not handed over yet: a kill now would cut them
            return
        with self._locks[newest]:
            _, phase, _, _ = SLOT.unpack_from(self._state, SLOT0 + SLOT.size * newest)
            if phase == QUERY:
                self._kill(newest, "busy")

    def _kill(self, slot: int, reason: str = "timeout") -> None:
        if DEBUG:
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
        if DEBUG:
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
                msg, fds = recv_fds(theirs)
            except OSError:
                break
            if not msg and not fds:
                break
            unread += [(fd, msg[1:]) for fd in fds]
        theirs.close()
        self._theirs[slot] = None
        text = self.messages[self._killed[slot] or "died"]
        SLOT.pack_into(self._state, SLOT0 + SLOT.size * slot, 0, IDLE, 0.0, 0)  # /health: gone
        for s in self._inflight[slot].values():
            try:
                s.setblocking(True)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 5, 0))
                s.sendall(plain_response(503, text, self.error_headers))
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._inflight[slot].clear()
        if not self._closed:
            HEADER.pack_into(self._state, 0, self.replaced + 1)
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
