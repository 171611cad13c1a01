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
