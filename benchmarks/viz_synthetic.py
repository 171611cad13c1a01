"""Synthetic view graphs of a chosen size for benchmarking ``govkg.visualize`` (no RDF needed)."""

from __future__ import annotations

import random

import networkx as nx

from govkg.visualize.style import class_names

__all__ = ["synthetic_view"]


def _node(G, nid, cls, zh, en, **extra):
    attrs = dict(cls=cls, label_zh=zh, label_en=en, class_zh=class_names(cls)["zh"],
                 class_en=class_names(cls)["en"], kinds=[], kind_labels=[], districts=[], outcomes=[],
                 evidence=[{"text": f"{zh}的证据句子。", "source": {"zh": "合成报道", "en": "synthetic report"}, "url": ""}],
                 sites=[], n_sites=0, shared=False, details=[])
    attrs.update(extra)
    G.add_node(nid, **attrs)


def synthetic_view(n_nodes: int, *, seed: int = 0) -> nx.DiGraph:
    """A full-view-like graph of about ``n_nodes`` nodes: districts, sites, mechanisms (some shared),
    kinds (two levels), organizations and outcomes, wired like the real data.

    Examples
    --------
    >>> G = synthetic_view(500)
    >>> 480 <= G.number_of_nodes() <= 520
    True
    """
    rnd = random.Random(seed)
    G = nx.DiGraph(view="full")
    n_dist = max(2, n_nodes // 250)
    n_sites = max(4, n_nodes // 25)
    n_top = 10
    n_kinds = max(n_top + 5, min(200, n_nodes // 20))
    rest = n_nodes - n_dist - n_sites - n_kinds
    n_mech = int(rest * 0.4)
    n_org = int(rest * 0.25)
    n_out = rest - n_mech - n_org
    dists = [f"urn:d{i}" for i in range(n_dist)]
    for i, d in enumerate(dists):
        _node(G, d, "area", f"第{i}区", f"District {i}")
    sites = []
    for i in range(n_sites):
        s = f"urn:s{i}"
        d = rnd.choice(dists)
        _node(G, s, "urban-site" if i % 3 else "rural-site", f"示范点{i}社区", f"Site {i}", )
        G.nodes[s]["districts"] = [d]
        G.add_edge(s, d, label_zh="位于", label_en="contained in", weight=1.0, emphasis=False)
        sites.append(s)
    kinds = [f"urn:k{i}" for i in range(n_kinds)]
    for i, k in enumerate(kinds):
        _node(G, k, "kind", f"机制类型{i}", f"kind {i}")
        G.nodes[k]["kinds"] = [k]
        if i >= n_top:
            G.add_edge(k, kinds[i % n_top], label_zh="上位类型", label_en="broader", weight=1.0, emphasis=False)
    mechs = []
    for i in range(n_mech):
        m = f"urn:m{i}"
        shared = rnd.random() < 0.1
        used = rnd.sample(sites, 2 if shared else 1)
        _node(G, m, "mechanism", f"“调解议事”机制{i}", f"mediation mechanism {i}", shared=shared, n_sites=len(used))
        ks = rnd.sample(kinds[n_top:], 2 if rnd.random() < 0.3 else 1)
        G.nodes[m]["kinds"] = ks
        for s in used:
            G.add_edge(m, s, label_zh="应用于", label_en="used at", weight=3.0 if shared else 1.0, emphasis=shared)
        for k in ks:
            G.add_edge(m, k, label_zh="机制类型", label_en="mechanism kind", weight=1.0, emphasis=False)
        mechs.append(m)
    for i in range(n_org):
        o = f"urn:o{i}"
        _node(G, o, "organization", f"组织{i}", f"organization {i}")
        G.add_edge(rnd.choice(mechs), o, label_zh="实施组织", label_en="realized by", weight=1.0, emphasis=False)
    for i in range(n_out):
        x = f"urn:x{i}"
        v = rnd.randint(1, 999)
        _node(G, x, "outcome", f"成效{i}", f"outcome {i}")
        G.nodes[x]["outcomes"] = [{"zh": f"成效{i}:{v}件", "en": f"outcome {i}: {v} cases", "value": str(v), "unit": "件"}]
        G.add_edge(x, rnd.choice(sites), label_zh="所属示范点", label_en="site", weight=1.0, emphasis=False)
        if rnd.random() < 0.3:
            G.add_edge(x, rnd.choice(mechs), label_zh="归因于", label_en="attributed to", weight=1.0, emphasis=False)
    return G
