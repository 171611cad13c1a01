"""The one number reader (govkg.numbers) shared by the compiler and the drafter: values, comparators, level vs change (issue 18)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal

import cn2an
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govkg.compile import number_in
from govkg.draft.numbers import find_amounts
from govkg.draft.vocab import vocabulary
from govkg.numbers import number_values, numerals, parse_numeral


@pytest.mark.parametrize("text, value", [
    ("1260", 1260), ("11.5", Decimal("11.5")), ("十二", 12), ("两", 2), ("一万二千", 12000), ("百", 100),
    ("千", 1000), ("一千二百", 1200), ("两万", 20000), ("三分之一", Decimal("0.3333")), ("半", Decimal("0.5")),
    ("3千", 3000), ("〇", 0),
])
def test_parse_numeral(text, value):
    assert parse_numeral(text) == value


@pytest.mark.parametrize("text", ["", "十十", "社区", "1.2.3", "分之", "百百"])
def test_not_numerals(text):
    assert parse_numeral(text) is None


def amounts(sentence):
    found, skipped = find_amounts(sentence, vocabulary())
    return [(a.value, a.unit, a.comparator) for a in found], {k.text for k in skipped}


@pytest.mark.parametrize("sentence, expected", [
    # the crashes of issue 18, and 一万二千 once read as 2000
    ("近百户居民参与。", [(100, "hu", "approximately")]),
    ("开展活动百余场。", [(100, "chang", "more-than")]),
    ("服务群众千余人次。", [(1000, "renci", "more-than")]),
    ("服务群众一万二千人次。", [(12000, "renci", "exactly")]),
    ("总投资1.2亿元,争取资金5亿元。", [(1.2, "yiyuan", "exactly"), (5, "yiyuan", "exactly")]),
    ("居民约65万元,参与200人左右。", [(65, "wanyuan", "approximately"), (200, "ren", "approximately")]),
    ("不足5%的村,不到3个月。", [(5, "baifenbi", "less-than"), (3, "geyue", "less-than")]),
    ("响应时间缩短至2小时内。", [(2, "xiaoshi", "less-than")]),
    ("超过1000辆,突破300名,50人以上。", [(1000, "liang", "more-than"), (300, "ming", "more-than"), (50, "ren", "more-than")]),
    ("石墙高2米—4米,开展7-10场,收入40万元至50万元。",
     [(2, "mi", "range"), (7, "chang", "range"), (40, "wanyuan", "range")]),
    ("捐款2万,用于修路。", [(2, "wanyuan", "exactly")]),
    ("覆盖1.2万户居民。", [(12000, "hu", "exactly")]),
    ("三分之一的村民,半天完成,两周后。", [(0.3333, "bili", "exactly"), (0.5, "tian", "exactly"), (2, "zhou", "exactly")]),
    ("经过一个多月的施工,共有19栋楼、1036户居民。", [(1, "geyue", "more-than"), (19, "dong", "exactly"), (1036, "hu", "exactly")]),
    ("预计共需28万左右。", [(28, "wanyuan", "approximately")]),
])
def test_values_units_and_comparators(sentence, expected):
    assert amounts(sentence)[0] == expected


def test_range_upper_end():
    found, _ = find_amounts("石墙高2米—4米,开展7-10场,收入40万元至50万元。", vocabulary())
    assert [a.value_max for a in found] == [4, 10, 50]
    assert [a.text for a in found] == ["2米—4米", "7-10场", "40万元至50万元"]


@pytest.mark.parametrize("sentence, measure, direction", [
    ("满意度提升至95%。", "level", "increase"),
    ("车位增加至270个。", "level", "increase"),
    ("村集体收入提高到去年的28.8万元。", "level", "increase"),
    ("卫生死角减少了80%。", "change", "decrease"),
    ("发案率下降了28.2%。", "change", "decrease"),
    ("满意度提升了5%。", "change", "increase"),
    ("院子干净整洁加10分。", "change", "increase"),
    ("现有住户1200户。", "level", None),
])
def test_level_versus_change(sentence, measure, direction):
    (a,) = find_amounts(sentence, vocabulary())[0]
    assert (a.measure, a.direction) == (measure, direction)


@pytest.mark.parametrize("sentence", [
    "2024年8月12日上午10时,", "拨打12345热线反映问题。", "家住长宁路2222弄3号楼。", "推行“1+N”模式,打造一站式服务。",
    "落实“三必访”制度。", "2022-2025年规划。", "咨询电话0571-88886666。", "构建四级联动体系。",
    "发布时间:2019-02-25 11:13 浏览:661次", "上午8点43分,到达。", "70周岁以上的老人", "位于草厂四条44号院。",
    "电线绞缠在一起。", "贯彻中央八项规定精神。",
])
def test_not_numbers(sentence):
    assert amounts(sentence)[0] == []


def test_compiler_and_drafter_agree():
    for sentence in ("服务群众一万二千人次。", "近百户居民参与。", "总投资1.2亿元。", "覆盖1.2万户居民。"):
        for a in find_amounts(sentence, vocabulary())[0]:
            assert number_in(a.value, [sentence]), (sentence, a.value)
    assert number_in(12000, ["服务一万二千人次"]) and not number_in(2000, ["服务一万二千人次"])
    assert number_in(100, ["开展活动百余场"]) and number_in(1.2, ["1.2万人"]) and number_in(12000, ["1.2万人"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**12))
def test_chinese_numerals_round_trip(n):
    assert parse_numeral(cn2an.an2cn(n)) == n
    assert parse_numeral(str(n)) == n
    assert Decimal(n) in number_values(f"服务{cn2an.an2cn(n)}人")


_ALPHABET = "〇零一二两三四五六七八九十百千万亿半分之0123456789.%余多近约超过不足到至以上左右内-—~+第年月日号楼弄人户元万元亿元个场次提升增加至下降了，,。“”（）社区村"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_fuzz_never_raises(text):
    for n in numerals(text):
        assert text[n.start:n.end] == n.text and n.value == parse_numeral(n.text)
    number_values(text)
    found, skipped = find_amounts(text, vocabulary())
    for a in found:
        assert text[a.start:a.end] == a.text
        assert number_in(a.value, [text]), (text, a)
        if a.value_max is not None:
            assert a.comparator == "range" and a.value_max > a.value


def test_draft_cli_on_the_crashing_numbers(tmp_path):
    """近百户, 百余场, 千余人次 used to crash `govkg draft` with a traceback; now drafted and built."""
    report = tmp_path / "report.txt"
    report.write_text("甲区乙街道丙社区:\n丙社区组建志愿服务队,近百户居民参与,开展活动百余场,服务群众千余人次,"
                      "一万二千人次受益,满意度提升至95%。\n", encoding="utf-8")
    env = dict(os.environ, GOVKG_SOURCES=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "govkg", "draft", str(report), "-o", str(tmp_path / "d"),
                        "--title", "示例/Example", "--publisher", "某报/Some Daily", "--date", "2024-01-01"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    import yaml

    doc = yaml.safe_load((tmp_path / "d" / "sites" / "bingshequ.yaml").read_text(encoding="utf-8"))
    got = {(o["value"], o["unit"], o.get("comparator", "exactly")) for o in doc["outcomes"]}
    assert {(100, "hu", "approximately"), (100, "chang", "more-than"), (1000, "renci", "more-than"),
            (12000, "renci", "exactly")} <= got
    level = next(o for o in doc["outcomes"] if o["value"] == 95)
    assert (level["measure"], level["direction"]) == ("level", "increase")
    r = subprocess.run([sys.executable, "-m", "govkg", "--data", str(tmp_path / "d"), "build", "--include-drafts",
                        "--no-dumps", "-o", str(tmp_path / "b")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


_REPORT_ALPHABET = _ALPHABET + "区县镇街道居民小区党支部委员会机制模式议事会服务队“”「」:：\n 　·—、的了在是和开展组建成立推行"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_REPORT_ALPHABET, min_size=1, max_size=120))
def test_fuzz_draft_text_never_raises_anything_but_govkg_error(text):
    """No report text makes the drafter fail with anything but a GovkgError (the CLI prints it, no traceback)."""
    from govkg.draft import draft_text
    from govkg.errors import GovkgError

    try:
        d = draft_text(text, source={"id": "fuzz", "zh": "模糊", "en": "Fuzz"})
    except GovkgError:
        return
    for _, _, v in d.entries():
        for ev in [v["evidence"]] if isinstance(v["evidence"], str) else v["evidence"]:
            assert ev in text
        assert not re.search(r"[0-9]", v.get("note", ""))
