"""The review server: one loopback HTTP server for one review of a drafted folder (HTTP by ``govkg.poolhttp``)."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import GovkgError
from ..poolhttp import LINGER, BadRequest, Connection, Request, http_response, plain_response

__all__ = ["ReviewServer"]

_LENGTH = re.compile(r"[0-9]{1,12}")
_PLAIN = "text/plain; charset=utf-8"
_JSON = "application/json; charset=utf-8"


class _Server(socketserver.ThreadingTCPServer):
    """A thread per connection (``socketserver``: accepting and threads only; the HTTP is
    ``govkg.poolhttp``'s, the parser of the SPARQL endpoint too), with a cap on the connections
    served at once: one more is answered 503 and closed at once, so a flood of idle or half-sent
    connections cannot pile up threads. ``server_close`` ends the connections still open and
    waits for their threads (a decision being written is finished first)."""

    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, handler, limit: int):
        self._slots = threading.BoundedSemaphore(limit)
        self.open: set[socket.socket] = set()
        self.open_lock = threading.Lock()
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        """A client that went away (a broken pipe) is not an error to print: the library never prints."""

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(plain_response(503, "The review server is serving as many connections as it takes; try again."))
            except OSError:
                pass
            self.shutdown_request(request)
            return
        with self.open_lock:
            self.open.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done(request)
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done(request)

    def _done(self, request) -> None:
        with self.open_lock:
            self.open.discard(request)
        self._slots.release()

    def server_close(self):
        with self.open_lock:
            still = list(self.open)
        for sock in still:  # unblocks their threads' reads and writes
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        super().server_close()


def _linger(sock: socket.socket) -> None:
    """After an error answer: stop sending, then read and drop what the client still sends for up to
    ``LINGER`` s, so that closing does not reset the connection before the client has read the answer."""
    try:
        sock.shutdown(socket.SHUT_WR)
        end = time.monotonic() + LINGER
        while (left := end - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(65536):
                break
    except OSError:
        pass


@dataclass
class ReviewServer:
    """A loopback server for one review of ``data_dir``.

    Routes: ``GET /`` the page (a shell without data or token), ``GET /data`` the review's
    data, ``POST /decisions`` applies decisions (``apply_decisions``). HTTP is parsed by
    ``govkg.poolhttp`` (httptools, as for the SPARQL endpoint), one request per connection.

    Who may use it:

    - only requests whose ``Host`` is ``127.0.0.1:PORT`` or ``localhost:PORT`` are answered (a
      page of another site whose name was rebound to 127.0.0.1 sends its own name: refused),
      and an ``Origin`` or ``Sec-Fetch-Site``, when sent, must be this server's own;
    - ``/data`` and ``/decisions`` need the session's random token in ``X-Govkg-Token`` (a
      header another site's page cannot send without a CORS preflight, never granted). The
      token is in no request line and no page: the address to open is
      ``page_url`` (``http://127.0.0.1:PORT/#token=…``; a fragment is never sent to a server),
      which ``govkg review --serve`` writes into a file only its user can read instead of
      printing it, so that neither another local user nor a shared log sees it.

    Limits: ``timeout`` seconds for each read of a request (head or body) and for an idle
    connection, ``deadline`` seconds for a whole request to arrive (a client sending a byte now
    and then is cut off), bodies of at most ``max_body`` bytes (413 before the body is read;
    decisions need one strict ``Content-Length``, no chunked body), at most ``max_connections``
    connections at once. ``/data`` is built once per state of the folder's files (not per request).
    """

    data_dir: Path
    port: int = 0
    text_path: Path | None = None
    timeout: float = 10.0
    deadline: float = 30.0
    max_body: int = 5_000_000
    max_connections: int = 32

    def start(self) -> str:
        """Start serving in a background thread; returns the server's address (without the token)."""
        from .review_page import review_page

        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()
        self._cache: tuple | None = None
        self._data_json()  # fail early, with a clear error
        self._shell = review_page({"serve": True, "report": Path(self.data_dir).name, "sentences": [], "facts": []}).encode()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                server._serve(self.request)

        try:
            self.httpd = _Server(("127.0.0.1", self.port), Handler, self.max_connections)
        except OSError as exc:
            raise GovkgError(f"cannot listen on 127.0.0.1:{self.port}: {exc.strerror}") from None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self.url

    def _serve(self, sock: socket.socket) -> None:
        """One connection: read one request within the limits, answer it, close."""
        conn = Connection(sock, max_body=self.max_body)
        try:
            got = conn.read_request(timeout=self.timeout, deadline=time.monotonic() + self.deadline)
        except BadRequest as exc:
            body = json.dumps({"error": str(exc)}, ensure_ascii=False).encode("utf-8")
            try:
                sock.sendall(http_response(exc.status, self._headers(_JSON), body, close=True))
            except OSError:
                return
            return _linger(sock)
        if got is None:  # closed, silent, or too slow: nothing to answer
            return
        req = got[0]
        try:
            status, ctype, body, extra = self._answer(req)
        except Exception as exc:  # noqa: BLE001 - a request is answered, whatever happens
            status, ctype, extra = 500, _JSON, {}
            body = json.dumps({"error": f"internal error: {type(exc).__name__}: {exc}"}, ensure_ascii=False).encode("utf-8")
        try:
            sock.settimeout(self.timeout)
            sock.sendall(http_response(status, self._headers(ctype, extra), body, head_only=req.method == "HEAD",
                                       close=True))
        except OSError:
            pass

    @staticmethod
    def _headers(ctype: str, extra: dict | None = None) -> dict:
        return {"Content-Type": ctype, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", **(extra or {})}

    def _refusal(self, req: Request, same_origin: bool) -> tuple | None:
        """The answer refusing ``req``, or ``None``: Host must be this server's loopback name; with
        ``same_origin``, Origin and Sec-Fetch-Site (when sent) its own (a top-level navigation to
        the page may come from anywhere)."""
        port = self.httpd.server_address[1]
        hosts = (f"127.0.0.1:{port}", f"localhost:{port}")
        origin, site = req.headers.get("origin"), req.headers.get("sec-fetch-site")
        if req.headers.get("host") not in hosts:  # two Host headers come joined by ", ": refused too
            return (421, _PLAIN, b"misdirected request: this review server answers only to 127.0.0.1 and localhost", {})
        if same_origin and ((origin is not None and origin not in tuple(f"http://{h}" for h in hosts))
                            or site not in (None, "same-origin", "none")):
            return _json(403, {"error": "refused: another site's page"})
        return None

    def _token_ok(self, req: Request) -> bool:
        sent = req.headers.get("x-govkg-token") or ""
        return hmac.compare_digest(sent.encode("utf-8", "replace"), self.token.encode())

    def _answer(self, req: Request) -> tuple:
        """``(status, content type, body, extra headers)`` for ``req``."""
        target = req.path + ("?" + req.query if req.query else "")
        if req.method in ("GET", "HEAD"):
            refused = self._refusal(req, same_origin=target == "/data")
            if refused:
                return refused
            if target in ("/", "/index.html"):
                return (200, "text/html; charset=utf-8", self._shell,
                        {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                         "script-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'"})
            if target == "/data":
                if not self._token_ok(req):
                    return _json(403, {"error": "refused"})
                try:
                    return 200, _JSON, self._data_json(), {}
                except GovkgError as exc:
                    return _json(500, {"error": str(exc)})
            return 404, "text/plain", b"not found", {}
        if req.method == "POST":
            return self._refusal(req, same_origin=True) or self._post(req, target)
        return 501, _PLAIN, b"unsupported method: GET, HEAD and POST are served", {"Allow": "GET, HEAD, POST"}

    def _post(self, req: Request, target: str) -> tuple:
        from ..errors import ReviewError
        from .decisions import apply_decisions

        if target != "/decisions":
            return 404, "text/plain", b"not found", {}
        if not self._token_ok(req) or not req.headers.get("content-type", "").startswith("application/json"):
            return _json(403, {"error": "refused"})
        length = req.headers.get("content-length")  # several come joined by ", ": refused too
        if "transfer-encoding" in req.headers or length is None or not _LENGTH.fullmatch(length):
            return _json(400, {"error": "bad Content-Length (one, in digits; no chunked bodies)"})
        try:
            try:
                body = json.loads(req.body.decode("utf-8"))
            except RecursionError:
                raise ValueError("the decisions are nested too deep") from None
            with self.lock:
                result = apply_decisions(self.data_dir, body)
        except ReviewError as exc:
            return _json(400, {"error": str(exc), "problems": exc.problems})
        except (ValueError, GovkgError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, result)

    def _data_json(self) -> bytes:
        """The review's data as JSON, made again only when a file of the folder changed."""
        from .review_page import review_payload

        folder = Path(self.data_dir)
        state = tuple(sorted((str(p), st.st_mtime_ns, st.st_size) for p in folder.rglob("*")
                             if p.suffix in (".yaml", ".txt") and (st := p.stat()) is not None))
        with self.lock:
            if self._cache is None or self._cache[0] != state:
                payload = review_payload(folder, text_path=self.text_path)
                self._cache = (state, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
            return self._cache[1]

    @property
    def url(self) -> str:
        """The server's address, without the token."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    @property
    def page_url(self) -> str:
        """The address that opens the page: the token in the fragment (never sent in a request)."""
        return f"{self.url}#token={self.token}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _json(status: int, obj) -> tuple:
    return status, _JSON, json.dumps(obj, ensure_ascii=False).encode("utf-8"), {}
