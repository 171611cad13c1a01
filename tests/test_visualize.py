"""Tests of govkg.visualize without a browser: view graphs, the HTML string, figures and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.compare import to_isomorphic

import govkg
from govkg.cli import cli
from govkg.errors import GovkgError, NotFoundError
from govkg.namespace import ID
from govkg.visualize import figures, html, views

FIXTURES = Path(__file__).parent / "fixtures" / "viz"
DATA = FIXTURES / "data"
XSS = FIXTURES / "xss"
YEZHIHUI = str(ID["mechanism/yezhihuiyishitang"])
GAOXIN, JIANGYUAN, GUANGYANG = (str(ID[f"site/{s}"]) for s in ("gaoxinshequ", "jiangyuancun", "guangyangshequ"))


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(DATA, sources_dirs=[])


@pytest.fixture(scope="module")
def xss_graph():
    return govkg.build_graph(XSS, sources_dirs=[])


def classes(G):
    out = {}
    for _, d in G.nodes(data=True):
        out[d["cls"]] = out.get(d["cls"], 0) + 1
    return out


# ---------------------------------------------------------------- views

def test_mechanisms_view_has_sites_mechanisms_kinds_only(graph):
    G = views.view_graph(graph, "mechanisms")
    assert set(classes(G)) == {"urban-site", "rural-site", "mechanism", "kind"}
    assert classes(G)["urban-site"] == 2 and classes(G)["rural-site"] == 1
    assert classes(G)["mechanism"] == 5


def test_shared_mechanism_is_one_node_emphasised(graph):
    G = views.view_graph(graph, "mechanisms")
    d = G.nodes[YEZHIHUI]
    assert d["shared"] and d["n_sites"] == 2
    assert {x["zh"] for x in d["sites"]} == {"高新社区", "江源村"}
    assert G.edges[YEZHIHUI, GAOXIN]["emphasis"] and G.edges[YEZHIHUI, JIANGYUAN]["emphasis"]
    single = [n for n, x in G.nodes(data=True) if x["cls"] == "mechanism" and not x["shared"]]
    assert single and all(not G.edges[e]["emphasis"] for n in single for e in G.out_edges(n))


def test_tooltip_fields_are_plain_text_with_units_and_evidence(graph):
    G = views.view_graph(graph, "full")
    site = G.nodes[GAOXIN]
    assert site["label_zh"] == "高新社区" and site["label_en"] == "Gaoxin Community"
    texts = [o["zh"] for o in site["outcomes"]]
    assert "化解率:100%" in texts and "运用议事堂处置问题件数:28件" in texts
    assert {"zh": "所属区:秀英区", "en": "District: Xiuying District"} in site["details"]
    ev = G.nodes[YEZHIHUI]["evidence"]
    assert any("椰智荟" in e["text"] and e["source"]["zh"] == "测试用报道" for e in ev)
    more = [o for o in G.nodes[YEZHIHUI]["outcomes"] if "13" in o["zh"]][0]
    assert more["zh"].endswith("13余个") and "more than 13" in more["en"]  # as govkg.units writes amounts


def test_full_view_has_every_class(graph):
    G = views.view_graph(graph, "full")
    assert set(classes(G)) == {"urban-site", "rural-site", "mechanism", "kind", "organization", "outcome",
                               "area", "event", "response"}
    # the news outlet publishing the source is source metadata, not a partner organization
    assert not any(d["label_zh"] == "测试报" for _, d in G.nodes(data=True))
    rels = {d["label_en"] for *_, d in G.edges(data=True)}
    assert {"used at", "mechanism kind", "realized by", "contained in", "broader"} <= rels


def test_similarity_view_weights_and_labels(graph):
    G = views.view_graph(graph, "similarity")
    assert set(classes(G)) == {"urban-site", "rural-site"}
    e = G.edges[GAOXIN, JIANGYUAN]
    assert e["shared_mechanisms"] == [{"zh": "“椰智荟”议事堂", "en": "Yezhihui Deliberation Hall"}]
    assert e["label_zh"].startswith("相似度 ") and "1 个共用机制" in e["label_zh"]
    assert "1 shared mechanism," in e["label_en"]
    # the weight is the similarity of govkg similar, and the legend gives its definition
    from govkg.analysis import similarity_matrix
    from govkg.analysis.similarity import SHORT

    # a short definition (the formula in full is in govkg similar --help), and what an orange line means
    assert SHORT["en"] in G.graph["edge_legend"]["en"] and SHORT["zh"] in G.graph["edge_legend"]["zh"]
    assert "Orange line: the two sites also run a named mechanism" in G.graph["edge_legend"]["en"]
    assert "橙色连线" in G.graph["edge_legend"]["zh"]

    sites, S = similarity_matrix(graph)
    i, j = sites.index(govkg.ID["site/gaoxinshequ"]), sites.index(govkg.ID["site/jiangyuancun"])
    assert e["weight"] == pytest.approx(S[i, j])
    assert "Jaccard" in G.graph["edge_legend"]["en"] and "3 strongest" in G.graph["edge_legend"]["en"]
    assert G.edges[GAOXIN, JIANGYUAN]["shared_kinds"]  # the shared (most specific) kinds, as the score counts them
    assert "Jaccard" in G.graph["edge_legend"]["zh"]


@pytest.fixture(scope="module")
def real():
    return govkg.build_graph()


def test_similarity_view_keeps_the_top_k_per_site(real):
    from govkg.analysis import similarity_matrix

    sites, S = similarity_matrix(real)
    for k in (1, 2, 3):
        G = views.view_graph(real, "similarity", top_k=k)
        assert G.number_of_nodes() == 8 and G.graph["top_k"] == k
        U = G.to_undirected()
        kth = {}
        for i in range(len(sites)):
            scores = sorted((S[i, j] for j in range(len(sites)) if j != i and S[i, j] > 0), reverse=True)
            kth[str(sites[i])] = scores[min(k, len(scores)) - 1]
            # every site keeps its k best (ties broken by label)
            assert sum(1 for j in U[str(sites[i])] if G.edges[tuple(sorted((str(sites[i]), j)))
                                                           if G.has_edge(*sorted((str(sites[i]), j)))
                                                           else (j, str(sites[i]))]["weight"] >= kth[str(sites[i])] - 1e-12) >= min(k, len(scores))
        # nothing else is drawn: each edge is among the k best of one of its ends
        for a, b, d in G.edges(data=True):
            assert d["weight"] >= min(kth[a], kth[b]) - 1e-12
    assert views.view_graph(real, "similarity").number_of_edges() < 28  # not all pairs
    with pytest.raises(GovkgError):
        views.view_graph(real, "similarity", top_k=0)


def test_focus_keeps_the_neighbourhood(graph):
    G = views.view_graph(graph, "mechanisms", focus="椰智荟", depth=1)
    assert set(G) == {YEZHIHUI, GAOXIN, JIANGYUAN, str(govkg.KIND["yishitangyishihui"])}
    deeper = views.view_graph(graph, "mechanisms", focus="椰智荟", depth=2)
    assert set(G) < set(deeper)
    assert views.view_graph(graph, "mechanisms", focus="Gaoxin Community", depth=0).number_of_nodes() == 1


def test_focus_unknown_name_suggests(graph):
    with pytest.raises(NotFoundError) as exc:
        views.view_graph(graph, "full", focus="Gaoxin Comunity")
    assert "Gaoxin Community" in exc.value.suggestions


def test_focus_prefix_matches(graph):
    G = views.view_graph(graph, "mechanisms", focus="高新")
    assert GAOXIN in G


def test_unknown_view_and_negative_depth(graph):
    with pytest.raises(GovkgError):
        views.view_graph(graph, "everything")
    with pytest.raises(GovkgError):
        views.view_graph(graph, "mechanisms", focus="高新社区", depth=-1)


def test_views_do_not_modify_the_graph(graph):
    before = to_isomorphic(graph)
    for v in views.VIEWS:
        views.view_graph(graph, v)
    assert to_isomorphic(graph) == before


# ---------------------------------------------------------------- html

def test_page_is_self_contained(graph):
    for v in views.VIEWS:
        page = html.render_html(views.view_graph(graph, v), lang="zh")
        assert not re.search(r"(?i)https?://", page)
        assert "bootstrap" not in page.lower()
        assert not re.search(r"(?i)<(script|link|img)[^>]+(src|href)=", page)
        assert "vis.Network" in page and "new vis.DataSet" in page
        assert page.startswith("<!DOCTYPE html>")


def test_config_and_data_are_escaped(xss_graph):
    page = html.render_html(views.view_graph(xss_graph, "full"))
    assert "<img" not in page and "<script>alert" not in page
    assert "</script><script>alert(4)" not in page
    assert "<b onmouseover" not in page
    # the embedded config parses back
    m = re.search(r'<script type="application/json" id="govkg-config">(.*?)</script>', page, re.S)
    cfg = json.loads(m.group(1))
    assert cfg["counts"]["nodes"] > 0


def test_render_does_not_modify_the_view_graph(graph):
    G = views.view_graph(graph, "mechanisms")
    snapshot = nx.node_link_data(G, edges="links")
    html.render_html(G)
    assert nx.node_link_data(G, edges="links") == snapshot


def test_render_rejects_unknown_language(graph):
    with pytest.raises(GovkgError):
        html.render_html(views.view_graph(graph, "similarity"), lang="fr")


def test_script_json_round_trip():
    obj = {"a": "</script>&<b>'\u2028", "u": "https://example.org/x"}
    s = html.script_json(obj)
    assert "</" not in s and "<" not in s and "://" not in s
    assert json.loads(s) == obj


def test_size_warning():
    assert html.size_warnings(html.LARGE_GRAPH, "full") == []
    (w,) = html.size_warnings(html.LARGE_GRAPH + 1, "full")
    assert "--focus" in w and "--view mechanisms" in w
    (w,) = html.size_warnings(html.LARGE_GRAPH + 1, "mechanisms")
    assert "--view mechanisms" not in w


def test_write_viz(graph, tmp_path):
    res = html.write_viz(graph, tmp_path / "sub" / "g.html", view="full", lang="en")
    assert res.path == tmp_path / "sub" / "g.html" and res.path.is_file()
    G = views.view_graph(graph, "full")
    assert (res.nodes, res.edges) == (G.number_of_nodes(), G.number_of_edges())
    assert res.warnings == []
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["g.html"]


# ---------------------------------------------------------------- figures

def test_kind_matrix(graph):
    km = figures.kind_matrix(graph)
    assert [s["zh"] for s in km.site_labels] == ["高新社区", "光阳社区", "江源村"]  # grouped by district
    assert [g["zh"] for g in km.site_groups] == ["秀英区", "美兰区", "美兰区"]
    j = [k["zh"] for k in km.kind_labels].index("议事堂议事会")
    assert [row[j] for row in km.counts] == [1, 0, 1]
    assert km.sites_per_kind[j] == 2
    # kinds are grouped: equal groups are consecutive
    seen, last = set(), None
    for g in (g["zh"] for g in km.kind_groups):
        if g != last:
            assert g not in seen
            seen.add(g)
            last = g


def test_figure_text_has_glyphs_in_the_cjk_font(graph):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    name = figures.cjk_font()
    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    font = FT2Font(path)
    km = figures.kind_matrix(graph)
    text = "".join(x["zh"] for x in km.site_labels + km.kind_labels + km.kind_groups + km.site_groups)
    missing = {c for c in text if not c.isspace() and font.get_char_index(ord(c)) == 0}
    assert not missing, f"no glyph in {name} for {missing}"


def test_figure_png_and_svg(graph, tmp_path):
    png = figures.write_figure(graph, tmp_path / "m.png", dpi=60)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = figures.write_figure(graph, tmp_path / "m.svg")
    assert b"<svg" in svg.read_bytes()[:1000]
    with pytest.raises(GovkgError, match="png or .svg"):
        figures.write_figure(graph, tmp_path / "m.pdf")


def test_no_cjk_font_is_a_clear_error(graph, monkeypatch):
    monkeypatch.setattr(figures, "CJK_FONTS", ("No Such Font CJK",))
    with pytest.raises(GovkgError, match="fonts-noto-cjk"):
        figures.render_figure(graph, "png")


# ---------------------------------------------------------------- CLI

def run(args, tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = runner.invoke(cli, ["--data", str(DATA), "--build-dir", str(tmp_path / "build"), *args])
        left = sorted(p.name for p in Path(cwd).iterdir())
    return result, left


def test_cli_viz_default_path_in_build_dir(tmp_path):
    result, left = run(["viz"], tmp_path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "build" / "govkg-matrix.html"  # the site × kind matrix is the default view
    assert out.is_file() and str(out) in result.output
    assert left == []  # nothing written into the working directory


def test_cli_viz_options(tmp_path):
    result, _ = run(["viz", "-o", str(tmp_path / "s.html"), "--view", "similarity", "--lang", "en"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "3 nodes" in result.output
    result, _ = run(["viz", "-o", str(tmp_path / "s1.html"), "--view", "similarity", "--top-k", "1"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "3 nodes, 2 edges" in result.output
    result, _ = run(["viz", "-o", str(tmp_path / "s0.html"), "--view", "similarity", "--top-k", "0"], tmp_path)
    assert result.exit_code == 2 and "--top-k" in result.output
    result, _ = run(["viz", "-o", str(tmp_path / "f.html"), "--focus", "椰智荟", "--depth", "2"], tmp_path)
    assert result.exit_code == 0, result.output


def test_cli_viz_unknown_focus(tmp_path):
    result, _ = run(["viz", "--focus", "Gaoxin Comunity"], tmp_path)
    assert result.exit_code == 1
    assert "Error: No site, mechanism or kind matches" in result.output and "Gaoxin Community" in result.output


def test_cli_viz_warns_on_large_graph(tmp_path, monkeypatch):
    monkeypatch.setattr(html, "LARGE_GRAPH", 5)
    runner = CliRunner()
    result = runner.invoke(cli, ["--data", str(DATA), "--build-dir", str(tmp_path), "viz", "--view", "full",
                                 "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "--focus" in result.stderr
    assert "warning" not in result.stdout


def test_cli_figure(tmp_path):
    result, left = run(["figure", "-o", str(tmp_path / "fig.svg")], tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fig.svg").is_file() and left == []
    result, _ = run(["figure", "-o", str(tmp_path / "fig.gif")], tmp_path)
    assert result.exit_code == 1 and "Error:" in result.output


# ---------------------------------------------------------------- legibility and provenance (no browser)

@pytest.mark.parametrize("view", views.VIEWS)
def test_fixed_layout_keeps_edges_off_unrelated_nodes_and_labels_apart(real, view):
    """The computed positions of the real data: no edge within a node's disc unless it ends there,
    no two default labels overlap, and no disc covers a default label (estimated boxes; the browser
    test measures the drawn ones)."""
    from govkg.visualize import layout

    G = views.view_graph(real, view)
    groups = html._groups(G) if view == "full" else []
    pos = html.fixed_layout(G, groups)
    attrs = {v: G.nodes[v] for v in G} | {g["id"]: g for g in groups}
    radius = {v: html._size(d, 0, view) for v, d in attrs.items()}
    assert layout.conflicts(pos, G.to_undirected().edges, radius) == []
    labels = {v: html._wider(d) for v, d in attrs.items() if html.default_labelled(d)}
    fonts = {v: html._font(d) * html.GROW for v, d in attrs.items()}  # room for the largest labels
    assert layout.label_overlaps(pos, radius, labels, fonts) == []
    # the layout is deterministic
    assert html.fixed_layout(G, groups) == pos


def test_default_labels_are_sites_groups_and_shared_mechanisms(real):
    G = views.view_graph(real, "mechanisms")
    shown = {n for n, d in G.nodes(data=True) if html.default_labelled(d)}
    assert shown == {n for n, d in G.nodes(data=True) if d["cls"].endswith("site") or d.get("shared")}
    assert len(shown) == 10  # 8 sites and 2 shared mechanisms


def test_long_labels_are_cut_and_kept_whole_for_the_tooltip(real):
    page = html.render_html(views.view_graph(real, "mechanisms"), lang="en")
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    for n in nodes:
        for lg, width in (("zh", 11), ("en", 22)):
            lines = n[f"short_{lg}"].split("\n")
            assert len(lines) <= 2 and all(len(x) <= width + 1 for x in lines), n[f"short_{lg}"]
            full = " ".join(n[f"label_{lg}"].split())
            assert n[f"short_{lg}"].replace("\n", "" if lg == "zh" else " ").rstrip("…") in full
    # sites are drawn last, so their labels lie on top of the others
    classes_in_order = [n["cls"] for n in nodes]
    first_site = min(i for i, c in enumerate(classes_in_order) if c.endswith("site"))
    assert all(c.endswith("site") for c in classes_in_order[first_site:])


def _texts(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _texts(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _texts(v)


@pytest.mark.parametrize("view", views.VIEWS)
def test_no_iri_or_raw_id_in_tooltips_and_panel(real, view):
    """Every text the page shows for a node or an edge (tooltip, details panel, legend, group
    nodes): no IRI and no bare IRI id. (Ids are the DataSet keys only.)"""
    page = html.render_html(views.view_graph(real, view), lang="en")
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    edges = json.loads(re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    cfg = json.loads(re.search(r'id="govkg-config">(.*?)</script>', page, re.S).group(1))
    shown = [{k: v for k, v in n.items() if k not in ("id", "kinds", "districts", "color", "shape")} for n in nodes]
    shown += [{k: v for k, v in e.items() if k not in ("from", "to", "id", "color")} for e in edges]
    shown += [{k: v for k, v in g.items() if k != "id"} for g in cfg["groups"]]
    shown += [{k: v for k, v in x.items() if k != "id"} for x in cfg["kinds"] + cfg["districts"]]
    shown.append(cfg["edgeLegend"] or {})
    ours = (str(govkg.ID), str(govkg.KIND))
    slugs = {str(s).rstrip("/").rsplit("/", 1)[-1] for t in real for s in t
             if isinstance(s, URIRef) and str(s).startswith(ours)}
    slugs = {x for x in slugs if re.fullmatch(r"[a-z0-9-]{4,}", x)}
    assert "gaoxinshequ" in slugs
    texts = list(_texts(shown))
    assert texts
    for t in texts:
        assert "w3id.org" not in t and "urn:" not in t, t
        if t.startswith(("http://", "https://")):
            continue  # a source URL, shown as such
        assert t not in slugs, f"raw id {t!r} shown"
    # and a slug never stands in for a missing label
    for n in nodes:
        assert n["label_en"] not in slugs and n["label_zh"] not in slugs


def test_mechanism_links_say_which_site_each_sentence_is_about(graph):
    G = views.view_graph(graph, "mechanisms")
    links = G.nodes[YEZHIHUI]["links"]
    assert {x["site"]["zh"] for x in links} == {"高新社区", "江源村"}
    single = [d for n, d in G.nodes(data=True) if d["cls"] == "mechanism" and not d["shared"]][0]
    (link,) = single["links"]
    assert link["tied"] and link["evidence"] == single["evidence"] and link["evidence"]
    assert link["evidence"][0]["source"]["zh"] == "测试用报道"
    assert {"text", "source", "date", "url"} <= set(link["evidence"][0])
    # the edge of a use carries its link (shown on hover)
    e = G.edges[YEZHIHUI, GAOXIN]
    assert e["link"]["site"]["zh"] == "高新社区"
    site_links = G.nodes[GAOXIN]["links"]
    assert YEZHIHUI and any(x["mechanism"]["zh"] == "“椰智荟”议事堂" for x in site_links)


def test_full_view_starts_collapsed_by_class(real):
    page = html.render_html(views.view_graph(real, "full"), lang="en")
    cfg = json.loads(re.search(r'id="govkg-config">(.*?)</script>', page, re.S).group(1))
    got = {g["of"]: g["count"] for g in cfg["groups"]}
    G = views.view_graph(real, "full")
    assert got == {c: n for c, n in classes(G).items() if not c.endswith("site")}
    n = classes(G)
    assert {g["label_en"] for g in cfg["groups"]} >= {f"outcomes ({n['outcome']})", f"mechanisms ({n['mechanism']})"}
    assert cfg["fixedLayout"] is True
    # a focused full view is small: not collapsed
    F = views.view_graph(real, "full", focus="椰智荟")
    cfg = json.loads(re.search(r'id="govkg-config">(.*?)</script>', html.render_html(F), re.S).group(1))
    assert cfg["groups"] == []


def test_large_full_view_is_collapsed_and_laid_out_by_the_browser(graph, monkeypatch):
    monkeypatch.setattr(html, "AUTO_FREEZE", 5)
    page = html.render_html(views.view_graph(graph, "full"))
    cfg = json.loads(re.search(r'id="govkg-config">(.*?)</script>', page, re.S).group(1))
    assert cfg["fixedLayout"] is False and cfg["groups"]
    assert all(isinstance(g["x"], float) for g in cfg["groups"])
