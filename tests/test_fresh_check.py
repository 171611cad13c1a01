"""The freshness check readers pay (issue 17): one walk and stat of the data folder against the manifest's
``stamps_digest``; the table of inputs (``inputs.json``) is read only when a stamp changed."""

from __future__ import annotations

import json
import os

import pytest

from govkg import manifest
from govkg.build import build, is_fresh

SITE = "sites/gaoxinshequ.yaml"


@pytest.fixture
def built(data_copy):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=[], check=False)
    return data_copy, out


def test_manifest_is_small_and_names_the_table_of_inputs_by_its_hash(built):
    data, out = built
    m = json.loads((out / manifest.MANIFEST).read_text(encoding="utf-8"))
    assert m["format"] == manifest.FORMAT == 3
    assert "inputs" not in m and "stamps" not in m
    assert m["inputs_sha"] == manifest.digest((out / manifest.INPUTS).read_bytes())
    hashes, stamps = manifest.read_inputs(out, m)
    assert (hashes, stamps) == manifest.input_state(data)
    assert m["stamps_digest"] == manifest.stamps_digest(stamps) == manifest.data_digest(data)


@pytest.mark.parametrize("sidecar", [None, b"", b"{not json", b'{"inputs": {}, "stamps": {}}'])
def test_a_fresh_build_is_fresh_without_reading_the_table_of_inputs(built, sidecar):
    data, out = built
    table = out / manifest.INPUTS
    if sidecar is None:
        table.unlink()
    else:
        table.write_bytes(sidecar)
    assert manifest.stale_reason(out, data) is None and is_fresh(out, data)
    # any changed stamp takes the slow path, which refuses a table that is not the one built
    path = data / SITE
    path.write_text(path.read_text(encoding="utf-8").replace("高新社区", "高新社区甲", 1), encoding="utf-8")
    assert manifest.stale_reason(out, data) == "the build's table of data files (inputs.json) is missing or damaged"
    assert not is_fresh(out, data)


def test_a_touched_file_is_compared_by_content_and_an_edited_one_is_named(built):
    data, out = built
    path = data / SITE
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # other stamp, same content
    assert manifest.data_digest(data) != json.loads((out / manifest.MANIFEST).read_text(encoding="utf-8"))[
        "stamps_digest"]
    assert manifest.stale_reason(out, data) is None
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("高新社区", "高新社区甲", 1), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old mtime and size do not hide the edit
    assert manifest.stale_reason(out, data) == f"data changed since the build: {SITE}"
    path.write_text(text, encoding="utf-8")
    assert manifest.stale_reason(out, data) is None
    (data / "sites" / "new.yaml").write_text("", encoding="utf-8")
    assert manifest.stale_reason(out, data) == "data changed since the build: sites/new.yaml"


def test_an_older_manifest_format_asks_for_a_build(built):
    data, out = built
    m = json.loads((out / manifest.MANIFEST).read_text(encoding="utf-8"))
    (out / manifest.MANIFEST).write_text(json.dumps({**m, "format": 2}), encoding="utf-8")
    assert manifest.stale_reason(out, data) == "build made with another manifest format"


def test_the_walk_lists_what_rglob_lists(tmp_path):
    data = tmp_path / "data"
    (data / "sites" / "deep").mkdir(parents=True)
    (data / "sites" / "a.yaml").write_text("a", encoding="utf-8")
    (data / "sites" / "deep" / "b.yaml").write_text("b", encoding="utf-8")
    (data / "sites" / "notes.txt").write_text("c", encoding="utf-8")
    (data / "sites" / "dir.yaml").mkdir()  # a folder named like a data file: not a file
    (data / "link.yaml").symlink_to(data / "sites" / "a.yaml")  # a link to a file: read as the file
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "c.yaml").write_text("c", encoding="utf-8")
    (data / "linked").symlink_to(outside, target_is_directory=True)  # a folder link: not followed
    (data / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    want = sorted(p.relative_to(data).as_posix() for p in data.rglob("*.yaml") if p.is_file())
    hashes, stamps = manifest.input_state(data)
    assert list(hashes) == list(stamps) == want == ["link.yaml", "sites/a.yaml", "sites/deep/b.yaml"]
    assert manifest.data_digest(data) == manifest.stamps_digest(stamps)
    assert manifest.data_digest(tmp_path / "absent") == manifest.stamps_digest({})



_CHILD = """
import sys
from govkg import manifest
data = sys.argv[1]
if sys.argv[2] == "fail":  # the child inherits the patch and fails; this process then uses the real function
    real, manifest.data_digest = manifest.data_digest, lambda d: 1 / 0
    apart = manifest.DigestApart(data)
    manifest.data_digest = real
else:
    apart = manifest.DigestApart(data)
if sys.argv[2] == "close":  # the child's answer not wanted: it is killed and reaped; result() still answers
    apart.close()
print(apart.forked, apart.result())
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or not hasattr(os, "fork"),
                    reason="the digest is forked on Linux only (the thread path is tested below)")
@pytest.mark.parametrize("child", ["ok", "fail", "close"])
def test_a_fresh_process_forks_the_digest_and_gets_the_same_answer(built, child):
    """In a fresh process (this one runs RocksDB's threads once a store was opened: it would not fork),
    the digest comes from a forked child, or from the process itself when the child fails or was ended."""
    import subprocess
    import sys

    data, _ = built
    out = subprocess.run([sys.executable, "-c", _CHILD, str(data), child], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", manifest.data_digest(data)]
    assert out.stderr == ""


def test_a_small_folder_is_walked_here(built):
    """``open_fresh`` forks only for builds of more than ``FORK_DIGEST_SITES`` sites: the bundled 8 are walked
    in this process (a query's own worker is then its only child, as ``govkg query`` tests expect)."""
    from govkg.store import FORK_DIGEST_SITES

    data, out = built
    assert json.loads((out / manifest.MANIFEST).read_text(encoding="utf-8"))["counts"]["site"] <= FORK_DIGEST_SITES
    apart = manifest.DigestApart(data, fork=False)
    assert not apart.forked and apart.result() == manifest.data_digest(data)


def test_with_a_thread_running_the_digest_is_computed_here(built):
    import threading

    data, _ = built
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        apart = manifest.DigestApart(data)
        assert not apart.forked
        assert apart.result() == manifest.data_digest(data)
    finally:
        stop.set()
        t.join()


def test_an_edit_is_seen_through_open_fresh(built):
    from govkg.store import open_fresh

    data, out = built
    opened = open_fresh(data, out)
    assert opened is not None
    opened.close()
    path = data / SITE
    path.write_text(path.read_text(encoding="utf-8").replace("高新社区", "高新社区甲", 1), encoding="utf-8")
    assert open_fresh(data, out) is None  # stale: the caller compiles in memory
