"""Deterministic layouts for the viz pages: sites on a ring grouped by district, the rest between them, edges clear of unrelated nodes."""

from __future__ import annotations

import math
import textwrap
import unicodedata

import networkx as nx

__all__ = ["short_label", "text_width", "label_box", "ring", "ring_without_overlap", "anchored_layout",
           "conflicts", "label_overlaps"]

#: Gap (canvas units) kept between a node's disc and any edge that does not end at it.
MARGIN = 6.0
_DEBUG = False


def short_label(text: str, lang: str, *, width: int | None = None, lines: int = 2) -> str:
    """``text`` cut to at most ``lines`` lines of about ``width`` characters, with "…" when cut.

    English breaks at spaces (22 characters a line by default), Chinese anywhere (11 a line);
    the page shows the full text on hover.

    Examples
    --------
    >>> short_label("Party-building alliance linking social resources with local firms", "en")
    'Party-building\\nalliance linking…'
    >>> short_label("社区居民议事协商与多元共治机制建设", "zh")
    '社区居民议事协商与多元\\n共治机制建设'
    >>> short_label("高新社区", "zh")
    '高新社区'
    """
    text = " ".join(str(text).split())
    if lang == "zh":
        w = width or 11
        parts = [text[i:i + w] for i in range(0, len(text), w)] or [""]
    else:
        w = width or 22
        parts = textwrap.wrap(text, w, break_long_words=True, break_on_hyphens=False) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1].rstrip(" ,;:·-") + "…"
    return "\n".join(parts)


def text_width(text: str, size: float) -> float:
    """A generous estimate of the drawn width of one line of ``text`` at font ``size`` (wide glyphs 1 em,
    others 0.62 em).

    Examples
    --------
    >>> text_width("高新", 10), text_width("ab", 10)
    (20.0, 12.4)
    """
    return sum((1.0 if unicodedata.east_asian_width(c) in "WF" else 0.62) * size for c in text)


def label_box(x: float, y: float, r: float, label: str, size: float) -> tuple[float, float, float, float]:
    """The box ``(x0, y0, x1, y1)`` of a label drawn under a node at ``(x, y)`` of radius ``r`` (as
    vis-network draws the labels of dots, squares, diamonds and triangles), with a little slack.

    Examples
    --------
    >>> label_box(0, 0, 10, "ab", 10)
    (-10.2, 10, 10.2, 30.0)
    """
    lines = label.split("\n") if label else []
    if not lines:
        return (x, y + r, x, y + r)
    w = max(text_width(s, size) for s in lines) + 8
    h = len(lines) * size * 1.4 + 6
    return (x - w / 2, y + r, x + w / 2, y + r + h)


def ring(nodes, radius: float, *, start: float = -math.pi / 2, gaps=()) -> dict:
    """Positions on a circle of ``radius``, clockwise from ``start``; an extra empty slot before each
    index in ``gaps`` (to set groups apart).

    Examples
    --------
    >>> p = ring(["a", "b"], 100)
    >>> [tuple(round(v) for v in p[k]) for k in "ab"]
    [(0, -100), (0, 100)]
    """
    nodes = list(nodes)
    gaps = set(gaps)
    slots = []
    s = 0
    for i in range(len(nodes)):
        if i in gaps and i:
            s += 1
        slots.append(s)
        s += 1
    total = max(s + (1 if gaps else 0), 1)
    out = {}
    for v, k in zip(nodes, slots):
        a = start + 2 * math.pi * k / total
        out[v] = (radius * math.cos(a), radius * math.sin(a))
    return out


def _boxes_overlap(a, b, pad: float = 2.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def label_overlaps(pos: dict, radius: dict, labels: dict, sizes: dict) -> list[tuple]:
    """Pairs of labelled nodes whose label boxes overlap, and (labelled node, other node) pairs whose
    disc covers the label.

    Examples
    --------
    >>> label_overlaps({"a": (0, 0), "b": (5, 0)}, {"a": 5, "b": 5}, {"a": "x", "b": "y"}, {"a": 10, "b": 10})
    [('a', 'b'), ('a', 'b'), ('b', 'a')]
    """
    out = []
    named = [v for v in pos if labels.get(v)]
    boxes = {v: label_box(pos[v][0], pos[v][1], radius[v], labels[v], sizes[v]) for v in named}
    for i, a in enumerate(named):
        for b in named[i + 1:]:
            if _boxes_overlap(boxes[a], boxes[b]):
                out.append((a, b))
    for a in named:
        x0, y0, x1, y1 = boxes[a]
        for v, (x, y) in pos.items():
            if v == a:
                continue
            cx, cy = min(max(x, x0), x1), min(max(y, y0), y1)
            if math.hypot(x - cx, y - cy) < radius[v] + 1:
                out.append((a, v))
    return out


def ring_without_overlap(nodes, radius: dict, labels: dict, sizes: dict, *, start_radius: float, gaps=()) -> dict:
    """``ring`` with the smallest radius from ``start_radius`` up (10 % steps) at which no two labels
    and no label and disc overlap.

    Examples
    --------
    >>> p = ring_without_overlap("abcdef", dict.fromkeys("abcdef", 10), dict.fromkeys("abcdef", "a long label"),
    ...                          dict.fromkeys("abcdef", 20), start_radius=10)
    >>> label_overlaps(p, dict.fromkeys("abcdef", 10), dict.fromkeys("abcdef", "a long label"), dict.fromkeys("abcdef", 20))
    []
    """
    R = start_radius
    for _ in range(60):
        pos = ring(nodes, R, gaps=gaps)
        if not label_overlaps(pos, radius, labels, sizes):
            return pos
        R *= 1.1
    return pos


def conflicts(pos: dict, edges, radius: dict, margin: float = 0.0) -> list[tuple]:
    """``(u, v, w)`` for every straight edge ``u–v`` that passes within ``radius[w] + margin`` of the
    centre of a node ``w`` other than ``u`` and ``v``.

    Examples
    --------
    >>> conflicts({"a": (0, 0), "b": (10, 0), "c": (5, 1)}, [("a", "b")], {"a": 1, "b": 1, "c": 2})
    [('a', 'b', 'c')]
    """
    import numpy as np

    nodes = list(pos)
    if not nodes:
        return []
    ix = {v: i for i, v in enumerate(nodes)}
    P = np.array([pos[v] for v in nodes], dtype=float)
    r = np.array([radius[v] for v in nodes], dtype=float) + margin
    E = [(ix[u], ix[v]) for u, v in edges if u in ix and v in ix and u != v]
    if not E:
        return []
    mask, _, _ = _edge_node(P, r, np.array(E))
    return [(nodes[E[e][0]], nodes[E[e][1]], nodes[w]) for e, w in zip(*np.nonzero(mask))]


def _edge_node(P, r, E):
    """Mask (edges × nodes) of nodes within ``r`` of an edge they do not end, and the vector from the
    closest point of the edge to the node (x and y arrays)."""
    import numpy as np

    ax, ay = P[E[:, 0], 0][:, None], P[E[:, 0], 1][:, None]
    abx, aby = P[E[:, 1], 0][:, None] - ax, P[E[:, 1], 1][:, None] - ay
    L2 = np.maximum(abx * abx + aby * aby, 1e-9)
    px, py = P[None, :, 0] - ax, P[None, :, 1] - ay
    t = np.clip((px * abx + py * aby) / L2, 0.0, 1.0)
    dx, dy = px - t * abx, py - t * aby
    mask = dx * dx + dy * dy < (r * r)[None, :]
    rows = np.arange(len(E))
    mask[rows, E[:, 0]] = False
    mask[rows, E[:, 1]] = False
    return mask, dx, dy


def _initial(U: nx.Graph, pinned: dict, spacing: float, seed: int) -> dict:
    """Pinned nodes where they are; every other node near the mean of its placed neighbours (breadth
    first from the pinned ones), pushed a little outward, with a deterministic jitter."""
    import numpy as np

    rnd = np.random.default_rng(seed)
    pos = dict(pinned)
    frontier = list(pinned)
    while len(pos) < U.number_of_nodes():
        if not frontier:
            v = next(v for v in U if v not in pos)
            a = rnd.uniform(0, 2 * math.pi)
            pos[v] = (spacing * 3 * math.cos(a), spacing * 3 * math.sin(a))
            frontier = [v]
        nxt = []
        for u in frontier:
            for v in sorted(U.neighbors(u), key=str):
                if v in pos:
                    continue
                placed = [pos[w] for w in U.neighbors(v) if w in pos]
                x = sum(p[0] for p in placed) / len(placed)
                y = sum(p[1] for p in placed) / len(placed)
                f = 1.15 if len(placed) == 1 else 0.8
                a = rnd.uniform(0, 2 * math.pi)
                pos[v] = (x * f + spacing * math.cos(a), y * f + spacing * math.sin(a))
                nxt.append(v)
        frontier = nxt
    return pos


def anchored_layout(G: nx.Graph, pinned: dict, radius: dict, *, labels: dict | None = None,
                    sizes: dict | None = None, spacing: float = 90.0, iterations: int = 80,
                    seed: int = 7, max_repairs: int = 400) -> dict:
    """Positions of every node of ``G``: ``pinned`` nodes stay put (the sites on their ring), the others
    are placed between the nodes they link to (networkx's Fruchterman–Reingold with the pinned nodes
    fixed), then moved until no straight edge passes within ``MARGIN`` of a node it does not end at, no
    two discs touch and no label box (``labels``: node -> drawn label, ``sizes``: font size) overlaps
    another label or a disc. Deterministic for a given ``seed``; ``G`` is not modified.

    Returns
    -------
    dict
        node -> ``(x, y)`` (rounded to 0.1).

    Examples
    --------
    >>> G = nx.Graph([("s1", "m"), ("s2", "m"), ("s3", "k"), ("m", "k")])
    >>> pos = anchored_layout(G, {"s1": (-300, 0), "s2": (300, 0), "s3": (0, 300)}, dict.fromkeys(G, 10))
    >>> conflicts(pos, G.edges, dict.fromkeys(G, 10), MARGIN - 1)
    []
    """
    import numpy as np

    labels = labels or {}
    sizes = sizes or {}
    # sorted, so that the layout does not depend on the order of sets (hash seeds) in the caller
    U: nx.Graph = nx.Graph()
    U.add_nodes_from(sorted(G, key=str))
    U.add_edges_from(sorted(((u, v, {"weight": d.get("weight", 1.0)}) if str(u) < str(v) else
                             (v, u, {"weight": d.get("weight", 1.0)}) for u, v, d in G.edges(data=True) if u != v),
                            key=lambda e: (str(e[0]), str(e[1]))))
    if U.number_of_nodes() == 0:
        return {}
    free = [v for v in U if v not in pinned]
    init = _initial(U, pinned, spacing, seed)
    if free and pinned:
        pos = nx.spring_layout(U, pos=init, fixed=list(pinned), k=spacing, iterations=iterations, seed=seed)
    elif free:
        pos = nx.spring_layout(U, k=spacing, iterations=iterations, seed=seed, scale=spacing * math.sqrt(len(U)))
    else:
        pos = init
    nodes = list(U)
    ix = {v: i for i, v in enumerate(nodes)}
    P = np.array([pos[v] for v in nodes], dtype=float)
    r = np.array([radius[v] for v in nodes], dtype=float)
    movable = np.array([v not in pinned for v in nodes])
    E = np.array([(ix[u], ix[v]) for u, v in U.edges()], dtype=int).reshape(-1, 2)
    named = [ix[v] for v in nodes if labels.get(v)]
    box_wh = {i: _box_wh(labels[nodes[i]], sizes.get(nodes[i], 14)) for i in named}
    rng = np.random.default_rng(seed)
    eye = np.eye(len(P), dtype=bool)
    either = movable[:, None] | movable[None, :]
    share = np.where(movable[:, None] & movable[None, :], 0.5, 1.0)  # a pinned node does not move: the other goes all the way
    for it in range(max_repairs):
        D = np.zeros_like(P)
        hot = np.zeros(len(P), dtype=bool)
        # discs apart
        diff = P[:, None, :] - P[None, :, :]
        dist = np.sqrt((diff ** 2).sum(2)) + eye
        need = r[:, None] + r[None, :] + 2 * MARGIN
        close = (dist < need) & ~eye & either
        if close.any():
            hot |= close.any(1)
            push = diff / dist[..., None] * ((need - dist) * close * share)[..., None]
            D += push.sum(1)
        # edges clear of unrelated nodes
        if len(E):
            mask, ex, ey = _edge_node(P, r + MARGIN, E)
            mask &= movable[None, :] | movable[E[:, 0]][:, None] | movable[E[:, 1]][:, None]
            if mask.any():
                ei, wi = np.nonzero(mask)
                away = np.stack([ex[ei, wi], ey[ei, wi]], axis=1)
                dd = np.sqrt((away ** 2).sum(1))
                away = np.where(dd[:, None] > 1e-6, away / np.maximum(dd, 1e-6)[:, None], rng.normal(size=away.shape))
                step = away * ((r + MARGIN)[wi] - dd + 2.0)[:, None]
                mw = movable[wi]
                np.add.at(D, wi[mw], step[mw])
                np.add.at(D, E[ei[~mw], 0], -step[~mw])
                np.add.at(D, E[ei[~mw], 1], -step[~mw])
                hot[wi] = True
                hot[E[ei, 0]] = True
                hot[E[ei, 1]] = True
        # labels clear of labels and discs
        for a in named:
            ba = _box_at(P[a], r[a], box_wh[a])
            for b in named:
                if b <= a or not (movable[a] or movable[b]):
                    continue
                bb = _box_at(P[b], r[b], box_wh[b])
                if _boxes_overlap(ba, bb, pad=4):
                    hot[a] = hot[b] = True
                    dx = min(ba[2], bb[2]) - max(ba[0], bb[0]) + 6
                    dy = min(ba[3], bb[3]) - max(ba[1], bb[1]) + 6
                    k = 0 if dx < dy else 1
                    sgn = 1 if P[b, k] >= P[a, k] else -1
                    amount = (dx if k == 0 else dy) * share[a, b]
                    D[b, k] += sgn * amount
                    D[a, k] -= sgn * amount
            cx = np.clip(P[:, 0], ba[0], ba[2])
            cy = np.clip(P[:, 1], ba[1], ba[3])
            hit = np.hypot(P[:, 0] - cx, P[:, 1] - cy) < r + 3
            hit[a] = False
            hit &= movable | movable[a]
            for j in np.nonzero(hit)[0]:
                hot[j] = hot[a] = True
                down = ba[3] + r[j] + 4 - P[j, 1]
                side = (ba[2] + r[j] + 4 - P[j, 0]) if P[j, 0] >= P[a, 0] else (ba[0] - r[j] - 4 - P[j, 0])
                if movable[j]:
                    if abs(side) < abs(down):
                        D[j, 0] += side
                    else:
                        D[j, 1] += down
                else:
                    D[a, 0] -= side
        n_conf = int(hot.sum())
        if _DEBUG:
            print("repair", it, n_conf)
        if n_conf == 0:
            break
        D[~movable] = 0
        # no long jumps (they start new conflicts), and a shake for nodes stuck in a conflict
        norm = np.sqrt((D ** 2).sum(1))
        D *= np.minimum(1.0, 40.0 / np.maximum(norm, 1e-9))[:, None]
        if it >= 30 and it % 10 == 0:
            D[hot & movable] += rng.normal(scale=12.0, size=(int((hot & movable).sum()), 2))
        P += D
    return {v: (round(float(P[i, 0]), 1), round(float(P[i, 1]), 1)) for v, i in ix.items()}


def _box_wh(label: str, size: float) -> tuple[float, float]:
    x0, y0, x1, y1 = label_box(0, 0, 0, label, size)
    return (x1 - x0, y1 - y0)


def _box_at(p, r, wh):
    return (p[0] - wh[0] / 2, p[1] + r, p[0] + wh[0] / 2, p[1] + r + wh[1])
