"""One definition of every count (sites, mechanisms, kinds, organizations, areas …): ``ontology/queries/counts.rq``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["COUNTED", "DEFINITIONS", "counts", "build_counts", "counts_text"]

#: What is counted, in the order it is shown.
COUNTED = ("sites", "mechanisms", "kinds", "organizations", "areas", "outcomes", "claims", "events", "responses")

#: What each count counts (the same words as the comment of ``counts.rq``), in zh and en.
DEFINITIONS = {
    "sites": ("示范点", "demonstration sites"),
    "mechanisms": ("具体机制(含被赋予机制类型的事件应对)", "named mechanisms (event responses given a kind included)"),
    "kinds": ("机制类型(机制直接或经下位类型所属的类型)", "mechanism kinds (given to a mechanism directly or through a narrower kind)"),
    "organizations": ("组织(报道所述,不含报道的发布者)", "organizations a report describes (not a report's publisher)"),
    "areas": ("行政区域(示范点以外:区、镇、街道)", "administrative areas other than the sites (districts, towns, streets)"),
    "outcomes": ("成效数据(数字)", "outcomes (numbers)"),
    "claims": ("成效表述(无数字)", "claims (outcomes stated without a number)"),
    "events": ("事件", "events"),
    "responses": ("事件应对", "event responses"),
}


def counts(graph) -> dict:
    """How many sites, mechanisms, kinds, organizations, areas … ``graph`` holds, by ``counts.rq``.

    The one definition every command uses (``build``, ``analyze``, the report, and
    ``govkg query --example counts``); ``DEFINITIONS`` says what each number counts.

    Parameters
    ----------
    graph : rdflib.Graph or pyoxigraph.Store

    Returns
    -------
    dict
        ``{name: int}`` for every name of ``COUNTED`` (0 when there is none).

    Examples
    --------
    >>> from govkg import build_graph
    >>> c = counts(build_graph())
    >>> c["sites"], c["areas"], c["organizations"] > 0
    (8, 15, True)
    """
    from .query import run_query
    from .resources import example_query

    res = run_query(graph, example_query("counts"))
    got = {str(what): int(n.toPython()) for what, n in res.rows}
    return {k: got.get(k, 0) for k in COUNTED}


def build_counts(build_dir: str | Path) -> dict | None:
    """``counts`` of the graph the last build wrote to ``build_dir`` (its on-disk store, opened
    read-only), or None when there is none or it cannot be opened.

    Counts whatever the build holds, whatever data folder it came from (a build with drafts
    included too). The store answers ``counts.rq`` in place: loading the build's parts into an
    in-memory store took more than 10 GB at 200,000 sites, after the build itself.
    """
    import pyoxigraph as ox

    from . import manifest

    m = manifest.read_manifest(Path(build_dir))
    name = m.get("store") if m is not None else None
    if not isinstance(name, str) or Path(name).name != name:
        return None
    try:
        store = ox.Store.read_only(str(Path(build_dir) / name))
    except (OSError, ValueError, RuntimeError):
        return None
    return counts(store)


def counts_text(c: dict, lang: str = "en") -> str:
    """``c`` (from ``counts``) in words: ``8 sites, 57 mechanisms, …`` or ``示范点 8 个、…``.

    Examples
    --------
    >>> counts_text({"sites": 8, "mechanisms": 57, "kinds": 0}, "en")
    '8 sites, 57 mechanisms, 0 kinds'
    >>> counts_text({"sites": 8, "areas": 15}, "zh")
    '示范点 8、行政区域 15'
    """
    if lang == "zh":
        return "、".join(f"{DEFINITIONS[k][0].split('(')[0]} {c[k]}" for k in COUNTED if k in c)
    return ", ".join(f"{c[k]} {k}" for k in COUNTED if k in c)
