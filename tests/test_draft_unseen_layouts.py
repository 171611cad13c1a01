"""`govkg draft` on layouts the devset lacks (issue 18 follow-up): short invented reports, drafted through the CLI.

The texts below are invented for these tests (no real report is copied): one site with no
heading, a numbered list of sites, Chinese written with ASCII punctuation, full-width digits,
and figures in 万/亿 (and 兆瓦) with 余/约/近.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import yaml
from click.testing import CliRunner

from govkg.cli import cli
from govkg.draft.sentences import split_sentences
from govkg.numbers import number_values

TEXTS = {
    "one-site-no-heading": (
        "青禾社区把楼道议事搬到了居民家门口。今年以来，青禾社区组建“银发巡逻队”，每周巡查两次，累计排查隐患30余处。"
        "社区还推行“楼长制”，由12名楼长收集居民诉求，办结率达到98%。\n"),
    "numbered-list": (
        "幸福街道四个社区的基层治理做法如下：\n"
        "1. 东湖社区：推行“红色议事会”机制，全年召开议事会24场，解决停车难等问题15件。\n"
        "2. 西山社区：组建“夕阳红”志愿服务队，队员约80名，服务老人1200余人次。\n"
        "3. 南岭村：设立“村民说事日”，收集意见近百条。\n"),
    "ascii-punctuation": (
        "近日,记者走进柳岸社区.该社区依托\"邻里中心\"平台,推行「楼栋吹哨」机制,开展活动40场(其中亲子活动12场);"
        "居民满意度提升至96%!社区书记说:我们还要再加把劲?\n"),
    "full-width-digits": (
        "石桥村位于红河镇东部，全村共３２０户、１２６０人。村党支部建立“积分银行”制度，参与农户达到２１５户，占比超过６７％。\n"),
    "wan-yi-zhao": (
        "清江县推进乡村治理，全县总投资约1.2亿元，带动近3万人就业，惠及2万余人次，光伏装机2兆瓦。"
        "县里的桃源村新建文化广场约1500平方米，投入资金50万元至60万元。\n"),
}


def _walk(node, out):
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            _walk(v, out)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out)
    return out


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """Each text drafted with `govkg draft` (the CLI), as {name: (text, [every mapping of the YAML])}."""
    root = tmp_path_factory.mktemp("unseen")
    out = {}
    for name, text in TEXTS.items():
        report = root / f"{name}.txt"
        report.write_text(text, encoding="utf-8")
        r = CliRunner().invoke(cli, ["draft", str(report), "-o", str(root / name), "--title", "示例/Example"])
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        maps = []
        for p in sorted((root / name).rglob("*.yaml")):
            _walk(yaml.safe_load(p.read_text(encoding="utf-8")), maps)
        out[name] = (text, maps, root / name)
    return out


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_evidence_is_a_whole_sentence(drafted, name):
    text, maps, _ = drafted[name]
    sentences = {s.text for s in split_sentences(text)}
    evidence = [e for m in maps for e in ([m["evidence"]] if isinstance(m.get("evidence"), str) else m.get("evidence") or [])]
    assert evidence
    assert all(e in sentences for e in evidence), [e for e in evidence if e not in sentences]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_number_is_written_in_its_sentence(drafted, name):
    _, maps, _ = drafted[name]
    outcomes = [m for m in maps if isinstance(m.get("value"), (int, float)) and not isinstance(m.get("value"), bool)]
    assert outcomes
    for o in outcomes:
        written = set(number_values(o["evidence"]))
        assert Decimal(str(o["value"])) in written, (o["value"], o["evidence"])
        if "value_max" in o:
            assert Decimal(str(o["value_max"])) in written


def _sites(maps):
    return {m["zh"]: m for m in maps if m.get("type") in ("community", "village") and "zh" in m}


def _outcomes(maps):
    return {(m["value"], m["unit"], m.get("comparator", "exactly")) for m in maps if "unit" in m and "value" in m}


def test_one_site_without_heading(drafted):
    _, maps, _ = drafted["one-site-no-heading"]
    assert set(_sites(maps)) == {"青禾社区"}
    assert {(30, "chu", "more-than"), (12, "ming", "exactly"), (98, "baifenbi", "exactly")} <= _outcomes(maps)


def test_numbered_list_of_sites(drafted):
    """Each item of the list is a site (南岭村 is named once, as the head of the third item)."""
    _, maps, _ = drafted["numbered-list"]
    assert set(_sites(maps)) == {"东湖社区", "西山社区", "南岭村"}
    assert {(1200, "renci", "more-than"), (80, "ming", "approximately"), (100, "tiao", "approximately")} <= _outcomes(maps)
    # the item marks 1. 2. 3. are not counts
    assert not any(m.get("value") in (1, 2, 3) for m in maps if "unit" in m)


def test_ascii_punctuation(drafted):
    """The site's name starts after the verb before it (记者走进柳岸社区 → 柳岸社区); "…" and 「…」 are quotes."""
    _, maps, _ = drafted["ascii-punctuation"]
    assert set(_sites(maps)) == {"柳岸社区"}
    # ASCII and corner quotes mark names as “” do; the labels keep the report's own marks
    assert {'"邻里中心"平台', "「楼栋吹哨」机制"} <= {m.get("zh") for m in maps}
    assert {(40, "chang", "exactly"), (12, "chang", "exactly"), (96, "baifenbi", "exactly")} <= _outcomes(maps)


def test_full_width_digits_and_percent(drafted):
    _, maps, _ = drafted["full-width-digits"]
    assert set(_sites(maps)) == {"石桥村"}
    assert {(320, "hu", "exactly"), (1260, "ren", "exactly"), (215, "hu", "exactly"),
            (67, "baifenbi", "more-than")} <= _outcomes(maps)
    # labels keep the report's own characters
    assert any("６７％" in m.get("zh", "") for m in maps if m.get("unit") == "baifenbi")


def test_wan_yi_with_approximate_and_more_than(drafted):
    _, maps, _ = drafted["wan-yi-zhao"]
    got = _outcomes(maps)
    assert {(1.2, "yiyuan", "approximately"), (3, "wanren", "approximately"), (20000, "renci", "more-than"),
            (1500, "pingfangmi", "approximately")} <= got
    (rng,) = [m for m in maps if m.get("comparator") == "range"]
    assert (rng["value"], rng["value_max"], rng["unit"]) == (50, 60, "wanyuan")
    # 2兆瓦: no unit of the ontology, so it is left out rather than read as something else
    assert not any(m.get("value") == 2 for m in maps if "unit" in m)


@pytest.mark.parametrize("name", ["numbered-list", "full-width-digits"])
def test_drafts_build_with_drafts_included(drafted, name, tmp_path):
    _, _, folder = drafted[name]
    r = CliRunner().invoke(cli, ["--data", str(folder), "build", "--include-drafts", "--no-dumps", "-o", str(tmp_path / "b")],
                           env={"GOVKG_SOURCES": str(folder.parent)})
    assert r.exit_code == 0, r.output
    assert re.search(r"evidence sentences checked verbatim", r.output)
