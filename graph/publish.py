"""Publish the graph into an existing triple store: replace one named graph by the Graph Store HTTP Protocol (PUT) or by SPARQL Update, then check the count."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass

from rdflib import BNode, Graph

from .errors import PublishError

__all__ = ["DEFAULT_GRAPH", "METHODS", "MAX_BODY", "MAX_ERROR_BODY", "PublishError", "Published", "publish", "check_graph_iri"]

#: The named graph the data goes into unless told otherwise.
DEFAULT_GRAPH = "https://w3id.org/govkg/graph"
METHODS = ("gsp", "update")
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*$')


@dataclass(frozen=True)
class Published:
    """What ``publish`` did: where, how, how many triples were sent and counted back, in how many requests."""

    url: str
    graph: str
    method: str
    sent: int
    counted: int
    requests: int


def _printable(text) -> str:
    """A store's answer as it may be shown on a terminal: control characters (escape sequences) as '?'.

    Examples
    --------
    >>> _printable("bad" + chr(27) + "[2J request" + chr(10) + "line 2")
    'bad?[2J request\\nline 2'
    """
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in str(text or ""))


def check_graph_iri(iri: str) -> str:
    """``iri`` if it is an absolute IRI that can stand between ``<`` and ``>`` in SPARQL, else ``PublishError``.

    Examples
    --------
    >>> check_graph_iri("https://example.org/g")
    'https://example.org/g'
    >>> try:
    ...     check_graph_iri("https://example.org/g> } ; DROP ALL ; INSERT DATA { <x")
    ... except PublishError as e:
    ...     print(e)
    not an absolute IRI usable as a graph name: 'https://example.org/g> } ; DROP ALL ; INSERT DATA { <x'
    """
    if not _IRI.match(iri or ""):
        raise PublishError(f"not an absolute IRI usable as a graph name: {iri!r}")
    return iri


#: At most this much of a store's error answer is read (and 300 characters of it shown).
MAX_ERROR_BODY = 4096
#: At most this much of any other answer is read (a count answer is a few hundred bytes).
MAX_BODY = 1 << 20
_REDIRECTS = (307, 308)  # the redirects that keep the method and the body
_MAX_HOPS = 5


def _origin(url: str) -> tuple:
    """(scheme, host, port) of ``url``: where credentials and the graph may go."""
    p = urllib.parse.urlsplit(url)
    try:
        port = p.port
    except ValueError:
        port = None
    return p.scheme.lower(), (p.hostname or "").lower(), port or {"http": 80, "https": 443}.get(p.scheme.lower())


def _check_url(url: str, what: str) -> str:
    """``url`` if it is http(s) without user or password in it, else ``PublishError``."""
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        raise PublishError(f"the {what} must start with http:// or https://, not {url!r}")
    p = urllib.parse.urlsplit(url)
    if p.username is not None or p.password is not None:
        raise PublishError(f"the {what} holds a user name or password (user:password@): give the user with "
                           "--user and the password in an environment variable named by --password-env "
                           "(user=, password= in the library); a URL is shown in messages and process lists")
    if not p.hostname:
        raise PublishError(f"the {what} names no host: {url!r}")
    return url


def _tracking_adapter(opened: list):
    """A ``requests`` adapter that keeps every socket it opens in ``opened`` (so that a deadline can shut them)."""
    from requests.adapters import HTTPAdapter

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            classes = {}
            for scheme, pool_cls in self.poolmanager.pool_classes_by_scheme.items():
                class Conn(pool_cls.ConnectionCls):
                    def _new_conn(self):
                        sock = super()._new_conn()
                        opened.append(sock)
                        return sock

                classes[scheme] = type(pool_cls.__name__, (pool_cls,), {"ConnectionCls": Conn})
            self.poolmanager.pool_classes_by_scheme = classes  # a copy: urllib3's own dict stays as it is

    return Adapter(max_retries=0)


class _Client:
    """HTTP through ``requests``; credentials go the way the store asks (Digest, as Virtuoso does, or Basic).

    With credentials, a body-less request first learns the store's challenge, so that a large
    upload carries its Authorization header from the start (a store that answers 401 before
    reading the body would otherwise cut the upload).

    Towards a hostile store: credentials go only to the origin (scheme, host, port) of the
    URL given, so another host's Digest challenge is never answered; a redirect is followed
    only within that origin (307/308, which keep method and body), or to another origin
    with ``follow_redirects`` (and then without credentials); at most ``MAX_ERROR_BODY``
    bytes of an error and ``MAX_BODY`` of any answer are read; and one deadline covers
    the whole publication: when it passes, a timer shuts every socket, which also ends a
    store that sends its answer one byte at a time (a per-read timeout never would).
    """

    def __init__(self, url, user, password, timeout, follow_redirects=False):
        import threading

        import requests

        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment: the store is where the URL says
        self.opened: list = []
        adapter = _tracking_adapter(self.opened)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.origin = _origin(url)
        self.user, self.password, self.timeout = user, password, timeout
        self.follow = follow_redirects
        self.auth = None
        self.requests = 0
        self.expired = False
        self.deadline = time.monotonic() + timeout
        self.timer = threading.Timer(timeout, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def _expire(self) -> None:
        self.expired = True
        for sock in list(self.opened):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.timer.cancel()
        self.session.close()

    def _late(self) -> PublishError:
        return PublishError(f"publishing took longer than {self.timeout:g} s and was stopped "
                            "(the store answered too slowly; raise --timeout if it is only busy)")

    def redact(self, text) -> str:
        """``text`` as it may be shown: the password and ``base64(user:password)`` replaced, controls as '?'."""
        import base64

        text = _printable(text)
        if self.password:
            pair = f"{self.user}:{self.password}".encode("utf-8")
            for secret in (base64.b64encode(pair).decode("ascii"), self.password,
                           urllib.parse.quote(self.password, safe=""), urllib.parse.quote_plus(self.password)):
                text = text.replace(secret, "***")
        return text

    def _who(self) -> str:
        return f"user {self.user!r}" if self.user is not None else "no credentials (give --user and --password-env)"

    def _login(self, url: str) -> None:
        from requests.auth import HTTPBasicAuth, HTTPDigestAuth

        if self.user is None or self.auth is not None:
            return
        r, _ = self._do("HEAD", url)
        challenge = r.headers.get("WWW-Authenticate", "")
        if r.status_code == 401 and challenge.lower().startswith("digest"):
            self.auth = HTTPDigestAuth(self.user, self.password or "")
            r, _ = self._do("HEAD", url)  # answers the challenge; the nonce is then reused
        else:
            self.auth = HTTPBasicAuth(self.user, self.password or "")
            r = self._do("HEAD", url)[0] if r.status_code == 401 else r
        if r.status_code in (401, 403):
            raise PublishError(f"{url} refused the credentials of {self._who()} (HTTP {r.status_code})")

    def _do(self, method, url, **kw):
        """The store's response (its body not yet read) and the URL that gave it, redirects checked."""
        for _hop in range(_MAX_HOPS + 1):
            r = self._request(method, url, **kw)
            if r.status_code not in (301, 302, 303, 307, 308) or "Location" not in r.headers:
                return r, url
            r.close()
            to = urllib.parse.urljoin(url, r.headers["Location"])
            shown = self.redact(to[:300])
            if r.status_code not in _REDIRECTS:
                raise PublishError(f"{method} {url} was redirected to {shown} (HTTP {r.status_code}), which would "
                                   f"drop the data: publish to the right URL directly")
            if not re.match(r"^https?://", to):
                raise PublishError(f"{method} {url} was redirected to {shown}, which is not http(s)")
            if _origin(to) != self.origin and not self.follow:
                raise PublishError(f"{method} {url} was redirected to {shown} (HTTP {r.status_code}), another "
                                   f"origin: govkg sends neither the graph nor credentials there unless told; "
                                   f"publish to that URL directly, or pass --follow-redirects (credentials are "
                                   f"never sent to another origin)")
            url = to
        raise PublishError(f"{method} {url}: more than {_MAX_HOPS} redirects")

    def _request(self, method, url, **kw):
        import requests

        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            raise self._late()
        self.requests += 1
        auth = self.auth if _origin(url) == self.origin else None  # credentials only for the store's origin
        try:
            return self.session.request(method, url, auth=auth, timeout=left, allow_redirects=False,
                                        stream=True, **kw)
        except (requests.RequestException, OSError) as exc:
            if self.expired:
                raise self._late() from None
            raise PublishError(f"cannot reach {url}: {self.redact(exc)}") from None

    def _read(self, r, cap: int) -> tuple[bytes, bool]:
        """At most ``cap`` bytes of the body and whether there was more; within the deadline."""
        import requests

        buf = bytearray()
        try:
            for part in r.iter_content(8192):
                buf += part
                if len(buf) > cap:
                    return bytes(buf[:cap]), True
                if self.expired or time.monotonic() > self.deadline:
                    raise self._late()
            return bytes(buf), False
        except (requests.RequestException, OSError):
            if self.expired:
                raise self._late() from None
            raise PublishError(f"the connection to {r.url} broke while its answer was read") from None
        finally:
            r.close()

    def send(self, url: str, *, method: str, body: bytes | None = None, ctype: str | None = None,
             accept: str | None = None) -> bytes:
        self._login(url)
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if accept:
            headers["Accept"] = accept
        r, where = self._do(method, url, data=body, headers=headers)
        if r.status_code >= 400:
            text, _more = self._read(r, MAX_ERROR_BODY)
            said = self.redact(text.decode("utf-8", "replace").strip()[:300])
            if r.status_code in (401, 403):
                raise PublishError(f"{where} refused the request (HTTP {r.status_code}) with {self._who()}: "
                                   f"{said or self.redact(r.reason)}")
            raise PublishError(f"{method} {where} failed: HTTP {r.status_code} {self.redact(r.reason)}: {said}")
        content, more = self._read(r, MAX_BODY)
        if more and accept:  # only an answer we read must be whole
            raise PublishError(f"{where} answered with more than {MAX_BODY:,} bytes; a count is a few hundred")
        return content

    def update(self, url: str, text: str) -> None:
        self.send(url, method="POST", body=urllib.parse.urlencode({"update": text}).encode("utf-8"),
                  ctype="application/x-www-form-urlencoded")

    def count(self, url: str, graph: str) -> int:
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        body = self.send(url, method="POST", body=urllib.parse.urlencode({"query": q}).encode("utf-8"),
                         ctype="application/x-www-form-urlencoded", accept="application/sparql-results+json")
        try:
            b = json.loads(body)["results"]["bindings"]
            return int(b[0]["n"]["value"]) if b else 0
        except (ValueError, KeyError, IndexError, TypeError, RecursionError):
            raise PublishError(f"{url} did not answer the count query with SPARQL results JSON: "
                               f"{self.redact(repr(body[:200]))}") from None


def _nt_lines(graph: Graph) -> tuple[list[str], list[str]]:
    """The graph's triples as N-Triples lines: those without blank nodes, and those with (kept together)."""
    plain: list[str] = []
    with_bnodes: list[str] = []
    for t in graph:
        line = " ".join(x.n3() for x in t) + " .\n"
        (with_bnodes if any(isinstance(x, BNode) for x in t) else plain).append(line)
    return sorted(plain), sorted(with_bnodes)


def publish(graph: Graph, url: str, *, graph_iri: str = DEFAULT_GRAPH, method: str = "gsp",
            query_url: str | None = None, user: str | None = None, password: str | None = None,
            chunk: int = 1000, timeout: float = 600, follow_redirects: bool = False) -> Published:
    """Replace the named graph ``graph_iri`` in the store at ``url`` with ``graph``, then count it there.

    Parameters
    ----------
    graph : rdflib.Graph
        What to publish (never modified).
    url : str
        ``method="gsp"``: the store's Graph Store HTTP Protocol endpoint (Oxigraph ``/store``,
        Fuseki ``/ds/data``, Virtuoso ``/sparql-graph-crud-auth``); the graph is sent in one
        ``PUT ?graph=…`` as N-Triples. ``method="update"``: its SPARQL Update endpoint; the graph
        is replaced by ``DROP SILENT GRAPH`` then ``INSERT DATA`` in chunks of ``chunk`` triples
        (for stores without the Graph Store Protocol, e.g. Blazegraph; Virtuoso refuses an
        INSERT DATA much above 1,000 triples: "generated SQL text has exceeded 10000 lines").
    query_url : str, optional
        The store's SPARQL query endpoint for the count (default: ``url``).
    user, password : str, optional
        Credentials, sent when the store asks for them (HTTP Digest or Basic challenge), and
        only to the origin (scheme, host, port) of ``url``. A URL holding
        ``user:password@`` is refused.
    timeout : float
        Seconds for the whole publication (every request and answer together), default 600.
    follow_redirects : bool
        Follow a 307/308 redirect to another origin (without credentials). Without it only
        redirects within the store's origin are followed; others are a ``PublishError``.

    Returns
    -------
    Published

    Raises
    ------
    PublishError
        When the store refuses (e.g. wrong password: HTTP 401), cannot be reached, or counts
        another number of triples in the graph than were sent.
    """
    if not isinstance(graph, Graph):
        raise PublishError(f"publish needs an rdflib Graph, not {type(graph).__name__}")
    if method not in METHODS:
        raise PublishError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    graph_iri = check_graph_iri(graph_iri)
    _check_url(url, "store URL")
    query_url = _check_url(query_url, "query URL") if query_url is not None else url
    _check_number(timeout, "timeout", 0.001, 1e6)
    _check_number(chunk, "chunk", 1, 1e9, whole=True)
    plain, with_bnodes = _nt_lines(graph)
    sent = len(plain) + len(with_bnodes)
    client = _Client(url, user, password, timeout, follow_redirects)
    try:
        counted = _put(client, url, query_url, graph_iri, method, plain, with_bnodes, chunk)
    finally:
        client.close()
    if counted != sent:
        raise PublishError(f"the store holds {counted:,} triples in <{graph_iri}> after publishing {sent:,}: "
                           f"check that {query_url} queries the same store as {url}")
    return Published(url, graph_iri, method, sent, counted, client.requests)


def _check_number(value, name: str, low: float, high: float, whole: bool = False) -> None:
    import math
    import numbers

    kind = numbers.Integral if whole else numbers.Real
    if (not isinstance(value, kind) or isinstance(value, bool) or not math.isfinite(float(value))
            or not low <= float(value) <= high):
        raise PublishError(f"{name} must be a {'whole ' if whole else ''}number from {low:g} to {high:g}, got {value!r}")


def _put(client: _Client, url, query_url, graph_iri, method, plain, with_bnodes, chunk) -> int:
    """Send the triples by ``method``, then the count at ``query_url``."""
    if method == "gsp":
        sep = "&" if "?" in url else "?"
        target = f"{url}{sep}{urllib.parse.urlencode({'graph': graph_iri})}"
        client.send(target, method="PUT", body="".join(plain + with_bnodes).encode("utf-8"),
                    ctype="application/n-triples")
    else:
        client.update(url, f"DROP SILENT GRAPH <{graph_iri}>")
        chunks = [plain[i:i + chunk] for i in range(0, len(plain), chunk)]
        if with_bnodes:  # a blank node keeps its identity only within one request
            chunks.append(with_bnodes)
        for part in chunks:
            client.update(url, f"INSERT DATA {{ GRAPH <{graph_iri}> {{\n{''.join(part)}}} }}")
    return client.count(query_url, graph_iri)
