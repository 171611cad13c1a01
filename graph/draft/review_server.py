"""The review server: one loopback HTTP server (``http.server``) for one review of a drafted folder."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import GovkgError

__all__ = ["ReviewServer"]

_LENGTH = re.compile(r"[0-9]{1,12}")


class _Server(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with a cap on the connections served at once: one more is answered
    503 and closed at once, so a flood of idle or half-sent connections cannot pile up threads."""

    daemon_threads = True

    def __init__(self, address, handler, limit: int):
        self._slots = threading.BoundedSemaphore(limit)
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        """A client that went away (a broken pipe) is not an error to print: the library never prints."""

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


@dataclass
class ReviewServer:
    """A loopback server for one review of ``data_dir``.

    Routes: ``GET /`` the page (a shell without data or token), ``GET /data`` the review's
    data, ``POST /decisions`` applies decisions (``apply_decisions``). The HTTP parsing is
    ``http.server``'s.

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
    and then is cut off), bodies of at most ``max_body`` bytes (413 beyond, with a strict
    ``Content-Length`` and no chunked bodies), at most ``max_connections`` connections at once.
    ``/data`` is built once per state of the folder's files (not per request).
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
        from .review_page import review_page, review_payload

        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()
        self._cache: tuple | None = None
        self._data_json()  # fail early, with a clear error
        shell = review_page({"serve": True, "report": Path(self.data_dir).name, "sentences": [], "facts": []}).encode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = server.timeout
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # the library never prints
                pass

            def setup(self):
                super().setup()
                self._timer = threading.Timer(server.deadline, self._expire)
                self._timer.daemon = True
                self._timer.start()

            def _expire(self):
                """The request did not arrive within the deadline: end the connection (unblocks its read)."""
                import socket

                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _arrived(self):
                """The whole request is in: the deadline no longer applies (the answer may take longer)."""
                self._timer.cancel()

            def finish(self):
                self._timer.cancel()
                super().finish()

            def _send(self, code: int, body: bytes, ctype: str, extra: dict | None = None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Referrer-Policy", "no-referrer")
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, code: int, obj) -> None:
                self._send(code, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

            def _allowed(self, same_origin: bool = True) -> bool:
                """Host is this server's loopback name; with ``same_origin``, Origin and Sec-Fetch-Site
                (when sent) are its own (a top-level navigation to the page may come from anywhere)."""
                port = server.httpd.server_address[1]
                hosts = (f"127.0.0.1:{port}", f"localhost:{port}")
                origin = self.headers.get("Origin")
                site = self.headers.get("Sec-Fetch-Site")
                if self.headers.get("Host") not in hosts or len(self.headers.get_all("Host") or []) != 1:
                    self._send(421, b"misdirected request: this review server answers only to 127.0.0.1 and localhost",
                               "text/plain; charset=utf-8")
                    return False
                if same_origin and ((origin is not None and origin not in tuple(f"http://{h}" for h in hosts))
                                    or site not in (None, "same-origin", "none")):
                    self._json(403, {"error": "refused: another site's page"})
                    return False
                return True

            def _token_ok(self) -> bool:
                sent = self.headers.get("X-Govkg-Token") or ""
                return hmac.compare_digest(sent.encode("utf-8", "replace"), server.token.encode())

            def do_GET(self):
                self._arrived()
                if not self._allowed(same_origin=self.path == "/data"):
                    return
                if self.path in ("/", "/index.html"):
                    return self._send(200, shell, "text/html; charset=utf-8",
                                      {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                       "script-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
                                       "frame-ancestors 'none'"})
                if self.path == "/data":
                    if not self._token_ok():
                        return self._json(403, {"error": "refused"})
                    try:
                        body = server._data_json()
                    except GovkgError as exc:
                        return self._json(500, {"error": str(exc)})
                    return self._send(200, body, "application/json; charset=utf-8")
                self._send(404, b"not found", "text/plain")

            do_HEAD = do_GET

            def do_POST(self):
                from ..errors import ReviewError
                from .decisions import apply_decisions

                if not self._allowed():
                    return
                if self.path != "/decisions":
                    return self._send(404, b"not found", "text/plain")
                if not self._token_ok() or not self.headers.get("Content-Type", "").startswith("application/json"):
                    return self._json(403, {"error": "refused"})
                length = self.headers.get_all("Content-Length") or []
                if self.headers.get("Transfer-Encoding") is not None or len(length) != 1 or not _LENGTH.fullmatch(length[0]):
                    return self._json(400, {"error": "bad Content-Length (one, in digits; no chunked bodies)"})
                n = int(length[0])
                if n > server.max_body:
                    self.close_connection = True
                    return self._json(413, {"error": f"too large (at most {server.max_body} bytes)"})
                raw = self.rfile.read(n)
                if len(raw) != n:  # the client stopped sending: nothing to decide
                    self.close_connection = True
                    return
                self._arrived()
                try:
                    try:
                        body = json.loads(raw.decode("utf-8"))
                    except RecursionError:
                        raise ValueError("the decisions are nested too deep") from None
                    with server.lock:
                        result = apply_decisions(server.data_dir, body)
                except ReviewError as exc:
                    return self._json(400, {"error": str(exc), "problems": exc.problems})
                except (ValueError, GovkgError) as exc:
                    return self._json(400, {"error": str(exc)})
                self._json(200, result)

        try:
            self.httpd = _Server(("127.0.0.1", self.port), Handler, self.max_connections)
        except OSError as exc:
            raise GovkgError(f"cannot listen on 127.0.0.1:{self.port}: {exc.strerror}") from None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self.url

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
