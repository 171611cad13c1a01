"""Tests of govkg.visualize without a browser: view graphs, the HTML string, figures and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
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
    assert more["zh"].endswith("超过13个") and "more than 13" in more["en"]


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
    assert e["label_zh"].startswith("1 个机制") and e["weight"] > G.edges[GAOXIN, GUANGYANG]["weight"]


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
    out = tmp_path / "build" / "govkg-mechanisms.html"
    assert out.is_file() and str(out) in result.output
    assert left == []  # nothing written into the working directory


def test_cli_viz_options(tmp_path):
    result, _ = run(["viz", "-o", str(tmp_path / "s.html"), "--view", "similarity", "--lang", "en"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "3 nodes" in result.output
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
