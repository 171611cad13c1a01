"""SPARQL results written by pyoxigraph's own serializers (JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML), cut at a row limit that is reported, with content negotiation per the SPARQL 1.1 Protocol."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Any

from .errors import QueryError
from .namespace import PREFIXES

__all__ = ["SOLUTION_TYPES", "GRAPH_TYPES", "Written", "negotiate", "format_names", "write_result", "safe_cell",
           "as_solutions", "as_boolean"]

#: What a spreadsheet program reads as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell that spreadsheet programs will not run as a formula (OWASP "CSV injection").

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``; numbers
    are left as they are.

    Examples
    --------
    >>> [safe_cell(v) for v in ("=1+1", "@SUM(A1)", "-x", "高新", -3)]
    ["'=1+1", "'@SUM(A1)", "'-x", '高新', -3]
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value

#: Result formats for SELECT and ASK: short name -> media type.
SOLUTION_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
#: Formats for CONSTRUCT and DESCRIBE: short name -> media type.
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "json-ld": "application/ld+json",
    "xml": "application/rdf+xml",
}
# Other media types clients send for the same formats (in Accept or format=).
_ALIASES = {
    "application/json": "json", "text/javascript": "json", "application/javascript": "json",
    "application/xml": "xml", "text/xml": "xml", "application/sparql-results+csv": "csv",
    "text/plain": "nt", "application/x-turtle": "turtle", "application/turtle": "turtle", "text/n3": "turtle",
    "text/rdf+n3": "turtle", "application/x-json+ld": "json-ld",
}
# Short names clients send in format= / output= (SPARQLWrapper sends its own: rdf+xml, n3, json-ld ...),
# per kind of answer: for a graph, "json" means JSON-LD and "xml" RDF/XML (N3 answers are Turtle, a subset).
_SHORT_SOLUTIONS = {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv", "srj": "json", "srx": "xml"}
_SHORT_GRAPHS = {"turtle": "turtle", "ttl": "turtle", "n3": "turtle", "nt": "nt", "n-triples": "nt",
                 "ntriples": "nt", "json-ld": "json-ld", "jsonld": "json-ld", "json": "json-ld", "xml": "xml",
                 "rdf+xml": "xml", "rdfxml": "xml", "rdf": "xml"}


@dataclass(frozen=True)
class Written:
    """What ``write_result`` wrote: the kind of answer, its format and media type, rows and whether they were cut."""

    kind: str
    fmt: str
    media_type: str
    rows: int
    truncated: bool


def _accepted(accept: str | None) -> list[tuple[float, int, str]]:
    """The media ranges of an ``Accept`` header, best first: ``(q, position, range)``."""
    out = []
    for i, part in enumerate((accept or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
                q = q if 0.0 <= q <= 1.0 else 0.0  # NaN, infinities and out-of-range values: not acceptable
        out.append((q, i, fields[0].lower()))
    return sorted(out, key=lambda t: (-t[0], t[1]))


def _table(kind: str) -> dict:
    return SOLUTION_TYPES if kind in ("select", "ask") else GRAPH_TYPES


def format_names(kind: str) -> str:
    """The formats a ``kind`` of answer is offered in, for error messages.

    Examples
    --------
    >>> format_names("ask")
    'json (application/sparql-results+json), xml (application/sparql-results+xml), csv (text/csv), tsv (text/tab-separated-values)'
    """
    return ", ".join(f"{k} ({t})" for k, t in _table(kind).items())


def negotiate(accept: str | None, kind: str, fmt=None) -> str | None:
    """The short name of the format to answer with, or ``None`` when nothing acceptable is on offer.

    ``fmt`` (a short name or media type, or a list of them, from ``format=`` / ``output=``
    parameters) is an explicit override: the first value that names a format for this kind
    of answer wins; when none does, ``None`` (the caller refuses with the list of formats).
    Otherwise ``accept`` is read with its q-values (``q=0`` never chosen) and wildcards (a
    wildcard picks the first offered type it matches); no ``Accept`` gets JSON for
    SELECT/ASK and Turtle for graphs.

    Examples
    --------
    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", "select")
    'xml'
    >>> negotiate("application/ld+json", "construct"), negotiate("*/*", "ask"), negotiate("image/png", "select")
    ('json-ld', 'json', None)
    >>> negotiate("application/*", "construct"), negotiate("text/*", "select")
    ('nt', 'csv')
    >>> negotiate("application/sparql-results+json;q=0, */*;q=0.5", "select")
    'xml'
    >>> negotiate("*/*", "construct", ["rdf+xml", "application/rdf+xml"]), negotiate(None, "select", ["html"])
    ('xml', None)
    """
    table = _table(kind)
    if fmt:
        short = _SHORT_SOLUTIONS if table is SOLUTION_TYPES else _SHORT_GRAPHS
        by_type = {t: k for k, t in table.items()}
        for value in [fmt] if isinstance(fmt, str) else fmt:
            v = value.strip().lower()
            f = short.get(v) or by_type.get(v) or _ALIASES.get(v)
            if f in table:
                return f
        return None
    ranked = _accepted(accept)
    if not ranked:
        return "json" if table is SOLUTION_TYPES else "turtle"
    excluded = {t for q, _, t in ranked if q <= 0}
    offered = [(k, t) for k, t in table.items()] + [(k, t) for t, k in _ALIASES.items() if k in table]
    for q, _, rng in ranked:
        if q <= 0:
            continue
        for k, t in offered:
            if t in excluded:
                continue
            if rng == t or rng == "*/*" or (rng.endswith("/*") and t.startswith(rng[:-1])):
                if table[k] in excluded:
                    continue
                return k
    return None


def _negotiated(accept: str | None, kind: str, fmt: tuple | None) -> str | None:
    """``negotiate``, remembered for short headers (clients repeat theirs; a long one is not kept)."""
    if (accept and len(accept) > 512) or (fmt and sum(len(f) for f in fmt) > 512):
        return negotiate(accept, kind, fmt)
    return _negotiated_cached(accept, kind, fmt)


@functools.lru_cache(maxsize=256)
def _negotiated_cached(accept: str | None, kind: str, fmt: tuple | None) -> str | None:
    return negotiate(accept, kind, fmt)


def _ox():
    """The ``pyoxigraph`` module (imported on first use, then a global lookup)."""
    global _OX
    if _OX is None:
        import pyoxigraph

        _OX = pyoxigraph
    return _OX


_OX: Any = None  # pyoxigraph, imported on first use


@functools.lru_cache(maxsize=1)
def _results_formats() -> dict:
    """Our short names of the SPARQL results formats -> pyoxigraph's ``QueryResultsFormat``."""
    ox = _ox()
    return {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
            "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


def _tsv_term(t) -> str:
    """``t`` as a TSV results term (its N-Triples form, pyoxigraph's ``str``; a triple term in ``<<( … )>>``)."""
    if t is None:
        return ""
    if isinstance(t, _OX.Triple):
        return f"<<( {t} )>>"
    return str(t)


# Characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR) and CR (which an XML
# parser would read back as LF): CR is written as a character reference; the others make the
# document refused (QueryError) instead of a broken 200.
_XML_BAD = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_fix(data: bytes) -> bytes:
    if _XML_BAD.search(data):
        raise QueryError("a value in the answer holds a control character that XML 1.0 cannot carry; "
                         "ask for JSON, CSV or TSV")
    return data.replace(b"\r", b"&#13;")


def as_solutions(variables, rows):
    """``rows`` (tuples of pyoxigraph terms, ``None`` where unbound) as a new ``QuerySolutions`` over ``variables``.

    What ``write_result`` takes for rows that are not one query's answer as it came (rows
    merged from several answers, or a batch of an answer). pyoxigraph has no constructor for
    ``QuerySolutions``: the rows are written as TSV results (each term in its N-Triples form,
    pyoxigraph's own ``str``) and read back with ``parse_query_results``.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> list(as_solutions(["s", "n"], [(ox.NamedNode("urn:a"), None)]))
    [<QuerySolution s=<NamedNode value=urn:a>>]
    """
    ox = _ox()
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join([_tsv_term(t) for t in sol]) for sol in rows]
    return ox.parse_query_results(("\n".join(lines) + "\n").encode("utf-8"), format=ox.QueryResultsFormat.TSV)


def as_boolean(value: bool):
    """``value`` as a pyoxigraph ``QueryBoolean`` (the answer to an ASK query), which ``write_result`` takes.

    Examples
    --------
    >>> as_boolean(True)
    <QueryBoolean true>
    """
    ox = _ox()
    return ox.parse_query_results(b'{"head":{},"boolean":%s}' % (b"true" if value else b"false"),
                                  format=ox.QueryResultsFormat.JSON)


# Where the rows are in each serialization of a batch: (end of the part before them, the part
# after them, what goes between two batches). Checked in tests/test_serve_protocol.py against
# whole documents: the batches joined equal pyoxigraph's serialization of all rows at once.
_FRAMING = {"json": (b'"bindings":[', b"]}}", b","), "xml": (b"<results>", b"</results></sparql>", b""),
            "csv": (b"\r\n", b"", b""), "tsv": (b"\n", b"", b"")}


def _write_solutions(res, chosen: str, emit, max_rows, batch: int = 500) -> tuple[int, bool]:
    """Serialize ``res`` in batches of ``batch`` rows, emitted as they come; ``(rows, truncated)``.

    pyoxigraph serializes a whole ``QuerySolutions`` and can neither cut it nor say how many
    rows it wrote, so each batch is made a ``QuerySolutions`` of its own (``as_solutions``),
    serialized, and its rows spliced between one header and one footer (``_FRAMING``).
    """
    rfmt = _results_formats()[chosen]
    start, end, between = _FRAMING[chosen]
    variables = [v.value for v in res.variables]
    it = iter(res) if max_rows is None else itertools.islice(res, max_rows)
    n, first = 0, True
    while True:
        rows = list(itertools.islice(it, batch))
        doc = as_solutions(variables, rows).serialize(format=rfmt)
        if chosen == "xml":
            doc = _xml_fix(doc)
        if first and len(rows) < batch:  # the whole answer in one document
            emit(doc)
            n += len(rows)
            break
        cut = doc.index(start) + len(start)
        body = doc[cut:len(doc) - len(end)] if end else doc[cut:]
        if first:
            emit(doc[:cut] + body)
        elif rows:
            emit(between + body)
        n += len(rows)
        first = False
        if len(rows) < batch:
            emit(end)
            break
    truncated = max_rows is not None and n == max_rows and next(res, None) is not None
    return n, truncated


def _safe_csv(variables, rows, emit) -> None:
    """CSV with spreadsheet-safe cells (``safe_cell``): a departure from the standard, so written here."""
    import csv
    import io


    def line(values) -> bytes:
        b = io.StringIO()
        csv.writer(b, lineterminator="\r\n").writerow(values)
        return b.getvalue().encode("utf-8")

    emit(line([v.value for v in variables]))
    for sol in rows:
        emit(line([safe_cell("" if t is None else f"_:{t.value}" if isinstance(t, _OX.BlankNode) else
                             t.value if isinstance(t, (_OX.NamedNode, _OX.Literal)) else _tsv_term(t))
                   for t in sol]))


def write_result(res, fmt: str | None, emit, *, max_rows: int | None = None, accept: str | None = None,
                 excel_safe: bool = False) -> Written:
    """Write an Oxigraph query answer through ``emit(bytes)`` with pyoxigraph's serializers.

    Parameters
    ----------
    res : pyoxigraph.QuerySolutions, QueryBoolean or QueryTriples
        Or what ``as_solutions`` and ``as_boolean`` make, or an iterator of ``pyoxigraph.Triple``
        (a graph answer).
    fmt : str, list of str or None
        A short format name (see ``SOLUTION_TYPES``/``GRAPH_TYPES``) or media type, or several
        (the first that suits the answer wins); ``None`` negotiates with ``accept``.
    emit : callable
        Receives the output, bytes by bytes.
    max_rows : int, optional
        Keep at most this many rows (or triples); ``Written.truncated`` says whether more were there.
    excel_safe : bool, default False
        CSV only: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``
        (``safe_cell``), so that a spreadsheet does not run it as a formula. This
        departs from the SPARQL 1.1 CSV results format, which is exact by default.

    Raises
    ------
    QueryError
        When no format offered matches (``accept``) or ``fmt`` does not suit the kind of answer,
        or an XML answer would hold a character XML 1.0 cannot carry.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> s = ox.Store(); s.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("x")))
    >>> out = []
    >>> write_result(s.query("SELECT ?s ?o WHERE { ?s ?p ?o }"), "csv", out.append, max_rows=0)
    Written(kind='select', fmt='csv', media_type='text/csv', rows=0, truncated=True)
    >>> b"".join(out)
    b's,o\\r\\n'
    """
    ox = _ox()
    kind = "select" if isinstance(res, ox.QuerySolutions) else "ask" if isinstance(res, ox.QueryBoolean) else "construct"
    key = None if fmt is None else (fmt,) if isinstance(fmt, str) else tuple(fmt)
    chosen = _negotiated(accept, kind, key)
    if chosen is None:
        what = f"format {', '.join([fmt] if isinstance(fmt, str) else fmt)!s}" if fmt else f"Accept: {accept}"
        raise QueryError(f"no result format for {what}; a {kind.upper()} query answers in one of: {format_names(kind)}")
    table = _table(kind)
    if kind == "construct":
        rdf = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
               "xml": ox.RdfFormat.RDF_XML}[chosen]
        triples = list(itertools.islice(res, max_rows)) if max_rows is not None else list(res)
        truncated = max_rows is not None and len(triples) == max_rows and next(res, None) is not None
        prefixes = PREFIXES if rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML) else None
        data = ox.serialize(triples, format=rdf, prefixes=prefixes)
        emit(_xml_fix(data) if chosen == "xml" else data)
        return Written(kind, chosen, table[chosen], len(triples), truncated)
    rfmt = _results_formats()[chosen]
    if kind == "ask":
        data = res.serialize(format=rfmt)
        emit(_xml_fix(data) if chosen == "xml" else data)
        return Written(kind, chosen, table[chosen], 1, False)
    if excel_safe and chosen == "csv":
        rows = list(res if max_rows is None else itertools.islice(res, max_rows))
        truncated = max_rows is not None and len(rows) == max_rows and next(res, None) is not None
        _safe_csv(res.variables, rows, emit)
        return Written(kind, chosen, table[chosen], len(rows), truncated)
    n, truncated = _write_solutions(res, chosen, emit, max_rows)
    return Written(kind, chosen, table[chosen], n, truncated)
