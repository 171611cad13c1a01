"""Read-only, guarded SPARQL over the graph (Oxigraph's engine) with our prefixes predeclared; results as rows or a table, or streamed by ``govkg.results.write_result``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef

from .errors import QueryError
from .namespace import PREFIXES
from .results import GRAPH_TYPES, SOLUTION_TYPES

__all__ = ["QueryResult", "to_store", "run_query", "stream_query", "binding_terms", "format_table", "FORMATS"]

#: What ``govkg query -f`` offers: the table (for people), then every format of ``govkg.results``
#: (for programs; ``json`` and ``xml`` of a CONSTRUCT are JSON-LD and RDF/XML, as ``format=`` on the endpoint).
FORMATS = ("table", *SOLUTION_TYPES, *(k for k in GRAPH_TYPES if k not in SOLUTION_TYPES))


@dataclass(frozen=True)
class QueryResult:
    """The answer to a query: ``kind`` is ``select``, ``ask`` or ``construct``.

    For ``select``: ``variables`` and ``rows`` (tuples of rdflib terms, ``None`` where unbound);
    for ``ask``: ``boolean``; for ``construct``/``describe``: ``graph``. ``truncated`` is true
    when the rows (or triples) were cut at ``max_rows``.
    """

    kind: str
    variables: tuple = ()
    rows: tuple = ()
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False

    def as_dicts(self) -> list[dict]:
        """Rows as ``{variable: value}`` with plain Python strings (unbound variables left out)."""
        return [{v: str(t) for v, t in zip(self.variables, row) if t is not None} for row in self.rows]


def to_store(graph: Graph):
    """A new in-memory Oxigraph store holding the triples of ``graph``."""
    import pyoxigraph as ox

    if not isinstance(graph, Graph):
        raise QueryError(f"to_store needs an rdflib Graph, not {type(graph).__name__}")
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def to_ox(term):
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


def from_ox(term):
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


_LANGS = ("zh", "en")


def binding_terms(value) -> list:
    """The RDF terms a binding value stands for (rdflib terms are themselves).

    ``"<https://…>"`` is an IRI; ``"高新社区@zh"`` a literal tagged ``zh`` (also ``@en``); other
    text matches a label in any language: a plain literal, or the text tagged ``zh`` or ``en``.

    Examples
    --------
    >>> [t.language for t in binding_terms("高新社区")], binding_terms("高新社区@zh")[0].language
    ([None, 'zh', 'en'], 'zh')
    """
    if isinstance(value, (URIRef, BNode, Literal)):
        return [value]
    if not isinstance(value, str):
        raise QueryError(f"cannot bind a value of type {type(value).__name__}")
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        iri = v[1:-1]
        if not iri or any(c in iri for c in ' <>"{}|^`\\') or ":" not in iri or not iri.isprintable():
            raise QueryError(f"not an IRI: {v!r} (write <https://…> without spaces)")
        return [URIRef(iri)]
    head, at, lang = value.rpartition("@")
    if at and head and lang in _LANGS:
        return [Literal(head, lang=lang)]
    return [Literal(value)] + [Literal(value, lang=lg) for lg in _LANGS]


def _evaluate(store, text: str, bindings: dict | None):
    """Oxigraph's answer to a read-only query; ``QueryError`` for SERVICE, an update or a syntax error."""
    import pyoxigraph as ox

    from .guard import check_query, is_update, syntax_error

    if not isinstance(text, str):
        raise QueryError(f"a query is text, not {type(text).__name__}")
    if not re.sub(r"#[^\n]*", "", text).strip():
        raise QueryError("the query is empty: give a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    check_query(text)
    try:
        subs = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
    except ValueError as exc:  # Oxigraph checks IRIs and language tags more strictly than rdflib
        raise QueryError(f"cannot bind the value: {exc}") from None
    try:
        return store.query(text, prefixes=PREFIXES, substitutions=subs or None)
    except RuntimeError as exc:
        missing = re.search(r"does not contains? variable \?(\S+) in its SELECT projection", str(exc))
        if missing:  # oxigraph's wording for a substitution of a variable the query does not select
            raise QueryError(f"cannot bind ?{missing.group(1)}: the query does not select a variable of that "
                             "name (--bind binds only variables of the SELECT clause)") from None
        raise QueryError(str(exc)) from None
    except SyntaxError as exc:
        if is_update(text):
            raise QueryError("govkg query is read-only: SPARQL UPDATE (INSERT, DELETE, LOAD, CLEAR …) "
                             "is refused; edit the data files and run `govkg build` instead") from None
        raise QueryError(syntax_error(exc)) from None


def _answer(store, text: str, readings: list[dict], max_rows: int | None):
    """Oxigraph's answer for one reading of the bindings; for several, one answer made of theirs.

    Several readings (a text value read as plain, ``@zh`` and ``@en``): the rows of each answer
    in order, each row once, cut after ``max_rows + 1`` (so that a cut is still seen), made
    a ``QuerySolutions`` again (``govkg.results.as_solutions``); ASK answers true when one
    does; graph answers are their triples, each once. Either way ``write_result`` takes it.
    """
    import itertools

    import pyoxigraph as ox

    from .results import as_boolean, as_solutions

    if len(readings) == 1:
        return _evaluate(store, text, readings[0])
    parts = [_evaluate(store, text, r) for r in readings]
    if isinstance(parts[0], ox.QueryBoolean):
        return as_boolean(any(bool(p) for p in parts))
    limit = None if max_rows is None else max_rows + 1
    try:
        once = list(itertools.islice(_each_once(tuple(x) if isinstance(x, ox.QuerySolution) else x
                                                for p in parts for x in p), limit))
        if isinstance(parts[0], ox.QuerySolutions):
            return as_solutions([v.value for v in parts[0].variables], once)
        return iter(once)
    finally:
        parts.clear()  # freed on this thread even if this frame outlives the call (see ``_collect``)


def _each_once(items):
    """``items`` in order, without the ones seen before."""
    seen = set()
    for x in items:
        if x not in seen:
            seen.add(x)
            yield x


def _collect(store, text, readings, max_rows, send=None):
    """Run the query and gather its answer as plain data (picklable across a process boundary)."""
    import itertools

    import pyoxigraph as ox

    # Oxigraph's answers are unsendable: one freed on another thread is an error pyo3 prints. So ``res``
    # is dropped here, on its own thread, however the call ends: this frame can outlive it (a library
    # imported on first use in this thread, such as pyparsing, may keep a frame of its import, and with
    # it every caller's), and an error raised while reading is raised with no traceback holding it.
    try:
        res = _answer(store, text, readings, max_rows)
        if isinstance(res, ox.QueryBoolean):
            return ("ask", bool(res))
        limit = None if max_rows is None else max_rows + 1
        if isinstance(res, ox.QuerySolutions):
            variables = tuple(v.value for v in res.variables)
            rows = [tuple(from_ox(t) for t in sol) for sol in itertools.islice(res, limit)]
            cut = max_rows is not None and len(rows) > max_rows
            return ("select", variables, tuple(rows[:max_rows] if cut else rows), cut)
        triples = [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
                   for t in itertools.islice(res, limit)]
        cut = max_rows is not None and len(triples) > max_rows
        return ("construct", triples[:max_rows] if cut else triples, cut)
    except (RuntimeError, OSError, ValueError, SyntaxError) as exc:  # solutions are computed while read
        failed = str(exc)
    finally:
        res = None
    raise QueryError(f"the query failed while its results were read: {failed}")


def _as_result(data) -> QueryResult:
    if data[0] == "ask":
        return QueryResult("ask", boolean=data[1])
    if data[0] == "select":
        return QueryResult("select", data[1], data[2], truncated=data[3])
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    for t in data[1]:
        g.add(t)
    return QueryResult("construct", graph=g, truncated=data[2])


def run_query(graph_or_store, text: str, *, bindings: dict | None = None, timeout: float | None = None,
              max_rows: int | None = None, isolated: bool = False) -> QueryResult:
    """Run a read-only SPARQL query with our prefixes (``gk:``, ``kind:``, ``site:`` …) predeclared.

    Parameters
    ----------
    graph_or_store : rdflib.Graph or pyoxigraph.Store
    text : str
        A SELECT, ASK, CONSTRUCT or DESCRIBE query. ``SERVICE`` (a request to another
        endpoint) is refused.
    bindings : dict, optional
        ``{variable name: value}``; values are bound as RDF terms before evaluation (SPARQL
        SEP-0007 substitution), never pasted into the query text. An rdflib term is bound as
        it is; text is read as ``govkg query --bind`` reads it (see ``binding_terms``):
        ``<iri>``, ``text@zh``, ``text@en``, or plain text, which matches a plain literal or
        a label in either language (the query runs once per reading; the answers are
        merged, each row once). A bound variable must be in the SELECT projection.
    timeout : float, optional
        Seconds; the query then runs in a forked child process that is killed at the
        deadline (or on Ctrl-C), since Oxigraph's engine cannot be cancelled from inside.
    max_rows : int, optional
        Keep at most this many rows (or triples); ``QueryResult.truncated`` says whether more were there.
    isolated : bool
        Run in a child process even without a ``timeout``, so that Ctrl-C stops the query at once.

    Returns
    -------
    QueryResult

    Raises
    ------
    QueryError
        On a syntax error (with its line and column), an update (the graph is read-only) or SERVICE.
    govkg.guard.QueryTimeout
        When ``timeout`` passed.

    Examples
    --------
    >>> from govkg import build_graph
    >>> g = build_graph()
    >>> r = run_query(g, "SELECT ?s ?name WHERE { ?s rdfs:label ?name }", bindings={"name": Literal("高新社区", lang="zh")})
    >>> [str(s) for s, _ in r.rows]
    ['https://w3id.org/govkg/id/site/gaoxinshequ']
    >>> [str(s) for s, _ in run_query(g, "SELECT ?s ?name WHERE { ?s rdfs:label ?name }",
    ...                               bindings={"name": "Gaoxin Community"}).rows]
    ['https://w3id.org/govkg/id/site/gaoxinshequ']
    >>> try:
    ...     run_query(g, "SELECT ?s WHERE { ?s ?p }")
    ... except QueryError as e:
    ...     print(e)
    SPARQL syntax error at line 1, column 26: expected one of LATERAL, SERVICE
    >>> run_query(g, "SELECT ?s WHERE { ?s a gk:DemonstrationSite }", max_rows=2, timeout=10).truncated
    True
    """
    import pyoxigraph as ox

    _check_limits(timeout, max_rows)
    if not isinstance(graph_or_store, (ox.Store, Graph)):
        raise QueryError(f"run_query needs an rdflib Graph or a pyoxigraph Store, not {type(graph_or_store).__name__}")
    if not isinstance(text, str):
        raise QueryError(f"a query is text, not {type(text).__name__}")
    store = graph_or_store if isinstance(graph_or_store, ox.Store) else to_store(graph_or_store)
    readings = _readings(bindings)
    if timeout is None and not isolated and "service" not in text.lower():
        return _as_result(_collect(store, text, readings, max_rows))
    # a text that mentions SERVICE runs in a child without network even when the check passed it
    from .guard import run_in_child

    return _as_result(run_in_child(lambda send: _collect(store, text, readings, max_rows), timeout=timeout))


def _check_limits(timeout, max_rows) -> None:
    """``QueryError`` for a deadline or row limit that means nothing (negative, nan, not a number)."""
    import math
    import numbers

    if timeout is not None and (not isinstance(timeout, numbers.Real) or isinstance(timeout, bool)
                                or not math.isfinite(timeout) or not 0 <= float(timeout) <= 1_000_000):
        raise QueryError(f"timeout must be a number of seconds from 0 to 1,000,000, got {timeout!r}")
    if max_rows is not None and (not isinstance(max_rows, numbers.Integral) or isinstance(max_rows, bool) or max_rows < 0):
        raise QueryError(f"max_rows must be a whole number, 0 or more, got {max_rows!r}")


#: A SPARQL variable name (VARNAME of SPARQL 1.1, ASCII part: letters, digits, '_').
VARNAME = re.compile(r"[A-Za-z_0-9\u00C0-\uFFFF]+")


def _readings(bindings: dict | None) -> list[dict]:
    """Each reading of text bindings (see ``binding_terms``) as ``{name: rdflib term}``."""
    import itertools

    if bindings is not None and not isinstance(bindings, dict):
        raise QueryError(f"bindings must be a dict of variable name -> value, not {type(bindings).__name__}")
    for k in bindings or {}:
        if not isinstance(k, str) or not VARNAME.fullmatch(k[1:] if k[:1] in "?$" else k):
            raise QueryError(f"cannot bind {k!r}: not a SPARQL variable name (letters, digits, '_')")

    import math

    bindings = {(k[1:] if k[:1] in "?$" else k): v for k, v in (bindings or {}).items()}  # ?s and $s are s
    names = list(bindings)
    choices = [binding_terms(bindings[k]) for k in names]
    n = math.prod(len(c) for c in choices)
    if n > _MAX_READINGS:  # each reading is one query: plain text values multiply them
        plain = [k for k, c in zip(names, choices) if len(c) > 1]
        raise QueryError(f"{len(plain)} plain-text values ({', '.join('?' + k for k in plain[:6])}) would run the "
                         f"query {n:,} times (each as text, text@zh and text@en); write them as text@zh, text@en "
                         f"or <iri> (at most {_MAX_READINGS} readings)")
    return [dict(zip(names, r)) for r in itertools.product(*choices)] if names else [{}]


#: At most this many readings of the bound values (3 plain-text values: 27).
_MAX_READINGS = 27


def stream_query(store, text: str, fmt: str, write, *, bindings: dict | None = None, timeout: float | None = None,
                 max_rows: int | None = None, excel_safe: bool = False):
    """Run a query in a child process and hand its serialized answer to ``write(bytes)`` as it comes.

    The answer is written by ``govkg.results.write_result`` (pyoxigraph's serializers, as the
    endpoint writes it), in chunks while the query runs (nothing is collected), in ``fmt``: a
    short name of ``govkg.results.SOLUTION_TYPES`` (``json``, ``xml``, ``csv``, ``tsv``) or
    ``GRAPH_TYPES`` (``turtle``, ``nt``, ``json-ld``, ``xml``); ``QueryError`` when it does not
    suit the kind of query. ``bindings`` are read as ``run_query`` reads them; a text value
    with several readings runs the query once per reading, and their answers, merged in the
    child, are written as one. The child is killed at the deadline and on Ctrl-C. Returns a
    ``govkg.results.Written`` (kind, rows, whether they were cut). ``excel_safe`` neutralises
    CSV cells a spreadsheet would run as formulas (see ``govkg.results.write_result``);
    without it CSV is exact SPARQL 1.1 CSV results.

    Examples
    --------
    >>> import io
    >>> from govkg import build_graph
    >>> out = io.BytesIO()
    >>> w = stream_query(to_store(build_graph()), "SELECT ?s WHERE { ?s a gk:DemonstrationSite }", "csv", out.write, max_rows=3)
    >>> w.rows, w.truncated, out.getvalue().count(b"\\r\\n")
    (3, True, 4)
    """
    from .guard import run_in_child
    from .results import write_result

    _check_limits(timeout, max_rows)
    readings = _readings(bindings)

    def child(send):
        try:
            res = _answer(store, text, readings, max_rows)
            return write_result(res, fmt, send, max_rows=max_rows, excel_safe=excel_safe)
        except (RuntimeError, OSError, ValueError, SyntaxError) as exc:  # solutions are computed while they are read
            raise QueryError(f"the query failed while its results were read: {exc}") from None

    return run_in_child(child, timeout=timeout, on_message=write)


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


def _check_result(result) -> None:
    if not isinstance(result, QueryResult):
        raise QueryError(f"expected a QueryResult (from run_query), not {type(result).__name__}")


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
    _check_result(result)
    from wcwidth import wcswidth

    if result.kind == "ask":
        return "true" if result.boolean else "false"
    if result.kind == "construct" and result.graph is not None:
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
