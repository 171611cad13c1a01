"""Export the graph for other tools: GraphML and GEXF (Gephi), CSV node/edge lists, a QCA crisp-set table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from rdflib import RDF, Graph, Literal
from rdflib.namespace import SKOS

from .writers import write_atomic, write_set
from .args import GraphOrBuild
from .errors import GovkgError
from .namespace import ID
from .results import safe_cell  # named here too: the exports' CSV cells are made safe with it

__all__ = ["RDF_FORMATS", "serialize", "serialize_ntriples", "FORMATS", "export", "to_graphml", "to_gexf", "to_csv", "to_qca", "csv_text",
           "safe_cell", "strip_control", "QCA_LEVELS"]

#: Network and table formats of ``export`` (the RDF formats are ``RDF_FORMATS``, written by ``serialize``).
FORMATS = ("graphml", "gexf", "csv", "qca")

#: Output formats: name -> (rdflib format, file suffix).
RDF_FORMATS = {
    "turtle": ("turtle", ".ttl"),
    "nt": ("nt", ".nt"),
    "json-ld": ("json-ld", ".jsonld"),
    "trig": ("trig", ".trig"),
}

def serialize(graph: Graph, fmt: str) -> bytes:
    """``graph`` in one of ``RDF_FORMATS`` as bytes (UTF-8)."""
    if not isinstance(fmt, str) or fmt not in RDF_FORMATS:
        raise GovkgError(f"unknown format {fmt!r}; choose from {', '.join(RDF_FORMATS)}")
    rdf_format = RDF_FORMATS[fmt][0]
    if rdf_format == "trig":
        from rdflib import Dataset as RDFDataset

        ds = RDFDataset()
        named = ds.graph(ID["graph"])
        for t in graph:
            named.add(t)
        for prefix, ns in graph.namespaces():
            ds.bind(prefix, ns)
        return ds.serialize(format="trig", encoding="utf-8")
    if rdf_format == "json-ld":
        ctx = {p: str(ns) for p, ns in graph.namespaces() if p}
        return graph.serialize(format="json-ld", context=ctx, encoding="utf-8")
    return graph.serialize(format=rdf_format, encoding="utf-8")


def serialize_ntriples(nt: bytes, fmt: str) -> bytes:
    """The N-Triples ``nt`` in one of ``RDF_FORMATS``, by pyoxigraph's streaming parser and serializers
    (no graph is held; literals are written as in ``nt``). TriG puts the triples in the named graph
    ``id:graph``, as ``serialize`` does; JSON-LD is written expanded (full IRIs, no context).

    Examples
    --------
    >>> nt = '<https://w3id.org/govkg/id/site/a> <http://www.w3.org/2000/01/rdf-schema#label> "甲"@zh .'
    >>> b'"@language":"zh"' in serialize_ntriples(nt.encode(), "json-ld")
    True
    """
    import pyoxigraph as ox

    from .namespace import PREFIXES

    if not isinstance(fmt, str) or fmt not in RDF_FORMATS:
        raise GovkgError(f"unknown format {fmt!r}; choose from {', '.join(RDF_FORMATS)}")
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    if fmt == "trig":
        g = ox.NamedNode(str(ID["graph"]))
        quads = (ox.Quad(t.subject, t.predicate, t.object, g) for t in triples)
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES)) or b""
    out = {"json-ld": ox.RdfFormat.JSON_LD, "turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}[fmt]
    return ox.serialize(triples, format=out, prefixes=dict(PREFIXES)) or b""


#: Node columns of the CSV node list, in order (other attributes follow, sorted).
_NODE_COLUMNS = ("id", "cls", "label", "label_zh", "label_en", "types")

#: Characters XML 1.0 cannot hold (GraphML and GEXF are XML): C0 controls but tab, newline, CR; and U+FFFE/U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: A CSV cell starting with one of these is read as a formula by spreadsheet programs.


def strip_control(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold (tab, newline and CR are kept).

    Examples
    --------
    >>> strip_control("a" + chr(0) + "b" + chr(27) + "c") == "abc"
    True
    """
    return _CONTROL.sub("", text)


def csv_text(rows, header, *, bom: bool = False) -> str:
    """CSV text (newline line ends) with every text cell passed through ``safe_cell``; ``bom`` starts it
    with a UTF-8 byte-order mark so that Excel on Windows reads the Chinese text right.

    Examples
    --------
    >>> csv_text([["=cmd", 1]], ["a", "b"], bom=True).splitlines() == [chr(0xFEFF) + "a,b", "'=cmd,1"]
    True
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([safe_cell(h) for h in header])
    w.writerows([safe_cell(c) for c in r] for r in rows)
    return ("\ufeff" if bom else "") + out.getvalue()


def _clean(G):
    """A copy of ``G`` whose attributes GraphML/GEXF can hold (str, int, float, bool; no None;
    no control characters XML cannot hold, see ``strip_control``)."""
    H = G.copy()
    kinds: dict = {}
    for _, _, d in H.edges(data=True):
        for k, v in list(d.items()):
            if isinstance(v, str):
                d[k] = strip_control(v)
    for _, d in H.nodes(data=True):
        for k, v in list(d.items()):
            if v is None:
                del d[k]
            elif not isinstance(v, (str, int, float, bool)):
                d[k] = v = str(v)
            if isinstance(v, str):
                d[k] = v = strip_control(v)
            if k in d:
                kinds.setdefault(k, set()).add(type(v))
    # one type per attribute key (GraphML declares it once): int+float -> float, else str
    for k, ts in kinds.items():
        if len(ts) > 1:
            to = float if ts <= {int, float} else str
            for _, d in H.nodes(data=True):
                if k in d:
                    d[k] = to(d[k])
    return H


def to_graphml(graph: Graph) -> bytes:
    """The typed multigraph (``govkg.convert.to_networkx``) as GraphML bytes, for Gephi, yEd, networkx.

    Nodes carry ``cls`` (site, mechanism, kind, organization …), ``types``, ``label``,
    ``label_zh`` and ``label_en``; edges their ``predicate``.

    Examples
    --------
    >>> import io, networkx as nx
    >>> from govkg.analysis import _example_graph
    >>> G = nx.read_graphml(io.BytesIO(to_graphml(_example_graph())))
    >>> G.nodes["https://w3id.org/govkg/id/site/a"]["label_zh"]
    '甲社区'
    """
    import networkx as nx

    from .convert import to_networkx

    buf = io.BytesIO()
    nx.write_graphml(_clean(to_networkx(graph)), buf, encoding="utf-8", named_key_ids=True)
    return buf.getvalue()


def to_gexf(graph: Graph) -> bytes:
    """The typed multigraph as GEXF 1.2 bytes (Gephi's own format); node ``label`` is the zh label.

    Examples
    --------
    >>> import io, networkx as nx
    >>> from govkg.analysis import _example_graph
    >>> G = nx.read_gexf(io.BytesIO(to_gexf(_example_graph())))
    >>> G.nodes["https://w3id.org/govkg/id/site/b"]["cls"]
    'site'
    """
    import networkx as nx

    from .convert import to_networkx

    H = _clean(to_networkx(graph))
    for u, v, k, d in H.edges(keys=True, data=True):
        d["id"] = f"{u}|{k}|{v}"
    buf = io.BytesIO()
    nx.write_gexf(H, buf, encoding="utf-8")
    return buf.getvalue()


def to_csv(graph: Graph, *, bom: bool = False) -> tuple[str, str]:
    """The typed multigraph as two CSV texts: nodes (``id, cls, label, label_zh, label_en, types, …``)
    and edges (``source, target, predicate, label``), UTF-8, for pandas, R or Gephi's import.

    Cells are made safe for spreadsheets (``safe_cell``); ``bom`` starts each text with a
    UTF-8 byte-order mark (see ``csv_text``).

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> nodes, edges = to_csv(_example_graph())
    >>> nodes.splitlines()[0].split(",")[:6]
    ['id', 'cls', 'label', 'label_zh', 'label_en', 'types']
    >>> edges.splitlines()[0]
    'source,target,predicate,label'
    """
    from .convert import to_networkx

    G = to_networkx(graph)
    extra = sorted({k for _, d in G.nodes(data=True) for k in d} - set(_NODE_COLUMNS) - {"iri"})
    header = [*_NODE_COLUMNS, *extra]
    nodes = [[n, *(d.get(k, "") for k in header[1:])] for n, d in sorted(G.nodes(data=True))]
    edges = sorted((u, v, d["predicate"], d["label"]) for u, v, d in G.edges(data=True))
    return csv_text(nodes, header, bom=bom), csv_text(edges, ["source", "target", "predicate", "label"], bom=bom)


#: Kind levels of the QCA table: ``"top"`` (the broadest kinds, default) or ``"specific"`` (the most specific ones).
QCA_LEVELS = ("top", "specific")


def _qca_outcome(graph, index, outcome: str | None):
    """``(column label, {site: value})`` of the outcome measure named ``outcome``, or of the one
    measure every site reports; ``None`` when there is none."""
    from .analysis.labels import labels
    from .analysis.matching import normalize
    from .namespace import GK, SCHEMA

    if not isinstance(graph, Graph):
        return None
    by_measure: dict = {}
    for x in graph.subjects(RDF.type, GK.Outcome):
        lab = labels(graph, x)
        site = graph.value(x, GK.site)
        v = graph.value(x, SCHEMA.value)
        if site is None or v is None:
            continue
        key = normalize(lab["en"] or lab["zh"])
        by_measure.setdefault(key, (lab, {}))[1][site] = v.toPython() if isinstance(v, Literal) else v
    if outcome is not None:
        want = normalize(outcome)
        hits = [k for k, (lab, _) in by_measure.items() if want in (k, normalize(lab["zh"]))]
        if not hits:
            raise GovkgError(f"no outcome measure is labelled {outcome!r}")
        return by_measure[hits[0]]
    full = [k for k, (_, vals) in by_measure.items() if len(vals) == len(index.sites) and index.sites]
    return by_measure[sorted(full)[0]] if full else None


#: What ``to_qca`` reads besides the site index, from an opened build's store: each outcome's
#: labels, site and value, and the direct broader kinds.
_QCA_QUERIES = (
    "CONSTRUCT { ?x a gk:Outcome ; rdfs:label ?l ; gk:site ?s ; schema:value ?v } WHERE { ?x a gk:Outcome "
    "OPTIONAL { ?x rdfs:label ?l } OPTIONAL { ?x gk:site ?s } OPTIONAL { ?x schema:value ?v } }",
    "CONSTRUCT { ?k skos:broader ?b } WHERE { ?k skos:broader ?b }",
)


def to_qca(graph: GraphOrBuild, *, level: str = "top", outcome: str | None = None, bom: bool = False) -> tuple[str, str]:
    """A crisp-set (0/1) site × kind table for QCA software, and its codebook (both CSV).

    One row per site (``case`` = the site's id, then ``label_zh``, ``label_en``), one
    condition column per kind at one level, named by the kind's id: ``level="top"`` (the
    default) takes the broadest kinds (those without ``skos:broader``) — 1 when the site runs
    a mechanism of that kind or of any narrower kind; ``"specific"`` the most specific
    kinds given to mechanisms — 1 when the site runs a mechanism given exactly that kind.
    An ``outcome`` column holds the value of the outcome measure whose label is ``outcome``
    (or, without it, of a measure every site reports) — raw, blank where a site does not
    report it: calibrate it before a crisp-set analysis. The codebook lists each column
    with its labels, level, broader kind, sites coded 1 and the coding rule, and warns when
    the conditions outnumber the cases (then QCA cannot tell the conditions apart).

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> table, book = to_qca(_example_graph())
    >>> table.splitlines()[0].split(",")[:4]
    ['case', 'label_zh', 'label_en', 'jingxihuaguanli']
    >>> table.splitlines()[2].split(",")[:4]
    ['b', '乙村', 'Yi Village', '1']
    >>> "WARNING" in book
    True
    """
    from .analysis import site_index

    if level not in QCA_LEVELS:
        raise GovkgError(f"level must be one of {', '.join(QCA_LEVELS)}, not {level!r}")
    index = site_index(graph)
    if type(graph).__name__ == "OpenBuild":  # a build opened with govkg.open: the part the table reads
        graph = graph.construct(*_QCA_QUERIES)
    if level == "top":
        inc = index.kinds
        keep = [j for j, k in enumerate(inc.columns) if not index.broader.get(k)]
        rule = ("1 if the site runs at least one named mechanism of this kind or of any narrower kind "
                "(skos:broader roll-up), else 0")
    else:
        inc = index.specific if index.specific is not None else index.kinds
        counts = inc.matrix.getnnz(axis=0)
        keep = [j for j in range(len(inc.columns)) if counts[j]]
        rule = "1 if the site runs at least one named mechanism given exactly this (most specific) kind, else 0"
    K = inc.matrix.toarray()[:, keep]
    cols = [inc.columns[j] for j in keep]
    names = [str(k).rsplit("/", 1)[-1] for k in cols]
    out = _qca_outcome(graph, index, outcome)
    rows = []
    for i, s in enumerate(index.sites):
        lab = index.labels.get(s, {})
        row = [str(s).rsplit("/", 1)[-1], lab.get("zh", ""), lab.get("en", ""), *(int(v) for v in K[i])]
        if out is not None:
            v = out[1].get(s)
            row.append("" if v is None else v)
        rows.append(row)
    table = csv_text(rows, ["case", "label_zh", "label_en", *names, *(["outcome"] if out is not None else [])], bom=bom)
    parents = {}
    if isinstance(graph, Graph):
        parents = {k: sorted(str(b).rsplit("/", 1)[-1] for b in graph.objects(k, SKOS.broader)) for k in cols}
    book: list[list] = [["case", "site id (the IRI's last segment)", "示范点 id", "", "", "", "identifier"],
            ["label_zh", "site name (Chinese)", "示范点名称", "", "", "", "label"],
            ["label_en", "site name (English)", "示范点英文名", "", "", "", "label"]]
    for j, (k, name) in enumerate(zip(cols, names)):
        lab = index.labels.get(k, {})
        book.append([name, lab.get("en", ""), lab.get("zh", ""), level, " ".join(parents.get(k, [])),
                     int(K[:, j].sum()), rule])
    if out is not None:
        book.append(["outcome", out[0]["en"], out[0]["zh"], "", "", sum(v is not None for v in out[1].values()),
                     "raw value as reported (not calibrated); blank where the site reports none"])
    else:
        book.append(["(outcome)", "no outcome column: no outcome measure is reported by every site; "
                     "choose one with to_qca(..., outcome=LABEL)", "", "", "", "", ""])
    n_cond, n_cases = len(cols), len(index.sites)
    if n_cond > n_cases:
        book.append(["WARNING", f"{n_cond} conditions outnumber the {n_cases} cases: QCA cannot distinguish "
                     "the conditions' effects; select a few conditions on theoretical grounds",
                     f"条件数 {n_cond} 多于案例数 {n_cases}:QCA 无法区分各条件的作用,请依据理论挑选少数条件", "", "", "", ""])
    codebook = csv_text(book, ["column", "label_en", "label_zh", "level", "broader", "sites_coded_1", "coding"], bom=bom)
    return table, codebook


def _csv_target(path: Path, fmt: str, default: str) -> Path:
    """The main CSV file of a two-file export: ``path`` itself when it ends in ``.csv``,
    ``path/<default>`` when ``path`` is an existing folder; anything else is refused (a name
    without a suffix silently becoming a folder surprised users)."""
    if path.is_dir():
        return path / default
    if path.suffix.lower() != ".csv":
        stem = path.stem if path.suffix else path.name
        if fmt == "csv":
            what = f"two files, {stem}-nodes.csv and {stem}-edges.csv"
        else:
            what = f"the QCA table and its codebook, {stem}.csv and {stem}-codebook.csv"
        raise GovkgError(f"--format {fmt} writes {what}: give a file name ending in .csv "
                         f"(e.g. {path.with_name(stem + '.csv')}), not {path.name!r}")
    return path


def export(graph: Graph, fmt: str, path, *, bom: bool | None = None) -> list[Path]:
    """Write ``graph`` in ``fmt`` (one of ``FORMATS``) atomically; return the files written.

    - ``graphml``, ``gexf``: one file at ``path``.
    - ``csv``: ``<stem>-nodes.csv`` and ``<stem>-edges.csv`` beside ``path``, which must end
      in ``.csv`` (or ``nodes.csv``/``edges.csv`` inside ``path`` when it is an existing folder).
    - ``qca``: the table at ``path`` (which must end in ``.csv``) and ``<stem>-codebook.csv``
      beside it (or ``qca.csv``/``qca-codebook.csv`` inside an existing folder); see ``to_qca``.

    Missing folders on the way to ``path`` are created (as by every ``govkg.writers`` writer).

    CSV files start with a UTF-8 byte-order mark unless ``bom`` is false: the files are
    meant for spreadsheets (Excel on Windows garbles Chinese text without it); pandas
    (``encoding="utf-8-sig"`` or the default C parser) and R's ``readr`` skip it.

    Files are written by ``govkg.writers.write_set``: the files of one export are replaced
    together, and a failure leaves the previous ones.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from govkg.analysis import _example_graph
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in export(_example_graph(), "csv", d / "govkg.csv")]
    ['govkg-nodes.csv', 'govkg-edges.csv']
    """
    if fmt not in FORMATS:
        raise GovkgError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    path = Path(path)
    if fmt == "graphml":
        return [write_atomic(path, to_graphml(graph))]
    if fmt == "gexf":
        return [write_atomic(path, to_gexf(graph))]
    bom = True if bom is None else bom
    if fmt == "csv":
        main = _csv_target(path, fmt, "govkg.csv")
        nodes, edges = to_csv(graph, bom=bom)
        if path.is_dir():
            return write_set({path / "nodes.csv": nodes, path / "edges.csv": edges})
        return write_set({main.with_name(f"{main.stem}-nodes.csv"): nodes, main.with_name(f"{main.stem}-edges.csv"): edges})
    main = _csv_target(path, fmt, "qca.csv")
    table, book = to_qca(graph, bom=bom)
    return write_set({main: table, main.with_name(f"{main.stem}-codebook.csv"): book})
