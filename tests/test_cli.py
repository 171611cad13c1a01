"""The govkg command line, driven through click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from govkg.cli import cli


@pytest.fixture
def run(data_copy, sources_dirs, monkeypatch):
    """Run govkg on a scratch copy of the data; returns (exit code, stdout, stderr)."""
    if sources_dirs:
        monkeypatch.setenv("GOVKG_SOURCES", str(sources_dirs[0]))
    runner = CliRunner()

    def _run(*args, input=None):
        r = runner.invoke(cli, ["--data", str(data_copy), *args], input=input, catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr

    return _run


def test_build_then_commands_use_the_build(run, data_copy, sources_dirs):
    code, out, err = run("build")
    assert code == 0, err
    assert "8 sites" in out and (data_copy.parent / "build" / "govkg.nt").is_file()
    if sources_dirs:
        assert "evidence sentences checked verbatim" in out and not err


def test_build_reports_bad_data_and_exits_1(run, data_copy):
    assert run("build")[0] == 0
    before = (data_copy.parent / "build" / "govkg.ttl").read_bytes()
    f = data_copy / "sites" / "jiangyuancun.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("kinds: [maodunjiufentiaojiedui", "kinds: [tiaojie", 1),
                 encoding="utf-8")
    code, out, err = run("build")
    assert code == 1
    assert "data/sites/jiangyuancun.yaml:" in err and "field 'kinds'" in err and "unknown kind 'tiaojie'" in err
    assert "Traceback" not in err
    assert (data_copy.parent / "build" / "govkg.ttl").read_bytes() == before


def test_validate(run):
    code, out, _ = run("validate")
    assert code == 0 and out.startswith("conforms")
    code, out, _ = run("validate", "--json")
    assert json.loads(out)["conforms"] is True


def test_query_formats(run, tmp_path):
    q = "SELECT ?site WHERE { ?s a gk:DemonstrationSite ; rdfs:label ?site FILTER(LANG(?site)='en') } ORDER BY ?site"
    code, out, _ = run("query", q)
    assert code == 0 and "Changbing Community" in out and out.rstrip().endswith("(8 rows)")
    code, out, _ = run("query", q, "--format", "csv")
    assert out.splitlines()[0] == "site" and len(out.splitlines()) == 9
    code, out, _ = run("query", q, "--format", "json")
    assert len(json.loads(out)["results"]["bindings"]) == 8
    f = tmp_path / "q.rq"
    f.write_text(q, encoding="utf-8")
    assert run("query", str(f), "--format", "csv")[1].count("\n") == 9
    assert run("query", "-", "--format", "csv", input=q)[1].count("\n") == 9


def test_query_bind(run):
    q = "SELECT ?s ?name WHERE { ?s rdfs:label ?name }"
    code, out, _ = run("query", q, "--bind", "name=坡巷社区@zh", "--format", "csv")
    assert code == 0 and "https://w3id.org/govkg/id/site/poxiangshequ" in out


def test_query_errors_exit_1_with_a_message(run):
    code, _, err = run("query", "SELECT ?s WHERE { ?s ?p }")
    assert code == 1 and "line 1, column" in err
    code, _, err = run("query", "DELETE WHERE { ?s ?p ?o }")
    assert code == 1 and "read-only" in err
    code, _, err = run("query", "--example", "no-such-example")
    assert code == 1 and "numbers-with-evidence" in err


def test_query_examples(run):
    code, out, _ = run("query", "--examples")
    assert code == 0 and "numbers-with-evidence" in out and "mediation-outcomes" in out
    code, out, _ = run("query", "--example", "shared-mechanisms")
    assert "“椰智荟”议事堂" in out and "“社区合伙人”" in out


@pytest.mark.parametrize("fmt, rdf_format", [("turtle", "turtle"), ("nt", "nt"), ("json-ld", "json-ld"),
                                              ("trig", "trig")])
def test_export_rdf_formats(run, tmp_path, graph, fmt, rdf_format):
    out_file = tmp_path / f"export.{fmt}"
    code, out, _ = run("export", "--format", fmt, "-o", str(out_file))
    assert code == 0 and str(out_file) in out
    if rdf_format == "trig":
        from rdflib import Dataset
        ds = Dataset()
        ds.parse(out_file, format="trig")
        back = Graph()
        for s, p, o, _ in ds.quads():
            back.add((s, p, o))
    else:
        back = Graph().parse(out_file, format=rdf_format)
    assert isomorphic(back, graph)


def test_export_to_stdout(run, graph):
    code, out, _ = run("export", "--format", "nt")
    assert code == 0 and isomorphic(Graph().parse(data=out, format="nt"), graph)


def test_shared_json(run):
    code, out, _ = run("shared", "--json")
    doc = json.loads(out)
    assert set(doc) == {"mechanisms", "kinds", "total"}
    assert doc["total"] == {"mechanisms": len(doc["mechanisms"]), "kinds": len(doc["kinds"])}  # fewer than --top
    got = {m["label"]["zh"]: sorted(s["label"]["zh"] for s in m["sites"]) for m in doc["mechanisms"]}
    assert got == {"“椰智荟”议事堂": ["江源村", "高新社区"], "“社区合伙人”": ["光阳社区", "坡巷社区"]}


def test_shared_name_and_unknown_name(run):
    code, out, _ = run("shared", "社区合伙人", "--lang", "en")
    assert code == 0 and "Guangyang Community" in out and "Poxiang Community" in out
    code, _, err = run("shared", "社区伙伴人")
    assert code == 1 and "Did you mean" in err


def test_shared_top_and_all(run):
    code, out, _ = run("shared", "--top", "2", "--lang", "en")
    assert code == 0
    heads = [line for line in out.splitlines() if not line.startswith(" ")]
    assert heads[0] == "Named mechanisms (2):" and heads[1].startswith("Kinds (2 of ")
    assert "(--top N or --all shows more)" in out.splitlines()
    doc = json.loads(run("shared", "--top", "1", "--json")[1])
    assert len(doc["mechanisms"]) == 1 and doc["total"]["mechanisms"] == 2
    whole = json.loads(run("shared", "--all", "--json")[1])
    assert doc["mechanisms"] == whole["mechanisms"][:1] and len(whole["kinds"]) == whole["total"]["kinds"]
    code, _, err = run("shared", "--top", "2", "--all")
    assert code == 2 and "--top and --all cannot be used together" in err


def test_similar(run):
    code, out, _ = run("similar", "Gaoxin Community", "--top", "2")
    assert code == 0 and out.splitlines()[1].lstrip().startswith("1. Jiangyuan Village")  # --lang auto: asked in English
    doc = json.loads(run("similar", "gaoxinshequ", "--json")[1])
    assert len(doc["similar"]) == 7
    code, _, err = run("similar", "nowhere")
    assert code == 1 and "No site matches 'nowhere'" in err


def test_help_lists_commands():
    out = CliRunner().invoke(cli, ["--help"]).stdout
    for name in ("build", "validate", "query", "export", "shared", "similar"):
        assert name in out


def test_similar_heading_names_the_weighting_used():
    """An unweighted similarity is not called weighted (and the reverse), in both languages."""
    def head(*args):
        r = CliRunner().invoke(cli, ["similar", *args])
        assert r.exit_code == 0, r.output
        return r.stdout.splitlines()[0]

    assert "IDF" in head("高新社区") and "加权" in head("高新社区")
    plain_zh, plain_en = head("高新社区", "--weight", "none"), head("Gaoxin Community", "--weight", "none")
    assert "加权" not in plain_zh and "IDF" not in plain_zh and "none" not in plain_zh
    assert "weighted" not in plain_en and "every feature counts 1" in plain_en
