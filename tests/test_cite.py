"""Issue 20: `govkg cite NODE|SOURCE` as text, BibTeX (parsed back with bibtexparser) and CSL-JSON (read by citeproc-py)."""

from __future__ import annotations

import json

import bibtexparser
import pytest
from click.testing import CliRunner

from govkg.cli import cli

SOURCE = "https://w3id.org/govkg/id/source/haikou-jicengzhili-shifandian-2024"
YEZHIHUI = "https://w3id.org/govkg/id/mechanism/yezhihuiyishitang"


def _run(*args):
    r = CliRunner().invoke(cli, ["cite", *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_text_gives_iri_sentences_report_and_dates():
    out = _run("“椰智荟”议事堂", "--lang", "en")
    assert f"IRI: {YEZHIHUI}" in out
    assert "运用“椰智荟”议事堂发现和处置问题28件" in out  # a whole evidence sentence
    assert "published on or after 2024-11-02" in out and "ISO 8601: 2024-11-02/.." in out
    zh = _run("高新社区")
    assert "发布于 2024-11-02 或之后" in zh and "site/gaoxinshequ" in zh


def test_bibtex_parses_back():
    db = bibtexparser.loads(_run("mechanism/yezhihuiyishitang", "--format", "bibtex"))
    misc, article = db.entries
    assert misc["ENTRYTYPE"] == "misc" and misc["url"] == YEZHIHUI and "28件" in misc["note"]
    assert article["ENTRYTYPE"] == "article" and article["year"] == "2024" and misc["related"] == article["ID"]
    assert "100\\%" in misc["note"]  # BibTeX's comment character escaped


def test_csl_json_is_read_by_citeproc():
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(_run(SOURCE, "--format", "csl-json"))
    assert [i["type"] for i in items] == ["article-newspaper"] and SOURCE in items[0]["note"]
    items = json.loads(_run("高新社区", "--format", "csl-json"))
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)  # the style citeproc-py ships
    bib = CitationStylesBibliography(style, source, formatter.plain)
    bib.register(Citation([CitationItem(i["id"]) for i in items]))
    rendered = [str(x) for x in bib.bibliography()]
    assert len(rendered) == 2 and any("高新社区" in x for x in rendered)


def test_unknown_node_is_a_clear_error():
    r = CliRunner().invoke(cli, ["cite", "高心社区"])
    assert r.exit_code == 1 and "Traceback" not in r.output and "高新社区" in r.output


@pytest.mark.parametrize("name", ["site/gaoxinshequ", "https://w3id.org/govkg/id/site/gaoxinshequ", "Gaoxin Community"])
def test_a_node_by_id_iri_or_label(name):
    assert "https://w3id.org/govkg/id/site/gaoxinshequ" in _run(name)
