"""Tests of govkg.report: the HTML and Markdown reports and the CLI command."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import govkg
from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.report import render_html, report_blocks, write_report

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"


@pytest.fixture(scope="module")
def graph():
    return govkg.build_graph(FIXTURE, sources_dirs=[])


def test_html_self_contained_with_sections(graph, tmp_path):
    [p] = write_report(graph, tmp_path / "report.html", lang="zh")
    h = p.read_text(encoding="utf-8")
    assert h.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in h
    assert not re.search(r'src="(?!data:)', h)  # nothing fetched from elsewhere
    for title in ("共用机制", "示范点相似度", "示范点社群", "常同时出现的机制类型", "可借鉴的机制类型", "各示范点成效数据"):
        assert title in h
    assert "运用议事堂处置问题28件。" in h and "28 件" not in h and "28件" in h
    assert "超过 120人" in h


def test_markdown_english_with_figure(graph, tmp_path):
    paths = write_report(graph, tmp_path / "r.md", lang="en")
    assert [q.name for q in paths] == ["r-similarity.png", "r.md"]
    md = paths[1].read_text(encoding="utf-8")
    assert "![Site similarity](r-similarity.png)" in md
    assert "| Deliberation Hall (议事堂) | 2 |" in md
    assert "more than 120 人" in md
    assert paths[0].read_bytes()[:4] == b"\x89PNG"


def test_text_is_escaped():
    h = render_html([("h1", "<script>x</script>"), ("table", ["a"], [["<b>&"]])])
    assert "<script>x" not in h and "&lt;script&gt;" in h and "&lt;b&gt;&amp;" in h


def test_bad_suffix_and_lang(graph, tmp_path):
    with pytest.raises(GovkgError):
        write_report(graph, tmp_path / "r.pdf")
    with pytest.raises(GovkgError):
        report_blocks(graph, "fr")
    assert not (tmp_path / "r.pdf").exists()


def test_cli_report(tmp_path):
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["--data", str(FIXTURE), "report", "-o", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and "What each site could adopt" in out.read_text(encoding="utf-8")
