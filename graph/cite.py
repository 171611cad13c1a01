"""Citations of a node or a report: its stable IRI, the sentences that are its evidence, the report, the date as stated and as ISO."""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import PROV

from .args import GraphOrBuild
from .errors import GovkgError, NotFoundError
from .namespace import GK, ID, SCHEMA

__all__ = ["FORMATS", "find_node", "citation", "iso_date", "stated_date", "as_text", "as_bibtex", "as_csl_json"]

#: Output formats of ``govkg cite``.
FORMATS = ("text", "bibtex", "csl-json")
#: What is cited, named in the citation.
DATASET = {"zh": "govkg 基层治理知识图谱", "en": "govkg knowledge graph of grassroots governance"}


def iso_date(src: dict) -> str:
    """A report's date in ISO 8601: the date, or an open interval ``2024-11-02/..`` (ISO 8601-2) when only
    "published on or after" is known, else ``""``.

    Examples
    --------
    >>> iso_date({"date": "2024-11-03"}), iso_date({"date": None, "date_earliest": "2024-11-02"})
    ('2024-11-03', '2024-11-02/..')
    """
    if src.get("date"):
        return str(src["date"])
    if src.get("date_earliest"):
        return f"{src['date_earliest']}/.."
    return ""


def stated_date(src: dict, lang: str = "en") -> str:
    """A report's date as the data state it: the date, or "published on or after …" (zh or en).

    Examples
    --------
    >>> stated_date({"date_earliest": "2024-11-02"}, "zh")
    '发布于 2024-11-02 或之后'
    """
    if src.get("date"):
        return str(src["date"])
    if src.get("date_earliest"):
        return (f"发布于 {src['date_earliest']} 或之后" if lang == "zh"
                else f"published on or after {src['date_earliest']}")
    return "日期不详" if lang == "zh" else "date unknown"


#: What a citation of ``?node`` reads from an opened build's store (with ``outcomes.SOURCE_QUERY``):
#: the node's triples and those of its evidence (``?node`` is bound as a value; pyoxigraph binds only a
#: variable the template names).
_NODE_QUERIES = ("CONSTRUCT { ?node ?p ?o } WHERE { ?node ?p ?o }",
                 "CONSTRUCT { ?node gk:evidence ?e . ?e ?p ?o } WHERE { ?node gk:evidence ?e . ?e ?p ?o }")


def _is_opened(graph) -> bool:
    from .analysis.outcomes import is_opened

    return is_opened(graph)


def find_node(graph: GraphOrBuild, name: str) -> URIRef:
    """The node ``name`` names: its IRI, its id path (``site/gaoxinshequ``, ``source/…``), or its exact zh/en label.

    ``name`` is compared as a value (never query text).

    Raises
    ------
    NotFoundError
        When nothing (or several nodes with different IRIs) match; the closest labels are suggested.

    Examples
    --------
    >>> from govkg import build_graph
    >>> g = build_graph()
    >>> str(find_node(g, "高新社区")) == str(find_node(g, "site/gaoxinshequ"))
    True
    """
    from .analysis.matching import closest, normalize

    if not isinstance(name, str) or not name.strip():
        raise GovkgError("give a node: its IRI, its id (site/gaoxinshequ) or its zh/en label")
    name = name.strip()
    opened = _is_opened(graph)
    for iri in (URIRef(name), ID[name.lstrip("/")]) if "://" in name or "/" in name else ():
        if (graph.has_subject(iri) if opened else (iri, None, None) in graph):
            return iri
    want = normalize(name)
    pairs = [(s, o) for s, _p, o in graph.triples(RDFS.label)] if opened else list(graph.subject_objects(RDFS.label))
    hits = sorted({s for s, o in pairs if normalize(str(o)) == want and isinstance(s, URIRef)})
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise NotFoundError("single node", name, [str(h) for h in hits])
    labels = sorted({str(o) for s, o in pairs if str(s).startswith(str(ID))})
    raise NotFoundError("node", name, closest(name, labels))


def citation(graph: GraphOrBuild, name: str) -> dict:
    """What ``govkg cite`` prints for ``name`` (a node or a report), as plain data.

    Returns
    -------
    dict
        ``{"iri", "label": {"zh", "en"}, "is_source", "evidence": [{"text", "source"}], "sources":
        [{"iri", "label", "publisher", "date", "date_earliest", "date_stated": {"zh", "en"},
        "date_iso", "url", "rights"}]}``; a report cites itself (no evidence).

    Examples
    --------
    >>> from govkg import build_graph
    >>> c = citation(build_graph(), "“椰智荟”议事堂")
    >>> c["iri"].endswith("/mechanism/yezhihuiyishitang"), len(c["evidence"]) > 0, c["sources"][0]["date_iso"]
    (True, True, '2024-11-02/..')
    """
    from .analysis.labels import labels
    from .analysis.outcomes import SOURCE_QUERY, evidence_of, sources

    if _is_opened(graph):  # a build opened with govkg.open: the node, its evidence and the reports
        node = find_node(graph, name)
        graph = graph.construct(*_NODE_QUERIES, bindings={"node": node}) + graph.construct(SOURCE_QUERY)
    elif not isinstance(graph, Graph):
        raise GovkgError(f"cite needs the RDF graph or an opened build, not {type(graph).__name__}")
    else:
        node = find_node(graph, name)
    srcs = sources(graph)
    is_source = (node, RDF.type, SCHEMA.NewsArticle) in graph
    evidence = [] if is_source else evidence_of(graph, node, srcs)
    used = [node] if is_source else [e["source"]["iri"] for e in evidence if e.get("source")]
    used += [] if is_source else [str(s) for s in graph.objects(node, PROV.hadPrimarySource)]
    out_srcs = []
    for s in dict.fromkeys(str(u) for u in used):
        d = srcs.get(URIRef(s))
        if d is not None:
            out_srcs.append(dict(d, date_stated={"zh": stated_date(d, "zh"), "en": stated_date(d, "en")}, date_iso=iso_date(d)))
    return {"iri": str(node), "label": labels(graph, node), "is_source": is_source,
            "evidence": evidence, "sources": out_srcs}


def _lab(d: dict, lang: str) -> str:
    from .analysis.labels import pick

    return pick(d or {}, lang, "")


def as_text(c: dict, lang: str = "en") -> str:
    """A citation to read or paste: what, its IRI, each sentence with its report, the date as stated and ISO."""
    zh = lang == "zh"
    out = []
    if c["is_source"]:
        s = c["sources"][0]
        out.append("；".join(x for x in (_lab(s["label"], lang), _lab(s.get("publisher"), lang), s["date_stated"][lang]) if x)
                   if zh else ". ".join(x for x in (_lab(s["label"], lang), _lab(s.get("publisher"), lang), s["date_stated"][lang]) if x) + ".")
    else:
        other = _lab(c["label"], "en" if zh else "zh")
        name = _lab(c["label"], lang) + (f" ({other})" if other and other != _lab(c["label"], lang) else "")
        out.append(f"{name}. {DATASET[lang]}.")
    out.append("IRI: " + c["iri"])
    for e in c["evidence"]:
        out.append(f"“{' '.join(e['text'].split())}”")
        s = e.get("source")
        if s:
            out.append(("  —— 引自 " if zh else "  — quoted from ") + _lab(s["label"], lang)
                       + (f",{_lab(s.get('publisher'), lang)}" if zh and s.get("publisher") else
                          f", {_lab(s.get('publisher'), lang)}" if s.get("publisher") else ""))
    for s in c["sources"]:
        date = s["date_stated"][lang] + (f"(ISO 8601:{s['date_iso']})" if zh else f" (ISO 8601: {s['date_iso']})") \
            if s["date_iso"] else s["date_stated"][lang]
        out.append(("报道:" if zh else "Report: ") + _lab(s["label"], lang) + (";" if zh else "; ") + date
                   + (f"; {s['url']}" if s.get("url") else "") + (f"; {s['iri']}"))
    if not c["evidence"] and not c["is_source"]:
        out.append("(数据未引用原文句子)" if zh else "(the data quote no sentence for it)")
    return "\n".join(out)


def _key(iri: str) -> str:
    """A BibTeX key from an IRI: its last two path segments, ``:``-joined (``site:gaoxinshequ``)."""
    parts = [p for p in iri.rstrip("/").split("/") if p][-2:]
    return ":".join(parts).replace("#", ":")


def _bib_entries(c: dict) -> list[dict]:
    entries = []
    for s in c["sources"]:
        e = {"ENTRYTYPE": "article", "ID": _key(s["iri"]), "title": _lab(s["label"], "zh"),
             "note": f"{_lab(s['label'], 'en')}; {s['date_stated']['en']}; {s['iri']}"}
        if s.get("publisher"):
            e["journal"] = _lab(s["publisher"], "zh")
        if s.get("date"):
            e["date"] = str(s["date"])
            e["year"] = str(s["date"])[:4]
        elif s.get("date_earliest"):
            e["year"] = str(s["date_earliest"])[:4]
        if s.get("url"):
            e["url"] = s["url"]
        entries.append(e)
    if not c["is_source"]:
        quotes = " / ".join(f"“{' '.join(e['text'].split())}”" for e in c["evidence"])
        e = {"ENTRYTYPE": "misc", "ID": _key(c["iri"]),
             "title": " / ".join(x for x in (_lab(c["label"], "zh"), _lab(c["label"], "en")) if x),
             "howpublished": DATASET["en"], "url": c["iri"]}
        if quotes:
            e["note"] = quotes
        if entries:
            e["related"] = ",".join(x["ID"] for x in entries)
        entries.insert(0, e)
    return entries


def as_bibtex(c: dict) -> str:
    """The citation as BibTeX (written by ``bibtexparser``): the node as ``@misc`` with its sentences in
    ``note``, and each report as ``@article`` (``related`` links them).

    Examples
    --------
    >>> import bibtexparser
    >>> from govkg import build_graph
    >>> db = bibtexparser.loads(as_bibtex(citation(build_graph(), "高新社区")))
    >>> [e["ENTRYTYPE"] for e in db.entries]
    ['misc', 'article']
    """
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    db = BibDatabase()
    db.entries = [{k: _bib_escape(v) if k not in ("ENTRYTYPE", "ID", "url") else v for k, v in e.items()}
                  for e in _bib_entries(c)]
    writer = BibTexWriter()
    writer.order_entries_by = None
    return writer.write(db)


def _bib_escape(text: str) -> str:
    """BibTeX's special characters in a field value escaped (bibtexparser writes values as they are)."""
    out = str(text).replace("\\", "\x00")  # a backslash last: its replacement holds braces
    for ch in "{}%&#$_":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\x00", "\\textbackslash{}")


def as_csl_json(c: dict) -> list[dict]:
    """The citation as CSL-JSON items (the node as ``dataset``, each report as ``article-newspaper``).

    Examples
    --------
    >>> from govkg import build_graph
    >>> items = as_csl_json(citation(build_graph(), "高新社区"))
    >>> [i["type"] for i in items], items[1]["issued"]
    (['dataset', 'article-newspaper'], {'literal': 'published on or after 2024-11-02'})
    """
    items = []
    for s in c["sources"]:
        it: dict[str, object] = {"id": _key(s["iri"]), "type": "article-newspaper", "title": _lab(s["label"], "zh"),
              "note": f"{_lab(s['label'], 'en')}; ISO 8601: {s['date_iso']}; {s['iri']}"}
        if s.get("publisher"):
            it["publisher"] = _lab(s["publisher"], "zh")
            it["container-title"] = _lab(s["publisher"], "zh")
        if s.get("date"):
            it["issued"] = {"date-parts": [[int(x) for x in str(s["date"]).split("-")[:3]]]}
        elif s.get("date_earliest"):
            it["issued"] = {"literal": s["date_stated"]["en"]}
        if s.get("url"):
            it["URL"] = s["url"]
        items.append(it)
    if not c["is_source"]:
        it = {"id": _key(c["iri"]), "type": "dataset",
              "title": " / ".join(x for x in (_lab(c["label"], "zh"), _lab(c["label"], "en")) if x),
              "publisher": DATASET["en"], "URL": c["iri"]}
        if c["evidence"]:
            it["note"] = " / ".join(f"“{' '.join(e['text'].split())}”" for e in c["evidence"])
        items.insert(0, it)
    return items
