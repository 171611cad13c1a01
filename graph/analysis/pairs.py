"""What sites share: mechanisms, kinds or organizations used at several sites, and pairs of sites sharing many."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import GovkgError
from .index import entry, incidence_of, site_index
from .matching import find_site

__all__ = ["Pairs", "shared_columns", "sites_sharing", "shared_pairs"]


@dataclass(frozen=True)
class Pairs:
    """Pairs of sites ``(sites[i[n]], sites[j[n]])``, ``i < j``, sharing ``shared[n]`` columns."""

    sites: list
    i: Any  # numpy arrays (numpy's types are not read: the package is not typed here)
    j: Any
    shared: Any

    def __len__(self) -> int:
        return len(self.i)


def shared_columns(graph, level: str = "mechanism", *, min_sites: int = 2) -> list[dict]:
    """Mechanisms (``level="mechanism"``), kinds (``"kind"``, rolled up; ``"specific"``) or
    organizations used at ``min_sites`` or more sites.

    Returns
    -------
    list of dict
        ``{"iri", "label", "site_count", "sites": [{"iri", "label"}]}`` sorted by site
        count (descending), then IRI. Empty when nothing is shared.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> [(d["label"]["en"], d["site_count"]) for d in shared_columns(_example_graph(), "mechanism")]
    [('deliberation hall', 2), ('grid', 2), ('volunteer team', 2)]
    """
    index = site_index(graph)
    inc = incidence_of(index, level)
    csc = index.csc(level)
    counts = csc.getnnz(axis=0)
    out = []
    for j in [int(j) for j in (counts >= min_sites).nonzero()[0]]:
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        out.append(entry(index, inc.columns[j], site_count=int(counts[j]),
                         sites=[entry(index, index.sites[i]) for i in sorted(rows.tolist())]))
    return sorted(out, key=lambda d: (-d["site_count"], d["iri"]))


def sites_sharing(graph, site, level: str = "mechanism") -> list:
    """The IRIs of the other sites that share at least one mechanism (or kind) with ``site``.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> [str(s).rsplit("/", 1)[1] for s in sites_sharing(_example_graph(), "甲社区")]
    ['b']
    """
    import numpy as np

    index = site_index(graph)
    i = index.row[find_site(index, site)]
    m = incidence_of(index, level).matrix
    cols = m.indices[m.indptr[i]:m.indptr[i + 1]]
    csc = index.csc(level)
    rows: Any = np.unique(np.concatenate([csc.indices[csc.indptr[c]:csc.indptr[c + 1]] for c in cols])) if len(cols) else []
    return [index.sites[r] for r in rows if r != i]


def shared_pairs(graph, min_shared: int = 3, level: str = "mechanism", *, block_rows: int | None = None) -> Pairs:
    """All pairs of sites sharing at least ``min_shared`` mechanisms (or kinds, or organizations).

    Computes the upper triangle of B·Bᵀ (B the sparse 0/1 incidence) block by block of
    rows (each block against the sites from its first row on, so only half the product is
    computed), keeping from each block only the entries ≥ ``min_shared``: the full product
    is never held in memory, so time is about that of the bare product and peak memory is
    that of the kept pairs plus one block (``block_rows``, default n/16, at least 256).

    Returns
    -------
    Pairs
        Arrays ``i < j`` and ``shared``, sorted by ``(i, j)``.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> p = shared_pairs(_example_graph(), 3)
    >>> [(str(p.sites[a]).rsplit("/", 1)[1], str(p.sites[b]).rsplit("/", 1)[1], int(c)) for a, b, c in zip(p.i, p.j, p.shared)]
    [('a', 'b', 3)]
    """
    import numpy as np

    index = site_index(graph)
    if min_shared < 1:
        raise GovkgError("min_shared must be at least 1")
    B = incidence_of(index, level).matrix.tocsr()
    n = B.shape[0]
    if block_rows is None:
        block_rows = max(256, -(-n // 16))
    keep_i, keep_j, keep_c = [], [], []
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        # rows start..stop against sites start..n only: the upper triangle, half the work
        C = B[start:stop] @ B[start:].T
        kept = np.flatnonzero(C.data >= min_shared)
        rows = (np.searchsorted(C.indptr, kept, side="right") - 1).astype(np.int32)
        cols = C.indices[kept].astype(np.int32)
        counts = C.data[kept].astype(np.int32)
        del C, kept
        upper = cols > rows  # both block-local: row r is site start + r, column c is site start + c
        keep_i.append(rows[upper] + start)
        keep_j.append(cols[upper] + start)
        keep_c.append(counts[upper])
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, dtype=np.int32))
    i, j, c = cat(keep_i), cat(keep_j), cat(keep_c)
    order = np.lexsort((j, i))
    return Pairs(list(index.sites), i[order], j[order], c[order])
