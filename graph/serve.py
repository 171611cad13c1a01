"""A read-only SPARQL 1.1 Protocol endpoint over the graph, with a query page, run by a pool of worker processes under a deadline and a memory cap.

Long module: the endpoint's application (protocol parameters, negotiation, query page, description) and start-up.
"""

from __future__ import annotations

import json
import re
import threading
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from .errors import GovkgError, QueryError
from .guard import MAX_CHAIN, MAX_DEPTH, find_service, is_update, refuse_deep, syntax_error
from .pool import PAGE, QUERY
from .results import write_result

__all__ = ["LOOPBACK", "Settings", "answer", "make_server", "serve", "is_loopback"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")
_TEXT = "text/plain; charset=utf-8"
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
    """What the endpoint allows: ``timeout`` seconds and ``max_rows`` per query, ``workers``, ``memory`` bytes per worker; ``verbose`` logs requests.

    ``cors``: whether ``/sparql`` answers other origins' web pages (``Access-Control-Allow-Origin: *``,
    no credentials; the pages, views, report and ``/health`` never do). ``allow_hosts``: the
    ``Host`` names answered besides ``localhost``, ``127.0.0.1`` and ``[::1]`` when listening on
    loopback (any other name is how DNS rebinding reaches a local server: 421); when listening
    on a public address, every name unless some are given.
    """

    def __init__(self, timeout: float = 30.0, max_rows: int | None = 100_000, workers: int = 2,
                 memory: int | None = 2 << 30, verbose: bool = False, cors: bool = True, allow_hosts=()):
        if timeout <= 0:
            raise GovkgError("--timeout must be more than 0 seconds")
        if workers < 1:
            raise GovkgError("--workers must be at least 1")
        self.timeout, self.max_rows, self.workers, self.memory = timeout, max_rows, workers, memory
        self.verbose, self.cors = verbose, cors
        self.allow_hosts = tuple(h.strip().lower().strip("[]") for h in allow_hosts)


def answer(store, job: dict):
    """Run one query job in a worker: ``(status, headers, body)``.

    ``job`` holds ``query``, ``accept``, ``format`` (a list of ``format=``/``output=`` values, or
    ``None``), ``max_rows``, and optionally ``base`` (the IRI relative IRIs resolve against),
    ``default_graph`` and ``named_graphs`` (lists of IRIs: the protocol's dataset). A SERVICE
    clause or an update gets 403, a syntax error or a query nested too deep 400 (with line and
    column), a format the endpoint cannot meet 406 (with the list of formats). The body is
    complete before the status is chosen: a reply is never a 200 with a cut body.
    """
    text = job["query"]
    try:
        if len(text) > 4 * MAX_CHAIN or sum(map(text.count, "({[")) > MAX_DEPTH:  # else it cannot be too deep
            refuse_deep(text)
        pos = find_service(text) if "service" in text.lower() else None
    except QueryError as exc:
        return _plain(400, f"Query refused: {exc}.")
    if pos is not None:
        return _plain(403, f"SERVICE (federated query) at line {pos[0]}, column {pos[1]} is refused: this "
                           f"endpoint never sends a request to another endpoint.")
    try:
        dataset = _dataset(job)
        if job.get("bindings"):
            dataset["substitutions"] = _substitutions(job["bindings"])
    except (ValueError, QueryError) as exc:
        return _plain(400, str(exc))
    try:
        res = store.query(text, prefixes=_prefixes_for(text), base_iri=job.get("base"), **dataset)
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


def _substitutions(bindings: dict) -> dict:
    """``Store.query``'s ``substitutions`` for ``$name=value`` parameters (values as ``govkg query --bind`` reads them).

    Examples
    --------
    >>> _substitutions({"site": "文山村@zh"})
    {<Variable value=site>: <Literal value=文山村 language=zh>}
    """
    from pyoxigraph import Variable

    from .query import VARNAME, to_ox, binding_terms

    out = {}
    for name, value in bindings.items():
        if not VARNAME.fullmatch(name):
            raise QueryError(f"${name} is not a SPARQL variable name (letters, digits, '_')")
        terms = binding_terms(value)
        if len(terms) != 1:
            raise QueryError(f"${name}={value} could be a label in several languages: write {value}@zh, "
                             f"{value}@en or <iri>")
        out[Variable(name)] = to_ox(terms[0])
    return out


def _dataset(job: dict) -> dict:
    """The ``default_graph`` / ``named_graphs`` arguments of ``Store.query`` for the protocol's dataset parameters.

    As with ``FROM`` / ``FROM NAMED`` in a query, a dataset given by the protocol replaces the
    store's: when only named graphs are given, the default graph is empty, and the other way round.

    Examples
    --------
    >>> _dataset({"default_graph": ["http://example.org/g"]})
    {'default_graph': [<NamedNode value=http://example.org/g>], 'named_graphs': []}
    >>> _dataset({})
    {}
    """
    if not job.get("default_graph") and not job.get("named_graphs"):
        return {}
    from pyoxigraph import NamedNode

    out = {}
    for key, name in (("default_graph", "default-graph-uri"), ("named_graphs", "named-graph-uri")):
        try:
            out[key] = [NamedNode(iri) for iri in job.get(key) or ()]
        except ValueError as exc:
            raise ValueError(f"{name} is not an absolute IRI: {exc}") from None
    return out


_PREFIXES_FOR: dict[str, dict] = {}
_CACHED_TEXT = 4096  # the per-text caches keep texts up to this long (512 × 4 KiB at most: issue 23 L4)


def _prefixes_for(text: str) -> dict:
    """Our predeclared prefixes that ``text`` can use: those whose ``name:`` occurs in it.

    The same answers as passing all of them (a prefixed name ``p:x`` holds ``p:``), and Oxigraph
    parses a query faster with two prefixes than with twenty-five. Remembered per query text.

    Examples
    --------
    >>> sorted(_prefixes_for("SELECT ?l WHERE { site:gaoxinshequ rdfs:label ?l }"))
    ['rdfs', 'site']
    """
    found = _PREFIXES_FOR.get(text)
    if found is None:
        from .namespace import PREFIXES

        found = {p: ns for p, ns in PREFIXES.items() if p + ":" in text}
        if len(text) <= _CACHED_TEXT:
            if len(_PREFIXES_FOR) >= 512:
                _PREFIXES_FOR.clear()
            _PREFIXES_FOR[text] = found
    return found


def _plain(status: int, message: str):
    return status, {"Content-Type": _TEXT}, (message.rstrip() + "\n").encode("utf-8")


def _asset(name: str) -> bytes:
    return files("govkg").joinpath("static", *name.split("/")).read_bytes()


class _Pages:
    """The query page, the graph views and the report, rendered once on first request."""

    def __init__(self, data_dir, build_dir, triples: int, opened=None):
        self.data_dir, self.build_dir, self.triples = data_dir, build_dir, triples
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._graph = opened  # the fresh build opened read-only (govkg.open): the pages read its store and index

    def _rdf(self):
        if self._graph is None:  # no fresh build with a store: the graph compiled in memory
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

    def params(text: str) -> list:
        """The ``--bind NAME=VALUE`` of the example's comments: its parameters, with a value to start from."""
        found: dict[str, str] = {}
        for ln in text.splitlines():
            if ln.lstrip().startswith("#"):
                found.update(_BIND_HINT.findall(ln))
        return [{"name": k, "value": v} for k, v in found.items()]

    examples = [{"name": n, "title": title(t, n), "query": t, "params": params(t)}
                for n, t in example_queries().items()]
    config = {"examples": examples, "prefixes": PREFIXES, "endpoint": "/sparql", "triples": triples}
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = _asset("index.html").decode("utf-8")
    return (page.replace("{{TRIPLES}}", escape(f"{triples:,}"))
            .replace("{{CONFIG}}", data)).encode("utf-8")


_BIND_HINT = re.compile(r"--bind\s+([A-Za-z_0-9]+)=(\S+)")


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


_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$")
_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": f"{TRUNCATED_HEADER}, X-Govkg-Rows"}
_PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": "Content-Type, Accept",
              "Access-Control-Max-Age": "86400"}
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_READ_ONLY = "This endpoint is read-only: SPARQL Update is refused."
_PAGE = re.compile(r"/views/(\w+)\.html|/report(?:\.(zh|en))?\.html")


_UNQUOTED: dict[str, str] = {}


def _unquoted(value: str) -> str:
    """``unquote_plus(value)``, remembered for the last few hundred values (clients repeat their queries)."""
    text = _UNQUOTED.get(value)
    if text is None:
        text = unquote_plus(value, errors="strict")
        if len(value) <= _CACHED_TEXT:
            if len(_UNQUOTED) >= 512:
                _UNQUOTED.clear()
            _UNQUOTED[value] = text
    return text


def _printable(text: str) -> str:
    r"""``text`` as it may go to a terminal: every character that is not printable escaped (``\x1b``).

    Examples
    --------
    >>> print(_printable("/x" + chr(27) + "]0;title" + chr(7)))
    /x\x1b]0;title\x07
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _params(query: str) -> dict[str, list[str]]:
    """The parameters of a query string or form, every value kept (``UnicodeDecodeError`` if not UTF-8).

    Examples
    --------
    >>> _params("query=ASK+%7B%7D&query=x&format=csv")
    {'query': ['ASK {}', 'x'], 'format': ['csv']}
    """
    return parse_qs(query, keep_blank_values=True, errors="strict")


class _App:
    """The endpoint's routes, run in each worker process: ``app(request) -> (status, headers, body)``."""

    def __init__(self, store, settings: Settings, pages: _Pages, triples: int, hosts=None):
        self.store, self.settings, self.pages, self.triples = store, settings, pages, triples
        self.hosts = hosts  # the Host names answered (None: any)
        self.pool: Any = None  # set once the pool exists (for /health and the service description's address)

    def kind(self, req) -> int:
        """A page rendered on first request runs without the deadline; everything else under it."""
        return QUERY if req.path == "/sparql" or not _PAGE.fullmatch(req.path) else PAGE

    def __call__(self, req):
        if self.hosts is not None and not self._host_allowed(req.headers.get("host")):
            status, headers, body = self._text(
                421, "This server answers only to the host names it serves under (here: "
                     f"{', '.join(sorted(self.hosts))}); another name is how DNS rebinding reaches a local server. "
                     "Start it with --allow-host NAME to answer to NAME.")
        else:
            status, headers, body = self._route(req)
        if self.settings.cors and req.path == "/sparql":
            headers = {**_CORS, **headers}
        if req.path == "/sparql":
            headers.setdefault("Vary", "Accept")
        if self.settings.verbose:
            import sys

            print(f"{req.method} {_printable(req.path)} {status} {len(body)}", file=sys.stderr, flush=True)
        return status, headers, body

    def _host_allowed(self, host: str | None) -> bool:
        """Whether ``Host`` names a host this server answers to (no ``Host`` at all: HTTP/1.0, not a browser)."""
        if host is None:
            return True
        host = host.strip().lower()
        name = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.hosts

    @staticmethod
    def _text(status: int, message: str, **headers):
        return status, {"Content-Type": _TEXT, **headers}, (message.rstrip() + "\n").encode("utf-8")

    def _route(self, req):
        if req.method == "OPTIONS":
            cors = _PREFLIGHT if self.settings.cors and req.path == "/sparql" else {}
            return 204, {"Allow": "GET, HEAD, POST, OPTIONS", **cors}, b""
        if req.method in ("GET", "HEAD"):
            return self._get(req)
        if req.method == "POST":
            return self._post(req)
        return self._text(405, f"Method {req.method} is not allowed: use GET or POST.", Allow="GET, HEAD, POST, OPTIONS")

    def _get(self, req):
        path = req.path
        if path == "/sparql":
            try:
                if req.query.startswith("query=") and "&" not in req.query:
                    params = {"query": [_unquoted(req.query[6:])]}  # the common case, parsed at less cost
                else:
                    params = _params(req.query)
            except UnicodeDecodeError:
                return self._text(400, "The query string is not UTF-8 (after percent-decoding).")
            if "update" in params:
                return self._text(403, _READ_ONLY)
            if "query" not in params:
                return self._describe(req)
            return self._query(req, params["query"], params)
        if path in ("/", "/index.html"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.pages.get("index")
        if path == "/health":
            pool, s = self.pool, self.settings
            body = json.dumps({"status": "ok", "triples": self.triples, "workers": pool.size, "timeout": s.timeout,
                               "max_rows": s.max_rows, "replaced_workers": pool.replaced}).encode("utf-8")
            return 200, {"Content-Type": "application/json"}, body
        if path.startswith("/static/") and path[len("/static/"):] in _STATIC:
            name = path[len("/static/"):]
            return 200, {"Content-Type": _STATIC[name], "Cache-Control": "max-age=3600"}, _asset(name)
        m = re.fullmatch(r"/views/(\w+)\.html", path)
        if m and m.group(1) in _VIEWS:
            return self._page(f"view-{m.group(1)}")
        m = re.fullmatch(r"/report(?:\.(zh|en))?\.html", path)
        if m:
            return self._page(f"report-{m.group(1) or 'zh'}")
        return self._text(404, f"Not found: {path}. The SPARQL endpoint is at /sparql, the query page at /.")

    def _page(self, name: str):
        try:
            body = self.pages.get(name)
        except GovkgError as exc:
            return self._text(500, f"Cannot render this page: {exc}")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body

    def _post(self, req):
        if req.path != "/sparql":
            return self._text(404, "POST queries to /sparql.")
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            params = _params(req.query)
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            return self._text(400, "The request is not UTF-8.")
        if ctype == "application/sparql-update" or "update" in params:
            return self._text(403, _READ_ONLY)
        if ctype == "application/x-www-form-urlencoded":
            try:
                form = _params(text)
            except UnicodeDecodeError:
                return self._text(400, "The form is not UTF-8 (after percent-decoding).")
            if "update" in form:
                return self._text(403, _READ_ONLY)
            if "query" not in form:
                return self._text(400, "The form has no 'query' field.")
            merged = {k: params.get(k, []) + form.get(k, []) for k in {*params, *form}}
            return self._query(req, merged["query"], merged)
        if ctype == "application/sparql-query":
            return self._query(req, params.get("query", []) + [text], params)
        return self._text(415, "POST a query as application/sparql-query or as an "
                               "application/x-www-form-urlencoded form with a 'query' field.")

    def _query(self, req, texts: list, params: dict):
        if len(texts) != 1:
            return self._text(400, f"The request holds {len(texts)} queries (query parameters, form fields or a "
                                   f"body plus a query parameter): send exactly one.")
        fmt = (params.get("format", []) + params.get("output", [])) or None
        bindings = {k[1:]: v for k, v in params.items() if k.startswith("$")}
        if any(len(v) != 1 for v in bindings.values()):
            return self._text(400, "A $name parameter (a value bound to ?name) may be given once.")
        job = {"query": texts[0], "accept": req.headers.get("accept"), "format": fmt,
               "max_rows": self.settings.max_rows, "base": f"http://{self._host(req)}/sparql",
               "default_graph": params.get("default-graph-uri"), "named_graphs": params.get("named-graph-uri"),
               "bindings": {k: v[0] for k, v in bindings.items()}}
        return answer(self.store, job)

    def _host(self, req) -> str:
        """The ``Host`` the client used when it is a plain host name or address, else the address we listen on."""
        host = req.headers.get("host") or ""
        return host if _HOST.match(host) else urlsplit(self.pool.url).netloc

    def _describe(self, req):
        from .results import GRAPH_TYPES, negotiate

        fmt = negotiate(req.headers.get("accept"), "construct") or "turtle"
        body, fmt = _service_description(f"http://{self._host(req)}/sparql", self.triples, fmt)
        return 200, {"Content-Type": GRAPH_TYPES[fmt] + "; charset=utf-8"}, body


class _Server:
    """The supervisor of the worker pool: ``serve_forever()``, ``server_close()``, ``url``, ``triples``."""

    def __init__(self, pool, settings: Settings, triples: int):
        self.pool, self.settings, self.triples = pool, settings, triples
        self.verbose = False

    @property
    def url(self) -> str:
        return self.pool.url

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        self.pool.serve_forever(poll_interval)

    def server_close(self) -> None:
        self.pool.close()


def make_server(*, host: str = "127.0.0.1", port: int = 7878, settings: Settings | None = None,
                data_dir=None, build_dir=None, store=None) -> _Server:
    """Load the graph, listen, and fork the worker processes (they answer at once).

    Call ``serve_forever()`` on the result to supervise them (deadlines, replacements), and
    ``server_close()`` to stop them.
    """
    from .build import default_data_dir, load_store
    from .paths import default_build_dir
    from .pool import WorkerPool

    settings = settings or Settings()
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    build_dir = Path(build_dir) if build_dir is not None else default_build_dir(data_dir)
    triples, opened = None, None
    if store is None:  # the fresh build's on-disk store, opened read-only: nothing to load (issue 17)
        from .store import open_fresh

        # rdflib's SPARQL grammar built now (0.2 s), not in each worker's first refused update: while the
        # freshness check runs
        opened = open_fresh(data_dir, build_dir, meanwhile=lambda: is_update("ASK {}"))
        if opened is not None:
            store, triples = opened.store, opened.manifest.get("triples")
        else:
            store = load_store(data_dir, build_dir)
    if not isinstance(triples, int):
        triples = len(store)
    is_update("ASK {}")  # (built once: at once when open_fresh built it)
    hosts: frozenset | set | None
    if is_loopback(host):
        hosts = _LOOPBACK_NAMES | set(settings.allow_hosts)
    else:
        hosts = set(settings.allow_hosts) or None
    app = _App(store, settings, _Pages(data_dir, build_dir, triples, opened), triples, hosts)
    cap = f" of {settings.memory >> 20:,} MiB" if settings.memory else ""
    messages = {"timeout": f"Query stopped: it ran past the deadline of {settings.timeout:g} s, and the worker "
                           f"running it was killed and replaced. Simplify it (add LIMIT, narrow the patterns) or "
                           f"ask the operator for a longer --timeout.",
                "died": f"The query was stopped: it reached the memory cap per query{cap}."}
    try:
        pool = WorkerPool((host, port), app, size=settings.workers, timeout=settings.timeout,
                          memory=settings.memory, messages=messages, before_fork=lambda p: setattr(app, "pool", p),
                          error_headers={"Access-Control-Allow-Origin": "*"} if settings.cors else None)
    except OSError as exc:
        raise GovkgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return _Server(pool, settings, triples)


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
