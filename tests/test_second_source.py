"""A second report about one site, end to end: an invented test fixture (tests/fixtures/second-source/)
adds facts in files of its own, with one number that conflicts with the first report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from govkg.build import build_graph
from govkg.cli import cli
from govkg.errors import DataError
from govkg.namespace import GK, ID, SCHEMA, SOSA
from govkg.query import run_query
from govkg.validate import validate
from rdflib import RDF, XSD, Literal
from rdflib.namespace import PROV

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "second-source"
FIRST = ID["source/haikou-jicengzhili-shifandian-2024"]
SECOND = ID["source/gaoxin-huifang-2025"]
TIME = "http://www.w3.org/2006/time#"


@pytest.fixture
def two_reports(data_copy, sources_dirs):
    """The bundled data plus the second report's source file and data folder; nothing else changed."""
    before = {p: p.read_bytes() for p in data_copy.rglob("*.yaml")}
    shutil.copy(FIXTURE / "data" / "sources" / "gaoxin-huifang-2025.yaml", data_copy / "sources")
    shutil.copytree(FIXTURE / "data" / "gaoxin-huifang-2025", data_copy / "gaoxin-huifang-2025")
    assert all(p.read_bytes() == b for p, b in before.items())  # the first report's files are untouched
    return data_copy, [FIXTURE / "texts", *sources_dirs]


def test_fixture_text_says_it_is_invented():
    first = (FIXTURE / "texts" / "gaoxin-huifang-2025.zh.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "虚构" in first and "not a real report" in first


@pytest.fixture
def graph2(two_reports):
    data, dirs = two_reports
    return build_graph(data, sources_dirs=dirs)


def test_site_is_described_by_both_reports(graph2, source_text):
    site = ID["site/gaoxinshequ"]
    assert set(graph2.objects(site, PROV.hadPrimarySource)) == {FIRST, SECOND}
    quoted = {graph2.value(ev, PROV.wasQuotedFrom) for ev in graph2.objects(site, GK.evidence)}
    assert quoted == {FIRST, SECOND}
    rows = run_query(graph2, (FIXTURE / "cq" / "sources-of-a-site.rq").read_text(encoding="utf-8")).as_dicts()
    facts = {str(r["source"]): int(str(r["facts"])) for r in rows}
    assert set(facts) == {"全市城乡基层治理现场会议8个示范点观摩报道", "高新社区“椰智荟”议事堂回访(虚构测试报道)"}
    assert facts["高新社区“椰智荟”议事堂回访(虚构测试报道)"] == 1 + 2 + 1 + 1  # site, 2 outcomes, 1 claim, 1 use


def test_second_report_qualifies_the_shared_mechanism_at_the_site(graph2, source_text):
    use = ID["use/gaoxinshequ/yezhihuiyishitang"]
    assert (use, GK.ledBy, ID["org/gaoxinshequdangwei"]) in graph2
    assert str(graph2.value(use, GK.since)) == "2025年3月前"
    assert set(graph2.objects(use, PROV.hadPrimarySource)) == {FIRST, SECOND}
    evidence = {str(e) for e in graph2.objects(use, GK.evidence)}
    # the first report's evidence keeps its IRI; the second report's is its own node
    assert evidence == {str(ID["evidence/mechanism/yezhihuiyishitang/1"]),
                        str(ID["evidence/use/gaoxinshequ/yezhihuiyishitang/1"])}
    assert graph2.value(ID["evidence/use/gaoxinshequ/yezhihuiyishitang/1"], PROV.wasQuotedFrom) == SECOND


def test_conflicting_number_is_kept_twice_and_listed_for_review(graph2, source_text):
    first, second = ID["outcome/gaoxinshequ-cuchenghezuo-cishu"], ID["outcome/gaoxinshequ-cuchenghezuo-cishu-huifang"]
    assert graph2.value(first, SCHEMA.value) == Literal(13, datatype=XSD.integer)
    assert graph2.value(second, SCHEMA.value) == Literal(14, datatype=XSD.integer)
    report = validate(graph2)
    assert report.conforms, str(report)
    assert [(w.rule, w.focus) for w in report.warnings] == [("conflicting-values", str(first))]
    assert "13 here, 14" in report.warnings[0].message and "gaoxin-huifang-2025" in report.warnings[0].message


def test_validate_command_prints_the_conflict_and_succeeds(two_reports, monkeypatch, source_text):
    data, _dirs = two_reports
    monkeypatch.setenv("GOVKG_SOURCES", str(FIXTURE / "texts"))
    r = CliRunner().invoke(cli, ["--data", str(data), "validate"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "warning(s) to review" in r.stdout and "conflicting-values" in r.stdout


def test_periods_are_relative_to_each_reports_date(graph2, source_text):
    from rdflib import URIRef

    begin = URIRef(TIME + "hasBeginning")
    in_date = URIRef(TIME + "inXSDDate")
    new = ID["outcome/gaoxinshequ-yezhihui-wentijianshu-2025"]
    old = ID["outcome/gaoxinshequ-yezhihui-wentijianshu"]
    assert str(graph2.value(graph2.value(graph2.value(new, SOSA.phenomenonTime), begin), in_date)) == "2025-01-01"
    assert str(graph2.value(graph2.value(graph2.value(old, SOSA.phenomenonTime), begin), in_date)) == "2024-01-01"
    interval = graph2.value(new, SOSA.phenomenonTime)
    assert graph2.value(interval, GK.inferred) == Literal(True)
    assert str(graph2.value(SECOND, SCHEMA.datePublished)) == "2025-03-15"
    assert str(graph2.value(SECOND, GK.titleTranslation)).startswith("A return visit")


def test_drafts_are_left_out_unless_asked_for(two_reports, source_text):
    data, dirs = two_reports
    draft = ID["claim/gaoxinshequ-qiyekaifangri"]
    assert (draft, RDF.type, GK.Claim) not in build_graph(data, sources_dirs=dirs)
    g = build_graph(data, sources_dirs=dirs, include_drafts=True)
    assert (draft, GK.curationStatus, GK.Draft) in g
    assert float(g.value(draft, GK.confidence)) == 0.5 and g.value(draft, GK.inferred) == Literal(True)


def test_build_command_include_drafts(two_reports, monkeypatch, tmp_path, source_text):
    data, _dirs = two_reports
    monkeypatch.setenv("GOVKG_SOURCES", str(FIXTURE / "texts"))
    out = tmp_path / "out"
    runner = CliRunner()
    r = runner.invoke(cli, ["--data", str(data), "build", "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "gaoxinshequ-qiyekaifangri" not in (out / "govkg.nt").read_text(encoding="utf-8")
    r = runner.invoke(cli, ["--data", str(data), "build", "-o", str(out), "--include-drafts"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "gaoxinshequ-qiyekaifangri" in (out / "govkg.nt").read_text(encoding="utf-8")


def test_reference_to_a_draft_says_so(two_reports):
    data, dirs = two_reports
    f = data / "gaoxin-huifang-2025" / "gaoxinshequ.yaml"
    text = f.read_text(encoding="utf-8")
    text = text.replace("    type: party-organization\n", "    type: party-organization\n    status: draft\n")
    f.write_text(text, encoding="utf-8")
    line = text[: text.index("    led_by: [gaoxinshequdangwei]")].count("\n") + 1
    with pytest.raises(DataError) as exc_info:
        build_graph(data, sources_dirs=dirs)
    (p,) = exc_info.value.problems
    assert (p.file, p.line, p.field) == ("data/gaoxin-huifang-2025/gaoxinshequ.yaml", line, "led_by")
    assert "is a draft" in p.message and "--include-drafts" in p.message
    build_graph(data, sources_dirs=dirs, include_drafts=True)  # fine with the drafts in
