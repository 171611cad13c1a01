"""Read-only SPARQL over the graph (Oxigraph's engine) with our prefixes predeclared; results as rows, table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef

from .errors import QueryError
from .namespace import PREFIXES

__all__ = ["QueryResult", "to_store", "run_query", "format_table", "format_csv", "format_json", "FORMATS"]

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class QueryResult:
    """The answer to a query: ``kind`` is ``select``, ``ask`` or ``construct``.

    For ``select``: ``variables`` and ``rows`` (tuples of rdflib terms, ``None`` where unbound);
    for ``ask``: ``boolean``; for ``construct``/``describe``: ``graph``.
    """

    kind: str
    variables: tuple = ()
    rows: tuple = ()
    boolean: bool | None = None
    graph: Graph | None = None

    def as_dicts(self) -> list[dict]:
        """Rows as ``{variable: value}`` with plain Python strings (unbound variables left out)."""
        return [{v: str(t) for v, t in zip(self.variables, row) if t is not None} for row in self.rows]


def to_store(graph: Graph):
    """A new in-memory Oxigraph store holding the triples of ``graph``."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def _to_ox(term):
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, str):
        return ox.Literal(term)
    raise QueryError(f"cannot bind a value of type {type(term).__name__}")


def _from_ox(term):
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    return Literal(str(term))


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # noqa: BLE001 - anything unparsable as an update is not one
        return False
    return True


def run_query(graph_or_store, text: str, *, bindings: dict | None = None) -> QueryResult:
    """Run a read-only SPARQL query with our prefixes (``gk:``, ``kind:``, ``site:`` …) predeclared.

    Parameters
    ----------
    graph_or_store : rdflib.Graph or pyoxigraph.Store
    text : str
        A SELECT, ASK, CONSTRUCT or DESCRIBE query.
    bindings : dict, optional
        ``{variable name: value}``; values (str, rdflib terms) are bound as RDF terms before
        evaluation (SPARQL SEP-0007 substitution), never pasted into the query text; a str
        becomes a plain literal. A bound variable must be in the SELECT projection.

    Returns
    -------
    QueryResult

    Raises
    ------
    QueryError
        On a syntax error (with its line and column) or an update (the graph is read-only).

    Examples
    --------
    >>> from govkg import build_graph
    >>> g = build_graph()
    >>> r = run_query(g, "SELECT ?s ?name WHERE { ?s rdfs:label ?name }", bindings={"name": Literal("高新社区", lang="zh")})
    >>> [str(s) for s, _ in r.rows]
    ['https://w3id.org/govkg/id/site/gaoxinshequ']
    >>> try:
    ...     run_query(g, "SELECT ?s WHERE { ?s ?p }")
    ... except QueryError as e:
    ...     print(e)
    SPARQL syntax error at line 1, column 26: expected one of LATERAL, SERVICE, [_]
    """
    import pyoxigraph as ox

    store = graph_or_store if isinstance(graph_or_store, ox.Store) else to_store(graph_or_store)
    subs = {ox.Variable(k): _to_ox(v) for k, v in (bindings or {}).items()}
    try:
        res = store.query(text, prefixes=PREFIXES, substitutions=subs or None)
    except RuntimeError as exc:
        raise QueryError(str(exc)) from None
    except SyntaxError as exc:
        if _is_update(text):
            raise QueryError("govkg query is read-only: SPARQL UPDATE (INSERT, DELETE, LOAD, CLEAR …) "
                             "is refused; edit the data files and run `govkg build` instead") from None
        msg = str(exc)
        if msg.startswith("error at "):
            pos, _, rest = msg[len("error at "):].partition(": ")
            line, _, col = pos.partition(":")
            msg = f"at line {line}, column {col}: {rest}"
        raise QueryError(f"SPARQL syntax error {msg}") from None
    try:  # solutions are computed while they are read: errors can come now (e.g. from a SERVICE)
        if isinstance(res, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(res))
        if isinstance(res, ox.QuerySolutions):
            variables = tuple(v.value for v in res.variables)
            rows = tuple(tuple(_from_ox(sol[v]) for v in variables) for sol in res)
            return QueryResult("select", variables, rows)
        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        for t in res:
            g.add((_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object)))
        return QueryResult("construct", graph=g)
    except (RuntimeError, OSError, ValueError, SyntaxError) as exc:
        raise QueryError(f"the query failed while its results were read: {exc}") from None


def _short(term, ns_pairs) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        s = str(term)
        for prefix, ns in ns_pairs:
            if s.startswith(ns) and len(s) > len(ns):
                return f"{prefix}:{s[len(ns):]}"
        return f"<{s}>"
    return str(term)


def format_table(result: QueryResult, max_width: int | None = 60) -> str:
    """A plain-text table whose columns line up for CJK text (display width via wcwidth).

    IRIs are shortened with our prefixes; a cell wider than ``max_width`` display columns
    is cut with "…" (``None`` keeps every cell whole).

    Examples
    --------
    >>> r = QueryResult("select", ("zh", "n"), ((Literal("高新社区"), Literal(8)),))
    >>> print(format_table(r))
    zh       | n
    ---------+--
    高新社区 | 8
    (1 row)
    """
    from wcwidth import wcswidth

    if result.kind == "ask":
        return "true" if result.boolean else "false"
    if result.kind == "construct":
        return result.graph.serialize(format="turtle")
    ns_pairs = sorted(((p, ns) for p, ns in PREFIXES.items() if p not in ("rdf", "owl", "sh", "xsd")),
                      key=lambda x: -len(x[1]))

    def width(s: str) -> int:
        w = wcswidth(s)
        return w if w >= 0 else len(s)

    def cell(s: str) -> str:
        s = " ".join(s.split())
        if max_width is None or width(s) <= max_width:
            return s
        out, w = [], 0
        for ch in s:
            cw = max(width(ch), 0)
            if w + cw > max_width - 1:
                break
            out.append(ch)
            w += cw
        return "".join(out) + "…"

    rows = [[cell(_short(t, ns_pairs)) for t in row] for row in result.rows]
    widths = [max([width(v)] + [width(r[i]) for r in rows]) for i, v in enumerate(result.variables)]

    def line(values):
        return " | ".join(v + " " * (w - width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(result.variables), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    n = len(rows)
    out.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(out)


def format_csv(result: QueryResult) -> str:
    """CSV with a header row (SPARQL 1.1 CSV results: plain values, empty when unbound)."""
    if result.kind != "select":
        raise QueryError("CSV output is for SELECT queries; use --format table or json")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(result.variables)
    for row in result.rows:
        w.writerow(["" if t is None else str(t) for t in row])
    return buf.getvalue()


def _json_term(t) -> dict:
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    d = {"type": "literal", "value": str(t)}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype:
        d["datatype"] = str(t.datatype)
    return d


def format_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON (for ASK: ``{"head": {}, "boolean": …}``).

    Examples
    --------
    >>> r = QueryResult("select", ("s",), ((URIRef("urn:x"),),))
    >>> json.loads(format_json(r))["results"]["bindings"]
    [{'s': {'type': 'uri', 'value': 'urn:x'}}]
    """
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    if result.kind == "construct":
        raise QueryError("JSON results are for SELECT and ASK; CONSTRUCT prints Turtle with --format table")
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=1)
