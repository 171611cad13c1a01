"""What a researcher gets after the second reading (issue 21 G-2, G-3): `govkg shared` says which
site links rest only on inferences, and `govkg outcomes` has id, subject and measure columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from govkg.cli import cli
from govkg.shared import shared_mechanisms

DATA = Path(__file__).resolve().parent.parent / "data"


def _run(*args):
    r = CliRunner().invoke(cli, ["--data", str(DATA), *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def _kind_sites(result, zh):
    kind = next(k for k in result["kinds"] if k["label"]["zh"] == zh)
    return {s["label"]["zh"]: s["inferred"] for s in kind["sites"]}


def test_shared_kind_marks_the_sites_linked_only_by_inference(graph):
    result = json.loads(_run("shared", "--kind", "--json", "--min-sites", "1"))
    # 角布村's three practices run there by inference (the committee's): their kinds are inferred there
    assert _kind_sites(result, "协商议事")["角布村"] is True
    assert _kind_sites(result, "特色产业") == {"江源村": False, "角布村": True, "文山村": False}
    # the typhoon road clearing is its committee's village groups' (U-1)
    assert _kind_sites(result, "应急响应") == {"昌炳社区": False, "角布村": True, "坡巷社区": False}
    # kinds the report does not state (kind_inferred): 昌炳's formula (K-5), 光阳's livestreaming base (K-3)
    assert _kind_sites(result, "多元共治")["昌炳社区"] is True and _kind_sites(result, "就业服务")["光阳社区"] is True
    # a kind stated by another practice of the same site stays stated (昌炳's 人居环境整治行动)
    assert _kind_sites(result, "环境整治")["昌炳社区"] is False
    # 党建引领 at 角布村 is stated: the alliance's linking of resources is the report's words
    assert _kind_sites(result, "党建引领")["角布村"] is False
    # the same answer from the library, and for a named mechanism
    assert shared_mechanisms(graph, "头雁领航")["mechanisms"][0]["sites"][0]["inferred"] is True
    assert all(s["inferred"] is False for s in shared_mechanisms(graph, "椰智荟")["mechanisms"][0]["sites"])


def test_shared_text_marks_inferred_sites_and_says_what_the_mark_means():
    zh = _run("shared", "--kind")
    assert "角布村(推断)" in zh and "高新社区(推断)" not in zh
    assert zh.rstrip().endswith("(推断的使用、机制或类型)。")
    en = _run("shared", "emergency", "--kind", "--lang", "en")
    assert "Jiaobu Village (inferred)" in en and "Changbing Community (inferred)" not in en
    assert "linked only through the curators' inferences" in en
    stated = _run("shared", "椰智荟")
    assert "(推断)" not in stated


def test_outcomes_table_and_csv_have_subject_and_measure_columns_and_csv_the_id():
    table = _run("outcomes", "--site", "角布村")
    head = [c.strip() for c in table.splitlines()[0].split("|")]
    assert head[:4] == ["site", "subject", "measure", "measure_type"] and "inferred" in head
    assert "id" not in head  # text for readers shows no raw ids (tests/test_report.py)
    row = next(line for line in table.splitlines() if "云蛟村委会抗击台风“摩羯”的村民小组数" in line)
    cells = [c.strip() for c in row.split("|")]
    assert cells[:4] == ["角布村", "云蛟村委会", "云蛟村委会抗击台风“摩羯”的村民小组数", "水平值"]
    marked = next(line for line in table.splitlines() if "云蛟村是红色村" in line)
    assert "| yes " in marked
    rows = list(csv.DictReader(io.StringIO(_run("outcomes", "--site", "角布村", "-f", "csv"))))
    by_id = {r["id"]: r for r in rows}
    assert by_id["outcome/jiaobucun-huaishanxiehui-huiyuan"]["subject"] == "淮山协会"
    assert by_id["outcome/jiaobucun-huaishanxiehui-huiyuan"]["measure"] == "淮山协会会员人数"
    assert by_id["outcome/jiaobucun-huaishanxiehui-huiyuan"]["measure_type"] == "水平值"
    assert by_id["claim/jiaobucun-yunjiao-hongsecun"]["measure_type"] == ""  # a claim: no number
    assert "云蛟村" in by_id["claim/jiaobucun-yunjiao-hongsecun"]["inferred"]  # the reason, in full
    assert by_id["outcome/jiaobucun-huaishanxiehui-huiyuan"]["inferred"] == ""
    fell = list(csv.DictReader(io.StringIO(_run("outcomes", "--site", "高新社区", "-f", "csv", "--lang", "en"))))
    assert {r["measure_type"] for r in fell if r["id"] == "outcome/gaoxinshequ-tousuxiajianglv"} == {"change"}
