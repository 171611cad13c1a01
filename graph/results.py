"""SPARQL results written chunk by chunk from Oxigraph answers (JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML), cut at a row limit that is reported, with content negotiation."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import json.encoder
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .errors import QueryError
from .namespace import PREFIXES

__all__ = ["SOLUTION_TYPES", "GRAPH_TYPES", "Written", "negotiate", "write_result"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

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
# Other names clients send for the same formats.
_ALIASES = {
    "application/json": "json", "text/javascript": "json", "application/javascript": "json",
    "application/xml": "xml", "text/xml": "xml",
    "text/plain": "nt", "application/x-turtle": "turtle", "application/trig": "turtle",
}
_SHORT = {"ttl": "turtle", "n-triples": "nt", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml", "rdf": "xml"}


@dataclass(frozen=True)
class Written:
    """What ``write_result`` wrote: the kind of answer, its format and media type, rows and whether they were cut."""

    kind: str
    fmt: str
    media_type: str
    rows: int
    truncated: bool


def _accepted(accept: str | None) -> list[tuple[float, int, str]]:
    out = []
    for i, part in enumerate((accept or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        out.append((q, i, fields[0].lower()))
    return sorted(out, key=lambda t: (-t[0], t[1]))


def negotiate(accept: str | None, kind: str, fmt: str | None = None) -> str | None:
    """The short name of the format to answer with, or ``None`` when nothing acceptable is on offer.

    ``fmt`` (a short name or a media type, e.g. from a ``format=`` parameter) wins over
    ``accept``; an empty ``Accept`` or ``*/*`` gets JSON for SELECT/ASK and Turtle for graphs.

    Examples
    --------
    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", "select")
    'xml'
    >>> negotiate("application/ld+json", "construct"), negotiate("*/*", "ask"), negotiate("image/png", "select")
    ('json-ld', 'json', None)
    """
    table = SOLUTION_TYPES if kind in ("select", "ask") else GRAPH_TYPES
    by_type = {t: k for k, t in table.items()}
    default = "json" if kind in ("select", "ask") else "turtle"
    if fmt:
        f = _SHORT.get(fmt.lower(), fmt.lower())
        if f in table:
            return f
        f = by_type.get(f) or _ALIASES.get(f)
        return f if f in table else None
    ranked = _accepted(accept)
    if not ranked:
        return default
    for q, _, t in ranked:
        if q <= 0:
            continue
        if t in by_type:
            return by_type[t]
        if _ALIASES.get(t) in table:
            return _ALIASES[t]
        if t in ("*/*", "application/*", "text/*"):
            return default
    return None


@functools.lru_cache(maxsize=256)
def _negotiated(accept: str | None, kind: str, fmt: str | None) -> str | None:
    return negotiate(accept, kind, fmt)


def _ox():
    """The ``pyoxigraph`` module (imported on first use, then a global lookup)."""
    global _OX
    if _OX is None:
        import pyoxigraph

        _OX = pyoxigraph
    return _OX


_OX = None


def _json_term(t) -> dict:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != _XSD_STRING:
            d["datatype"] = t.datatype.value
        return d
    return {"type": "triple", "value": {"subject": _json_term(t.subject), "predicate": _json_term(t.predicate),
                                        "object": _json_term(t.object)}}


_enc = json.encoder.encode_basestring  # a str as JSON text, non-ASCII kept (json.dumps(..., ensure_ascii=False))


def _json_text(t) -> str:
    """``json.dumps(_json_term(t))`` written directly (the JSON results' hot loop)."""
    ox = _ox()
    if isinstance(t, ox.NamedNode):
        return '{"type":"uri","value":' + _enc(t.value) + "}"
    if isinstance(t, ox.Literal):
        if t.language:
            return '{"type":"literal","value":' + _enc(t.value) + ',"xml:lang":' + _enc(t.language) + "}"
        dt = t.datatype.value
        if dt != _XSD_STRING:
            return '{"type":"literal","value":' + _enc(t.value) + ',"datatype":' + _enc(dt) + "}"
        return '{"type":"literal","value":' + _enc(t.value) + "}"
    return _enc(_json_term(t))


def _xml_term(t) -> str:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != _XSD_STRING:
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    return f"<literal>{escape(str(t))}</literal>"


def _csv_value(t) -> str:
    import pyoxigraph as ox

    if t is None:
        return ""
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    if isinstance(t, (ox.NamedNode, ox.Literal)):
        return t.value
    return str(t)


def _cut(it, max_rows):
    """Up to ``max_rows`` items of ``it`` and whether more were there."""
    if max_rows is None:
        return it, [False]
    flag = [False]

    def gen():
        for i, x in enumerate(it):
            if i >= max_rows:
                flag[0] = True
                return
            yield x
    return gen(), flag


def _chunks(rows, emit, head: str, row_text, sep: str, tail: str, every: int = 500) -> int:
    buf, n = [head], 0
    for row in rows:
        if n:
            buf.append(sep)
        buf.append(row_text(row))
        n += 1
        if n % every == 0:
            emit("".join(buf).encode("utf-8"))
            buf = []
    buf.append(tail)
    emit("".join(buf).encode("utf-8"))
    return n


def _write_solutions(res, fmt: str, emit, max_rows, excel_safe: bool = False) -> tuple[int, bool]:
    variables = [v.value for v in res.variables]
    # a solution iterates its values in the order of the variables (None where unbound): far
    # cheaper than sol[Variable] lookups
    it = iter(res)
    rows = it if max_rows is None else itertools.islice(it, max_rows)
    if fmt == "json":
        head, keys = _json_head(tuple(variables))

        def row_text(sol):
            return "{" + ",".join([k + _json_text(t) for k, t in zip(keys, sol) if t is not None]) + "}"
        n = _chunks(rows, emit, head, row_text, ",\n", "]}}\n")
    elif fmt == "xml":
        head = ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
                + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head>\n<results>\n")

        def row_text(sol):
            return "<result>" + "".join(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                                        for v, t in zip(variables, sol) if t is not None) + "</result>"
        n = _chunks(rows, emit, head, row_text, "\n", "\n</results>\n</sparql>\n")
    elif fmt == "csv":
        def line(values):
            b = io.StringIO()
            csv.writer(b, lineterminator="\r\n").writerow(values)
            return b.getvalue()

        if excel_safe:
            from .exports import safe_cell

            def cells(sol):
                return line([safe_cell(_csv_value(t)) for t in sol])
        else:
            def cells(sol):
                return line([_csv_value(t) for t in sol])
        n = _chunks(rows, emit, line(variables), cells, "", "")
    elif fmt == "tsv":
        n = _chunks(rows, emit, "\t".join(f"?{v}" for v in variables) + "\n",
                    lambda sol: "\t".join("" if t is None else str(t) for t in sol) + "\n", "", "")
    else:
        raise QueryError(f"unknown results format {fmt!r}")
    # cut when a row beyond max_rows exists (evaluating one more, never the rest)
    return n, max_rows is not None and n == max_rows and next(it, None) is not None


@functools.lru_cache(maxsize=64)
def _json_head(variables: tuple) -> tuple[str, tuple[str, ...]]:
    head = json.dumps({"head": {"vars": list(variables)}}, ensure_ascii=False)[:-1] + ',"results":{"bindings":['
    return head, tuple(_enc(v) + ":" for v in variables)


def write_result(res, fmt: str | None, emit, *, max_rows: int | None = None, accept: str | None = None,
                 excel_safe: bool = False) -> Written:
    """Write an Oxigraph query answer through ``emit(bytes)`` in chunks.

    Parameters
    ----------
    res : pyoxigraph.QuerySolutions, QueryBoolean or QueryTriples
    fmt : str or None
        A short format name (see ``SOLUTION_TYPES``/``GRAPH_TYPES``); ``None`` negotiates with ``accept``.
    emit : callable
        Receives the output, bytes by bytes.
    max_rows : int, optional
        Keep at most this many rows (or triples); ``Written.truncated`` says whether more were there.
    excel_safe : bool, default False
        CSV only: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``
        (``govkg.exports.safe_cell``), so that a spreadsheet does not run it as a formula. This
        departs from the SPARQL 1.1 CSV results format, which is exact by default.

    Raises
    ------
    QueryError
        When no format offered matches (``accept``) or ``fmt`` does not suit the kind of answer.

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
    chosen = _negotiated(accept, kind, fmt)
    if chosen is None:
        offer = ", ".join((SOLUTION_TYPES if kind != "construct" else GRAPH_TYPES).values())
        what = f"format {fmt!r}" if fmt else f"Accept: {accept}"
        raise QueryError(f"no result format for {what}; a {kind.upper()} query answers with one of: {offer}")
    table = SOLUTION_TYPES if kind != "construct" else GRAPH_TYPES
    if kind == "ask":
        rfmt = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[chosen]
        emit(res.serialize(format=rfmt))
        return Written(kind, chosen, table[chosen], 1, False)
    if kind == "select":
        n, truncated = _write_solutions(res, chosen, emit, max_rows, excel_safe=excel_safe)
        return Written(kind, chosen, table[chosen], n, truncated)
    rdf = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
           "xml": ox.RdfFormat.RDF_XML}[chosen]
    triples, cut = _cut(iter(res), max_rows)
    count = itertools.count()
    counted = (t for t, _ in zip(triples, count))
    prefixes = PREFIXES if rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML) else None
    emit(ox.serialize(counted, format=rdf, prefixes=prefixes))
    return Written(kind, chosen, table[chosen], next(count), cut[0])
