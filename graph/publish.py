"""Publish the graph into an existing triple store: replace one named graph by the Graph Store HTTP Protocol (PUT) or by SPARQL Update, then check the count."""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass

from rdflib import BNode, Graph

from .errors import GovkgError

__all__ = ["DEFAULT_GRAPH", "METHODS", "PublishError", "Published", "publish", "check_graph_iri"]

#: The named graph the data goes into unless told otherwise.
DEFAULT_GRAPH = "https://w3id.org/govkg/graph"
METHODS = ("gsp", "update")
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*$')


class PublishError(GovkgError):
    """The store refused the data, could not be reached, or holds another number of triples afterwards."""


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


class _Client:
    """HTTP through ``requests``; credentials go the way the store asks (Digest, as Virtuoso does, or Basic).

    With credentials, a body-less request first learns the store's challenge, so that a large
    upload carries its Authorization header from the start (a store that answers 401 before
    reading the body would otherwise cut the upload).
    """

    def __init__(self, user, password, timeout):
        import requests

        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment: the store is where the URL says
        self.user, self.password, self.timeout = user, password, timeout
        self.auth = None
        self.requests = 0

    def _who(self) -> str:
        return f"user {self.user!r}" if self.user is not None else "no credentials (give --user and --password-env)"

    def _login(self, url: str) -> None:
        from requests.auth import HTTPBasicAuth, HTTPDigestAuth

        if self.user is None or self.auth is not None:
            return
        r = self._do("HEAD", url)
        challenge = r.headers.get("WWW-Authenticate", "")
        if r.status_code == 401 and challenge.lower().startswith("digest"):
            self.auth = HTTPDigestAuth(self.user, self.password or "")
            r = self._do("HEAD", url)  # answers the challenge; the nonce is then reused
        else:
            self.auth = HTTPBasicAuth(self.user, self.password or "")
            r = self._do("HEAD", url) if r.status_code == 401 else r
        if r.status_code in (401, 403):
            raise PublishError(f"{url} refused the credentials of {self._who()} (HTTP {r.status_code})")

    def _do(self, method, url, **kw):
        import requests

        self.requests += 1
        try:
            return self.session.request(method, url, auth=self.auth, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise PublishError(f"cannot reach {url}: {exc}") from None

    def send(self, url: str, *, method: str, body: bytes | None = None, ctype: str | None = None,
             accept: str | None = None) -> bytes:
        self._login(url)
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if accept:
            headers["Accept"] = accept
        r = self._do(method, url, data=body, headers=headers)
        if r.status_code in (401, 403):
            raise PublishError(f"{url} refused the request (HTTP {r.status_code}) with {self._who()}: "
                               f"{_printable(r.text.strip()[:300] or r.reason)}")
        if r.status_code >= 400:
            raise PublishError(f"{method} {url} failed: HTTP {r.status_code} {_printable(r.reason)}: "
                               f"{_printable(r.text.strip()[:500])}")
        return r.content

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
            raise PublishError(f"{url} did not answer the count query with SPARQL results JSON: {body[:200]!r}") from None


def _nt_lines(graph: Graph) -> tuple[list[str], list[str]]:
    """The graph's triples as N-Triples lines: those without blank nodes, and those with (kept together)."""
    plain, with_bnodes = [], []
    for t in graph:
        line = " ".join(x.n3() for x in t) + " .\n"
        (with_bnodes if any(isinstance(x, BNode) for x in t) else plain).append(line)
    return sorted(plain), sorted(with_bnodes)


def publish(graph: Graph, url: str, *, graph_iri: str = DEFAULT_GRAPH, method: str = "gsp",
            query_url: str | None = None, user: str | None = None, password: str | None = None,
            chunk: int = 1000, timeout: float = 120) -> Published:
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
        Credentials, sent when the store asks for them (HTTP Digest or Basic challenge).

    Returns
    -------
    Published

    Raises
    ------
    PublishError
        When the store refuses (e.g. wrong password: HTTP 401), cannot be reached, or counts
        another number of triples in the graph than were sent.
    """
    if method not in METHODS:
        raise PublishError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    graph_iri = check_graph_iri(graph_iri)
    if not re.match(r"^https?://", url or ""):
        raise PublishError(f"the store URL must start with http:// or https://, not {url!r}")
    query_url = query_url or url
    plain, with_bnodes = _nt_lines(graph)
    sent = len(plain) + len(with_bnodes)
    client = _Client(user, password, timeout)
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
    counted = client.count(query_url, graph_iri)
    if counted != sent:
        raise PublishError(f"the store holds {counted:,} triples in <{graph_iri}> after publishing {sent:,}: "
                           f"check that {query_url} queries the same store as {url}")
    return Published(url, graph_iri, method, sent, counted, client.requests)
