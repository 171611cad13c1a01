"""Export the graph for other tools: GraphML and GEXF (Gephi), CSV node/edge lists, a QCA crisp-set table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import SKOS

from .writers import write_atomic, write_set
from .errors import GovkgError
from .namespace import ID

__all__ = ["RDF_FORMATS", "serialize", "FORMATS", "export", "to_graphml", "to_gexf", "to_csv", "to_qca"]

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
    if fmt not in RDF_FORMATS:
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



#: Node columns of the CSV node list, in order (other attributes follow, sorted).
_NODE_COLUMNS = ("id", "cls", "label", "label_zh", "label_en", "types")


def _clean(G):
    """A copy of ``G`` whose attributes GraphML/GEXF can hold (str, int, float, bool; no None)."""
    H = G.copy()
    kinds: dict = {}
    for _, d in H.nodes(data=True):
        for k, v in list(d.items()):
            if v is None:
                del d[k]
            elif not isinstance(v, (str, int, float, bool)):
                d[k] = v = str(v)
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


def _csv(rows, header) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def to_csv(graph: Graph) -> tuple[str, str]:
    """The typed multigraph as two CSV texts: nodes (``id, cls, label, label_zh, label_en, types, …``)
    and edges (``source, target, predicate, label``), UTF-8, for pandas, R or Gephi's import.

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
    return _csv(nodes, header), _csv(edges, ["source", "target", "predicate", "label"])


def to_qca(graph: Graph) -> tuple[str, str]:
    """A crisp-set (0/1) site × kind table for QCA software, and its codebook (both CSV).

    One row per site (``case`` = the site's id, then ``label_zh``, ``label_en``), one
    column per kind used at any site, named by the kind's id (``yishitangyishihui``): 1
    when the site runs a mechanism of that kind or of a narrower one (kinds rolled up
    along ``skos:broader``), else 0. The codebook lists each column with its zh/en label,
    its broader kind, the number of sites coded 1 and the coding rule.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> table, book = to_qca(_example_graph())
    >>> table.splitlines()[0].split(",")[:4]
    ['case', 'label_zh', 'label_en', 'huzhuyanglao']
    >>> table.splitlines()[2].split(",")[:4]
    ['b', '乙村', 'Yi Village', '1']
    """
    from .analysis import site_index

    index = site_index(graph)
    K = index.kinds.matrix.toarray()
    cols = index.kinds.columns
    names = [str(k).rsplit("/", 1)[-1] for k in cols]
    rows = []
    for i, s in enumerate(index.sites):
        lab = index.labels.get(s, {})
        rows.append([str(s).rsplit("/", 1)[-1], lab.get("zh", ""), lab.get("en", ""), *(int(v) for v in K[i])])
    table = _csv(rows, ["case", "label_zh", "label_en", *names])
    parents = {}
    if isinstance(graph, Graph):
        parents = {k: sorted(str(b).rsplit("/", 1)[-1] for b in graph.objects(k, SKOS.broader)) for k in cols}
    rule = ("1 if the site runs at least one named mechanism of this kind or of a narrower kind "
            "(skos:broader roll-up), else 0")
    book = [["case", "site id (the IRI's last segment)", "示范点 id", "", "", "identifier"],
            ["label_zh", "site name (Chinese)", "示范点名称", "", "", "label"],
            ["label_en", "site name (English)", "示范点英文名", "", "", "label"]]
    for j, (k, name) in enumerate(zip(cols, names)):
        lab = index.labels.get(k, {})
        book.append([name, lab.get("en", ""), lab.get("zh", ""), " ".join(parents.get(k, [])),
                     int(K[:, j].sum()), rule])
    codebook = _csv(book, ["column", "label_en", "label_zh", "broader", "sites_coded_1", "coding"])
    return table, codebook


def _sibling(path: Path, suffix: str) -> Path:
    """``out/govkg.csv`` → ``out/govkg-nodes.csv``; a folder (no suffix) → ``folder/nodes.csv``."""
    if path.suffix == "" or path.is_dir():
        return path / f"{suffix.lstrip('-')}.csv"
    return path.with_name(f"{path.stem}{suffix}.csv")


def export(graph: Graph, fmt: str, path) -> list[Path]:
    """Write ``graph`` in ``fmt`` (one of ``FORMATS``) atomically; return the files written.

    - ``graphml``, ``gexf``: one file at ``path``.
    - ``csv``: ``<stem>-nodes.csv`` and ``<stem>-edges.csv`` beside ``path`` (or
      ``nodes.csv``/``edges.csv`` inside ``path`` when it is a folder or has no suffix).
    - ``qca``: the table at ``path`` (``.csv``) and ``<stem>-codebook.csv`` beside it (or
      ``qca.csv``/``qca-codebook.csv`` inside a folder).

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
    if fmt == "csv":
        nodes, edges = to_csv(graph)
        return write_set({_sibling(path, "-nodes"): nodes, _sibling(path, "-edges"): edges})
    table, book = to_qca(graph)
    main = path / "qca.csv" if (path.suffix == "" or path.is_dir()) else path
    return write_set({main: table, main.with_name(f"{main.stem}-codebook.csv"): book})
