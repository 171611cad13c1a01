"""A hostile build folder: damaged, replaced or shared parts, lock and manifest end in a clean error or a correct full build."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib.compare import isomorphic

from govkg import manifest
from govkg.build import build, build_graph, is_fresh, load_graph, load_store
from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.parts import NAME

from buildstate import generate_realistic
from buildstate import state as _state

ROOT = Path(__file__).resolve().parent.parent
EDITED = "sites/s1.yaml"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A synthetic data folder of 4 sites with its source text (benchmarks/generate.py)."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    generate_realistic(data, 4)
    return data


def _build(data, out, **kw):
    return build(data, out, sources_dirs=[data / "sources"], dumps=False, **kw)


@pytest.fixture
def built(synthetic, tmp_path):
    """(data, build folder): built without dumps, then one label of one file edited."""
    data = tmp_path / "project" / "data"
    shutil.copytree(synthetic, data)
    out = tmp_path / "project" / "build"
    _build(data, out)
    return data, out


def _edit(data):
    p = data / EDITED
    text = p.read_text(encoding="utf-8")
    assert "Site 1 Community" in text
    p.write_text(text.replace("Site 1 Community", "Site 1 Community (edited)", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def expected(synthetic, tmp_path_factory):
    """The state of a full build of the synthetic data after ``_edit`` (the same wherever it is built)."""
    data = tmp_path_factory.mktemp("expected") / "data"
    shutil.copytree(synthetic, data)
    _edit(data)
    _build(data, data.parent / "build", incremental=False)
    return _state(data.parent / "build")


def _same_as_full(data, out, expected):
    assert _state(out) == expected
    assert is_fresh(out, data)


def _sql(*statements):
    def damage(out):
        with sqlite3.connect(out / NAME) as c:
            for s in statements:
                c.execute(s)
    return damage


def _replace(make):
    def damage(out):
        (out / NAME).unlink()
        make(out / NAME)
    return damage


def _wrong_schema(path):
    gen = json.loads((path.parent / "manifest.json").read_text(encoding="utf-8"))["generation"]
    with sqlite3.connect(path) as c:  # the right generation, none of the tables
        c.execute("CREATE TABLE meta (key TEXT, value BLOB)")
        c.execute("INSERT INTO meta VALUES ('generation', ?)", (gen,))


# damage of parts.sqlite after which the rebuild must be a correct full build (and readers must not trust it)
FULL = {
    "garbage bytes": lambda out: (out / NAME).write_bytes(b"\x00not a database" * 500),
    "truncated": lambda out: (out / NAME).write_bytes((out / NAME).read_bytes()[:4096]),
    "wrong schema, right generation": _replace(_wrong_schema),
    "a table of other columns": _sql("DROP TABLE nodes", "CREATE TABLE nodes (x)"),
    "a part stored as text": _sql("UPDATE parts SET nt = CAST(nt AS TEXT)"),
    "a part stored as a number": _sql("UPDATE parts SET nt = 5"),
    "a part that is not N-Triples": _sql("UPDATE parts SET nt = X'3c613e3c613e0a'"),
    "a part that is not UTF-8": _sql("UPDATE parts SET nt = X'ff0a'"),
    "counts that are not JSON": _sql("UPDATE parts SET counts = 'not json'"),
    "counts of text": _sql("""UPDATE parts SET counts = '{"site": "x"}'"""),
    "an ontology of text": _sql("UPDATE meta SET value = 'x' WHERE key = 'ontology'"),
    "another ontology": _sql("UPDATE meta SET value = X'' WHERE key = 'ontology'"),
}


@pytest.mark.parametrize("name", sorted(FULL))
def test_damaged_parts_mean_a_full_build(built, name, expected):
    data, out = built
    FULL[name](out)
    _edit(data)
    report = _build(data, out)
    assert not getattr(report, "incremental", False), name
    _same_as_full(data, out, expected)


@pytest.mark.parametrize("name", ["a part that is not N-Triples", "a part that is not UTF-8", "a part stored as text",
                                  "an ontology of text", "garbage bytes"])
def test_readers_of_damaged_parts_compile_in_memory(built, name):
    data, out = built
    FULL[name](out)
    expected = build_graph(data, sources_dirs=[data / "sources"])
    assert isomorphic(load_graph(data, out), expected)
    assert len(load_store(data, out)) == len(expected)


def test_parts_replaced_by_a_link_are_written_through_but_never_read(built, tmp_path):
    """A link is written through (as every writer does), but parts behind a link are not trusted:
    each build is full and says why, and readers compile in memory (slow, never wrong)."""
    data, out = built
    target = tmp_path / "elsewhere.sqlite"
    shutil.move(out / NAME, target)
    (out / NAME).symlink_to(target)
    _edit(data)
    report = _build(data, out)
    assert not getattr(report, "incremental", False) and "parts" in report.full_because
    assert (out / NAME).is_symlink() and (out / NAME).resolve() == target
    _build(data, tmp_path / "full", incremental=False)
    assert _state(out) == _state(tmp_path / "full")
    assert not is_fresh(out, data)
    assert isomorphic(load_graph(data, out), load_graph(data, tmp_path / "full"))
    again = _build(data, out)
    assert not getattr(again, "incremental", False) and "parts" in again.full_because


@pytest.mark.parametrize("kind", ["fifo", "folder"])
@pytest.mark.parametrize("name", [NAME, ".build.lock"])
def test_a_fifo_or_folder_in_the_build_folder_is_refused_and_left_alone(built, kind, name, monkeypatch):
    data, out = built
    (out / name).unlink()
    if kind == "fifo":
        os.mkfifo(out / name)
    else:
        (out / name).mkdir()
    _edit(data)
    with pytest.raises(GovkgError, match="not a regular file"):
        _build(data, out)
    monkeypatch.setenv("GOVKG_SOURCES", str(data / "sources"))
    result = CliRunner().invoke(cli, ["--data", str(data), "build", "--no-dumps", "-o", str(out)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "Traceback" not in result.output
    assert (out / name).is_fifo() if kind == "fifo" else (out / name).is_dir()


def test_a_lock_file_that_is_a_link_locks_its_target(built, tmp_path, expected):
    data, out = built
    (out / ".build.lock").unlink(missing_ok=True)
    (out / ".build.lock").symlink_to(tmp_path / "lock-target")
    _edit(data)
    report = _build(data, out)
    assert report.incremental
    _same_as_full(data, out, expected)


MANIFEST = {
    "a generation that is a number": ("generation", 5),
    "a generation that is a list": ("generation", ["1-abc"]),
    "counts of text": ("counts", {"site": "x"}),
    "a negative count": ("counts", {"site": -1}),
    "warnings of numbers": ("warnings", [1]),
    "triples as text": ("triples", "3000"),
    "texts as a list": ("texts", ["x"]),
}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_a_manifest_edited_out_of_shape_means_a_full_build(built, name, expected):
    data, out = built
    key, value = MANIFEST[name]
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    m[key] = value
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    _edit(data)
    report = _build(data, out)
    assert not getattr(report, "incremental", False)
    _same_as_full(data, out, expected)


_CHILD = ("import sys; from govkg.build import build; "
          "build(sys.argv[1], sys.argv[2], sources_dirs=[sys.argv[3]], dumps=False)")


def test_builds_at_the_same_time_in_one_folder_take_turns(built, expected):
    data, out = built
    _edit(data)
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, str(data), str(out), str(data / "sources")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors: list = []

    def in_thread():
        try:
            _build(data, out)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=in_thread) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        _o, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert errors == []
    _same_as_full(data, out, expected)


def test_a_file_vanishing_while_it_is_hashed_is_a_clean_error(built, tmp_path, monkeypatch):
    data, out = built
    _edit(data)
    victim = data / EDITED
    stamp = manifest._stamp

    def vanish(st):
        if victim.exists() and os.stat(victim).st_ino == st.st_ino:
            victim.unlink()  # after its stat, before it is read
        return stamp(st)

    monkeypatch.setattr(manifest, "_stamp", vanish)
    with pytest.raises(GovkgError, match="cannot read the data folder"):
        _build(data, out)
    monkeypatch.undo()
    report = _build(data, out)  # the file is gone now: a full build without it
    assert not getattr(report, "incremental", False) and "removed" in report.full_because
    _build(data, tmp_path / "full", incremental=False)
    assert _state(out) == _state(tmp_path / "full") and is_fresh(out, data)


def test_a_file_vanishing_before_it_is_loaded_is_a_clean_error(built, tmp_path, monkeypatch):
    data, out = built
    _edit(data)
    state = manifest.input_state

    def then_remove(*args, **kwargs):
        result = state(*args, **kwargs)
        (data / EDITED).unlink()
        return result

    monkeypatch.setattr(manifest, "input_state", then_remove)
    with pytest.raises(GovkgError, match="cannot read"):
        _build(data, out)
    monkeypatch.undo()
    _build(data, out)
    _build(data, tmp_path / "full", incremental=False)
    assert _state(out) == _state(tmp_path / "full") and is_fresh(out, data)
