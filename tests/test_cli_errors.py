"""Bad input on the command line: every case ends with exit 1 or 2 and an `Error:` line, never a traceback.

``CASES`` is the table of bad inputs (extend it with one line per case); the tests at the end
also give every registered command (``cli.commands``, so commands added later are covered)
a nonsense argument, an unknown option and a malformed value for each typed option.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from govkg.cli import cli

SOURCE = "sources/haikou-jicengzhili-shifandian-2024.yaml"
_G = "sites/gaoxinshequ.yaml"
_REPORT = "美兰区白沙街道测试社区:\n近年来,该社区探索“协商”议事堂,化解纠纷28件。\n"


@dataclass
class Case:
    """One bad input: ``args`` after ``govkg --data DATA``; ``{data}`` and ``{tmp}`` are filled in.

    ``files`` are written before the run (paths relative to the data folder; ``str`` as
    UTF-8, ``bytes`` as is); ``replace`` edits a data file: ``{path: (old, new)}``.
    ``expect`` must appear in the error output.
    """

    id: str
    args: list
    expect: str
    files: dict = field(default_factory=dict)
    replace: dict = field(default_factory=dict)
    input: bytes | str | None = None
    code: tuple = (1, 2)


_HEAD = "source: haikou-jicengzhili-shifandian-2024\n"
_EVENT = _HEAD + "events:\n  - zh: 会\n    en: meeting\n    type: meeting\n    date: {date}\n    evidence: x\n"
_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

CASES = [
    # --- data files (item 2 of issue 10)
    Case("alias-bomb", ["build"], "x.yaml:2: field 'b': YAML aliases (*a) are not allowed", {"x.yaml": _BOMB}),
    Case("self-alias", ["build"], "x.yaml:1: field 'a': YAML aliases (*a)", {"x.yaml": "a: &a [1, *a]\n"}),
    Case("self-alias-map", ["build"], "x.yaml:2: field 'b': YAML aliases", {"x.yaml": "a: &a\n  b: *a\n"}),
    Case("list-as-key", ["build"], "x.yaml:1: a key must be a text, not a list", {"x.yaml": "? [a, b]\n: 1\n"}),
    Case("map-as-key", ["build"], "x.yaml:1: a key must be a text, not a mapping", {"x.yaml": "{a: 1}: 2\n"}),
    Case("huge-integer", ["build"], "field 'n': cannot read the value", {"x.yaml": "n: " + "9" * 5000 + "\n"}),
    Case("bad-date", ["build"], "x.yaml:6: field 'date': cannot read the value '2024-13-45': not a valid date",
         {"x.yaml": _EVENT.format(date="2024-13-45")}),
    Case("bad-date-day", ["build"], "not a valid date", {"x.yaml": _EVENT.format(date="2024-02-30")}),
    Case("deep-nesting", ["build"], "nested more than", {"x.yaml": "a: " + "[" * 100_000 + "]" * 100_000 + "\n"}),
    Case("python-tag", ["build"], "x.yaml:1: field 'a': YAML tags such as", {"x.yaml": "a: !!python/object/apply:os.system [ls]\n"}),
    Case("set-tag", ["build"], "YAML tags such as", {"x.yaml": "a: !!set {x}\n"}),
    Case("two-documents", ["build"], "more than one YAML document", {"x.yaml": "a: 1\n---\nb: 2\n"}),
    Case("not-utf8", ["build"], "x.yaml: not UTF-8 text", {"x.yaml": b"a: \xff\xfe\n"}),
    Case("malformed", ["build"], "x.yaml:2: malformed YAML", {"x.yaml": "a: [1,\nb: }\n"}),
    Case("top-level-list", ["build"], "expected a mapping at the top level", {"x.yaml": "- 1\n"}),
    Case("section-not-list", ["build"], "field 'areas': expected a list", {"x.yaml": _HEAD + "areas: 3\n"}),
    Case("entry-not-map", ["build"], "field 'areas[0]': expected a mapping", {"x.yaml": _HEAD + "areas: [3]\n"}),
    Case("label-is-list", ["build"], "field 'zh': expected a non-empty text",
         {"x.yaml": _HEAD + "areas:\n  - zh: [a]\n    en: A\n    type: city\n    evidence: x\n"}),
    # --- source files
    Case("source-file-path", ["build"], "field 'file': expected the bare name of a file",
         replace={SOURCE: ("file: haikou-grassroots-governance-demo-sites.zh.txt", "file: /bin/ls")}),
    Case("source-file-dotdot", ["build"], "field 'file'",
         replace={SOURCE: ("file: haikou-grassroots-governance-demo-sites.zh.txt", "file: ../../etc/passwd")}),
    Case("source-url-space", ["build"], "field 'url': expected an http(s) URL", files={},
         replace={SOURCE: ("language: zh", "language: zh\nurl: 'a b'")}),
    Case("source-url-scheme", ["build"], "field 'url'", replace={SOURCE: ("language: zh", "language: zh\nurl: 'javascript:x'")}),
    Case("source-label-list", ["build"], "field 'zh': expected a text, got list",
         replace={SOURCE: ("zh: 全市", "zh: [全市]\nx_: ")}),
    Case("source-file-list", ["build"], "field 'file': expected a text, got list",
         replace={SOURCE: ("file: haikou-grassroots-governance-demo-sites.zh.txt", "file: [a, b]")}),
    Case("source-publisher-list", ["build"], "field 'publisher.zh'",
         replace={SOURCE: ("  zh: 海口网", "  zh: [海口网]")}),
    # --- command-line values
    Case("query-not-utf8", ["query", "{tmp}/bad.rq"], "bad.rq is not UTF-8 text", {"../bad.rq": b"\xff\xfeSELECT"}),
    Case("query-stdin-not-utf8", ["query", "-"], "standard input is not UTF-8", input=b"\xffSELECT"),
    Case("query-missing-file", ["query", "{tmp}/nope.rq"], "cannot read"),
    Case("query-folder", ["query", "{tmp}/dir.rq"], "cannot read", {"../dir.rq/x": ""}),
    Case("query-syntax", ["query", "SELECT ?s WHERE { ?s ?p }"], "SPARQL syntax error at line 1"),
    Case("query-update", ["query", "DELETE WHERE { ?s ?p ?o }"], "read-only"),
    Case("bind-no-equals", ["query", "SELECT ?a WHERE {}", "--bind", "x"], "expected NAME=VALUE"),
    Case("bind-no-name", ["query", "SELECT ?a WHERE {}", "--bind", "=v"], "expected NAME=VALUE"),
    Case("bind-bad-name", ["query", "SELECT ?a WHERE {}", "--bind", "a b=1"], "not a SPARQL variable name"),
    Case("bind-bad-iri", ["query", "SELECT ?a WHERE {}", "--bind", "a=<not an iri>"], "not an IRI"),
    Case("bind-empty-iri", ["query", "SELECT ?a WHERE {}", "--bind", "a=<>"], "not an IRI"),
    Case("bind-unprojected", ["query", "SELECT ?a WHERE {}", "--bind", "zz=1"], "zz"),
    Case("csv-construct", ["query", "CONSTRUCT WHERE { ?s ?p ?o }", "-f", "csv"], "a CONSTRUCT query answers in one of"),
    Case("turtle-select", ["query", "SELECT ?s WHERE { ?s ?p ?o }", "-f", "turtle"], "a SELECT query answers in one of"),
    Case("suggest-neighbors-0", ["suggest", "高新社区", "--neighbors", "0"], "0 is not in the range"),
    Case("suggest-unknown", ["suggest", "no such site"], "No site matches"),
    Case("analyze-top-0", ["analyze", "--top", "0"], "0 is not in the range"),
    Case("similar-unknown", ["similar", "高新社社区"], "Did you mean"),
    Case("shared-unknown", ["shared", "zzzz-nothing"], "No "),
    Case("viz-focus-unknown", ["viz", "--focus", "zzzz", "-o", "{tmp}/v.html"], "zzzz"),
    Case("report-suffix", ["report", "-o", "{tmp}/r.txt"], "must end in .html or .md"),
    Case("figure-suffix", ["figure", "-o", "{tmp}/f.gif"], "use a .png or .svg"),
    Case("export-csv-no-out", ["export", "-f", "csv"], "give -o FILE"),
    Case("export-proc", ["export", "-o", "/proc/nope/x.ttl"], "/proc/nope"),
    Case("export-sys", ["export", "-o", "/sys/x.ttl"], "/sys/x.ttl"),
    Case("export-parent-file", ["export", "-o", "{data}/areas.yaml/x.ttl"], "is a file"),
    Case("export-dev-null", ["export", "-o", "/dev/null"], "refusing to write /dev/null"),
    Case("build-out-dev-null", ["build", "-o", "/dev/null"], "/dev/null"),
    Case("data-missing", ["--data", "{tmp}/nope", "build"], "data folder not found"),
    Case("data-is-file", ["--data", "{data}/areas.yaml", "shared"], "areas.yaml"),
    Case("slug-empty", ["slug"], "Missing argument"),
    # --- adversarial pass (trial2)
    Case("query-empty", ["query", ""], "the query is empty"),
    Case("query-blank-comment", ["query", "  # nothing\n"], "the query is empty"),
    Case("query-timeout-inf", ["query", "ASK {}", "--timeout", "1e999"], "inf is not a finite number of seconds"),
    Case("query-timeout-nan", ["query", "ASK {}", "--timeout", "nan"], "nan is not a finite number of seconds"),
    Case("serve-timeout-nan", ["serve", "--timeout", "nan"], "not a finite number of seconds"),
    Case("serve-host-nul", ["serve", "--host", "a\x00b", "--port", "0"], "is not a host name or address"),
    Case("slug-no-letters", ["slug", "😀 !"], "no slug for '😀 !'"),
    Case("slug-blank", ["slug", ""], "no slug for ''"),
    Case("data-empty", ["--data", "", "shared"], "an empty path"),
    Case("build-dir-empty", ["--build-dir", "", "shared"], "an empty path"),
    Case("build-out-empty", ["build", "-o", ""], "an empty path"),
    Case("export-out-blank", ["export", "-o", " "], "an empty path"),
    Case("report-out-empty", ["report", "-o", ""], "an empty path"),
    Case("draft-out-empty", ["draft", "{tmp}/r.txt", "-o", ""], "an empty path"),
    Case("review-dir-empty", ["review", ""], "an empty path"),
    Case("mechanism-own-part", ["build"], "field 'parts': 'gaoxin-sidashizhao' is listed among its own parts",
         replace={_G: ("    parts: [gaoxin-dangjianyinling-shizhao, ", "    parts: [gaoxin-sidashizhao, ")}),
    Case("parts-cycle", ["build"], "part-of cycle: 'gaoxin-dangjianyinling-shizhao'",
         replace={_G: ("    parts: [gaoxin-shequqiye-dangjianlianjian, gaoxin-wanggeruqi-qiyeruge]",
                       "    parts: [gaoxin-shequqiye-dangjianlianjian, gaoxin-wanggeruqi-qiyeruge, gaoxin-sidashizhao]")}),
    Case("yml-suffix", ["build"], "x.yml: data files end in .yaml: rename it to x.yaml", {"x.yml": "areas: 3\n"}),
    Case("site-id-not-slug-no-cascade", ["build"], "Error: 1 problem in the data:\n  ",
         replace={_G: ("  id: gaoxinshequ\n", "  id: gaoxin shequ\n")}),
    Case("draft-url-scheme", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d", "--url", "javascript:alert(1)"],
         "--url must be an http(s) URL", {"../r.txt": _REPORT}),
    Case("draft-url-space", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d", "--url", "http://a b"], "--url must be", {"../r.txt": _REPORT}),
    Case("draft-publisher-slash", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d", "--publisher", "/"], "--publisher must be",
         {"../r.txt": _REPORT}),
    Case("draft-source-id-empty", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d", "--source-id", ""], "--source-id must be a slug",
         {"../r.txt": _REPORT}),
    Case("draft-title-empty", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d", "--title", " "], "--title is empty", {"../r.txt": _REPORT}),
    Case("draft-name-no-slug", ["draft", "{tmp}/😀.txt", "-o", "{tmp}/d"], "cannot make a source id from the file name",
         {"../😀.txt": _REPORT}),
    Case("draft-report-fifo", ["draft", "/dev/null", "-o", "{tmp}/d"], "/dev/null is not a regular file"),
    Case("label-terminal-escape", ["build"], "gaoxinshequ.yaml:7: field 'en': holds the control character U+001B",
         replace={_G: ("  en: Gaoxin Community\n", '  en: "Gaoxin\\e]0;pwned\\a Community"\n')}),
    Case("label-line-break", ["build"], "field 'en': holds a line break or tab: a label is one line",
         replace={_G: ("  en: Gaoxin Community\n", '  en: "Gaoxin\\nCommunity"\n')}),
    Case("label-line-separator", ["build"], "field 'en': holds a line break or tab: a label is one line",
         replace={_G: ("  en: Gaoxin Community\n", '  en: "Gaoxin\\u2028Community"\n')}),
    Case("label-bidi-override", ["build"], "field 'zh': holds the control character U+202E",
         replace={_G: ("  zh: 高新社区\n", '  zh: "高新\\u202E社区"\n')}),
    Case("description-nul", ["build"], "field 'description': holds the control character U+0000",
         replace={_G: ("      zh: 以党建引领", '      zh: "\\0"\n      x_: 以党建引领')}),
    Case("yaml-raw-control", ["build"], "x.yaml:2: malformed YAML: character U+007F is not allowed",
         {"x.yaml": "a: 1\nb: 'x\x7f'\n"}),
    Case("draft-report-control-char", ["draft", "{tmp}/c.txt", "-o", "{tmp}/d"], "c.txt:2: the text holds the control character U+0000",
         {"../c.txt": "美兰区白沙街道测试社区:\n化解纠纷\x0028件。\n"}),
    Case("query-group-by-unselected", ["query", "SELECT ?x WHERE { BIND(1 AS ?x) } GROUP BY ?y"],
         "SPARQL syntax error at line 1, column 46: The SELECT contains a variable that is unbound"),
    Case("query-duplicate-variable", ["query", "SELECT ?x ?x WHERE {}"], "column 22: Duplicated variable name in SELECT"),
    Case("redirect-path", ["build"], "field 'from': expected '<kind>/<id>'",
         replace={"redirects.yaml": ("  - from: mechanism/wenshan-zhongdianquyujiankong", "  - from: '../x y'")}),
    Case("outcome-same-measure-as-itself", ["build"], "field 'same_measure_as': 'gaoxinshequ-qiyehuzhu-changci' names itself",
         replace={_G: ("    unit: changci\n", "    unit: changci\n    same_measure_as: gaoxinshequ-qiyehuzhu-changci\n")}),
    Case("event-date-with-time", ["build"], "field 'date': expected an ISO date (YYYY-MM-DD, no time)",
         replace={"events.yaml": ("    date: 2024-11-02\n", "    date: 2024-11-02T10:00:00\n")}),
    Case("draft-broken-gazetteer", ["draft", "{tmp}/r.txt", "-o", "{tmp}/d"],
         "the curated data read for the gazetteer", {"../r.txt": _REPORT, "x.yaml": "a: 1\n"}),
    Case("label-yaml-boolean", ["build"], "field 'en': expected a non-empty text, got False (YAML reads yes, no",
         replace={_G: ("  en: Gaoxin Community\n", "  en: No\n")}),
    Case("serve-workers-huge", ["serve", "--workers", "100000", "--port", "0"], "100000 is not in the range 1<=x<=128"),
    Case("bind-too-many-readings", ["query", "SELECT ?a ?b ?c ?d WHERE { ?s rdfs:label ?a }", "--bind", "a=x", "--bind", "b=x",
                                    "--bind", "c=x", "--bind", "d=x"], "4 plain-text values (?a, ?b, ?c, ?d) would run the query 81 times"),
    Case("query-stdin-endless", ["query", "-"], "standard input holds more than 16,777,216 bytes", input=b"#" * (17 << 20)),
    Case("excel-safe-not-csv", ["query", "ASK {}", "-f", "tsv", "--excel-safe"], "--excel-safe is for -f csv"),
    Case("huge-value-quoted-back-cut", ["build"], "… (cut: the message is",
         replace={_G: ("  type: community\n", "  type: " + "y" * 100_000 + "\n")}),
    Case("query-timeout-overflow", ["query", "ASK {}", "--timeout", "1e10"], "is more than 1,000,000 s"),
    Case("serve-timeout-overflow", ["serve", "--timeout", "1e300"], "is more than 1,000,000 s"),
    Case("serve-memory-overflow", ["serve", "--memory", "99999999999999"], "is not in the range 0<=x<=1048576"),
    Case("label-invisible", ["build"], "field 'en': expected a non-empty text",
         replace={_G: ("  en: Gaoxin Community\n", '  en: "\\u200b\\u3000"\n')}),
    Case("export-csv-no-suffix", ["export", "-f", "csv", "-o", "{tmp}/NAME"], "give a file name ending in .csv"),
]


def _prepare(case: Case, data: Path) -> list[str]:
    tmp = data.parent
    for name, content in case.files.items():
        p = data / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    for name, (old, new) in case.replace.items():
        p = data / name
        text = p.read_text(encoding="utf-8")
        assert old in text, f"{case.id}: {old!r} not in {name}"
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
    args = [a.replace("{data}", str(data)).replace("{tmp}", str(tmp)) for a in case.args]
    return args if args[0] == "--data" else ["--data", str(data), *args]


def assert_clean_error(result, expect: str | None = None, codes=(1, 2)):
    """Exit 1 or 2, an ``Error:`` message (with ``expect`` in it), no traceback."""
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}\n{out}")
    assert "Traceback" not in out
    assert result.exit_code in codes, out
    assert "Error:" in out, out
    if expect:
        assert expect in out, out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_a_clean_error(case, request, monkeypatch):
    # cases that change the data get a fresh copy; the others share a built one (faster)
    changes_data = case.replace or "build" in case.args or any(not n.startswith("../") for n in case.files)
    data = request.getfixturevalue("data_copy" if changes_data else "scratch")
    monkeypatch.chdir(data.parent)  # nothing lands in the checkout
    args = _prepare(case, data)
    result = CliRunner().invoke(cli, args, input=case.input)
    assert_clean_error(result, case.expect, case.code)


def test_file_too_large_is_refused(data_copy, monkeypatch):
    import govkg.yamlread  # the reader of data files, which holds the limit

    monkeypatch.setattr(govkg.yamlread, "MAX_FILE_BYTES", 1000)
    (data_copy / "x.yaml").write_text("# " + "x" * 2000 + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data", str(data_copy), "build"])
    assert_clean_error(result, "x.yaml: file too large (2003 bytes; the limit is 1000)")


class _CountingSparql(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint that counts the requests it gets (a SERVICE clause must send none)."""

    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(500)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_service_is_refused_without_a_request(built_data):
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingSparql)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{server.server_port}/> {{ ?s ?p ?o }} }}"
        result = CliRunner().invoke(cli, ["--data", str(built_data), "query", q])
    finally:
        server.shutdown()
        server.server_close()
    assert_clean_error(result, "SERVICE", (1,))
    assert _CountingSparql.hits == 0


def test_error_while_reading_rows_is_a_clean_error(monkeypatch):
    """Oxigraph computes solutions while they are read: an error then is a QueryError too."""
    import pyoxigraph as ox

    import govkg.query as q

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://p"), ox.Literal("x")))

    class _Failing:
        def __iter__(self):
            raise RuntimeError("disk went away")

    monkeypatch.setattr(q, "_evaluate", lambda *a, **k: _Failing())
    with pytest.raises(q.QueryError, match="the query failed while its results were read: disk went away"):
        q.run_query(store, "SELECT ?s WHERE { ?s ?p ?o }")


def test_incidence_level_is_a_govkg_error(graph):
    from govkg.errors import GovkgError
    from govkg.shared import incidence

    with pytest.raises(GovkgError, match="level must be"):
        incidence(graph, "nonsense")


# --- every registered command, generically -----------------------------------------------

COMMANDS = sorted(cli.commands)


@pytest.fixture(scope="module")
def scratch(built_data, tmp_path_factory):
    """A copy of the built data that commands may write into."""
    root = tmp_path_factory.mktemp("cli-errors")
    shutil.copytree(built_data.parent, root / "project")
    return root / "project" / "data"


def _invoke(args):
    """Run the CLI in-process. Arguments are malformed, so no command gets to start a server."""
    return CliRunner().invoke(cli, args)


def test_every_command_is_in_the_table_or_generic_tests():
    assert {"build", "query", "export", "viz", "suggest"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_unknown_option(name, scratch):
    result = _invoke(["--data", str(scratch), name, "--no-such-option-zz"])
    assert_clean_error(result, "No such option", (2,))


@pytest.mark.parametrize("name", COMMANDS)
def test_nonsense_argument(name, scratch, monkeypatch):
    monkeypatch.chdir(scratch.parent)
    # (no NUL byte: a real command line cannot carry one)
    result = _invoke(["--data", str(scratch), name, "zz-\u2603-nonsense/../"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code != 0:  # some commands take any text (slug)
        assert result.exit_code in (1, 2) and "Error:" in result.output, result.output


def _typed_options():
    for name in COMMANDS:
        for p in cli.commands[name].params:
            if not isinstance(p, click.Option) or p.is_flag or p.count:
                continue
            t = p.type
            if isinstance(t, (click.types.IntParamType, click.types.FloatParamType, click.Choice)):
                bad = "nonsense"
            elif isinstance(t, click.Path) and not t.dir_okay:
                bad = "/"
            elif isinstance(t, click.Path) and not t.file_okay:
                bad = "/dev/null"
            else:
                continue
            yield pytest.param(name, p.opts[-1], bad, id=f"{name} {p.opts[-1]} {bad}")


@pytest.mark.parametrize("name, opt, bad", list(_typed_options()))
def test_malformed_option_value(name, opt, bad, scratch, monkeypatch):
    monkeypatch.chdir(scratch.parent)
    args = {"similar": ["高新社区"], "suggest": ["高新社区"]}.get(name, [])
    result = _invoke(["--data", str(scratch), name, *args, opt, bad])
    assert_clean_error(result)
