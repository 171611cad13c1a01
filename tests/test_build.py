"""Building the graph: outputs, determinism, atomic writes, and bad input named by file, line and field."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from govkg.build import build, build_graph, is_fresh, load_graph, load_store, write_atomic
from govkg.errors import DataError, GovkgError, ValidationError
from rdflib import RDF, Graph
from rdflib.compare import isomorphic


def test_build_writes_turtle_and_ntriples_that_are_the_same_graph(data_copy, sources_dirs, graph):
    out = data_copy.parent / "build"
    report = build(data_copy, out, sources_dirs=sources_dirs)
    names = sorted(p.name for p in report.outputs)
    assert names[:3] == ["govkg.nt", "govkg.ttl", "parts.sqlite"] and names[3].startswith("store-")
    ttl = Graph().parse(out / "govkg.ttl", format="turtle")
    nt = Graph().parse(out / "govkg.nt", format="nt")
    assert isomorphic(ttl, nt)
    assert isomorphic(ttl, graph)
    assert report.triples == len(graph)
    assert report.entries["site"] == 8


def test_build_is_deterministic(data_copy, sources_dirs):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)
    first = (out / "govkg.nt").read_bytes()
    build(data_copy, out, sources_dirs=sources_dirs)
    assert isomorphic(Graph().parse(data=first, format="nt"), Graph().parse(out / "govkg.nt", format="nt"))


def test_the_dump_is_the_sorted_ntriples_of_the_graph_and_build_names_the_helpers(data_copy, sources_dirs, graph):
    """The N-Triples helpers live in ``govkg.ntriples``; ``govkg.build`` names them too, for users of the old names."""
    import importlib

    import govkg.ntriples

    build_module = importlib.import_module("govkg.build")  # ``govkg.build`` is the function ``build``
    for name in govkg.ntriples.__all__:
        assert getattr(build_module, name) is getattr(govkg.ntriples, name) and name in build_module.__all__
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)
    nt = (out / "govkg.nt").read_bytes()
    assert nt == govkg.ntriples.ntriples(graph)
    assert (out / "govkg.ttl").read_bytes() == govkg.ntriples.turtle_from_ntriples(nt)


def test_load_graph_uses_fresh_build_and_falls_back_when_stale(data_copy, sources_dirs, graph):
    out = data_copy.parent / "build"
    assert not is_fresh(out, data_copy)
    build(data_copy, out, sources_dirs=sources_dirs)
    assert is_fresh(out, data_copy)
    assert isomorphic(load_graph(data_copy, out), graph)
    assert len(load_store(data_copy, out)) == len(graph)
    site = data_copy / "sites" / "gaoxinshequ.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("en: Gaoxin Community", "en: Gaoxin Neighbourhood"),
                    encoding="utf-8")
    stamp = (out / "govkg.nt").stat().st_mtime
    os.utime(site, (stamp + 5, stamp + 5))
    assert not is_fresh(out, data_copy)
    assert "Gaoxin Neighbourhood" in load_graph(data_copy, out).serialize(format="nt")


def test_write_atomic_keeps_previous_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "old")

    with pytest.raises(GovkgError, match="expected bytes or str"):
        write_atomic(target, 12345)  # not bytes: fails before the rename
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# --- bad input -------------------------------------------------------------------------

def _break(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1  # line of the change


def _problem(exc_info):
    assert exc_info.value.problems, "DataError without problems"
    return exc_info.value.problems[0]


@pytest.mark.parametrize("old, new, field, message", [
    ("type: community", "type: metropolis", "type", "is not one of"),
    ("kinds: [yishitangyishihui]", "kinds: [no-such-kind]", "kinds", "unknown kind 'no-such-kind'"),
    ("within: xiuyingjiedao", "within: nowhere", "within", "unknown site or area id 'nowhere'"),
    ("unit: jian", "unit: jin", "unit", "unknown unit 'jin'"),
    ("value: 24", "value: twenty-four", "value", "expected a number"),
    ("en: Gaoxin Community", "english: Gaoxin Community", "english", "unknown field"),
])
def test_bad_field_names_file_line_and_field(data_copy, sources_dirs, old, new, field, message):
    f = data_copy / "sites" / "gaoxinshequ.yaml"
    line = _break(f, old, new)
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=sources_dirs)
    p = _problem(exc_info)
    assert p.file == "data/sites/gaoxinshequ.yaml"
    assert p.line == line
    assert p.field == field
    assert message in p.message
    assert f"data/sites/gaoxinshequ.yaml:{line}: field '{field}'" in str(exc_info.value)


def test_malformed_yaml_names_file_and_line(data_copy):
    f = data_copy / "sites" / "gaoxinshequ.yaml"
    line = _break(f, "  type: community", "  type: [community")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    p = _problem(exc_info)
    assert p.file == "data/sites/gaoxinshequ.yaml"
    assert "malformed YAML" in p.message
    assert p.line is not None and line <= p.line <= line + 2


def test_duplicate_id_names_both_places(data_copy):
    f = data_copy / "sites" / "jiangyuancun.yaml"
    _break(f, "  - use: yezhihuiyishitang", "  - id: yezhihuiyishitang\n    zh: 椰智荟\n    en: Yezhihui\n    kinds: [yishitangyishihui]")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    p = _problem(exc_info)
    assert p.file == "data/sites/jiangyuancun.yaml" and p.field == "id"
    assert "duplicate id 'yezhihuiyishitang'" in p.message and "data/sites/gaoxinshequ.yaml:" in p.message


def test_missing_evidence_is_refused(data_copy):
    f = data_copy / "areas.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(re.sub(r"\n    evidence: '秀英区秀英街道高新社区:'", "", text, count=1), encoding="utf-8")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    p = _problem(exc_info)
    assert (p.file, p.field) == ("data/areas.yaml", "evidence")
    assert "missing evidence" in p.message


def test_evidence_not_in_source_is_refused(data_copy, sources_dirs, source_text):
    f = data_copy / "areas.yaml"
    line = _break(f, "evidence: '秀英区秀英街道高新社区:'", "evidence: '秀英区秀英街道的高新社区:'")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=sources_dirs)
    p = _problem(exc_info)
    assert (p.file, p.line, p.field) == ("data/areas.yaml", line, "evidence")
    assert "not found verbatim" in p.message


def test_number_must_occur_in_its_evidence(data_copy):
    f = data_copy / "sites" / "gaoxinshequ.yaml"
    line = _break(f, "value: 24", "value: 25")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    assert (_problem(exc_info).line, _problem(exc_info).field) == (line, "value")


def _snapshot(folder):
    """``{relative path: bytes}`` of every file under ``folder`` (the store is a folder)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_leaves_previous_output_untouched(data_copy, sources_dirs):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)
    before = _snapshot(out)
    _break(data_copy / "sites" / "gaoxinshequ.yaml", "unit: jian", "unit: jin")
    with pytest.raises(DataError):
        build(data_copy, out, sources_dirs=sources_dirs)
    assert _snapshot(out) == before


def test_build_puts_the_cycle_collector_back_as_it_was(data_copy, sources_dirs):
    """The build pauses Python's cycle collector; after it, succeeded or failed, the state is the caller's."""
    import gc

    assert gc.isenabled()
    build(data_copy, data_copy.parent / "build", sources_dirs=sources_dirs)
    assert gc.isenabled()
    _break(data_copy / "sites" / "gaoxinshequ.yaml", "unit: jian", "unit: jin")
    with pytest.raises(DataError):
        build(data_copy, data_copy.parent / "build", sources_dirs=sources_dirs)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(DataError):
            build_graph(data_copy, sources_dirs=sources_dirs)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_build_refuses_graph_that_violates_a_quality_rule(data_copy, sources_dirs):
    # Valid YAML the loader accepts, but the graph breaks a rule: the same mechanism written
    # twice under two ids (the second site should `use:` the first one's id).
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)
    before = _snapshot(out)
    _break(data_copy / "sites" / "jiangyuancun.yaml", "  - use: yezhihuiyishitang",
           "  - id: jiangyuan-yezhihui\n    zh: “椰智荟”议事堂\n    en: Yezhihui Deliberation Hall\n"
           "    kinds: [yishitangyishihui]")
    with pytest.raises(ValidationError) as exc_info:
        build(data_copy, out, sources_dirs=sources_dirs)
    rules = {v.rule for v in exc_info.value.report.violations}
    assert rules == {"duplicate-mechanism"}
    assert _snapshot(out) == before


def test_duplicate_yaml_key_names_its_line(data_copy):
    f = data_copy / "sites" / "gaoxinshequ.yaml"
    line = _break(f, "  en: Gaoxin Community\n", "  en: Gaoxin Community\n  en: Gaoxin again\n") + 1
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    p = _problem(exc_info)
    assert (p.file, p.line, p.field) == ("data/sites/gaoxinshequ.yaml", line, "en")
    assert "duplicate key" in p.message


def test_missing_id_defaults_to_pinyin_of_zh(data_copy):
    f = data_copy / "sites" / "wenshancun.yaml"
    _break(f, "  id: wenshancun\n", "")
    g = build_graph(data_copy, sources_dirs=[])
    from govkg.namespace import GK, ID
    from rdflib import RDF
    assert (ID["site/wenshancun"], RDF.type, GK.DemonstrationSite) in g


def test_bundled_data_writes_every_id_out():
    from govkg.model import load_data
    from govkg.slug import is_slug

    ds = load_data(Path(__file__).resolve().parent.parent / "data")
    missing = [f"{e.file}:{e.line}" for e in ds.entries
               if not e.is_use and e.section != "redirects" and "id" not in e.values]
    assert not missing
    assert all(is_slug(e.id) for e in ds.entries if e.section != "redirects")


def test_iris_of_schema_v1_stay_or_are_redirected(graph):
    """Every IRI of the data before schema v2 is still a node, or is listed in data/redirects.yaml."""
    from govkg.namespace import ID
    from rdflib import OWL
    from rdflib.namespace import DCTERMS

    listed = Path(__file__).resolve().parent / "fixtures" / "migration" / "ids-schema-v1.txt"
    old = [ID[line] for line in listed.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(old) > 150
    kept = {s for s in old if (s, RDF.type, None) in graph}
    redirected = {s for s in old if (s, DCTERMS.isReplacedBy, None) in graph or (s, OWL.deprecated, None) in graph}
    assert set(old) == kept | redirected and not kept & redirected


def test_old_format_is_refused_with_what_to_change(data_copy):
    f = data_copy / "sites" / "gaoxinshequ.yaml"
    line = _break(f, "    direction: decrease\n", "")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_copy, sources_dirs=[])
    p = _problem(exc_info)
    assert (p.file, p.line, p.field) == ("data/sites/gaoxinshequ.yaml", line - 1, "direction")  # the measure line
    assert "needs 'direction: increase', 'decrease' or 'no-change'" in p.message


def test_source_text_that_is_not_utf8_names_the_source_file(data_copy, tmp_path):
    """A report saved in GBK is a DataError at the source's 'file' field, not a UnicodeDecodeError."""
    import yaml

    src = data_copy / "sources" / "haikou-jicengzhili-shifandian-2024.yaml"
    name = yaml.safe_load(src.read_text(encoding="utf-8"))["file"]
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / name).write_bytes("海口市基层治理示范点。".encode("gbk"))
    with pytest.raises(DataError) as exc:
        build_graph(data_copy, sources_dirs=[texts])
    (p,) = exc.value.problems
    assert (p.file, p.field) == ("data/sources/haikou-jicengzhili-shifandian-2024.yaml", "file")
    assert "is not UTF-8" in p.message and p.line == _line_of(src, "file:")


def _line_of(path, marker):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(marker))


_NATIONAL = """
import importlib, os, sys
importlib.import_module("govkg.build").DISK_VALIDATION_FILES = 0  # every build counts as national here
from govkg.cli import main
try:
    main()
finally:
    print("PYTHONMALLOC", os.environ.get("PYTHONMALLOC"))
"""


@pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="the restart is for glibc's allocator")
def test_a_national_build_on_the_command_line_starts_again_with_the_c_allocator(data_copy, tmp_path):
    """``govkg build`` of more than DISK_VALIDATION_FILES files runs in the same process started again
    with PYTHONMALLOC=malloc (heap.malloc_restart); the build then completes as any other."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONMALLOC"}
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-c", _NATIONAL, "--data", str(data_copy), "--build-dir", str(out), "build"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "PYTHONMALLOC malloc" in r.stdout  # printed by the process started again, not the first
    assert "PYTHONMALLOC None" not in r.stdout
    assert "triples" in r.stdout and is_fresh(out, data_copy)


def test_a_build_through_the_library_or_the_test_runner_does_not_start_again(data_copy, tmp_path):
    from click.testing import CliRunner
    from govkg import cli as cli_module

    assert cli_module._ARGV is None  # main() was not how this process started: nothing to start again
    r = CliRunner().invoke(cli_module.cli, ["--data", str(data_copy), "--build-dir", str(tmp_path / "b"), "build"])
    assert r.exit_code == 0, r.output
