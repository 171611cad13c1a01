"""Communities of sites (Louvain on the similarity graph), shown only with their modularity and when it means something."""

from __future__ import annotations

from .centrality import SEED
from .index import entry, site_index

__all__ = ["MIN_MODULARITY", "MIN_SITES", "communities"]

#: Below this modularity a partition is not reported as structure (Newman & Girvan's rule of thumb: 0.3).
MIN_MODULARITY = 0.3
#: Below this number of sites communities are not reported: too few cases for groups to mean anything.
MIN_SITES = 20


def communities(graph, *, resolution: float = 1.0, seed: int = SEED, min_modularity: float = MIN_MODULARITY,
                min_sites: int = MIN_SITES, **similarity) -> dict:
    """Communities of sites: Louvain (``networkx.community.louvain_communities``, fixed ``seed``)
    on the site graph weighted by similarity (``govkg.analysis.similarity.FORMULA``;
    ``similarity`` passes ``by``/``weight``), with the partition's modularity.

    Modularity (−0.5 to 1) measures how much more the sites inside the groups resemble each
    other than a random graph with the same degrees would; near 0 there is no structure.
    ``meaningful`` is false — and the groups should not be shown — when there are fewer than
    ``min_sites`` sites or the modularity is below ``min_modularity``; ``reason`` says which.

    Returns
    -------
    dict
        ``{"method", "modularity", "meaningful", "reason": {"zh", "en"} or None,
        "communities": [{"id", "size", "sites": [{"iri", "label"}]}]}`` (largest first).

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> c = communities(_example_graph())
    >>> c["meaningful"], c["reason"]["en"].startswith("Not shown: 3 sites")
    (False, True)
    """
    import networkx as nx
    import numpy as np

    from .similarity import similarity_matrix

    index = site_index(graph)
    sites, S = similarity_matrix(index, **similarity)
    n = len(sites)
    G: nx.Graph = nx.Graph()
    G.add_nodes_from(range(n))
    iu = np.triu_indices(n, k=1)
    G.add_weighted_edges_from((int(a), int(b), float(S[a, b])) for a, b in zip(*iu) if S[a, b] > 0)
    parts = nx.community.louvain_communities(G, weight="weight", resolution=resolution, seed=seed) if n else []
    q = float(nx.community.modularity(G, parts, weight="weight", resolution=resolution)) if G.number_of_edges() else 0.0
    groups = sorted((sorted(c, key=lambda r: str(index.sites[r])) for c in parts),
                    key=lambda c: (-len(c), str(index.sites[c[0]])))
    q = round(q, 4)
    reason = None
    if n < min_sites:
        reason = {"en": f"Not shown: {n} sites are too few for groups of sites to mean anything "
                        f"(at least {min_sites} needed); modularity {q:.3f}.",
                  "zh": f"未列出:{n} 个示范点太少,分组没有意义(至少需要 {min_sites} 个);模块度 {q:.3f}。"}
    elif q < min_modularity:
        reason = {"en": f"Not shown: modularity {q:.3f} is below {min_modularity}: the sites form no distinct groups.",
                  "zh": f"未列出:模块度 {q:.3f} 低于 {min_modularity},示范点之间没有明显的分组。"}
    return {"method": "louvain", "modularity": q, "meaningful": reason is None, "reason": reason,
            "communities": [{"id": k + 1, "size": len(c), "sites": [entry(index, index.sites[r]) for r in c]}
                            for k, c in enumerate(groups)]}
