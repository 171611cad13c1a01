"""Site similarity, defined once: a weighted Jaccard index over a site's kinds closed under broader kinds, weighted by rarity."""

from __future__ import annotations

from ..errors import GovkgError
from .index import entry, site_index
from .matching import find_site

__all__ = ["BY", "WEIGHTS", "METRICS", "FORMULA", "SHORT", "features", "feature_weights", "similarity_scores", "similar_to",
           "similarity_matrix"]

#: What a site's features are: ``"kinds"`` (default) or ``"mechanisms"``.
BY = ("kinds", "mechanisms")
#: How features are weighted: ``"idf"`` (default) or ``"none"``.
WEIGHTS = ("idf", "none")
#: Set similarities offered (all weighted the same way); ``"jaccard"`` is the default everywhere.
METRICS = ("jaccard", "overlap", "cosine")

#: The definition, as shown by ``govkg similar --help``, the report and the README.
FORMULA = {
    "en": ("similarity(A, B) = Σ w(f) over features shared by A and B / Σ w(f) over features of A or B "
           "(a weighted Jaccard index, 0 to 1). Features (--by kinds, the default): the kinds of a site's "
           "mechanisms closed under broader kinds (a site with a dispute mediation team also has dispute "
           "resolution), so two sites that share any kind score above 0; --by mechanisms: the named mechanisms. "
           "Weight (--weight idf, the default): w(f) = ln((n + 1) / df(f)), n sites, df(f) sites with f: "
           "sharing a broad kind most sites have counts a little, sharing a rare narrow kind a lot; "
           "--weight none: w(f) = 1 (plain Jaccard)."),
    "zh": ("相似度(A, B) = A、B 共有特征的权重之和 ÷ A 或 B 具有的全部特征的权重之和(加权 Jaccard 系数,0 至 1)。"
           "特征(--by kinds,默认):示范点各机制的机制类型连同其全部上位类型(有“矛盾纠纷调解队”的示范点也有"
           "“矛盾纠纷化解”),故共有任一类型的两个示范点相似度大于 0;--by mechanisms:具体机制。"
           "权重(--weight idf,默认):w(f) = ln((n + 1) / df(f)),n 为示范点数,df(f) 为具有该特征的示范点数:"
           "共有多数示范点都有的宽泛类型只加一点,共有少见的具体类型加得多;--weight none:w(f) = 1(普通 Jaccard)。"),
}


#: The definition in one sentence, for a legend (the whole of it is ``FORMULA``).
SHORT = {
    "en": "similarity: a weighted Jaccard index of the two sites' kinds with their broader kinds, each weighted "
          "ln((n + 1) / df), so a rare shared kind counts more (govkg similar --help).",
    "zh": "相似度:两个示范点的机制类型(含上位类型)的加权 Jaccard 系数,每个类型权重 ln((n + 1) / df),"
          "越少见的共同类型权重越高(govkg similar --help)。",
}


def features(graph, by: str = "kinds"):
    """The site × feature 0/1 matrix and its columns: kinds closed under ``skos:broader`` (``by="kinds"``) or named mechanisms.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> X, cols = features(_example_graph())
    >>> X.shape, sorted(str(c).rsplit("/", 1)[1] for c in cols if X[:, cols.index(c)].sum())[:2]
    ((3, 9), ['huzhuyanglao', 'jingxihuaguanli'])
    """
    index = site_index(graph)
    if by == "kinds":
        inc = index.kinds
    elif by == "mechanisms":
        inc = index.mechanisms
    else:
        raise GovkgError(f"by must be one of {', '.join(BY)}, not {by!r}")
    return inc.matrix.tocsr(), list(inc.columns)


def feature_weights(X, weight: str = "idf"):
    """The weight of each column of the 0/1 site × feature matrix ``X``.

    ``"idf"``: ``ln((n + 1) / df)`` (``n`` rows, ``df`` rows with the feature; 0 for an unused
    column): positive even for a feature every row has, so any shared feature counts;
    ``"none"``: 1.

    Examples
    --------
    >>> from scipy import sparse
    >>> feature_weights(sparse.csr_matrix([[1, 1], [1, 0]])).round(3).tolist()
    [0.405, 1.099]
    """
    import numpy as np

    n = X.shape[0]
    df = np.asarray(X.getnnz(axis=0), dtype=float)
    if weight == "none":
        return np.where(df > 0, 1.0, 0.0)
    if weight != "idf":
        raise GovkgError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    with np.errstate(divide="ignore"):
        return np.where(df > 0, np.log((n + 1) / np.maximum(df, 1)), 0.0)


def similarity_scores(X, x, metric: str = "jaccard", w=None):
    """Similarity of every row of 0/1 ``X`` with the dense 0/1 vector ``x``: (scores, intersections).

    ``w`` weighs the columns (default 1 each); the intersection returned is a count of
    shared columns, unweighted.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> s, inter = similarity_scores(sparse.csr_matrix([[1, 1, 0], [0, 1, 1]]), np.array([1.0, 1.0, 1.0]), "jaccard")
    >>> s.round(3).tolist(), inter.tolist()
    ([0.667, 0.667], [2.0, 2.0])
    """
    import numpy as np

    X = X.tocsr()
    w = np.ones(X.shape[1]) if w is None else np.asarray(w, dtype=float)
    count = np.asarray(X @ x).ravel().astype(float)
    inter = np.asarray(X @ (x * w)).ravel().astype(float)
    sizes = np.asarray(X @ w).ravel().astype(float)
    own = float(x @ w)
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "jaccard":
            s = inter / (sizes + own - inter)
        elif metric == "overlap":
            s = inter / np.minimum(sizes, own)
        elif metric == "cosine":
            s = inter / np.sqrt(sizes * own)
        else:
            raise GovkgError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    return np.nan_to_num(s), count


def similar_to(graph, site, k: int = 10, *, metric: str = "jaccard", by: str = "kinds", weight: str = "idf") -> list[dict]:
    """The ``k`` sites most similar to ``site`` (similarity > 0), best first (see ``FORMULA``).

    One sparse matrix–vector product: no loop over sites. Ties keep IRI order and a tie
    at the ``k``-th place is cut there (``tied`` tells which scores are shared).

    Returns
    -------
    list of dict
        ``{"iri", "label", "similarity", "shared", "tied"}``: ``shared`` is the number of
        common features; ``tied`` is true when another listed site has the same score.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> [(d["label"]["zh"], d["similarity"], d["shared"]) for d in similar_to(_example_graph(), "甲社区", weight="none")]
    [('乙村', 0.8571, 6), ('丙社区', 0.25, 2)]
    """
    import numpy as np

    index = site_index(graph)
    i = index.row[find_site(index, site)]
    X, _ = features(index, by)
    w = feature_weights(X, weight)
    x = np.zeros(X.shape[1])
    x[X.indices[X.indptr[i]:X.indptr[i + 1]]] = 1.0
    s, inter = similarity_scores(X, x, metric, w)
    s = np.round(s, 4)
    s[i] = -1.0
    cand = np.nonzero(s > 0)[0]
    if len(cand) > k:
        cand = cand[np.argpartition(-s[cand], k - 1)[:k]]
        kth = s[cand].min()
        cand = np.nonzero(s >= kth)[0]  # keep ties, then cut after sorting by IRI
    order = sorted(cand.tolist(), key=lambda r: (-s[r], str(index.sites[r])))[:k]
    scores = [float(s[r]) for r in order]
    return [entry(index, index.sites[r], similarity=float(s[r]), shared=int(inter[r]), tied=scores.count(float(s[r])) > 1)
            for r in order]


def similarity_matrix(graph, *, metric: str = "jaccard", by: str = "kinds", weight: str = "idf"):
    """The site × site similarity (see ``FORMULA``) as ``(sites, numpy array)``.

    Dense (n × n): meant for figures and reports of up to a few thousand sites; the
    diagonal is 1 for sites with any feature.

    Examples
    --------
    >>> from govkg.analysis import _example_graph
    >>> sites, S = similarity_matrix(_example_graph())
    >>> S.shape == (len(sites), len(sites)) and bool((S == S.T).all())
    True
    """
    import numpy as np

    index = site_index(graph)
    X, _ = features(index, by)
    X = X.astype(float)
    w = feature_weights(X, weight)
    inter = (X.multiply(w[None, :]).tocsr() @ X.T).toarray()
    sizes = np.diag(inter).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "jaccard":
            S = inter / (sizes[:, None] + sizes[None, :] - inter)
        elif metric == "overlap":
            S = inter / np.minimum(sizes[:, None], sizes[None, :])
        elif metric == "cosine":
            S = inter / np.sqrt(sizes[:, None] * sizes[None, :])
        else:
            raise GovkgError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    return list(index.sites), np.nan_to_num(S)
