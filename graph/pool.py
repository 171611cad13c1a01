"""A pool of pre-forked worker processes sharing the loaded graph; each job runs under a deadline and a memory cap, and a worker that overruns is killed and replaced.

Layout: the serving process loads the store, then forks a single-threaded *zygote* before it
starts any thread. The zygote forks each worker on request (the store's memory is shared
copy-on-write) and hands it one end of a socket pair whose other end the serving process
keeps. A worker answers jobs one at a time with ``handler(store, job)``. When a job passes its
deadline the serving process kills that worker (SIGKILL: Oxigraph's engine cannot be
cancelled from inside) and asks the zygote for a new one; the other workers go on serving. A
query running longer than ``LONG`` seconds gets a lower CPU priority meanwhile.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import struct
import threading
import time
from multiprocessing.connection import Connection

from .guard import QueryTimeout, WorkerDied, limit_memory

__all__ = ["WorkerPool", "LONG"]

#: Seconds after which a running query counts as long: its worker's CPU priority is lowered
#: (nice 15) so that short queries on the other workers keep their latency.
LONG = 0.25


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (no effect elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _worker(fd: int, store, handler, memory: int | None) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _die_with_parent()
    if memory:
        limit_memory(memory)
    conn = Connection(fd)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = handler(store, job)
        except MemoryError:
            reply = (503, {"Content-Type": "text/plain; charset=utf-8"},
                     b"The query ran out of memory (the cap per query was reached) and was stopped.\n")
        except Exception as exc:  # noqa: BLE001 - a worker must answer, whatever happens
            reply = (500, {"Content-Type": "text/plain; charset=utf-8"},
                     f"Internal error: {type(exc).__name__}: {exc}\n".encode("utf-8"))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _zygote(ctrl: socket.socket, store, handler, memory) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the serving process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel: no zombies
    _die_with_parent()
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 16, 1)
        except OSError:
            break
        if not msg or not fds:
            break
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            try:
                _worker(fds[0], store, handler, memory)
            finally:
                os._exit(0)
        os.close(fds[0])
        ctrl.sendall(struct.pack("!i", pid))


class _Worker:
    __slots__ = ("pid", "conn", "pidfd", "niced")

    def __init__(self, pid: int, conn: Connection):
        self.pid, self.conn, self.niced = pid, conn, False
        try:  # a handle on the process itself (Linux ≥ 5.3): no pid-reuse race, and we can wait for its end
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None

    def kill(self, wait: float = 5.0) -> None:
        """SIGKILL the worker and wait (up to ``wait`` s) until it has ended."""
        import select

        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.pidfd is not None:
            select.select([self.pidfd], [], [], wait)
            os.close(self.pidfd)
            self.pidfd = None
        self.conn.close()


class WorkerPool:
    """``size`` worker processes answering ``handler(store, job) -> reply`` with a deadline each.

    Parameters
    ----------
    store : pyoxigraph.Store
        Loaded before the pool starts; shared with the workers copy-on-write.
    handler : callable
        ``handler(store, job)`` runs in a worker; ``job`` and its return value must pickle.
    size : int
        Number of workers (jobs beyond it wait, within their deadline, for a free worker).
    memory : int, optional
        Bytes each worker may allocate beyond what it shares with the zygote (``RLIMIT_AS``).

    Create the pool before starting any thread in the process (the zygote is forked then).

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> def count(store, job):
    ...     return len(store) + job
    >>> with WorkerPool(ox.Store(), count, size=1) as pool:
    ...     pool.run(41, timeout=5)
    41
    """

    def __init__(self, store, handler, *, size: int = 2, memory: int | None = None):
        self.size, self.memory = size, memory
        self._ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # the zygote
            self._ctrl.close()
            try:
                _zygote(theirs, store, handler, memory)
            finally:
                os._exit(0)
        theirs.close()
        self.zygote_pid = pid
        self._spawn_lock = threading.Lock()
        self._idle: queue.Queue = queue.Queue()
        self._workers: dict[int, _Worker] = {}
        self._closed = False
        self.replaced = 0
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._spawn_lock:
            socket.send_fds(self._ctrl, [b"w"], [theirs.fileno()])
            buf = b""
            while len(buf) < 4:
                part = self._ctrl.recv(4 - len(buf))
                if not part:
                    raise WorkerDied("the process that starts workers has stopped")
                buf += part
        theirs.close()
        (pid,) = struct.unpack("!i", buf)
        w = _Worker(pid, Connection(ours.detach()))
        self._workers[pid] = w
        return w

    @property
    def pids(self) -> list[int]:
        """The process ids of the current workers."""
        return list(self._workers)

    def _kill(self, w: _Worker) -> None:
        w.kill()
        self._workers.pop(w.pid, None)

    def _replace(self, w: _Worker) -> None:
        """Kill ``w`` (waiting for its end) and start a new worker in the background."""
        self._kill(w)
        self.replaced += 1
        if not self._closed:
            threading.Thread(target=self._respawn, daemon=True).start()

    def _respawn(self) -> None:
        try:
            self._idle.put(self._spawn())
        except (OSError, WorkerDied):
            pass  # the pool is closing

    def run(self, job, timeout: float):
        """The worker's reply to ``job``, or ``QueryTimeout`` after ``timeout`` seconds (waiting included).

        Raises
        ------
        QueryTimeout
            The deadline passed: the worker was killed and replaced (or none became free in time).
        WorkerDied
            The worker ended without a reply (most often: the memory cap); it was replaced.
        """
        deadline = time.monotonic() + timeout
        try:
            w = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"no worker became free within {timeout:g} s (all were busy)") from None
        done = False
        try:
            w.conn.send(job)
            if not w.conn.poll(max(0.0, min(LONG, deadline - time.monotonic()))):
                self._nice(w, 15)  # a long query yields the CPU to the short ones
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                raise QueryTimeout(f"it ran past the deadline of {timeout:g} s, and the worker running it was "
                                   f"killed and replaced")
            reply = w.conn.recv()
            done = True
            return reply
        except (EOFError, OSError):
            raise WorkerDied("the worker running the query stopped without an answer (most likely it "
                             "reached the memory cap per query)") from None
        finally:
            if done and w.niced and not self._nice(w, 0):
                done = False  # cannot raise its priority again (not root): a fresh worker instead
            if done:
                self._idle.put(w)
            else:
                self._replace(w)

    @staticmethod
    def _nice(w: _Worker, value: int) -> bool:
        try:
            os.setpriority(os.PRIO_PROCESS, w.pid, value)
        except (OSError, AttributeError):
            return False
        w.niced = value > 0
        return True

    def close(self) -> None:
        """Kill every worker and the zygote."""
        if self._closed:
            return
        self._closed = True
        for w in list(self._workers.values()):
            self._kill(w)
        self._ctrl.close()
        try:
            os.kill(self.zygote_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.zygote_pid, 0)
        except ChildProcessError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
