"""Hostile input found by an adversarial pass (helper trial2): each case a clean error or a safe output."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from govkg.cli import cli

_FORMULAS = 'SELECT ?x WHERE { VALUES ?x { "=1+1" "+1" "-2" "@SUM(A1)" "\\tx" "plain" } }'


def _invoke(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def test_query_csv_is_exact_sparql_csv_by_default(built_data):
    r = _invoke("--data", built_data, "query", _FORMULAS, "-f", "csv")
    assert r.exit_code == 0, r.output
    cells = [row[0] for row in csv.reader(io.StringIO(r.output, newline=""))]
    assert cells == ["x", "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "plain"]


def test_query_csv_excel_safe_neutralises_formulas(built_data):
    r = _invoke("--data", built_data, "query", _FORMULAS, "-f", "csv", "--excel-safe")
    assert r.exit_code == 0, r.output
    cells = [row[0] for row in csv.reader(io.StringIO(r.output, newline=""))]
    assert cells == ["x", "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain"]


def test_query_csv_excel_safe_with_a_text_binding_of_several_readings(built_data):
    # a plain-text --bind value has several readings: the rows are merged then written by format_csv
    q = 'SELECT ?x ?l WHERE { VALUES ?x { "=cmd" } ?s rdfs:label ?l }'
    r = _invoke("--data", built_data, "query", q, "-f", "csv", "--excel-safe", "--bind", "l=高新社区")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.output, newline="")))
    assert rows[0] == ["x", "l"] and rows[1][0] == "'=cmd", rows
    raw = r.stdout_bytes
    assert raw.endswith(b"\r\n") and b"\r\r" not in raw, raw
