"""Tests of govkg.report and every human-facing output: no IRI, no raw id, statistics explained, text escaped."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

import govkg
from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.namespace import ID, KIND, UNIT
from govkg.report import md_escape, render_html, render_markdown, report_blocks, write_report

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"
IRI = re.compile(r"https?://w3id\.org/govkg/|https?://\S+/id/")


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURE, sources_dirs=[])


def raw_ids(graph) -> set:
    """The ids (IRI last segments) of our entities: none may show in text meant for readers."""
    ours = (str(ID), str(KIND), str(UNIT))
    ids = set()
    for t in set(graph.subjects()) | set(graph.objects()):
        if isinstance(t, URIRef) and str(t).startswith(ours):
            slug = str(t).rstrip("/").rsplit("/", 1)[-1]
            if len(slug) >= 4 and "-" in slug or len(slug) >= 6:  # short slugs (ge, ren, hu) are English/pinyin words
                ids.add(slug)
    return ids


def assert_readable(text: str, ids: set, where: str):
    m = IRI.search(text)
    assert m is None, f"{where}: IRI {text[max(0, m.start() - 60):m.end() + 40]!r}"
    words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9-]*", text))
    leaked = sorted(words & ids)
    assert not leaked, f"{where}: raw ids {leaked[:5]}"


def test_no_iri_or_raw_id_in_any_human_facing_output(tmp_path, data_copy):
    real = govkg.build_graph()
    ids = raw_ids(real)
    assert {"gaoxinshequ", "yishitangyishihui"} <= ids
    for lang in ("zh", "en"):
        for suffix in ("html", "md"):
            paths = write_report(real, tmp_path / f"r-{lang}.{suffix}", lang=lang)
            assert_readable(paths[-1].read_text(encoding="utf-8"), ids, f"report {lang} {suffix}")
    r = CliRunner()
    commands = [["shared"], ["shared", "议事堂"], ["shared", "mediation", "--kind"], ["similar", "高新社区"],
                ["similar", "Guangyang Community"], ["analyze"], ["analyze", "--lang", "en"], ["suggest", "高新社区"],
                ["suggest", "Gaoxin Community"], ["outcomes"], ["outcomes", "--lang", "en"], ["outcomes", "--site", "江源村"]]
    for args in commands:
        res = r.invoke(cli, ["--data", str(data_copy), *args])
        assert res.exit_code == 0, (args, res.output)
        assert_readable(res.stdout, ids, " ".join(args))
        assert "Warning" not in res.stderr and "does not look like a valid URI" not in res.output


def test_outcome_tables_say_what_is_measured(graph, tmp_path):
    [p] = write_report(graph, tmp_path / "report.html", lang="zh")
    h = p.read_text(encoding="utf-8")
    # site profiles: the outcomes of each practice in one row, the sentences folded beside them
    assert "处置问题件数：28件" in h and "运用议事堂处置问题28件。" in h
    assert "120余人" in h  # the report's own way of writing "more than 120"
    md = write_report(graph, tmp_path / "r.md", lang="en")[-1].read_text(encoding="utf-8")
    assert "| Deliberation Hall | issues handled: 28 cases |" in md
    assert "more than 120 people" in md


def test_html_self_contained_with_sections(graph, tmp_path):
    [p] = write_report(graph, tmp_path / "report.html", lang="zh")
    h = p.read_text(encoding="utf-8")
    assert h.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in h
    assert not re.search(r'src="(?!data:)', h)  # nothing fetched from elsewhere
    for title in ("这些数据能说明什么、不能说明什么", "共用机制", "示范点相似度", "示范点分组", "常同时出现的机制类型",
                  "与之相似的示范点还在使用", "示范点概况", "目录"):
        assert title in h


def test_statistics_come_with_their_meaning(tmp_path):
    real = govkg.build_graph()
    md = write_report(real, tmp_path / "r.md", lang="en")[-1].read_text(encoding="utf-8")
    assert "What this data can and cannot tell you" in md and "8 demonstration sites" in md
    # communities left out with the reason and the modularity
    assert re.search(r"Not shown: 8 sites are too few .* modularity 0\.\d{3}", md)
    assert "Group 1" not in md
    # every statistic section says what it measures and when it means nothing
    assert md.count("What it measures: ") >= 6 and md.count("When it means nothing: ") >= 6
    # the similarity is defined in the report
    assert "ln((n + 1) / df(f))" in md
    # ties are shown as ties, not as a ranking
    assert re.search(r"\| 1= \| \d+ tied: ", md) or re.search(r"\| \d+= \| \d+ tied: ", md)
    # co-occurrence: lift above chance only, with the number of sites
    lifts = [float(x) for x in re.findall(r"\| \d of 8 \| [\d.]+ \| ([\d.]+) \|", md)]
    assert lifts and all(x > 1 for x in lifts)
    # suggestions explained, phrased as what peers use
    assert "Sites like this one also use" in md and "the summed similarity of all 3" in md
    assert "could adopt" not in md


def test_markdown_english_with_figure(graph, tmp_path):
    paths = write_report(graph, tmp_path / "r.md", lang="en")
    assert [q.name for q in paths] == ["r-similarity.png", "r.md"]
    md = paths[1].read_text(encoding="utf-8")
    assert "![Site similarity](r-similarity.png)" in md
    assert paths[0].read_bytes()[:4] == b"\x89PNG"


def test_markdown_is_escaped():
    evil = "<img src=x onerror=alert(1)>\n# Injected heading\n- item | cell"
    md = render_markdown([("h2", evil), ("p", evil), ("table", ["a"], [[evil]]), ("ul", [evil])])
    assert "<img" not in md and "&lt;img" in md
    assert not re.search(r"^#+ Injected", md, re.M) and not re.search(r"^- item", md, re.M)
    assert "\\|" in md
    assert md_escape("1. first") == "1\\. first" and md_escape("=x").startswith("\\=")


def test_text_is_escaped_in_html():
    h = render_html([("h1", "<script>x</script>"), ("table", ["a"], [["<b>&"]]), ("ul", ["<i>"])])
    assert "<script>x" not in h and "&lt;script&gt;" in h and "&lt;b&gt;&amp;" in h and "&lt;i&gt;" in h


def test_label_from_data_cannot_inject(tmp_path):
    from rdflib import Literal, RDFS

    g = govkg.build_graph(FIXTURE, sources_dirs=[])
    g.remove((ID["site/jia"], RDFS.label, None))
    g.add((ID["site/jia"], RDFS.label, Literal("<script>alert(1)</script>\n# 甲", lang="zh")))
    g.add((ID["site/jia"], RDFS.label, Literal("<b>Jia</b>\n## x", lang="en")))
    md = write_report(g, tmp_path / "r.md", lang="en")[-1].read_text(encoding="utf-8")
    assert "<script>" not in md and "<b>" not in md and not re.search(r"^#+ (甲|x)$", md, re.M)
    h = write_report(g, tmp_path / "r.html", lang="zh")[0].read_text(encoding="utf-8")
    assert "<script>alert" not in h


def test_bad_suffix_and_lang(graph, tmp_path):
    with pytest.raises(GovkgError):
        write_report(graph, tmp_path / "r.pdf")
    with pytest.raises(GovkgError):
        report_blocks(graph, "fr")
    assert not (tmp_path / "r.pdf").exists()


def test_cli_report(tmp_path):
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["--data", str(FIXTURE), "report", "-o", str(out), "--lang", "en", "--weight", "none"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and "Sites like this one also use" in out.read_text(encoding="utf-8")


def test_too_many_sites_for_a_heat_map_say_so_instead_of_drawing(graph, monkeypatch):
    """A site × site heat map has a legible size; above it the report says why there is none (2,000
    synthetic sites asked matplotlib for a canvas larger than the machine's memory: a traceback)."""
    import govkg.visualize.figures as figures
    from govkg.analysis import site_index

    n = len(site_index(graph).sites)
    assert n >= 2
    monkeypatch.setattr(figures, "MAX_HEATMAP_SITES", 1)
    blocks = report_blocks(graph, "en")
    assert not [b for b in blocks if b[0] == "figure"]
    assert any(b[0] == "p" and f"No similarity heat map: one of {n} sites is not legible (at most 1)" in b[1]
               for b in blocks)
    zh = report_blocks(graph, "zh")
    assert any(b[0] == "p" and f"{n} 个示范点的相似度热图无法辨读（最多 1 个）" in b[1] for b in zh)
    with pytest.raises(GovkgError, match=f"a heat map of {n} sites is not legible"):
        figures.similarity_figure([{"label": {"zh": str(i)}} for i in range(n)], [[0.0] * n] * n)
