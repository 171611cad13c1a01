"""The drafter's rules on invented reports (tests/fixtures/draft/), its YAML output and `govkg draft`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import govkg
from govkg.cli import cli
from govkg.draft import draft_report, draft_text, gazetteer_from_data, write_draft
from govkg.draft.numbers import find_amounts
from govkg.draft.places import find_sections
from govkg.draft.sentences import split_sentences
from govkg.draft.vocab import from_graph, vocabulary
from govkg.errors import GovkgError
from govkg.model import load_data

FIXTURES = Path(__file__).parent / "fixtures" / "draft"
LANHU, HEXI = FIXTURES / "lanhu.txt", FIXTURES / "hexi.txt"
ROOT = Path(__file__).resolve().parent.parent


def amounts(sentence: str):
    found, skipped = find_amounts(sentence, vocabulary())
    return [(a.value, a.unit, a.comparator) for a in found], {s.text: s.reason for s in skipped}


def test_fixtures_are_marked_invented():
    for p in FIXTURES.glob("*.txt"):
        assert "INVENTED TEST FIXTURE" in p.read_text(encoding="utf-8").splitlines()[0]


def test_sentences_split_on_end_marks_and_lines_not_semicolons():
    text = "标题:\n甲做事；乙做事。“丙？”丁！\n"
    assert [s.text for s in split_sentences(text)] == ["标题:", "甲做事；乙做事。", "“丙？”", "丁！"]
    for s in split_sentences(LANHU.read_text(encoding="utf-8")):
        assert LANHU.read_text(encoding="utf-8")[s.start:s.end] == s.text


@pytest.mark.parametrize("sentence, found, reasons", [
    ("社区组建一支志愿服务队,动员一家物业公司和一位老党员参与治理。", [], {"一支", "一家"}),
    ("清泉社区建于上世纪60年代,现有住户1200户。", [(1200, "hu", "exactly")], {"60年代"}),
    ("2023年5月8日,观摩了3个示范点。", [(3, "ge", "exactly")], {"2023年", "5月", "8日"}),
    ("咨询电话0571-88886666。", [], {"0571", "88886666"}),
    ("推行“1+N”网格包联。", [], {"1"}),
    ("吸纳社员二十余户,种植面积超过800亩,参与村民近900人,成交约35.5万元。",
     [(20, "hu", "more-than"), (800, "mu", "more-than"), (900, "ren", "approximately"), (35.5, "wanyuan", "approximately")],
     set()),
    ("年产值约1.2亿元,年运量1.2亿吨。", [(1.2, "yiyuan", "approximately")], {"1.2亿"}),
    ("服务50多场,年均调解纠纷十二件。", [(50, "chang", "more-than"), (12, "jian", "exactly")], set()),
    ("成为全镇第一个完成的村,打通服务“最后一公里”。", [], {"第一个", "一"}),
])
def test_numbers_and_the_stop_list(sentence, found, reasons):
    got, skipped = amounts(sentence)
    assert got == found
    assert reasons <= set(skipped), skipped


def test_skip_reasons_say_why():
    _, skipped = amounts("建于60年代,一支队伍,电话88886666,2023年,年运量1.2亿吨。")
    assert skipped["60年代"].startswith("a decade")
    assert skipped["一支"].startswith("a classifier phrase")
    assert skipped["88886666"].startswith("a phone number")
    assert skipped["2023年"] == "a year"
    assert "亿" in skipped["1.2亿"] and "units.ttl" in skipped["1.2亿"]


def test_direction_period_and_shared_figures():
    found, _ = find_amounts("今年以来,社区信访量下降25%,居民满意度提升12%,实现办结率、满意率100%。", vocabulary())
    fall, rise, *rates = found
    assert (fall.value, fall.measure, fall.direction) == (25, "change", "decrease")
    assert (rise.value, rise.measure, rise.direction) == (12, "change", "increase")
    assert fall.period == ("今年以来", "since the start of this year")
    assert [r.label for r in rates] == ["办结率100%", "满意率100%"]
    found, _ = find_amounts("矛盾纠纷数量较去年同期减少40%。", vocabulary())
    assert found[0].direction == "decrease" and found[0].period is None  # 较去年 is the baseline, not the period


def test_slogans_quoted_are_left_out_unquoted_are_flagged():
    found, skipped = find_amounts("通过“1人+N户”包点形式,发挥“1个党组织+2个群众团体”作用。", vocabulary())
    assert found == [] and [k.text for k in skipped] == ["1人", "1个", "2个"]
    assert all("slogan" in k.reason for k in skipped)
    found, _ = find_amounts("按1人+N户包点管理。", vocabulary())
    assert [(a.value, a.unit) for a in found] == [(1, "ren")]
    assert found[0].confidence <= 0.5 and any("slogan" in n for n in found[0].notes)


def test_sections_sites_and_areas():
    sentences = split_sentences(LANHU.read_text(encoding="utf-8"))
    preamble, sections = find_sections(sentences)
    assert [s.site.zh for s in sections] == ["清泉社区", "柳树村"]
    assert [p.zh for p in sections[0].chain] == ["青山区", "翠竹街道", "清泉社区"]
    assert sections[0].headline.text == "“邻里议事”打通服务最后一环"
    assert any("蓝湖市基层治理推进会" in s.text for s in preamble)


def lanhu_draft():
    return draft_report(LANHU, source_id="lanhu-test", publisher="蓝湖日报/Lanhu Daily")


def test_draft_of_an_invented_report():
    d = lanhu_draft()
    assert list(d.sites) == ["qingquanshequ", "liushucun"]
    assert [(a["zh"], a["type"], a.get("within")) for a in d.areas] == [
        ("青山区", "district", None), ("翠竹街道", "subdistrict", "qingshanqu"), ("白石镇", "town", "qingshanqu")]
    q = d.sites["qingquanshequ"]
    assert q.site["within"] == "cuizhujiedao" and q.site["type"] == "community"
    mechs = {m["zh"]: m for m in q.mechanisms}
    assert "“清泉夜话”议事会" in mechs
    assert "yishitangyishihui" in mechs["“清泉夜话”议事会"]["kinds"]
    assert "kinds proposed from keywords" in mechs["“清泉夜话”议事会"]["note"]
    outs = {o["value"]: o for o in q.outcomes}
    assert outs[45]["mechanism"] == mechs["“清泉夜话”议事会"]["id"]  # 运用“清泉夜话”议事会化解…45件
    assert "mechanism" not in outs[98]  # 化解率98% does not name it
    assert 1 not in outs and 60 not in outs
    orgs = {o["zh"]: o["type"] for s in d.sites.values() for o in s.organizations}
    assert orgs["柳树村党支部"] == "party-organization"
    assert orgs["柳树村果蔬种植专业合作社"] == "association"
    assert not any(name.startswith("一") for name in orgs)
    for _, _, v in d.entries():
        assert v["status"] == "draft" and 0 < v["confidence"] <= 1


def test_every_evidence_is_a_whole_sentence_verbatim():
    for path in (LANHU, HEXI):
        text = path.read_text(encoding="utf-8")
        sentences = {s.text for s in split_sentences(text)}
        d = draft_report(path)
        for _, _, v in d.entries():
            for ev in [v["evidence"]] if isinstance(v["evidence"], str) else v["evidence"]:
                assert ev in sentences and ev in text


def test_teams_in_quotes_and_party_committee():
    d = draft_report(HEXI)
    s = d.sites["mingyueshequ"]
    orgs = {o["zh"]: o["type"] for o in s.organizations}
    assert orgs["“银发先锋”志愿服务队"] == "volunteer-team" and orgs["“小红帽”志愿服务队"] == "volunteer-team"
    assert orgs["明月社区党委"] == "party-organization"
    mechs = [m["zh"] for m in s.mechanisms]
    assert "接诉即办工作机制" in mechs and "居民议事会" in mechs and "社区食堂" in mechs
    assert {(o["value"], o["unit"]) for o in s.outcomes} >= {(3.6, "wanren"), (80, "wanyuan"), (2, "zhi")}


def test_kinds_come_from_the_scheme_labels_and_altlabels():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, RDFS, SKOS

    from govkg.namespace import GK, KIND

    g = Graph()
    k = URIRef(str(KIND["ceshizhonglei"]))
    g.add((k, RDF.type, GK.MechanismKind))
    g.add((k, RDFS.label, Literal("测试种类", lang="zh")))
    g.add((k, SKOS.altLabel, Literal("夜话", lang="zh")))
    v = from_graph(g)
    d = draft_text("甲区乙街道丙社区:\n丙社区创新“清泉夜话”议事会。\n", source={"id": "t"}, vocab=v)
    assert d.sites["bingshequ"].mechanisms[0]["kinds"] == ["ceshizhonglei"]


def test_no_heading_guesses_one_site_and_says_so():
    d = draft_text("丙社区开展活动,服务居民300人。丙社区还组建了巡逻队。\n", source={"id": "t"})
    (site,) = d.sites.values()
    assert site.site["zh"] == "丙社区" and site.site["confidence"] <= 0.5 and "guess" in site.site["note"]


def test_gazetteer_links_curated_names(tmp_path):
    gaz = gazetteer_from_data(ROOT / "data")
    text = "美兰区三江镇江源村:\n江源村党支部还牵头成立“椰智荟”议事堂,组建“和事源”矛盾纠纷调解队。\n"
    d = draft_text(text, source={"id": "t"}, gazetteer=gaz)
    s = d.sites["jiangyuancun"]
    assert s.site["en"] == "Jiangyuan Village" and "linked to curated" in s.site["note"]
    mech = next(m for m in s.mechanisms if m.get("zh") == "“椰智荟”议事堂")
    assert mech["id"] == "yezhihuiyishitang" and mech["kinds"] == ["yishitangyishihui"]
    org = next(o for o in s.organizations if o["zh"] == "江源村党支部")
    known = gaz.find("org", "江源村党支部")
    assert known is not None and org["id"] == known.id and org["en"] == known.en and "linked to curated" in org["note"]
    # the benchmark's gazetteer leaves the Haikou entries out
    haikou = {src.id for src in load_data(ROOT / "data").sources}
    assert len(gazetteer_from_data(ROOT / "data", exclude_sources=haikou)) == 0


def test_written_folder_builds_with_drafts_and_checks_evidence(tmp_path):
    out = tmp_path / "lanhu" / "data"
    written = write_draft(lanhu_draft(), out, text_path=LANHU)
    assert out / "sources" / "lanhu.txt" in written
    ds = load_data(out, include_drafts=True)
    assert {e.section for e in ds.entries} >= {"site", "areas", "organizations", "mechanisms", "outcomes"}
    assert not any(e.values.get("status") == "draft" for e in load_data(out).entries)  # drafts left out by default
    g = govkg.build_graph(out, sources_dirs=[out / "sources"], include_drafts=True)
    assert len(g) > 500


def test_writer_refuses_to_replace(tmp_path):
    out = tmp_path / "data"
    write_draft(lanhu_draft(), out)
    with pytest.raises(GovkgError, match="exists"):
        write_draft(lanhu_draft(), out)
    write_draft(lanhu_draft(), out, force=True)
    fifo = tmp_path / "f" / "sources"
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / "lanhu-test.yaml")
    with pytest.raises(GovkgError, match="not a regular file"):
        write_draft(lanhu_draft(), tmp_path / "f", force=True)


def run(*args, env=None):
    r = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return r


def test_cli_draft_then_build(tmp_path):
    out = tmp_path / "p" / "data"
    r = run("--data", str(ROOT / "data"), "draft", str(LANHU), "-o", str(out), "--source-id", "lanhu-test",
            "--publisher", "蓝湖日报/Lanhu Daily", "--date", "2023-05-09", "--url", "https://example.org/lanhu")
    assert r.exit_code == 0, r.output
    assert "drafted 2 sites, 3 areas" in r.output and "govkg review" in r.output
    src = yaml.safe_load((out / "sources" / "lanhu-test.yaml").read_text(encoding="utf-8"))
    assert src["publisher"] == {"zh": "蓝湖日报", "en": "Lanhu Daily"} and src["file"] == "lanhu.txt"
    b = run("--data", str(out), "build", "--include-drafts")
    assert b.exit_code == 0, b.output
    assert "evidence sentences checked verbatim" in b.output and "warning" not in b.output


@pytest.mark.parametrize("args, message", [
    (["draft", "missing.txt", "-o", "{tmp}/o"], "report not found"),
    (["draft", "{bad}", "-o", "{tmp}/o"], "not UTF-8"),
    (["draft", str(LANHU), "-o", "{tmp}/o", "--source-id", "Bad Id"], "--source-id must be a slug"),
    (["draft", str(LANHU), "-o", "{tmp}/o", "--date", "9 May"], "--date must be an ISO date"),
    (["review", "{tmp}/nowhere"], "not found"),
])
def test_cli_bad_input_is_a_clean_error(tmp_path, args, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    args = [a.format(tmp=tmp_path, bad=bad) for a in args]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output


def test_several_numbers_of_a_clause_get_their_own_labels():
    found, _ = find_amounts("辖内4个村庄、2个产业园、41家企业,合作开展技能培训12期共312人参加。", vocabulary())
    assert [a.label for a in found] == ["辖内4个村庄", "2个产业园", "41家企业", "合作开展技能培训12期", "312人参加"]
    s = "辖内4个村庄、2个产业园、41家企业,合作开展技能培训12期共312人参加。"
    assert all(a.label in s for a in found)  # labels are verbatim parts of the sentence


def test_no_rule_names_a_curated_entity():
    """The drafter's code (rules, examples, comments) never names a site, area, organization or mechanism of
    the curated data: the benchmark on the Haikou report measures rules, not a list of its answers."""
    import re

    labels = set()
    for e in load_data(ROOT / "data").entries:
        if e.is_use or e.section not in ("site", "areas", "organizations", "mechanisms"):
            continue
        zh = e.values["zh"]
        labels.add(re.sub("[“”]", "", zh))
        labels.update(re.findall(r"“([^”]{3,})”", zh))
    labels = {x for x in labels if len(x) >= 3}
    code = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "graph" / "draft").iterdir()
            if p.suffix in (".py", ".js", ".css")}
    found = sorted((name, x) for name, text in code.items() for x in labels if x in text)
    assert found == []


def test_gazetteer_does_not_link_a_same_name_village_of_another_town():
    """Issue 23 (Low): 江源村 of another town is not the curated 江源村 of 三江镇."""
    gaz = gazetteer_from_data(ROOT / "data")
    known = gaz.find("place", "江源村")
    assert known is not None and known.within == "三江镇"
    d = draft_text("某县白沙镇江源村:\n江源村组建巡逻队,服务村民200人。\n", source={"id": "t"}, gazetteer=gaz)
    (sid, sd), = d.sites.items()
    assert sid != known.id and "not linked" in sd.site["note"] and "linked to curated" not in sd.site["note"]
    d = draft_text("美兰区三江镇江源村:\n江源村组建巡逻队,服务村民200人。\n", source={"id": "t"}, gazetteer=gaz)
    assert known.id in d.sites


def test_a_report_without_headings_or_places_above(tmp_path):
    """Issue 18: sites read from running text; a site whose places are not stated keeps 'within' for review."""
    text = ("近日,长宁区程家桥街道南龚居民区召开议事会,近百户居民参加。\n"
            "聚丰苑社区党支部推行“移动哨兵”机制,服务群众千余人次。聚丰苑社区还开展“敲门行动”。\n")
    d = draft_text(text, source={"id": "t"})
    assert set(d.sites) == {"nangongjuminqu", "jufengyuanshequ"}
    assert d.sites["nangongjuminqu"].site["within"] == "chengjiaqiaojiedao"
    assert [a["zh"] for a in d.areas] == ["长宁区", "程家桥街道"]
    far = d.sites["jufengyuanshequ"].site
    assert "within" not in far and "within left for review" in far["note"]
    assert {m["zh"] for m in d.sites["jufengyuanshequ"].mechanisms} >= {"“移动哨兵”机制", "“敲门行动”"}
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    out = tmp_path / "d"
    r = run("draft", str(p), "-o", str(out), "--title", "示例/Example")
    assert r.exit_code == 0, r.output
    assert "the places above 聚丰苑社区: 'within' is left for the review" in r.output
    r = run("--data", str(out), "build", "--include-drafts", "--no-dumps", "-o", str(tmp_path / "b"),
            env={"GOVKG_SOURCES": str(tmp_path)})
    assert r.exit_code == 0, r.output


def test_a_report_naming_no_site_is_drafted_at_its_area():
    text = "崆峒区推行“日报告”“周通报”制度,刑事案件发案率下降了4%。崆峒区组建督导专班。\n"
    d = draft_text(text, source={"id": "t"})
    (sd,) = d.sites.values()
    assert sd.site["zh"] == "崆峒区" and sd.site["type"] == "district" and "names no community or village" in sd.site["note"]
    (o,) = sd.outcomes
    assert (o["value"], o["measure"], o["direction"]) == (4, "change", "decrease")


def test_title_with_control_characters_is_refused(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("甲区乙街道丙社区:\n丙社区服务居民300人。\n", encoding="utf-8")
    for bad in ("标题\x1b[31m", "line\nbreak", "a\u202eb"):
        r = run("draft", str(p), "-o", str(tmp_path / "d"), "--title", bad)
        assert r.exit_code != 0 and "control or invisible character" in r.output and "Traceback" not in r.output


def test_one_long_sentence_is_drafted_in_linear_space(tmp_path):
    """Issue 23 M7: each outcome quotes its whole sentence, so a report of one long sentence of numbers
    used to be copied once per number (108 KB -> 217 MB of YAML). At most MAX_OUTCOMES_PER_SENTENCE
    outcomes are drafted from one sentence; the rest are listed as left out with the reason."""
    from govkg.draft.drafter import MAX_OUTCOMES_PER_SENTENCE

    body = "丙社区" + ",".join(f"开展活动{i}场" for i in range(1, 12000)) + "。"
    p = tmp_path / "long.txt"
    p.write_text("甲区乙街道丙社区:\n" + body + "\n", encoding="utf-8")
    assert p.stat().st_size > 100_000
    out = tmp_path / "d"
    r = run("draft", str(p), "-o", str(out), "--title", "长句/Long sentence")
    assert r.exit_code == 0, r.output
    written = sum(f.stat().st_size for f in out.rglob("*.yaml"))
    assert written <= (MAX_OUTCOMES_PER_SENTENCE + 10) * p.stat().st_size
    d = draft_report(p)
    (sd,) = d.sites.values()
    assert len(sd.outcomes) == MAX_OUTCOMES_PER_SENTENCE
    assert sum("split it into sentences" in k.reason for _, k in d.skipped) == 11999 - MAX_OUTCOMES_PER_SENTENCE
