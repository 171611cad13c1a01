"""A read-only SPARQL 1.1 Protocol endpoint over the graph, with a query page, run by a pool of worker processes under a deadline and a memory cap."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .errors import GovkgError, QueryError
from .guard import QueryTimeout, WorkerDied

__all__ = ["LOOPBACK", "Settings", "answer", "make_server", "serve", "is_loopback"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")
_TEXT = "text/plain; charset=utf-8"
_MAX_BODY = 1 << 20
_SD = "http://www.w3.org/ns/sparql-service-description#"
_FORMATS = "http://www.w3.org/ns/formats/"
_STATIC = {"yasgui/yasgui.min.js": "text/javascript; charset=utf-8", "yasgui/yasgui.min.css": "text/css; charset=utf-8",
           "yasgui/LICENSE.txt": _TEXT, "yasgui/yasgui.min.js.LICENSE.txt": _TEXT,
           "page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}
_VIEWS = ("mechanisms", "full", "similarity")
TRUNCATED_HEADER = "X-Govkg-Truncated"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("::1")
    (True, False, True)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings:
    """What the endpoint allows: ``timeout`` seconds and ``max_rows`` per query, ``workers``, ``memory`` bytes per worker."""

    def __init__(self, timeout: float = 30.0, max_rows: int | None = 100_000, workers: int = 2,
                 memory: int | None = 2 << 30):
        if timeout <= 0:
            raise GovkgError("--timeout must be more than 0 seconds")
        if workers < 1:
            raise GovkgError("--workers must be at least 1")
        self.timeout, self.max_rows, self.workers, self.memory = timeout, max_rows, workers, memory


def answer(store, job: dict):
    """Run one query job in a worker: ``(status, headers, body)``.

    ``job`` holds ``query``, ``accept``, ``format`` (or ``None``) and ``max_rows``. A SERVICE
    clause or an update gets 403, a syntax error 400 (with line and column), an Accept the
    endpoint cannot meet 406. The body is complete before the status is chosen: a reply is
    never a 200 with a cut body.
    """
    from .guard import find_service, is_update, syntax_error
    from .namespace import PREFIXES
    from .results import write_result

    text = job["query"]
    pos = find_service(text)
    if pos is not None:
        return _plain(403, f"SERVICE (federated query) at line {pos[0]}, column {pos[1]} is refused: this "
                           f"endpoint never sends a request to another endpoint.")
    try:
        res = store.query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        if is_update(text):
            return _plain(403, "This endpoint is read-only: SPARQL Update is refused.")
        return _plain(400, syntax_error(exc))
    except (RuntimeError, OSError) as exc:
        return _plain(400, f"Query error: {exc}")
    chunks: list[bytes] = []
    try:
        w = write_result(res, job.get("format"), chunks.append, max_rows=job.get("max_rows"), accept=job.get("accept"))
    except QueryError as exc:
        return _plain(406, str(exc))
    except (RuntimeError, OSError) as exc:
        return _plain(500, f"Query evaluation failed: {exc}")
    ctype = w.media_type + ("; charset=utf-8" if w.fmt != "json-ld" else "")
    headers = {"Content-Type": ctype, "X-Govkg-Rows": str(w.rows)}
    if w.truncated:
        headers[TRUNCATED_HEADER] = f"true; max-rows={job.get('max_rows')}"
    if w.fmt == "csv":
        headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    return 200, headers, b"".join(chunks)


def _plain(status: int, message: str):
    return status, {"Content-Type": _TEXT}, (message.rstrip() + "\n").encode("utf-8")


def _asset(name: str) -> bytes:
    return files("govkg").joinpath("static", *name.split("/")).read_bytes()


class _Pages:
    """The query page, the graph views and the report, rendered once on first request."""

    def __init__(self, data_dir, build_dir, triples: int):
        self.data_dir, self.build_dir, self.triples = data_dir, build_dir, triples
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._graph = None

    def _rdf(self):
        if self._graph is None:
            from .build import load_graph

            self._graph = load_graph(self.data_dir, self.build_dir)
        return self._graph

    def get(self, name: str) -> bytes:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._render(name)
            return self._cache[name]

    def _render(self, name: str) -> bytes:
        import tempfile

        if name == "index":
            return _index_page(self.triples)
        with tempfile.TemporaryDirectory(prefix="govkg-serve-") as tmp:
            if name.startswith("view-"):
                from govkg.visualize.html import write_viz

                res = write_viz(self._rdf(), Path(tmp) / "view.html", view=name[5:])
                return res.path.read_bytes()
            from .report import write_report

            lang = name.split("-")[1]
            paths = write_report(self._rdf(), Path(tmp) / "report.html", lang)
            return paths[-1].read_bytes()


def _index_page(triples: int) -> bytes:
    from html import escape

    from .namespace import PREFIXES
    from .resources import example_queries

    def title(text: str, name: str) -> str:
        first = next((ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")), "")
        return first or name

    examples = [{"name": n, "title": title(t, n), "query": t} for n, t in example_queries().items()]
    config = {"examples": examples, "prefixes": PREFIXES, "endpoint": "/sparql", "triples": triples}
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = _asset("index.html").decode("utf-8")
    return (page.replace("{{TRIPLES}}", escape(f"{triples:,}"))
            .replace("{{CONFIG}}", data)).encode("utf-8")


def _service_description(endpoint: str, triples: int, fmt: str) -> tuple[bytes, str]:
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, VOID, XSD

    SD, F = Namespace(_SD), Namespace(_FORMATS)
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("formats", F)
    s, ds, dg = URIRef(endpoint), BNode(), BNode()
    g.add((s, RDF.type, SD.Service))
    g.add((s, SD.endpoint, s))
    g.add((s, SD.supportedLanguage, SD.SPARQL11Query))
    for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
              "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        g.add((s, SD.resultFormat, F[f]))
    g.add((s, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, RDF.type, SD.Graph))
    g.add((dg, VOID.triples, Literal(triples, datatype=XSD.integer)))
    rdflib_fmt = {"turtle": "turtle", "nt": "nt", "json-ld": "json-ld", "xml": "xml"}[fmt]
    return g.serialize(format=rdflib_fmt, encoding="utf-8"), fmt


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, pool, settings: Settings, pages: _Pages, triples: int):
        self.pool, self.settings, self.pages, self.triples = pool, settings, pages, triples
        if ":" in address[0]:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def server_close(self):
        super().server_close()
        self.pool.close()


_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive replies must not wait for the client's delayed ACK (40 ms)
    wbufsize = 1 << 16  # headers and body leave in one write; flushed after each request by http.server
    server_version = "govkg"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # -- replies -----------------------------------------------------------------------
    def _send(self, status: int, headers: dict, body: bytes, head_only: bool = False) -> None:
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", f"{TRUNCATED_HEADER}, X-Govkg-Rows")
        self.send_header("Vary", "Accept")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _text(self, status: int, message: str, **headers) -> None:
        self._send(status, {"Content-Type": _TEXT, **headers}, (message.rstrip() + "\n").encode("utf-8"))

    # -- routes ------------------------------------------------------------------------
    def do_OPTIONS(self):  # noqa: N802 - http.server's naming
        self._send(204, {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                         "Access-Control-Allow-Headers": "Content-Type, Accept",
                         "Access-Control-Max-Age": "86400"}, b"")

    def do_HEAD(self):  # noqa: N802
        self.do_GET(head_only=True)

    def do_GET(self, head_only: bool = False):  # noqa: N802
        url = urlsplit(self.path)
        path = url.path
        if path == "/sparql":
            params = parse_qs(url.query, keep_blank_values=True)
            if "update" in params:
                return self._text(403, "This endpoint is read-only: SPARQL Update is refused.")
            if "query" not in params:
                return self._describe(head_only)
            return self._query(params["query"][0], params, head_only)
        if path in ("/", "/index.html"):
            return self._send(200, {"Content-Type": "text/html; charset=utf-8"}, self.server.pages.get("index"), head_only)
        if path == "/health":
            body = json.dumps({"status": "ok", "triples": self.server.triples, "workers": self.server.pool.size,
                               "timeout": self.server.settings.timeout, "max_rows": self.server.settings.max_rows,
                               "replaced_workers": self.server.pool.replaced,
                               "worker_pids": self.server.pool.pids}).encode("utf-8")
            return self._send(200, {"Content-Type": "application/json"}, body, head_only)
        if path.startswith("/static/") and path[len("/static/"):] in _STATIC:
            name = path[len("/static/"):]
            return self._send(200, {"Content-Type": _STATIC[name], "Cache-Control": "max-age=3600"}, _asset(name),
                              head_only)
        m = re.fullmatch(r"/views/(\w+)\.html", path)
        if m and m.group(1) in _VIEWS:
            return self._page(f"view-{m.group(1)}", head_only)
        m = re.fullmatch(r"/report(?:\.(zh|en))?\.html", path)
        if m:
            return self._page(f"report-{m.group(1) or 'zh'}", head_only)
        return self._text(404, f"Not found: {path}. The SPARQL endpoint is at /sparql, the query page at /.")

    def _page(self, name: str, head_only: bool):
        try:
            body = self.server.pages.get(name)
        except GovkgError as exc:
            return self._text(500, f"Cannot render this page: {exc}")
        self._send(200, {"Content-Type": "text/html; charset=utf-8"}, body, head_only)

    def do_POST(self):  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/sparql":
            return self._text(404, "POST queries to /sparql.")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._text(400, "Bad Content-Length.")
        if length > _MAX_BODY:
            self.close_connection = True
            return self._text(413, f"The request body is larger than {_MAX_BODY:,} bytes.")
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query, keep_blank_values=True)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._text(400, "The request body is not UTF-8.")
        if ctype == "application/sparql-update":
            return self._text(403, "This endpoint is read-only: SPARQL Update is refused.")
        if ctype == "application/x-www-form-urlencoded":
            form = parse_qs(text, keep_blank_values=True)
            if "update" in form:
                return self._text(403, "This endpoint is read-only: SPARQL Update is refused.")
            if "query" not in form:
                return self._text(400, "The form has no 'query' field.")
            return self._query(form["query"][0], {**params, **form})
        if ctype == "application/sparql-query":
            return self._query(text, params)
        return self._text(415, "POST a query as application/sparql-query or as an "
                               "application/x-www-form-urlencoded form with a 'query' field.")

    # -- work ----------------------------------------------------------------------------
    def _query(self, text: str, params: dict, head_only: bool = False):
        s = self.server.settings
        if any(v for k in ("default-graph-uri", "named-graph-uri") for v in params.get(k, [])):
            return self._text(400, "This endpoint holds one default graph: default-graph-uri and named-graph-uri "
                                   "are not supported.")
        fmt = (params.get("format") or params.get("output") or [None])[0] or None
        job = {"query": text, "accept": self.headers.get("Accept"), "format": fmt, "max_rows": s.max_rows}
        try:
            status, headers, body = self.server.pool.run(job, s.timeout)
        except QueryTimeout as exc:
            return self._text(503, f"Query stopped: {exc}. Simplify it (add LIMIT, narrow the patterns) "
                                   f"or ask the operator for a longer --timeout.")
        except WorkerDied:
            cap = f" of {s.memory >> 20:,} MiB" if s.memory else ""
            return self._text(503, f"The query was stopped: it reached the memory cap per query{cap}.")
        self._send(status, headers, body, head_only)

    def _describe(self, head_only: bool):
        from .results import negotiate

        fmt = negotiate(self.headers.get("Accept"), "construct") or "turtle"
        host = self.headers.get("Host") or ""
        if not _HOST.match(host):
            host = urlsplit(self.server.url).netloc
        body, fmt = _service_description(f"http://{host}/sparql", self.server.triples, fmt)
        from .results import GRAPH_TYPES

        self._send(200, {"Content-Type": GRAPH_TYPES[fmt] + "; charset=utf-8"}, body, head_only)


def make_server(*, host: str = "127.0.0.1", port: int = 7878, settings: Settings | None = None,
                data_dir=None, build_dir=None, store=None) -> _Server:
    """Load the graph, start the worker pool and bind the HTTP server (not yet serving).

    Call ``serve_forever()`` on the result, and ``server_close()`` to stop the workers.
    """
    from .build import default_data_dir, load_store
    from .pool import WorkerPool

    settings = settings or Settings()
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    build_dir = Path(build_dir) if build_dir is not None else data_dir.parent / "build"
    if store is None:
        store = load_store(data_dir, build_dir)
    triples = len(store)
    pool = WorkerPool(store, answer, size=settings.workers, memory=settings.memory)
    try:
        server = _Server((host, port), pool, settings, _Pages(data_dir, build_dir, triples), triples)
    except OSError as exc:
        pool.close()
        raise GovkgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return server


def serve(server: _Server, *, echo=print) -> None:
    """Serve until Ctrl-C (or SIGTERM), then stop the workers."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        echo("stopping")
    finally:
        signal.signal(signal.SIGTERM, old)
        server.server_close()
