"""govkg outcomes: one tidy row per outcome, filtered by site, mechanism or kind, as table, CSV or JSON."""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF

import govkg
from govkg.analysis import outcomes
from govkg.analysis.outcomes import COLUMNS
from govkg.cli import cli
from govkg.errors import NotFoundError

FIXTURE = Path(__file__).parent / "fixtures" / "analysis"


def run(*args, data=None):
    r = CliRunner().invoke(cli, ["--data", str(data or FIXTURE), *args])
    return r.exit_code, r.stdout, r.stderr


def test_rows_are_tidy_and_traceable(graph):
    rows = outcomes(graph)
    numbers = set(graph.subjects(RDF.type, govkg.GK.Outcome))
    claims = set(graph.subjects(RDF.type, govkg.GK.Claim))
    assert numbers and claims and not numbers & claims
    assert len(rows) == len(numbers) + len(claims)
    assert sum(1 for r in rows if r["claim"]) == len(claims)
    for r in rows:
        assert set(COLUMNS) <= set(r)
        assert r["site"]["label"]["zh"] and r["label"]["zh"] and r["label"]["en"]
        assert r["evidence"] and all(e["text"] and e["source"]["label"]["en"] for e in r["evidence"])
        assert r["value"] is None or isinstance(r["value"], (int, float))
        assert r["unit"] is None or r["unit"]["text"] or r["unit"]["label"]["zh"]


def test_filters(graph):
    by_site = outcomes(graph, site="江源村")
    assert by_site and {r["site"]["label"]["zh"] for r in by_site} == {"江源村"}
    hall = outcomes(graph, mechanism="椰智荟")
    # the hall and 高新社区's “柔招”, which the report names after it (“椰智荟”议事堂“柔招”)
    assert hall and {r["mechanism"]["label"]["zh"] for r in hall} == {"“椰智荟”议事堂", "“椰智荟”议事堂“柔招”"}
    assert {r["site"]["label"]["zh"] for r in hall} == {"高新社区", "江源村"}
    # a kind keeps outcomes of mechanisms of that kind or of a narrower one
    broad = outcomes(graph, kind="协商议事")
    assert {r["iri"] for r in hall} <= {r["iri"] for r in broad}
    with pytest.raises(NotFoundError):
        outcomes(graph, mechanism="no such thing")


def test_cli_json_csv_table():
    code, out, _ = run("outcomes", "--site", "甲社区", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    from govkg.cli_analysis import RECORD_COLUMNS

    assert [list(d) for d in doc] == [list(RECORD_COLUMNS)] * len(doc)
    assert all(d["iri"].startswith("https://w3id.org/govkg/id/") for d in doc)  # every row citable
    wenti = next(d for d in doc if d["measure"] == "处置问题件数")
    assert wenti["value"] == 28 and wenti["mechanism"] == "议事堂" and wenti["evidence"] == "运用议事堂处置问题28件。"
    assert wenti["source"] and wenti["value_base"] == 28
    code, out, _ = run("outcomes", "--site", "Jia Community", "-f", "csv", "--bom")
    assert code == 0 and out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert rows[0].keys() == set(RECORD_COLUMNS) and {r["site"] for r in rows} == {"Jia Community"}  # --lang auto: English
    code, out, _ = run("outcomes")
    assert code == 0 and "处置问题件数" in out and "(4 rows)" in out and "上升" in out  # 3 numbers, 1 claim


def test_cli_writes_a_file_and_errors_cleanly(tmp_path):
    out = tmp_path / "o.csv"
    code, stdout, _ = run("outcomes", "-f", "csv", "-o", str(out))
    assert code == 0 and out.read_text(encoding="utf-8").startswith("id,site,mechanism,kind,measure,measure_type,subject")
    code, _, err = run("outcomes", "--site", "丁社区")
    assert code == 1 and err.startswith("Error: ") and "Traceback" not in err
    code, _, err = run("outcomes", "--kind", "zzzz")
    assert code == 1 and "No kind matches" in err


def test_csv_cells_cannot_become_formulas(tmp_path):
    from govkg.cli_analysis import outcome_records
    from govkg.exports import csv_text

    rows = outcome_records(outcomes(govkg.build_graph(FIXTURE, sources_dirs=[])), "en")
    rows[0]["measure"] = "=HYPERLINK(\"http://evil\")"
    text = csv_text([[r[c] for c in COLUMNS] for r in rows], list(COLUMNS))
    assert "'=HYPERLINK" in text


def test_claims_and_directions_are_rows_too(graph):
    fixture = govkg.build_graph(FIXTURE, sources_dirs=[])
    claim = next(r for r in outcomes(fixture, site="乙村") if r["claim"])
    assert claim["value"] is None and claim["direction"]["label"]["en"] == "increase"
    assert claim["mechanism"]["label"]["zh"] == "互助养老点" and claim["evidence"][0]["text"] == "村民满意度不断提升。"
    fall = next(r for r in outcomes(graph, site="高新社区") if r["label"]["zh"] == "投诉下降率")
    assert fall["direction"]["label"]["en"] == "decrease" and fall["value"] == 33
    code, out, _ = run("outcomes", "--site", "Yi Village", "-f", "json")
    rec = next(d for d in json.loads(out) if d["measure"] == "villagers' satisfaction rose")
    assert rec["direction"] == "increase" and rec["value"] is None


def test_report_shows_directions(graph, tmp_path):
    from govkg.report import write_report

    md = write_report(graph, tmp_path / "r.md", lang="en")[-1].read_text(encoding="utf-8")
    # credited to no practice: listed among the site's other facts
    row = next(line for line in md.splitlines() if line.startswith(("| Rate of decrease in complaints",
                                                                     "- Rate of decrease in complaints")))
    assert "33%" in row and "(decrease)" in row


def test_every_base_unit_is_labelled(graph):
    """The value in base unit is shown with a unit a reader can read (亩 -> square metres, % -> fraction)."""
    rows = [r for r in outcomes(graph) if r["value_base"] is not None]
    assert {r["unit"]["label"]["zh"] for r in rows} >= {"百分比", "亩"}
    for r in rows:
        assert r["base_unit"]["label"].get("zh") and r["base_unit"]["label"].get("en"), r["unit"]
