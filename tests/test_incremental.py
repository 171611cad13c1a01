"""Incremental rebuilds: only the changed files are recompiled and checked, and the result equals a full build."""

from __future__ import annotations

import os
import sqlite3

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from govkg.build import build, is_fresh, load_graph, load_store
from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.parts import NAME

from buildstate import state as _state

SITE = "sites/gaoxinshequ.yaml"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _outcome(data, out, sources_dirs):
    """What building ``data`` into ``out`` gives: ("ok", report) or (error class, message)."""
    try:
        return "ok", build(data, out, sources_dirs=sources_dirs, dumps=False)
    except GovkgError as exc:
        return type(exc).__name__, str(exc)


@pytest.fixture
def built(data_copy, sources_dirs):
    out = data_copy.parent / "build"
    report = build(data_copy, out, sources_dirs=sources_dirs, dumps=False)
    assert not getattr(report, "incremental", False) and not (out / "govkg.nt").exists()
    return data_copy, out


def test_an_edit_is_rebuilt_incrementally_and_equals_a_full_build(built, sources_dirs, tmp_path):
    data, out = built
    _edit(data / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (edited)')
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert report.incremental and report.parsed == [SITE]
    full = build(data, tmp_path / "full", sources_dirs=sources_dirs, dumps=False, incremental=False)
    assert not getattr(full, "incremental", False)
    assert _state(out) == _state(tmp_path / "full")
    assert (report.triples, report.entries, report.evidence_checked) == (full.triples, full.entries, full.evidence_checked)
    assert is_fresh(out, data)
    g = load_graph(data, out)
    assert isomorphic(g, load_graph(data, tmp_path / "full"))
    assert "one of the \"four practical moves\" (edited)" in {str(o) for o in g.objects()}
    assert len(load_store(data, out)) == len(g)


def test_nothing_changed_is_a_quick_rebuild_that_changes_nothing(built, sources_dirs):
    data, out = built
    before = _state(out)
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert report.incremental and report.parsed == []
    assert _state(out) == before


# Each edit below breaks the data in a way only the other files show (or in the file itself);
# the incremental rebuild must fail exactly as a full build of the same data does.
BROKEN = {
    "evidence not a whole sentence": (SITE, "破解企业生产与居民生活矛盾难题。", "破解企业生产与居民生活矛盾难题"),
    "unknown place": (SITE, "within: xiuyingjiedao", "within: nowhere"),
    "id of another file": (SITE, "id: gaoxin-sidashizhao", "id: cunlishishangliangzheban"),
    "containment cycle across files": ("areas.yaml", "within: xiuyingqu\n    evidence: '秀英区秀英街道高新社区:'",
                                       "within: gaoxinshequ\n    evidence: '秀英区秀英街道高新社区:'"),
    "lower-case party": (SITE, 'en: one of the "four practical moves"', "en: one of the party branches"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_edit_fails_as_a_full_build_does(built, sources_dirs, tmp_path, name):
    data, out = built
    before = _state(out)
    file, old, new = BROKEN[name]
    _edit(data / file, old, new)
    incremental = _outcome(data, out, sources_dirs)
    full = _outcome(data, tmp_path / "full", sources_dirs)
    assert incremental[0] != "ok" and incremental == full
    assert _state(out) == before  # the previous build is left as it was
    assert not is_fresh(out, data)


def test_removing_a_node_another_file_names_is_a_full_build_that_says_so(built, sources_dirs):
    data, out = built
    _edit(data / "areas.yaml", "  - id: xiuyingjiedao\n", "  - id: xiuyingjiedao-gone\n")
    kind, message = _outcome(data, out, sources_dirs)
    assert kind == "DataError" and "unknown site or area id 'xiuyingjiedao'" in message


def test_renaming_a_node_other_files_name_recompiles_in_full(built, sources_dirs, tmp_path):
    data, out = built
    _edit(data / SITE, "en: Gaoxin Community", "en: Gaoxin Neighbourhood")
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert not getattr(report, "incremental", False)
    assert "renamed" in report.full_because
    build(data, tmp_path / "full", sources_dirs=sources_dirs, dumps=False, incremental=False)
    assert _state(out) == _state(tmp_path / "full")


def test_a_new_file_and_a_node_moved_into_it_are_rebuilt_incrementally(built, sources_dirs, tmp_path):
    data, out = built
    text = (data / "events.yaml").read_text(encoding="utf-8")
    head, rest = text.split("  - id: taifengmojie\n")
    (data / "events.yaml").write_text(head, encoding="utf-8")
    (data / "typhoons.yaml").write_text("source: haikou-jicengzhili-shifandian-2024\nevents:\n  - id: taifengmojie\n"
                                        + rest, encoding="utf-8")
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert report.incremental and report.parsed == ["events.yaml", "typhoons.yaml"]
    build(data, tmp_path / "full", sources_dirs=sources_dirs, dumps=False)
    assert _state(out) == _state(tmp_path / "full")


def test_an_edit_that_keeps_the_old_modification_time_is_seen(built, sources_dirs):
    data, out = built
    path = data / SITE
    st = path.stat()
    _edit(path, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (x)')
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not is_fresh(out, data)
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert report.parsed == [SITE]
    assert any('moves" (x)' in str(o) for o in load_graph(data, out).objects())


def test_missing_parts_mean_a_full_build(built, sources_dirs):
    data, out = built
    (out / NAME).unlink()
    assert not is_fresh(out, data)
    _edit(data / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (y)')
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert not getattr(report, "incremental", False) and "parts" in report.full_because
    assert is_fresh(out, data)


def test_a_build_with_dumps_is_full_and_readers_use_the_dump(data_copy, sources_dirs):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)  # small: dumps by default
    assert (out / "govkg.nt").is_file() and (out / NAME).is_file()
    _edit(data_copy / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (z)')
    report = build(data_copy, out, sources_dirs=sources_dirs)
    assert not getattr(report, "incremental", False)
    nt = Graph().parse(out / "govkg.nt", format="nt")
    assert isomorphic(nt, load_graph(data_copy, out))


def test_cli_build_says_when_it_was_incremental(data_copy, sources_dirs, monkeypatch):
    monkeypatch.setenv("GOVKG_SOURCES", os.pathsep.join(map(str, sources_dirs)))
    runner = CliRunner()
    args = ["--data", str(data_copy), "build", "--no-dumps"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    _edit(data_copy / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (cli)')
    again = runner.invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "incremental rebuild: 1 changed file(s) recompiled and checked" in again.output
    full = runner.invoke(cli, [*args, "--full"])
    assert full.exit_code == 0 and "full build: asked for" in full.output
    query = runner.invoke(cli, ["--data", str(data_copy), "query", "-f", "csv",
                                'SELECT ?l WHERE { ?u a gk:MechanismUse ; gk:roleAtSite ?l FILTER (CONTAINS(STR(?l), "(cli)")) }'])
    assert query.exit_code == 0 and "(cli)" in query.output


def test_compiling_on_several_processes_gives_the_same_parts(data_copy, sources_dirs, tmp_path, monkeypatch):
    """Large data folders are compiled by forked processes in batches of files: same parts, same problems."""
    from govkg import model
    from govkg.build import _compile_indexed

    serial = _compile_indexed(data_copy, sources_dirs)
    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)  # other tests may have left a thread running
    forked = _compile_indexed(data_copy, sources_dirs)
    assert forked[2].batches > 1 and serial[2].batches == 0
    a, b = serial[1], forked[1]
    assert a.blobs == b.blobs and a.nodes == b.nodes and sorted(a.refs) == sorted(b.refs)
    assert a.labels == b.labels and a.unowned == b.unowned and a.counts == b.counts
    assert (serial[2].entries, serial[2].evidence_checked) == (forked[2].entries, forked[2].evidence_checked)
    build(data_copy, tmp_path / "forked", sources_dirs=sources_dirs)
    monkeypatch.undo()
    build(data_copy, tmp_path / "serial", sources_dirs=sources_dirs)
    assert (tmp_path / "forked" / "govkg.nt").read_bytes() == (tmp_path / "serial" / "govkg.nt").read_bytes()
    _edit(data_copy / SITE, "破解企业生产与居民生活矛盾难题。", "破解企业生产与居民生活矛盾难题")
    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)
    with pytest.raises(GovkgError) as forked_error:
        _compile_indexed(data_copy, sources_dirs)
    monkeypatch.undo()
    with pytest.raises(GovkgError) as serial_error:
        _compile_indexed(data_copy, sources_dirs)
    assert str(forked_error.value) == str(serial_error.value)


@pytest.mark.parametrize("site", ["changbingshequ", "jiaobucun", "poxiangshequ"])
def test_a_forked_build_validates_every_batch(data_copy, sources_dirs, monkeypatch, site):
    """The validation store is filled batch by batch while the forked compile runs: a violation
    only the quality rules see, in the first, a middle or the last batch, fails the build, which
    leaves nothing behind; the same data unbroken counts the triples of its dump."""
    from govkg import model
    from govkg.errors import ValidationError

    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)  # other tests may have left a thread running
    out = data_copy.parent / "build"
    report = build(data_copy, out, sources_dirs=sources_dirs, incremental=False)
    assert report.batches > 1
    assert report.triples == len(set((out / "govkg.nt").read_bytes().splitlines()))
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    _edit(data_copy / "sites" / f"{site}.yaml", "Party members", "party members")
    with pytest.raises(ValidationError, match="lowercase-party") as failed:
        build(data_copy, out, sources_dirs=sources_dirs, incremental=False)
    assert {v.rule for v in failed.value.report.violations} == {"lowercase-party"}
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_failure_writing_the_parts_is_an_error_and_leaves_the_build(built, sources_dirs, monkeypatch):
    """The parts database is written beside the validation: when that fails (a full disk), the
    build stops with a GovkgError and the previous build stays as it was, with no temporary file."""
    from govkg.parts import Parts

    data, out = built
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full_disk(path, **kw):
        path.write_bytes(b"half a database")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Parts, "create", full_disk)
    with pytest.raises(GovkgError, match=f"cannot write {out / NAME}: database or disk is full"):
        build(data, out, sources_dirs=sources_dirs, incremental=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_chunk_the_validation_store_cannot_load_is_never_ignored(built, sources_dirs, monkeypatch):
    """Were a compiled chunk not N-Triples (a bug), the build fails instead of validating a store without it."""
    import importlib

    build_module = importlib.import_module("govkg.build")  # the module (``govkg.build`` is also the function)
    data, out = built
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    validate = build_module._Overlap.validate

    def broken_chunk_first(self, onto):
        self.load(b"<urn:x> <urn:p> .\n")
        validate(self, onto)

    monkeypatch.setattr(build_module._Overlap, "validate", broken_chunk_first)
    with pytest.raises(SyntaxError):
        build(data, out, sources_dirs=sources_dirs, incremental=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_damaged_or_foreign_parts_are_never_trusted(built, sources_dirs, tmp_path):
    """Parts from another build folder (same data) or a damaged database: readers compile in memory, builds are full."""
    data, out = built
    other = tmp_path / "other"
    build(data, other, sources_dirs=sources_dirs, dumps=False)
    (out / NAME).write_bytes((other / NAME).read_bytes())  # a valid database of another build
    assert not is_fresh(out, data)
    assert isomorphic(load_graph(data, out), load_graph(data, other))  # compiled in memory, same graph
    _edit(data / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (w)')
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert not getattr(report, "incremental", False) and "generation" in report.full_because
    with sqlite3.connect(out / NAME) as c:  # damage a part's row under the right generation
        c.execute("DROP TABLE parts")
    assert not is_fresh(out, data)
    assert any('moves" (w)' in str(o) for o in load_graph(data, out).objects())
    _edit(data / SITE, '"four practical moves" (w)', '"four practical moves" (v)')
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert not getattr(report, "incremental", False) and "cannot be read" in report.full_because
    assert is_fresh(out, data)
