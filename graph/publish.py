"""Publish the graph into an existing triple store: replace one named graph by the Graph Store HTTP Protocol (PUT) or by SPARQL Update, then check the count."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
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


def _opener(url: str, user: str | None, password: str | None):
    handlers = []
    if user is not None:
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, url, user, password or "")
        handlers += [urllib.request.HTTPDigestAuthHandler(mgr)]
    return urllib.request.build_opener(*handlers)


class _Client:
    def __init__(self, user, password, timeout):
        self.user, self.password, self.timeout = user, password, timeout
        self.requests = 0

    def send(self, url: str, *, method: str, body: bytes | None = None, ctype: str | None = None,
             accept: str | None = None) -> bytes:
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if accept:
            headers["Accept"] = accept
        if self.user is not None:  # Basic up front; a Digest challenge is answered by the opener
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode("utf-8")).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        req = urllib.request.Request(url, data=body, headers=headers, method=method)
        self.requests += 1
        try:
            with _opener(url, self.user, self.password).open(req, timeout=self.timeout) as r:
                return r.read()
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read(2000).decode("utf-8", "replace").strip()
            except (AttributeError, OSError, ValueError):  # urllib's own "digest auth failed" has no body
                detail = ""
            if exc.code in (401, 403):
                who = f"user {self.user!r}" if self.user is not None else "no credentials (give --user and --password-env)"
                raise PublishError(f"{url} refused the request (HTTP {exc.code}) with {who}: "
                                   f"{detail[:300] or exc.reason}") from None
            raise PublishError(f"{method} {url} failed: HTTP {exc.code} {exc.reason}: {detail[:500]}") from None
        except urllib.error.URLError as exc:
            raise PublishError(f"cannot reach {url}: {exc.reason}") from None
        except OSError as exc:
            raise PublishError(f"cannot reach {url}: {exc}") from None

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
        except (ValueError, KeyError, IndexError, TypeError):
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
            chunk: int = 5000, timeout: float = 120) -> Published:
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
        (for stores without the Graph Store Protocol, e.g. Blazegraph).
    query_url : str, optional
        The store's SPARQL query endpoint for the count (default: ``url``).
    user, password : str, optional
        HTTP Basic credentials (Digest when the store asks for it).

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
