"""Competency questions: each tests/cq/NN-name.rq asks the bundled graph one question a
researcher would ask of the report; tests/cq/expected.yaml holds the answer read from the report."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml
from govkg.query import run_query

CQ = Path(__file__).resolve().parent / "cq"
QUERIES = sorted(CQ.glob("*.rq"))
EXPECTED = yaml.safe_load((CQ / "expected.yaml").read_text(encoding="utf-8"))


def _value(v):
    """A comparable value: numbers as Decimal (so 11.5 == "11.5", 100 == "100.0"), else the string."""
    s = str(v)
    try:
        return Decimal(s)
    except InvalidOperation:
        return s


def _row(mapping: dict) -> frozenset:
    return frozenset((str(k), _value(v)) for k, v in mapping.items())


@pytest.mark.parametrize("path", QUERIES, ids=[p.name for p in QUERIES])
def test_competency_question(store, path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Q: ") and "\n# 问: " in text, f"{path.name}: first lines must be # Q: … / # 问: …"
    expected = EXPECTED[path.name]
    result = run_query(store, text)
    if "boolean" in expected:
        assert result.boolean is expected["boolean"]
        return
    got = [_row(r) for r in result.as_dicts()]
    want = [_row(r) for r in expected["rows"]]
    if expected.get("ordered"):
        assert got == want
    else:
        assert Counter(got) == Counter(want), (
            f"missing: {sorted(map(sorted, (Counter(want) - Counter(got)).elements()), key=str)}\n"
            f"unexpected: {sorted(map(sorted, (Counter(got) - Counter(want)).elements()), key=str)}"
        )


def test_every_question_has_an_answer_and_vice_versa():
    assert {p.name for p in QUERIES} == set(EXPECTED)


def test_enough_questions():
    assert len(QUERIES) >= 15


# --- example queries of schema v2, run through the CLI with bound values only ----------------

def _example(*args):
    import csv
    import io

    from click.testing import CliRunner
    from govkg.cli import cli

    data = Path(__file__).resolve().parent.parent / "data"
    r = CliRunner().invoke(cli, ["--data", str(data), "query", *args, "--format", "csv"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_example_outcomes_that_fell():
    rows = _example("--example", "outcomes-that-fell", "--bind", "site=高新社区@zh")
    assert {(r["what"], r["value"]) for r in rows} == {
        ("投诉下降率", "33"), ("辖区投诉办件数不断下降", ""), ("辖区治安案件数不断下降", "")}
    assert _example("--example", "outcomes-that-fell", "--bind", "site=文山村@zh") == []


def test_example_claims_of_a_site():
    rows = _example("--example", "claims-of-a-site", "--bind", "site=文山村@zh")
    assert len(rows) == 6 and {r["site"] for r in rows} == {"文山村"}
    assert {r["claim"]: r["direction"] for r in rows}["带动村民就业增收"] == "increase"  # 荷花立体经济
    assert {r["claim"]: r["direction"] for r in rows}["村民满意度和幸福感不断增强"] == "increase"


def test_example_who_runs_yezhihui_at_each_site():
    rows = _example("--example", "who-runs-a-mechanism", "--bind", "mechanism=“椰智荟”议事堂@zh")
    by_site = {r["site"]: r for r in rows}
    assert set(by_site) == {"高新社区", "江源村"}
    assert (by_site["江源村"]["relation"], by_site["江源村"]["organization"]) == ("led by", "江源村党支部")
    assert by_site["高新社区"]["organization"] == "" and "柔招" in by_site["高新社区"]["role"]


def test_example_parts_of_sidashizhao():
    rows = _example("--example", "parts-of-a-practice", "--bind", "practice=“四大实招”@zh")
    assert {r["part"] for r in rows if r["depth"] == "1"} == {"党建引领“实招”", "协同联动“巧招”", "“椰智荟”议事堂“柔招”", "社区法律顾问"}
    assert len(rows) == 11


def test_example_facts_of_a_site_leave_out_inferences():
    rows = _example("--example", "facts-of-a-site", "--bind", "site=角布村@zh")
    facts = {r["fact"] for r in rows}
    assert "“净美绿”建设" in facts and "淮山协会会员人数" in facts and "云蛟村委会成为全镇第一个完成道路清障的行政村" in facts
    assert "“花小钱办大事”" in facts  # stated: 角布村's “净美绿” was built this way
    assert not facts & {"头雁领航", "协会赋能", "村里事商量着办"}  # uses marked inferred


def test_example_facts_per_source():
    rows = _example("--example", "facts-per-source")
    counts = {r["type"]: (int(r["facts"]), int(r["inferred"])) for r in rows}
    # 角布村's type (natural village) is inferred; four uses at 角布村 are (three practices and the
    # typhoon response of its committee's village groups)
    assert counts["demonstration site"] == (8, 1) and counts["mechanism use"][1] == 4
    assert counts["outcome"][0] >= 50 and counts["claim"][0] >= 20
    # every class shown by its labels in both languages, never by a raw local name (AdministrativeArea)
    labels = {r["type"]: r["type_zh"] for r in rows}
    assert labels["administrative area"] == "行政区域" and labels["organization"] == "组织" and labels["event"] == "事件"
    assert all(t == t.lower() and zh != t for t, zh in labels.items()), labels
