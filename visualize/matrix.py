"""The landing view of ``govkg viz``: an interactive site × kind matrix answering "who shares what", as one offline page."""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from govkg.errors import GovkgError

from .views import PLACE_QUERY

__all__ = ["MATRIX_QUERIES", "matrix_data", "render_matrix", "write_matrix", "MIN_SITES"]

#: Rows shown at first: kinds used at this many sites or more (a switch shows every kind).
MIN_SITES = 2


def _asset(name: str) -> str:
    return files("govkg.visualize").joinpath(name).read_text(encoding="utf-8")


def _date(src: dict) -> dict:
    """A report's date as stated and as ISO 8601, in zh and en (``not before`` when only a bound is known)."""
    if src.get("date"):
        return {"zh": str(src["date"]), "en": str(src["date"]), "iso": str(src["date"])}
    if src.get("date_earliest"):
        d = str(src["date_earliest"])
        return {"zh": f"不早于 {d}", "en": f"not before {d}", "iso": f"{d}/.."}
    return {"zh": "日期不详", "en": "date unknown", "iso": ""}


#: What the matrix reads from an opened build's store besides its site index and evidence file: the
#: places that contain the sites and the kinds given to each mechanism.
MATRIX_QUERIES = (PLACE_QUERY, "CONSTRUCT { ?m gk:mechanismKind ?k } WHERE { ?m gk:mechanismKind ?k }")


def matrix_data(graph) -> dict:
    """Everything the matrix page shows, as plain data: sites by district, kinds by top kind, cells, evidence.

    Rows are the kinds given to a mechanism used at a site, with their broader kinds
    (``SiteIndex.kinds``), grouped by their top kind (groups with the most sites first);
    columns are the sites, grouped by district. A cell lists the site's mechanisms of that
    kind or of a narrower one; each mechanism carries its own kinds and the sentences (with
    their report) that put it at the site.

    Parameters
    ----------
    graph : rdflib.Graph or govkg.OpenBuild
        The graph, or a build opened with ``govkg.open`` (its site index, ``MATRIX_QUERIES`` on its
        store and its evidence file).

    Returns
    -------
    dict
        ``{"sites": [{"id", "label", "district"}], "districts": [{"label", "span"}], "kinds":
        [{"id", "label", "top", "depth", "site_count", "definition"}], "cells": {"<kind>|<site>":
        [mechanism id]}, "mechanisms": {id: {"label", "kinds", "evidence": {site id: [{"text",
        "source", "date"}]}}}, "sources": {id: {"label", "publisher", "url", "date"}}}``;
        labels are ``{"zh", "en"}``.

    Examples
    --------
    >>> from govkg import build_graph
    >>> from govkg.shared import shared_mechanisms
    >>> g = build_graph()
    >>> d = matrix_data(g)
    >>> len(d["sites"]), sum(k["site_count"] >= 2 for k in d["kinds"]) == len(shared_mechanisms(g)["kinds"])
    (8, True)
    """
    from rdflib import Graph

    from govkg.analysis import site_index
    from govkg.analysis.provenance import link_evidence
    from govkg.namespace import GK

    from .views import district_of

    opened = graph if type(graph).__name__ == "OpenBuild" else None
    if opened is not None:  # a build opened with govkg.open: its index, places, direct kinds and evidence file
        graph = opened.construct(*MATRIX_QUERIES)
    elif not isinstance(graph, Graph):
        raise GovkgError(f"the matrix view needs the RDF graph or an opened build, not {type(graph).__name__}")
    index = site_index(graph if opened is None else opened)

    def lab(iri):
        ls = index.labels.get(iri) or {}
        if not ls:
            from govkg.analysis.labels import labels

            ls = labels(graph, iri)
        local = str(iri).rsplit("/", 1)[-1]
        return {"zh": ls.get("zh") or ls.get("en") or local, "en": ls.get("en") or ls.get("zh") or local}

    dist = {s: district_of(graph, s) for s in index.sites}
    other = {"zh": "其他", "en": "other"}
    site_order = sorted(index.sites, key=lambda s: (lab(dist[s])["zh"] if dist[s] is not None else "~",
                                                    lab(s)["zh"]))
    sites = [{"id": str(s), "label": lab(s), "district": str(dist[s] or "")} for s in site_order]
    districts: list[dict] = []
    for s in site_order:
        d = str(dist[s] or "")
        if districts and districts[-1]["id"] == d:
            districts[-1]["span"] += 1
        else:
            districts.append({"id": d, "label": lab(dist[s]) if dist[s] is not None else other, "span": 1})

    K = index.kinds.matrix.tocsc()
    M = index.mechanisms.matrix.tocsr()
    MK = index.mechanism_kinds.tocsr()
    count = {k: int(K.indptr[j + 1] - K.indptr[j]) for j, k in enumerate(index.kinds.columns)}

    def top(k):
        ups = index.broader.get(k, frozenset())
        tops = sorted(u for u in ups if not index.broader.get(u))
        return tops[0] if tops else k

    texts = index.texts or {}
    groups: dict = {}
    for k in index.kinds.columns:
        groups.setdefault(top(k), []).append(k)
    order = sorted(groups, key=lambda t: (-count.get(t, 0), lab(t)["zh"]))
    kinds = []
    for t in order:
        members = sorted(groups[t], key=lambda k: (k != t, -count[k], len(index.broader.get(k, ())), lab(k)["zh"]))
        for k in members:
            d = texts.get(k, {}).get("definition", {})
            kinds.append({"id": str(k), "label": lab(k), "top": str(t), "depth": len(index.broader.get(k, ())),
                          "site_count": count[k],
                          "definition": {"zh": " ".join(d.get("zh", [])), "en": " ".join(d.get("en", []))}})

    evidence = link_evidence(graph) if opened is None else opened.link_evidence(index.mechanisms.columns)
    mechs: dict = {}
    sources: dict = {}
    cells: dict = {}
    kcol = {k: j for j, k in enumerate(index.kinds.columns)}
    for i, s in enumerate(index.sites):
        for c in M.indices[M.indptr[i]:M.indptr[i + 1]].tolist():
            m = index.mechanisms.columns[c]
            entry = mechs.setdefault(str(m), {"label": lab(m), "kinds": [lab(k) for k in sorted(graph.objects(m, GK.mechanismKind))],
                                              "evidence": {}})
            evs = []
            for e in evidence.get((m, s), []):
                src = e.get("source") or {}
                sid = src.get("iri", "")
                if sid and sid not in sources:
                    sources[sid] = {"label": src.get("label") or {"zh": sid, "en": sid},
                                    "publisher": src.get("publisher") or {"zh": "", "en": ""},
                                    "url": src.get("url") or "", "date": _date(src)}
                evs.append({"text": e["text"], "source": sid})
            entry["evidence"][str(s)] = evs
            for kc in MK.indices[MK.indptr[c]:MK.indptr[c + 1]].tolist():
                k = index.kinds.columns[kc]
                if k in kcol:
                    cells.setdefault(f"{k}|{s}", []).append(str(m))
    for v in cells.values():
        v.sort(key=lambda m: mechs[m]["label"]["zh"])
    return {"sites": sites, "districts": districts, "kinds": kinds, "cells": cells, "mechanisms": mechs,
            "sources": sources, "min_sites": MIN_SITES}


_TEXT = {
    "title": ("示范点 × 机制类型:谁共有什么", "Sites × kinds of mechanism: who shares what"),
    "note": ("格中数字 = 该示范点属于此类型(或其下位类型)的具体机制数;点击格子查看机制、原文证据与出处。",
             "A cell counts the site's named mechanisms of this kind (or a narrower one); click it for the "
             "mechanisms, the sentences that are the evidence, and their report."),
}


def render_matrix(graph, *, lang: str = "zh", title: str | None = None) -> str:
    """The matrix page of ``graph``: one self-contained HTML document (inline CSS, JS and data; no network).

    Every data text is put into the page by the script as text (``textContent``), never as
    markup; the data travel as JSON escaped for a ``<script>`` element (``html.script_json``).

    Examples
    --------
    >>> from govkg import build_graph
    >>> page = render_matrix(build_graph(), lang="en")
    >>> page.startswith("<!DOCTYPE html>") and "://" not in page
    True
    """
    if lang not in ("zh", "en"):
        raise GovkgError(f"lang must be 'zh' or 'en', not {lang!r}")
    return _page(matrix_data(graph), lang, title)


def _page(data: dict, lang: str, title: str | None) -> str:
    from .html import URL, script_json

    title = title or "govkg · " + _TEXT["title"][0] + " " + _TEXT["title"][1]
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title).replace('://', ':&#47;&#47;')}</title>\n"
        f"<style>{_asset('matrix.css')}</style>\n</head>\n<body>\n"
        '<header id="bar"><h1 id="title"></h1>'
        '<label class="switch"><input type="checkbox" id="all-kinds"> <span id="all-label"></span></label>'
        '<button type="button" id="lang"></button></header>\n'
        '<p id="note"></p>\n'
        '<main id="wrap"><table id="matrix"><thead></thead><tbody></tbody></table></main>\n'
        '<aside id="panel" hidden><button type="button" id="close" aria-label="close">×</button>'
        '<div id="detail"></div></aside>\n'
        f'<script type="application/json" id="govkg-matrix">{script_json(data)}</script>\n'
        f'<script type="application/json" id="govkg-text">{script_json({k: {"zh": v[0], "en": v[1]} for k, v in _TEXT.items()})}</script>\n'
        f'<script>window.GOVKG_LANG = {script_json(lang)};</script>\n'
        f"<script>{_asset('matrix.js')}</script>\n</body>\n</html>\n"
    )
    m = URL.search(page)
    if m:
        raise GovkgError(f"the page would load a remote resource ({page[max(0, m.start() - 40):m.end() + 40]!r})")
    return page


def write_matrix(graph, path: str | Path, *, lang: str = "zh") -> tuple[Path, int, int]:
    """Write the matrix page atomically; returns ``(path, kinds, sites)``."""
    from govkg.writers import write_atomic

    if lang not in ("zh", "en"):
        raise GovkgError(f"lang must be 'zh' or 'en', not {lang!r}")
    data = matrix_data(graph)
    page = _page(data, lang, None)
    return write_atomic(Path(path), page), len(data["kinds"]), len(data["sites"])
