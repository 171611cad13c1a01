"""What the pool's supervisor (``govkg.pool``) and its workers (``govkg.poolworker``) share: the kinds
and phases of requests, the layout of the shared memory where each worker says what it does, the
limits of a worker, and the file descriptors they pass each other over Unix sockets."""

from __future__ import annotations

import os
import socket
import struct

__all__ = ["LONG", "QUERY", "PAGE", "QUICK", "IDLE", "WRITING", "DEBUG", "TICK", "MAX_CONNECTIONS", "MAX_BUFFERED",
           "HANDOVER_MAX", "SHED_AFTER", "HEADER", "SLOT", "SLOT0", "MARK", "MARKS", "REPEAT_COOLDOWN", "SWEEP",
           "recv_fds"]

#: Seconds of CPU after which a running request counts as long: its worker's other connections
#: are handed to other workers. (A query running ``TICK`` to ``2 * TICK`` s has its client's
#: socket given to the supervisor; one that has used ``TICK`` s of CPU has its worker niced.)
LONG = 0.1
#: Kinds of request (``app.kind(request)``): a query runs under the deadline; a page (rendered
#: once, may take seconds) does not; a quick answer does not either.
QUERY, PAGE, QUICK = 1, 2, 4
IDLE, WRITING = 0, 3
DEBUG = bool(os.environ.get("GOVKG_POOL_DEBUG"))  # the supervisor logs kills and ends to stderr
TICK = 0.02  # seconds between two looks of a worker's watchdog at the request it runs
#: Connections a worker holds at most; a new one beyond it closes the one waiting the longest
#: (lower when the limit on open files does not leave room for it).
MAX_CONNECTIONS = 1000
#: Bytes of unanswered requests a worker holds at most; beyond it the largest is answered 503 and closed.
MAX_BUFFERED = 32 << 20
#: The most bytes read ahead that a connection handed to another worker can take with it (one
#: message on a Unix socket); a connection holding more stays with its worker.
HANDOVER_MAX = 192 << 10
#: Seconds after which, when every worker runs a query at least that long and requests are
#: waiting, the most recent of those queries is stopped (503) so that the waiting are served
#: (a quarter of the deadline when that is shorter).
SHED_AFTER = 1.0
HEADER = struct.Struct("!q")  # replaced workers
SLOT = struct.Struct("!qqdq")  # pid, phase, started (time.monotonic, the same clock in every process), connections
SLOT0 = 16
MARK = struct.Struct("!qd")  # a request (its hash) and when its worker was killed at the deadline
#: Seconds between two looks at the deadlines (by the supervisor, and by a worker at its connections).
SWEEP = 0.25
MARKS = 64  # how many such requests are remembered
#: Seconds during which a request identical to one stopped at the deadline (same method, target and
#: body: the data are read-only, it would run as long again) is answered 503 at once instead of run.
REPEAT_COOLDOWN = 60.0


def recv_fds(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the descriptors sent with it, without waiting (``BlockingIOError`` if none)."""
    import array

    fds = array.array("i")
    msg, ancdata, _, _ = sock.recvmsg(HANDOVER_MAX + 16, socket.CMSG_LEN(4 * fds.itemsize), socket.MSG_DONTWAIT)
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    return msg, list(fds)
