"""Static figures (matplotlib, Agg): the site × mechanism-kind matrix and the number of sites per kind."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from rdflib.namespace import SKOS

from govkg.args import GraphOrBuild
from govkg.errors import GovkgError
from govkg.namespace import GK

from .views import PLACE_QUERY

__all__ = ["FIGURE_QUERIES", "CJK_FONTS", "KindMatrix", "cjk_font", "kind_matrix", "render_figure", "write_figure", "similarity_figure",
           "MAX_HEATMAP_SITES"]

#: Above this many sites a site × site heat map is not legible (a label row is 0.55 inch; 2,000
#: sites would need a canvas of 1,100 inches a side, more memory than a machine has).
MAX_HEATMAP_SITES = 80

#: CJK fonts tried in this order (Debian's fonts-noto-cjk provides the first).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN", "SimHei", "Microsoft YaHei")
_FORMATS = {".png": "png", ".svg": "svg"}


def cjk_font() -> str:
    """The name of an installed font that has Chinese glyphs.

    Raises
    ------
    GovkgError
        When none of ``CJK_FONTS`` is installed (install the Debian package ``fonts-noto-cjk``).

    Examples
    --------
    >>> cjk_font() in CJK_FONTS
    True
    """
    from govkg.extras import require

    font_manager = require("matplotlib.font_manager", "the figure's CJK font")

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise GovkgError("no CJK font found for the figure's Chinese text; install one, e.g. "
                     "`apt-get install fonts-noto-cjk` (Noto Sans CJK SC)")


@dataclass(frozen=True)
class KindMatrix:
    """Counts of mechanisms per site and kind, with the grouping used to draw them.

    ``counts[i][j]`` is the number of mechanisms of ``sites[i]`` whose kinds (rolled up along
    ``skos:broader``) include ``kinds[j]``; ``site_groups``/``kind_groups`` give each row's district
    and each column's top (broadest) kind, as ``{"zh", "en"}`` labels.
    """

    sites: list
    site_labels: list
    site_groups: list
    kinds: list
    kind_labels: list
    kind_groups: list
    counts: list
    sites_per_kind: list


#: What the figure reads from an opened build's store besides its site index: the places that contain
#: the sites, the kinds given to each mechanism, and every kind's labels and broader kinds.
FIGURE_QUERIES = (PLACE_QUERY, "CONSTRUCT { ?m gk:mechanismKind ?k } WHERE { ?m gk:mechanismKind ?k }",
                  "CONSTRUCT { ?k rdfs:label ?l ; skos:broader ?b } WHERE { ?k a gk:MechanismKind "
                  "OPTIONAL { ?k rdfs:label ?l } OPTIONAL { ?k skos:broader ?b } }")


def kind_matrix(graph: GraphOrBuild) -> KindMatrix:
    """The site × kind matrix of ``graph``: sites grouped by district, kinds by their top kind.

    The columns are the kinds given to some mechanism (and no others); a cell counts the site's
    mechanisms of that kind or of a narrower one. Built from ``govkg.shared.incidence``. ``graph``
    is an rdflib graph or a build opened with ``govkg.open`` (its site index and ``FIGURE_QUERIES``).

    Examples
    --------
    >>> from govkg import build_graph
    >>> km = kind_matrix(build_graph())
    >>> len(km.sites), len(km.counts[0]) == len(km.kinds)
    (8, True)
    """
    import numpy as np
    from scipy import sparse

    from govkg.shared import incidence, labels

    from .views import district_of

    if type(graph).__name__ == "OpenBuild":  # a build opened with govkg.open: its index and what the figure names
        mi = incidence(graph.site_index(), "mechanism")
        graph = graph.construct(*FIGURE_QUERIES)
    else:
        mi = incidence(graph, "mechanism")
    assigned = sorted({k for m in mi.columns for k in graph.objects(m, GK.mechanismKind)})
    closure = {k: set(graph.transitive_objects(k, SKOS.broader)) for k in assigned}

    def top(k):
        chain = [k]
        while True:
            ups = sorted(graph.objects(chain[-1], SKOS.broader))
            if not ups or ups[0] in chain:
                return chain[-1], len(chain) - 1
            chain.append(ups[0])

    col = {k: j for j, k in enumerate(assigned)}
    rows, cols = [], []
    for i, m in enumerate(mi.columns):
        direct = set(graph.objects(m, GK.mechanismKind))
        hit = {k for k in assigned if any(k in closure[d] for d in direct if d in closure)}
        for k in hit:
            rows.append(i)
            cols.append(col[k])
    MK = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(mi.columns), len(assigned)))
    C = (mi.matrix.astype(np.int32) @ MK).toarray()

    # Columns: grouped by top kind (group order by zh label), the top kind first, then by depth and label.
    def kind_key(k):
        t, depth = top(k)
        return (labels(graph, t)["zh"], depth, labels(graph, k)["zh"])

    korder = sorted(range(len(assigned)), key=lambda j: kind_key(assigned[j]))
    dist = [district_of(graph, s) for s in mi.sites]
    dlab = [labels(graph, d) if d is not None else {"zh": "其他", "en": "other"} for d in dist]
    slab = [labels(graph, s) for s in mi.sites]
    sorder = sorted(range(len(mi.sites)), key=lambda i: (dlab[i]["zh"], slab[i]["zh"]))
    C = C[np.ix_(sorder, korder)]
    kinds = [assigned[j] for j in korder]
    return KindMatrix(
        sites=[mi.sites[i] for i in sorder], site_labels=[slab[i] for i in sorder],
        site_groups=[dlab[i] for i in sorder],
        kinds=kinds, kind_labels=[labels(graph, k) for k in kinds],
        kind_groups=[labels(graph, top(k)[0]) for k in kinds],
        counts=C.tolist(), sites_per_kind=[int(x) for x in (C > 0).sum(axis=0)],
    )


def _groups(values: list) -> list[tuple[int, int, dict]]:
    """Runs of equal consecutive values: ``[(start, stop, value)]``."""
    out: list[tuple[int, int, dict]] = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v:
            out[-1] = (out[-1][0], i + 1, v)
        else:
            out.append((i, i + 1, v))
    return out


def render_figure(graph: GraphOrBuild, fmt: str = "png", *, dpi: int = 200) -> bytes:
    """The figure as bytes: the kind × site matrix (kinds grouped by top kind as rows, sites grouped
    by district as columns, cells = number of mechanisms) and, sharing its rows, a bar chart of the
    number of sites using each kind.

    Raises
    ------
    GovkgError
        For a format other than png/svg, a graph with no site or mechanism, or no CJK font.
    """
    from govkg.extras import require

    require("matplotlib", "the figure (govkg figure)")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap

    if fmt not in _FORMATS.values():
        raise GovkgError(f"unknown figure format {fmt!r}; use .png or .svg")
    font = cjk_font()
    km = kind_matrix(graph)
    if not km.sites or not km.kinds:
        raise GovkgError("the graph has no site with a typed mechanism: nothing to draw")
    C = np.array(km.counts).T  # rows: kinds, columns: sites
    n_k, n_s = len(km.kinds), len(km.sites)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"], "font.size": 8, "svg.fonttype": "path",
                         "axes.unicode_minus": False}):
        fig_h = max(5.0, 0.24 * n_k + 3.2)
        fig_w = 14.0
        fig = plt.figure(figsize=(fig_w, fig_h))
        gs = fig.add_gridspec(1, 2, width_ratios=[max(n_s, 4) * 0.8, 3.0], wspace=0.04,
                              left=0.39, right=0.97, top=1 - 2.2 / fig_h, bottom=1.0 / fig_h)
        ax = fig.add_subplot(gs[0, 0])
        bx = fig.add_subplot(gs[0, 1], sharey=ax)
        vmax = max(int(C.max()), 1)
        cmap = ListedColormap(["#f4f4f4"] + [plt.get_cmap("Blues")(0.35 + 0.6 * i / max(vmax - 1, 1)) for i in range(vmax)])
        ax.imshow(C, aspect="auto", cmap=cmap, vmin=-0.5, vmax=vmax + 0.5, interpolation="nearest")
        for i in range(n_k):
            for j in range(n_s):
                if C[i, j]:
                    ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if C[i, j] >= max(2, vmax * 0.6) else "#1a1a1a")
        ax.set_yticks(range(n_k))
        ax.set_yticklabels([f"{k['zh']}  {k['en']}" for k in km.kind_labels], fontsize=7.5)
        ax.set_xticks(range(n_s))
        ax.set_xticklabels([f"{s['zh']}  {s['en']}" for s in km.site_labels], fontsize=7.5,
                           rotation=35, ha="left", rotation_mode="anchor")
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", length=0, pad=2)
        ax.tick_params(axis="y", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        # Kind groups: separators and the top kind's name at the far left.
        for start, stop, g in _groups(km.kind_groups):
            if start:
                ax.axhline(start - 0.5, color="#555555", lw=0.9)
                bx.axhline(start - 0.5, color="#555555", lw=0.9)
            one = stop - start == 1
            ax.annotate(f"{g['zh']}\n{g['en'] if one else textwrap.fill(g['en'], 24)}", xy=(0, (start + stop - 1) / 2),
                        xycoords=("figure fraction", "data"), xytext=(8, 0), textcoords="offset points", ha="left",
                        va="center", fontsize=6.5 if one else 7.5, linespacing=1.0 if one else 1.2,
                        fontweight="bold", color="#333333")
        # Site groups: separators and the district's name above the site names.
        for start, stop, g in _groups(km.site_groups):
            if start:
                ax.axvline(start - 0.5, color="#555555", lw=0.9)
                ax.axvline(start - 0.5, ymin=-0.9 / (fig_h - 3.2), ymax=0, color="#555555", lw=0.9, clip_on=False)
            ax.annotate(f"{g['zh']}\n{textwrap.fill(g['en'], 14)}", xy=((start + stop - 1) / 2, 0),
                        xycoords=("data", "axes fraction"), xytext=(0, -4), textcoords="offset points",
                        ha="center", va="top", fontsize=7,
                        fontweight="bold", color="#333333",
                        annotation_clip=False)
        spk = np.array(km.sites_per_kind)
        bx.barh(range(n_k), spk, color=["#f28e2b" if v >= 2 else "#4e79a7" for v in spk], height=0.7)
        for i, v in enumerate(spk):
            bx.text(v + 0.08, i, str(v), va="center", fontsize=7)
        bx.set_xlim(0, max(n_s, int(spk.max()) + 1))
        bx.xaxis.tick_top()
        bx.set_xlabel("使用该类型的示范点数 / sites using the kind\n(橙色 orange: ≥ 2)", fontsize=8)
        bx.xaxis.set_label_position("top")
        bx.tick_params(axis="y", left=False, labelleft=False)
        bx.spines[["right", "bottom"]].set_visible(False)
        fig.suptitle("示范点 × 治理机制类型(单元格:机制数) / Sites × mechanism kinds (cells: number of mechanisms)",
                     fontsize=10, y=1 - 0.25 / fig_h, x=0.5)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
    return buf.getvalue()


def write_figure(graph: GraphOrBuild, path: str | Path, *, dpi: int = 200) -> Path:
    """Render the figure in the format given by ``path``'s suffix (.png or .svg) and write it atomically.

    Raises
    ------
    GovkgError
        For another suffix, or when no CJK font is installed.
    """
    from govkg.writers import write_atomic

    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise GovkgError(f"cannot tell the figure format from {path.name!r}: use a .png or .svg file name")
    return write_atomic(path, render_figure(graph, fmt, dpi=dpi))


def similarity_figure(sites: list[dict], matrix, lang: str = "zh") -> bytes:
    """A heat map of the site × site similarity (``govkg.analysis.similarity_matrix``) as PNG bytes.

    ``sites`` are ``{"label": {"zh", "en"}}`` entries in the order of ``matrix``; the
    diagonal is left grey. Drawn with matplotlib (Agg) in a CJK font (``cjk_font``, else the
    default sans-serif).

    Examples
    --------
    >>> png = similarity_figure([{"label": {"zh": "甲"}}, {"label": {"zh": "乙"}}], [[1, .5], [.5, 1]])
    >>> png[:4] == b"\\x89PNG"
    True
    """
    n = len(sites)
    if n > MAX_HEATMAP_SITES:
        raise GovkgError(f"a heat map of {n:,} sites is not legible (at most {MAX_HEATMAP_SITES}); "
                         "list each site's nearest sites with 'govkg similar' instead")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    S = np.asarray(matrix, dtype=float)
    other = "en" if lang == "zh" else "zh"
    names = [s.get("label", {}).get(lang) or s.get("label", {}).get(other) or "?" for s in sites]
    try:
        family = [cjk_font()]
    except GovkgError:
        family = ["sans-serif"]
    with plt.rc_context({"font.family": family, "font.sans-serif": [*family, "DejaVu Sans"], "axes.unicode_minus": False}):
        size = max(4.0, 0.55 * n + 2.5)
        fig, ax = plt.subplots(figsize=(size + 1.2, size), dpi=110)
        shown = np.ma.masked_where(np.eye(n, dtype=bool), S) if n else np.ma.zeros((1, 1))
        off = S[~np.eye(n, dtype=bool)] if n > 1 else np.zeros(1)
        vmax = float(off.max()) if off.size and off.max() > 0 else 1.0
        cmap = plt.get_cmap("Blues").with_extremes(bad="#dddddd")
        im = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax)
        ax.set_xticks(range(n), names, rotation=60, ha="right")
        ax.set_yticks(range(n), names)
        if n <= 30:
            for a in range(n):
                for b in range(n):
                    ax.text(b, a, "—" if a == b else f"{S[a, b]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if a != b and S[a, b] > 0.6 * vmax else "black")
        ax.set_title("示范点相似度(加权 Jaccard,对角线略去)" if lang == "zh" else "Site similarity (weighted Jaccard; diagonal omitted)")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()
