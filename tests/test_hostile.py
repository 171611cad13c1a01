"""Hostile input found by an adversarial pass (helper trial2): each case a clean error or a safe output."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml
from click.testing import CliRunner

from govkg.cli import cli

from reviewhttp import post_with_content_length

DATA_ROOT = Path(__file__).resolve().parent.parent

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
    # a plain-text --bind value has several readings: the rows are merged then written by results.write_result
    q = 'SELECT ?x ?l WHERE { VALUES ?x { "=cmd" } ?s rdfs:label ?l }'
    r = _invoke("--data", built_data, "query", q, "-f", "csv", "--excel-safe", "--bind", "l=高新社区")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.output, newline="")))
    assert rows[0] == ["x", "l"] and rows[1][0] == "'=cmd", rows
    raw = r.stdout_bytes
    assert raw.endswith(b"\r\n") and b"\r\r" not in raw, raw


def test_draft_without_a_heading_drafts_the_site_and_leaves_within_for_review(tmp_path):
    """Issue 18 replaced the refusal ("no area is named above site …: Nothing was written"): the site is
    drafted with 'within' left for the reviewer, marked with the reason, and the draft builds."""
    text = "近年来,该社区探索“协商”议事堂,化解纠纷28件。测试社区服务居民300余人。\n"
    for i, report_text in enumerate([text, "测试社区:\n" + text]):  # no heading; a heading naming no area
        report = tmp_path / f"r{i}.txt"
        report.write_text(report_text, encoding="utf-8")
        out = tmp_path / f"d{i}"
        r = CliRunner().invoke(cli, ["draft", str(report), "-o", str(out), "--no-gazetteer"])
        assert r.exit_code == 0, r.output
        site = yaml.safe_load((out / "sites" / "ceshishequ.yaml").read_text(encoding="utf-8"))["site"]
        assert "within" not in site and "within left for review" in site["note"]
        r = CliRunner().invoke(cli, ["--data", str(out), "build", "--include-drafts", "--no-dumps", "-o", str(tmp_path / f"b{i}")])
        assert r.exit_code == 0, r.output


def _draft_and_build(tmp_path, name: str):
    """Draft a two-line report saved as ``name`` into ``tmp_path/d``, build the draft; return the draft folder."""
    report = tmp_path / name
    report.write_text("美兰区白沙街道测试社区:\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\n", encoding="utf-8")
    out = tmp_path / "d"
    assert _invoke("draft", report, "-o", out, "--no-gazetteer").exit_code == 0
    r = _invoke("--data", out, "build", "--include-drafts", "-o", tmp_path / "b")
    assert r.exit_code == 0, r.output
    return out


def test_draft_with_a_heading_builds_and_reviews(tmp_path):
    out = _draft_and_build(tmp_path, "r.txt")
    r = _invoke("review", out)
    assert r.exit_code == 0, r.output
    assert (out / "review.html").is_file()


def test_export_csv_without_a_csv_suffix_is_refused_not_made_a_folder(built_data, tmp_path):
    for fmt, name in (("csv", "NAME"), ("csv", "g.txt"), ("qca", "NAME")):
        r = CliRunner().invoke(cli, ["--data", str(built_data), "export", "-f", fmt, "-o", str(tmp_path / name)])
        assert r.exit_code == 1, r.output
        assert "give a file name ending in .csv" in r.output and "Traceback" not in r.output, r.output
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.iterdir())
    r = _invoke("--data", built_data, "export", "-f", "csv", "-o", tmp_path / "G.CSV")
    assert r.exit_code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["G-edges.csv", "G-nodes.csv"]


def test_report_and_other_writers_create_missing_folders(built_data, tmp_path):
    r = _invoke("--data", built_data, "report", "-o", tmp_path / "a" / "b" / "r.html")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "a" / "b" / "r.html").is_file()
    r = _invoke("--data", built_data, "export", "-f", "csv", "-o", tmp_path / "c" / "g.csv")
    assert r.exit_code == 0 and (tmp_path / "c" / "g-nodes.csv").is_file()


def test_draft_reads_a_report_with_a_byte_order_mark_and_crlf(tmp_path):
    report = tmp_path / "r.txt"
    report.write_bytes("\ufeff美兰区白沙街道测试社区:\r\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\r\n".encode("utf-8"))
    out = tmp_path / "d"
    r = _invoke("draft", report, "-o", out, "--no-gazetteer")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (out / "sites").iterdir()) == ["ceshishequ.yaml"]
    assert not (out / "sources" / "r.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    r = _invoke("--data", out, "build", "--include-drafts", "-o", tmp_path / "b")
    assert r.exit_code == 0, r.output


def test_draft_of_a_file_named_with_a_newline_writes_valid_yaml(tmp_path):
    _draft_and_build(tmp_path, "hai\nkou.txt")


_BAD_DECISIONS = [
    ({"file": 5, "section": "outcomes", "id": "x", "action": "accept"}, "file must be the path"),
    ({"file": "sites/a\u0000.yaml", "section": "outcomes", "id": "x", "action": "accept"}, "file must be the path"),
    ({"file": "sites/ceshishequ.yaml", "section": ["outcomes"], "id": "x", "action": "accept"}, "unknown section"),
    ({"file": "sites/ceshishequ.yaml", "section": "outcomes", "id": ["x"], "action": "accept"}, "id must be a text"),
    ({"file": "sites/ceshishequ.yaml", "section": "outcomes", "id": "x", "action": {"a": 1}}, "unknown action"),
    ({"file": "sites/ceshishequ.yaml", "section": "outcomes", "id": "ceshishequ-huajiejiufen-28-jian", "action": "edit",
      "values": [1]}, "values must be a mapping"),
    ({"file": "sites/ceshishequ.yaml", "section": "outcomes", "id": "ceshishequ-huajiejiufen-28-jian", "action": "edit",
      "values": {"value": float("nan")}}, "value must be a finite number"),
    ({"file": "sites/ceshishequ.yaml", "section": "outcomes", "id": "ceshishequ-huajiejiufen-28-jian", "action": "edit",
      "values": {"value": 10 ** 5000}}, "value must be a finite number"),
]


def _drafted(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("美兰区白沙街道测试社区:\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\n", encoding="utf-8")
    out = tmp_path / "d"
    assert _invoke("draft", report, "-o", out, "--no-gazetteer").exit_code == 0
    return out


def test_malformed_decisions_are_clean_errors_and_change_nothing(tmp_path):
    import pytest

    from govkg.draft.review import apply_decisions
    from govkg.errors import GovkgError

    out = _drafted(tmp_path)
    before = {p: p.read_bytes() for p in out.rglob("*.yaml")}
    for decision, expect in _BAD_DECISIONS:
        with pytest.raises(GovkgError, match=expect):
            apply_decisions(out, {"decisions": [decision]})
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = CliRunner().invoke(cli, ["review", str(out), "--apply", str(deep)])
    assert r.exit_code == 1 and "nested too deep" in r.output, r.output
    assert isinstance(r.exception, (SystemExit, type(None)))
    assert {p: p.read_bytes() for p in out.rglob("*.yaml")} == before


def test_review_server_answers_a_bad_content_length_with_400(tmp_path):
    import http.client

    from govkg.draft.review import ReviewServer

    out = _drafted(tmp_path)
    server = ReviewServer(out, text_path=tmp_path / "r.txt")
    url = server.start()
    try:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        for length in ("-5", "abc"):
            assert post_with_content_length(port, server.token, length) == 400, length
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = "[" * 50_000 + "]" * 50_000
        conn.request("POST", "/decisions", body=body, headers={"X-Govkg-Token": server.token,
                                                               "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 400 and b"nested too deep" in resp.read()
    finally:
        server.stop()


def test_a_tampered_build_manifest_is_not_trusted_and_not_a_traceback(built_data, tmp_path):
    import json
    import shutil

    build = tmp_path / "build"
    shutil.copytree(built_data.parent / "build", build)
    good = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    bodies = ["[" * 100_000 + "]" * 100_000, "null", json.dumps({**good, "inputs": "x", "outputs": {"govkg.nt": 5}}),
              json.dumps({**good, "outputs": [1, 2]})]
    for body in bodies:
        (build / "manifest.json").write_text(body, encoding="utf-8")
        r = CliRunner().invoke(cli, ["--data", str(built_data), "--build-dir", str(build), "shared", "椰智荟"])
        assert r.exit_code == 0 and r.exception is None, (body[:60], r.output[-500:])
        assert "椰智荟" in r.output


def test_a_damaged_table_of_inputs_is_not_trusted_and_not_a_traceback(data_copy, tmp_path):
    import json

    from govkg import manifest

    build = tmp_path / "build"
    args = ["--data", str(data_copy), "--build-dir", str(build)]
    assert CliRunner().invoke(cli, [*args, "build"]).exit_code == 0
    table = build / manifest.INPUTS
    good = json.loads(table.read_text(encoding="utf-8"))
    site = data_copy / "sites" / "gaoxinshequ.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # the slow path reads the table
    bodies = [b"[" * 100_000 + b"]" * 100_000, b"null", b"\xff\xfe", json.dumps({**good, "inputs": "x"}).encode(),
              json.dumps({"inputs": good["inputs"], "stamps": {}}).encode()]  # well formed, but not the table built
    for body in bodies:
        table.write_bytes(body)
        assert manifest.read_inputs(build, manifest.read_manifest(build)) is None, body[:40]
        r = CliRunner().invoke(cli, [*args, "shared", "椰智荟"])
        assert r.exit_code == 0 and r.exception is None, (body[:60], r.output[-500:])
        assert "椰智荟" in r.output
    r = CliRunner().invoke(cli, [*args, "build"])  # a full build, not an incremental one from a foreign table
    assert r.exit_code == 0 and r.exception is None, r.output[-500:]
    assert manifest.stale_reason(build, data_copy) is None


def test_a_source_text_that_is_not_utf8_is_a_clean_error(data_copy, tmp_path, monkeypatch):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "haikou-grassroots-governance-demo-sites.zh.txt").write_bytes(b"\xda\xff" * 100)
    monkeypatch.setenv("GOVKG_SOURCES", str(sources))
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "build", "-o", str(tmp_path / "b")])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert "data/sources/haikou-jicengzhili-shifandian-2024.yaml:" in r.output, r.output
    assert "field 'file': the source text" in r.output and "is not UTF-8" in r.output, r.output
    assert not (tmp_path / "b").exists()


def _hostile_store(put_status: int, put_body: bytes, query_body: bytes):
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status, body):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            self._answer(put_status, put_body)

        def do_POST(self):
            self._answer(200, query_body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_publish_to_a_hostile_store_is_a_clean_error_without_its_escape_sequences(built_data):
    cases = [(500, b"\x1b]0;pwned\x07\x1b[2J nope", b"{}", "HTTP 500"),
             (204, b"", b"[" * 100_000 + b"]" * 100_000, "did not answer the count query"),
             (204, b"", b'{"results": {"bindings": [{"n": {"value": "' + b"9" * 5000 + b'"}}]}}', "did not answer")]
    for put_status, put_body, query_body, expect in cases:
        server = _hostile_store(put_status, put_body, query_body)
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/store"
            r = CliRunner().invoke(cli, ["--data", str(built_data), "publish", url])
        finally:
            server.shutdown()
            server.server_close()
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
        assert expect in r.output and "\x1b" not in r.output and "\x07" not in r.output, r.output[:300]
    r = CliRunner().invoke(cli, ["--data", str(built_data), "publish", "http://127.0.0.1:1/x", "--graph", ""])
    assert r.exit_code == 1 and "not an absolute IRI usable as a graph name: ''" in r.output


def test_an_ill_typed_literal_in_an_answer_prints_no_python_stack(built_data):
    r = CliRunner().invoke(cli, ["--data", str(built_data), "query", "SELECT ?x WHERE { BIND(STRDT('x', xsd:integer) AS ?x) }"])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output and "Failed to convert" not in r.output
    assert r.output.splitlines()[2] == "x"


def test_syntax_errors_name_no_character_classes(built_data):
    for q in ("SELECT ?x WHERE { BIND(1 AS ?x) } GROUP BY ?y", "SELECT ?s WHERE { ?s ?p }", "PREFIX a: <urn:>"):
        r = CliRunner().invoke(cli, ["--data", str(built_data), "query", q])
        assert r.exit_code == 1 and r.output.startswith("Error: SPARQL syntax error at line 1, column "), r.output
        assert "\\u{" not in r.output and "[_]" not in r.output and len(r.output.splitlines()) == 1, r.output


def test_draft_force_never_replaces_curated_files(data_copy, tmp_path):
    report = tmp_path / "haikou-jicengzhili-shifandian-2024.txt"  # its source id is that of the curated report
    report.write_text("海南省海口市秀英区秀英街道测试社区:\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in data_copy.rglob("*") if p.is_file()}
    r = CliRunner().invoke(cli, ["draft", str(report), "-o", str(data_copy), "--no-gazetteer", "--force"])
    assert r.exit_code == 1 and "was not written by govkg draft; not replacing it" in r.output, r.output
    assert {p: p.read_bytes() for p in data_copy.rglob("*") if p.is_file()} == before
    out = tmp_path / "d"
    assert _invoke("draft", report, "-o", out, "--no-gazetteer").exit_code == 0
    r = _invoke("draft", report, "-o", out, "--no-gazetteer", "--force")  # an earlier draft's files: replaced
    assert r.exit_code == 0, r.output


def test_files_named_on_the_command_line_that_never_end_are_refused(built_data, tmp_path):
    """A query or decisions file that is a link to /dev/zero would be read until memory runs out."""
    import os

    for name in ("q.rq", "d.json", "t.txt"):
        os.symlink("/dev/zero", tmp_path / name)
    r = CliRunner().invoke(cli, ["--data", str(built_data), "query", str(tmp_path / "q.rq")])
    assert r.exit_code == 2 and "cannot read the query: not a regular file" in r.output, r.output
    out = _drafted(tmp_path)
    r = CliRunner().invoke(cli, ["review", str(out), "--apply", str(tmp_path / "d.json")])
    assert r.exit_code == 1 and "cannot read the decisions: not a regular file" in r.output, r.output
    r = CliRunner().invoke(cli, ["review", str(out), "--text", str(tmp_path / "t.txt")])
    assert r.exit_code == 1 and "not a regular file" in r.output, r.output
    big = tmp_path / "big.rq"
    big.write_bytes(b"#" * (17 << 20))
    r = CliRunner().invoke(cli, ["--data", str(built_data), "query", str(big)])
    assert r.exit_code == 2 and "is too large" in r.output, r.output


def test_markdown_report_links_its_figure_whatever_the_file_name(built_data, tmp_path):
    import re
    from urllib.parse import unquote

    out = tmp_path / "my (report) [1].md"
    r = _invoke("--data", built_data, "report", "-o", out)
    assert r.exit_code == 0, r.output
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", out.read_text(encoding="utf-8"))
    assert links and all((tmp_path / unquote(src)).is_file() for src in links), links


def test_a_data_file_named_with_a_line_break_gives_one_line_per_problem(data_copy):
    import shutil

    shutil.copy(data_copy / "sites" / "gaoxinshequ.yaml", data_copy / "sites" / "a\nb\x1b.yaml")
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "validate"])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("Error: ") and all(ln.startswith("  ") for ln in lines[1:]), lines[:4]
    assert "first defined at data/sites/a\\nb\\x1b.yaml:5" in r.output and "\x1b" not in r.output


def test_library_limits_that_mean_nothing_are_govkg_errors(graph):
    import pytest

    from govkg.analysis import analyze
    from govkg.errors import GovkgError
    from govkg.query import run_query
    from govkg.shared import shared_mechanisms, similar_sites

    calls = [lambda: similar_sites(graph, "高新社区", top=0), lambda: similar_sites(graph, "高新社区", top=-1),
             lambda: shared_mechanisms(graph, None, min_sites=0), lambda: analyze(graph, top=0),
             lambda: run_query(graph, "ASK {}", timeout=-1), lambda: run_query(graph, "ASK {}", timeout=float("nan")),
             lambda: run_query(graph, "SELECT * WHERE { ?s ?p ?o }", max_rows=-1),
             lambda: run_query(graph, "SELECT ?s WHERE { ?s ?p ?o }", bindings={"a b": "x"})]
    for call in calls:
        with pytest.raises(GovkgError):
            call()
    assert len(similar_sites(graph, "高新社区", top=2)["similar"]) == 2


def test_a_draft_site_with_facts_that_are_not_drafts_is_a_clean_error(data_copy, tmp_path):
    """The site of a file marked ``status: draft`` while its mechanisms and outcomes are not: they cannot be placed."""
    site = data_copy / "sites" / "wenshancun.yaml"
    text = site.read_text(encoding="utf-8")
    site.write_text(text.replace("  id: wenshancun\n", "  id: wenshancun\n  status: draft\n", 1), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--data", str(data_copy), "build", "--full", "-o", str(tmp_path / "b")])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert "data/sites/wenshancun.yaml:" in r.output
    assert "the site 'wenshancun' of this file is a draft (status: draft)" in r.output
    assert not (tmp_path / "b").exists()


# --- issue 23 (round 3) ---------------------------------------------------------------------

_INVISIBLE = ["\u0085", "\u200e", "\u200f", "\u061c", "\u202a", "\u202e", "\u2066", "\u2069", "\u200b", "\u200c",
              "\u200d", "\u2060", "\ufeff", "\ufff9", "\ufffe", "\ue000", "\U000e0041"]


def test_invisible_and_direction_characters_in_labels_are_refused_with_file_line_and_field(data_copy):
    site = data_copy / "sites" / "gaoxinshequ.yaml"
    original = site.read_text(encoding="utf-8")
    for ch in _INVISIBLE:
        # written as an escape in double quotes: YAML reads it back as the character itself
        esc = f"\\u{ord(ch):04X}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08X}"
        site.write_text(original.replace("  en: Gaoxin Community", f'  en: "Gaoxin{esc} Community"'), encoding="utf-8")
        r = CliRunner().invoke(cli, ["--data", str(data_copy), "validate"])
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), (hex(ord(ch)), r.output)
        assert "gaoxinshequ.yaml:7: field 'en': holds" in r.output and f"U+{ord(ch):04X}" in r.output, r.output


def test_a_raw_line_break_yaml_would_fold_silently_is_refused(data_copy):
    site = data_copy / "sites" / "gaoxinshequ.yaml"
    original = site.read_text(encoding="utf-8")
    for ch in ("\u0085", "\u2028", "\u2029"):
        site.write_text(original.replace("Gaoxin Community", f"Gaoxin{ch}Community", 1), encoding="utf-8")
        r = CliRunner().invoke(cli, ["--data", str(data_copy), "validate"])
        assert r.exit_code == 1 and f"gaoxinshequ.yaml:7: holds U+{ord(ch):04X}" in r.output, r.output
        assert "YAML reads as a line break" in r.output


def _hostile_library_calls(graph, tmp):
    """The audit's library calls that raised TypeError, ValueError … (L15), and their kin."""
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    import govkg
    from govkg.exports import serialize
    from govkg.query import format_table, run_query, stream_query, to_store
    from govkg.shared import shared_mechanisms
    from govkg.writers import write_set

    q = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
    return {
        "run_query(g, None)": lambda: run_query(graph, None),
        "run_query(g, bytes)": lambda: run_query(graph, q.encode()),
        "run_query(None, q)": lambda: run_query(None, q),
        "run_query lone surrogate": lambda: run_query(graph, "SELECT ?s WHERE { ?s ?p '\ud800' }"),
        "bindings ?s with an IRI of a newline": lambda: run_query(graph, q, bindings={"s": "<urn:a\nb>"}),
        "bindings a list": lambda: run_query(graph, q, bindings=[("s", "x")]),
        "bindings a language tag Oxigraph refuses": lambda: run_query(ox.Store(), q, bindings={"s": Literal("x", lang="abcdefghijk")}),
        "bindings an IRI Oxigraph refuses": lambda: run_query(ox.Store(), q, bindings={"s": URIRef("urn:a b")}),
        "shared_mechanisms(g, 5)": lambda: shared_mechanisms(graph, 5),
        "slugify(None)": lambda: govkg.slugify(None),
        "slugify(5)": lambda: govkg.slugify(5),
        "load_data(None)": lambda: govkg.load_data(None),
        "load_data(NUL)": lambda: govkg.load_data("da\x00ta"),
        "load_file(None)": lambda: govkg.load_file(None),
        "build(5)": lambda: govkg.build(5),
        "build(out_dir=5)": lambda: govkg.build(None, 5),
        "build_graph(5)": lambda: govkg.build_graph(5),
        "load_graph(5)": lambda: govkg.load_graph(5),
        "compile_graph(5)": lambda: govkg.compile_graph(5),
        "serialize(g, ['x'])": lambda: serialize(graph, ["x"]),
        "write_atomic(None, x)": lambda: govkg.write_atomic(None, "x"),
        "write_atomic(['x'], x)": lambda: govkg.write_atomic(["x"], "x"),
        "write_atomic(p, 5)": lambda: govkg.write_atomic(tmp / "a.txt", 5),
        "write_set(list)": lambda: write_set([tmp / "a.txt"]),
        "to_store(None)": lambda: to_store(None),
        "format_table(None)": lambda: format_table(None),
        "stream_query(store, q, 'html')": lambda: stream_query(to_store(graph), q, "html", lambda b: None, timeout=30),
        "stream_query(store, ASK, 'turtle')": lambda: stream_query(to_store(graph), "ASK {}", "turtle", lambda b: None),
    }


def test_hostile_library_calls_raise_govkg_errors(graph, tmp_path):
    from govkg.errors import GovkgError

    wrong = {}
    for name, call in _hostile_library_calls(graph, tmp_path).items():
        try:
            call()
            wrong[name] = "no error"
        except GovkgError:
            pass
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            wrong[name] = f"{type(exc).__name__}: {exc}"
    assert wrong == {}


def test_a_binding_named_with_its_question_mark_binds_the_variable(graph):
    from govkg.query import run_query

    q = "SELECT ?s ?name WHERE { ?s rdfs:label ?name }"
    plain = run_query(graph, q, bindings={"name": "高新社区@zh"}).rows
    assert plain and run_query(graph, q, bindings={"?name": "高新社区@zh"}).rows == plain
    assert run_query(graph, q, bindings={"$name": "高新社区@zh"}).rows == plain


# --- misleading errors a new user met (issue 23) ----------------------------------------------

def test_query_of_a_file_that_is_not_sparql_says_so(built_data):
    readme = built_data.parent.parent / "README.md"
    readme.write_text((DATA_ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--data", str(built_data), "query", str(readme)])
    assert r.exit_code == 1 and "not a SPARQL query" in r.output and "SERVICE" not in r.output, r.output


def test_data_at_a_folder_without_data_files_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["--data", str(tmp_path / "empty"), "--build-dir", str(tmp_path / "b"), "query",
                                 "SELECT * WHERE { ?s a gk:DemonstrationSite }"])
    assert r.exit_code == 1 and "no data files (*.yaml) found" in r.output, r.output


def test_data_one_level_too_high_names_the_data_folder(data_copy, tmp_path):
    above = data_copy.parent
    r = CliRunner().invoke(cli, ["--data", str(above), "--build-dir", str(tmp_path / "b"), "query", "ASK {}"])
    assert r.exit_code == 1, r.output
    assert "this looks like the folder above a data folder" in r.output and f"use --data {data_copy}" in r.output
    assert "unknown section" not in r.output and "1 problem" in r.output, r.output


def test_a_drafts_only_build_says_every_entry_was_left_out(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("美兰区白沙街道测试社区:\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\n", encoding="utf-8")
    out = tmp_path / "d"
    assert _invoke("draft", report, "-o", out, "--no-gazetteer").exit_code == 0
    r = _invoke("--data", out, "build", "-o", tmp_path / "b")
    assert r.exit_code == 0, r.output
    assert "entries are drafts (status: draft) and were left out" in r.output and "--include-drafts" in r.output
    assert "triples ()" not in r.output
