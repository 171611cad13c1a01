"""Kinds of mechanism found together at more sites than chance would give (lift > 1), with their support."""

from __future__ import annotations

from .index import entry, site_index

__all__ = ["kind_cooccurrence"]


def kind_cooccurrence(graph, *, min_sites: int = 2, min_lift: float = 1.0) -> list[dict]:
    """Pairs of kinds used together at ``min_sites`` or more sites with lift above ``min_lift``.

    Kinds are rolled up along ``skos:broader``; a kind and its own ancestor are not paired
    (the roll-up makes them co-occur trivially). ``sites`` is the number of sites with
    both, out of ``n_sites``; ``support`` = sites with both / all sites; ``lift`` = support
    / (share with a × share with b): above 1 the two are found together more often than if
    they were independent, 1 is chance, below 1 less often (such pairs are left out);
    ``confidence`` = share of the sites with ``a`` that also have ``b`` (``confidence_ba``
    the converse). Lift describes these sites only: on a handful of sites it is not
    evidence of a general pattern.

    Returns
    -------
    list of dict
        ``{"a": {"iri", "label"}, "b": …, "sites", "n_sites", "support", "lift", "confidence",
        "confidence_ba"}`` sorted by lift, number of sites, then IRIs.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> rows = kind_cooccurrence(_example_graph())
    >>> all(r["sites"] >= 2 and r["lift"] > 1 for r in rows), rows[0]["n_sites"]
    (True, 3)
    """
    from scipy import sparse

    index = site_index(graph)
    K = index.kinds.matrix
    n = K.shape[0]
    if n == 0 or K.shape[1] == 0:
        return []
    counts = K.getnnz(axis=0)
    C = sparse.triu(K.T @ K, k=1).tocoo()
    cols = index.kinds.columns
    out = []
    for a, b, c in zip(C.row.tolist(), C.col.tolist(), C.data.tolist()):
        ka, kb = cols[a], cols[b]
        if c < min_sites or ka in index.broader.get(kb, ()) or kb in index.broader.get(ka, ()):
            continue
        pa, pb, pab = counts[a] / n, counts[b] / n, c / n
        lift = pab / (pa * pb)
        if lift <= min_lift + 1e-9:
            continue
        out.append({"a": entry(index, ka), "b": entry(index, kb), "sites": int(c), "n_sites": n,
                    "support": round(pab, 4), "lift": round(lift, 4), "confidence": round(c / counts[a], 4),
                    "confidence_ba": round(c / counts[b], 4)})
    out.sort(key=lambda d: (-d["lift"], -d["sites"], d["a"]["iri"], d["b"]["iri"]))
    return out
