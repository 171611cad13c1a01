"""Safe writing: regular files only, symlinks written through, modes kept, sets replaced together."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.writers import TEMP_PREFIX, check_target, finish_interrupted, write_atomic, write_set


# --- the library function -------------------------------------------------------------------

def test_new_file_and_missing_folders(tmp_path):
    p = write_atomic(tmp_path / "a" / "b" / "out.txt", "海口")
    assert p.read_text(encoding="utf-8") == "海口"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask
    assert [q.name for q in p.parent.iterdir()] == ["out.txt"]  # no temporary file left


def test_existing_file_keeps_its_mode(tmp_path):
    p = tmp_path / "secret.ttl"
    p.write_text("old")
    p.chmod(0o600)
    write_atomic(p, "new")
    assert p.read_text() == "new" and stat.S_IMODE(p.stat().st_mode) == 0o600
    p.chmod(0o640)
    write_set({p: "newer", tmp_path / "other.ttl": "x"})
    assert stat.S_IMODE(p.stat().st_mode) == 0o640


def test_symlink_is_written_through(tmp_path):
    target = tmp_path / "real" / "graph.ttl"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.ttl"
    link.symlink_to(target)
    assert write_atomic(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.ttl"
    link.symlink_to(tmp_path / "new.ttl")
    write_atomic(link, "x")
    assert link.is_symlink() and (tmp_path / "new.ttl").read_text() == "x"


def test_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "null.png"
    link.symlink_to("/dev/null")
    with pytest.raises(GovkgError, match="character device"):
        write_atomic(link, b"x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def _special(tmp_path, kind):
    p = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "folder":
        p.mkdir()
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(p))
        s.close()
    return p


@pytest.mark.parametrize("kind, name", [("fifo", "FIFO"), ("folder", "folder"), ("socket", "socket")])
def test_special_files_are_refused(tmp_path, kind, name):
    p = _special(tmp_path, kind)
    mode = os.lstat(p).st_mode
    with pytest.raises(GovkgError, match=f"refusing to write .*{kind}: it is .*{name}"):
        write_atomic(p, "x")
    assert os.lstat(p).st_mode == mode
    assert not [q for q in tmp_path.iterdir() if q.name.startswith(TEMP_PREFIX)]


def test_device_is_refused():
    before = os.stat("/dev/null")
    with pytest.raises(GovkgError, match="refusing to write /dev/null: it is a character device"):
        write_atomic("/dev/null", "x")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


@pytest.mark.parametrize("path, reason", [
    ("/proc/nope/x", "No such file or directory"),
    ("/sys/x", "cannot write /sys/x"),
    ("/dev/null/x", "a parent of it is a file"),
])
def test_impossible_paths(path, reason):
    with pytest.raises(GovkgError, match=reason) as info:
        write_atomic(path, "x")
    assert path in str(info.value)


def test_parent_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("keep")
    for path in (f / "x.ttl", f / "deeper" / "x.ttl"):
        with pytest.raises(GovkgError, match="is a file, not a folder|a parent of it is a file"):
            write_atomic(path, "x")
    assert f.read_text() == "keep"


def test_a_refused_path_in_a_set_writes_nothing(tmp_path):
    good = tmp_path / "nodes.csv"
    good.write_text("old")
    with pytest.raises(GovkgError, match="/dev/null"):
        write_set({good: "new", Path("/dev/null"): "x"})
    assert good.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nodes.csv"]


def test_check_target_of_a_new_path(tmp_path):
    real, st = check_target(tmp_path / "new.nt")
    assert real == tmp_path.resolve() / "new.nt" and st is None


# --- killed runs ----------------------------------------------------------------------------

_KILLED_WRITER = r"""
import os, sys
from pathlib import Path
import govkg.writers as w
d = Path(sys.argv[1]); stage = sys.argv[2]
real_replace, real_open = os.replace, open
calls = []
def replace(src, dst):
    calls.append(dst)
    if stage == "between-renames" and len(calls) == 2:
        os._exit(9)                      # killed after the first file was renamed
    return real_replace(src, dst)
w.os.replace = replace
if stage == "before-journal":
    real_os_open = os.open
    def fake_open(p, *a, **k):
        if str(p).endswith(".set.json"):
            os._exit(9)                  # killed after the temporary files, before the journal
        return real_os_open(p, *a, **k)
    w.os.open = fake_open
w.write_set({d / "govkg.ttl": "new ttl", d / "govkg.nt": "new nt"})
"""


def _killed_run(tmp_path, stage):
    (tmp_path / "govkg.ttl").write_text("old ttl")
    (tmp_path / "govkg.nt").write_text("old nt")
    r = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path), stage], capture_output=True, text=True)
    assert r.returncode == 9, r.stderr
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert leftovers
    old = time.time() - 3600
    for p in leftovers:
        os.utime(p, (old, old))
    return leftovers


def test_set_killed_between_renames_is_completed(tmp_path):
    _killed_run(tmp_path, "between-renames")
    assert (tmp_path / "govkg.ttl").read_text() == "new ttl"
    assert (tmp_path / "govkg.nt").read_text() == "old nt"  # half new, half old ...
    done = finish_interrupted(tmp_path)  # ... until the next reader or writer finishes the set
    assert [p.name for p in done] == ["govkg.nt"]
    assert (tmp_path / "govkg.nt").read_text() == "new nt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["govkg.nt", "govkg.ttl"]


def test_set_killed_before_its_journal_keeps_the_old_set(tmp_path):
    _killed_run(tmp_path, "before-journal")
    write_atomic(tmp_path / "unrelated.txt", "x")  # any write into the folder cleans up
    assert (tmp_path / "govkg.ttl").read_text() == "old ttl" and (tmp_path / "govkg.nt").read_text() == "old nt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["govkg.nt", "govkg.ttl", "unrelated.txt"]


def test_temp_files_of_live_or_recent_runs_are_kept(tmp_path):
    mine = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-aa-x.nt"
    mine.write_text("in progress")
    recent_dead = tmp_path / f"{TEMP_PREFIX}999999999-bb-x.nt"
    recent_dead.write_text("maybe")
    foreign = tmp_path / ".x.nt.tmp"
    foreign.write_text("not ours")
    old = time.time() - 3600
    os.utime(mine, (old, old))
    finish_interrupted(tmp_path)
    assert mine.exists() and recent_dead.exists() and foreign.exists()
    os.utime(recent_dead, (old, old))
    finish_interrupted(tmp_path)
    assert not recent_dead.exists() and mine.exists() and foreign.exists()


# --- every writer command leaves /dev/null (and other special files) alone -----------------

WRITER_COMMANDS = [
    ["export", "-o", "{p}"],
    ["export", "-f", "nt", "-o", "{p}"],
    ["export", "-f", "graphml", "-o", "{p}"],
    ["export", "-f", "gexf", "-o", "{p}"],
    ["export", "-f", "csv", "-o", "{p}"],
    ["export", "-f", "qca", "-o", "{p}"],
    ["viz", "-o", "{p}"],
    ["figure", "-o", "{p}"],
    ["report", "-o", "{p}"],
    ["build", "-o", "{p}"],
]


@pytest.fixture
def built(built_data):
    return built_data


@pytest.mark.parametrize("args", WRITER_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_dev_null_survives_every_writer(built, args):
    before = os.stat("/dev/null")
    r = CliRunner().invoke(cli, ["--data", str(built), *(a.format(p="/dev/null") for a in args)])
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith("Error: ") and "null" in r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit)
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.parametrize("args", WRITER_COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_symlink_to_dev_null_and_fifo_survive_every_writer(built, tmp_path, args):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    link = tmp_path / "null.html"
    link.symlink_to("/dev/null")
    for target in (fifo, link):
        r = CliRunner().invoke(cli, ["--data", str(built), *(a.format(p=str(target)) for a in args)])
        # refused, or (csv and qca name their files after it) written beside it
        assert (r.exit_code == 1 and r.stderr.startswith("Error: ")) or (
            r.exit_code == 0 and args[2] in ("csv", "qca") and str(target) not in r.stdout.split()), r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("path", ["/proc/nope/x.ttl", "/sys/x.ttl", "{data}/areas.yaml/x.ttl"])
def test_impossible_output_paths_are_clean_errors(built, path):
    path = path.format(data=built)
    for args in (["export", "-o", path], ["build", "-o", path]):
        r = CliRunner().invoke(cli, ["--data", str(built), *args])
        assert r.exit_code == 1 and r.stderr.startswith("Error: "), r.output
        assert path.split("/x.ttl")[0] in r.stderr
        assert r.exception is None or isinstance(r.exception, SystemExit)


def test_export_over_a_0600_file_keeps_it_0600(built, tmp_path):
    out = tmp_path / "g.ttl"
    out.write_text("old")
    out.chmod(0o600)
    r = CliRunner().invoke(cli, ["--data", str(built), "export", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text(encoding="utf-8") != "old"


def test_csv_export_through_a_symlinked_folder(built, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    r = CliRunner().invoke(cli, ["--data", str(built), "export", "-f", "csv", "-o", str(tmp_path / "out" / "g.csv")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in real.iterdir()) == ["g-edges.csv", "g-nodes.csv"]


# --- planted journals (issue 23 H2) ----------------------------------------------------------

NOBODY = 65534


def _plant(folder: Path, moves, *, owner=NOBODY, mode=0o644, pid=999997) -> Path:
    """A journal as another user (``nobody``) leaves it: old, of a dead pid."""
    journal = folder / f"{TEMP_PREFIX}{pid}-z.set.json"
    journal.write_text(json.dumps([[str(a), str(b)] for a, b in moves]), encoding="utf-8")
    os.chmod(journal, mode)
    if owner is not None:
        os.chown(journal, owner, owner)
    old = time.time() - 600
    os.utime(journal, (old, old))
    return journal


@pytest.fixture
def sticky(tmp_path):
    """A world-writable sticky folder (like /tmp) with an attacker's payload in a folder of theirs."""
    if os.getuid() != 0:
        pytest.fail("these tests plant files of another user: they need root (os.chown)")
    stk = tmp_path / "stk"
    stk.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(stk, 0o1777)
    att = stk / "att"
    att.mkdir()
    os.chmod(att, 0o777)
    payload = att / "payload"
    payload.write_text("echo attacker code\n")
    for p in (att, payload):
        os.chown(p, NOBODY, NOBODY)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / ".bashrc").write_text("# mine\n")
    return stk, payload, victim / ".bashrc"


def test_a_journal_planted_by_another_user_is_never_replayed(built, sticky):
    stk, payload, bashrc = sticky
    journal = _plant(stk, [(payload, bashrc)])
    r = CliRunner().invoke(cli, ["--data", str(built), "report", "-o", str(stk / "r.html")])
    assert r.exit_code == 0, r.output
    assert bashrc.read_text() == "# mine\n" and payload.exists() and journal.exists()


@pytest.mark.parametrize("case", ["outside", "other-pid", "foreign-temp", "group-writable", "symlink-journal"])
def test_a_journal_that_names_files_outside_its_own_set_is_ignored(sticky, case):
    stk, payload, bashrc = sticky
    if case == "outside":  # ours, but it points out of its folder
        _plant(stk, [(payload, bashrc)], owner=None)
    elif case == "other-pid":  # ours, a temporary file of another run
        tmp = stk / f"{TEMP_PREFIX}123-aa-r.html"
        tmp.write_text("x")
        _plant(stk, [(tmp, stk / "r.html")], owner=None)
    elif case == "foreign-temp":  # ours, naming a temporary file the attacker made
        tmp = stk / f"{TEMP_PREFIX}999997-aa-r.html"
        tmp.write_text("attacker")
        os.chown(tmp, NOBODY, NOBODY)
        _plant(stk, [(tmp, stk / "r.html")], owner=None)
    elif case == "group-writable":
        tmp = stk / f"{TEMP_PREFIX}999997-aa-r.html"
        tmp.write_text("x")
        _plant(stk, [(tmp, stk / "r.html")], owner=None, mode=0o666)
    else:  # a link named like a journal, to a journal of ours elsewhere
        tmp = stk / f"{TEMP_PREFIX}999997-aa-r.html"
        tmp.write_text("x")
        real = _plant(stk.parent, [(tmp, stk / "r.html")], owner=None)
        link = stk / real.name
        os.symlink(real, link)
        old = time.time() - 600
        os.utime(link, (old, old), follow_symlinks=False)
    assert finish_interrupted(stk) == []
    assert bashrc.read_text() == "# mine\n" and payload.exists()
    assert not (stk / "r.html").exists()  # nothing moved (a journal of ours that was refused is removed as stale)


def test_our_own_interrupted_set_is_still_completed_in_a_sticky_folder(sticky):
    stk, _payload, _bashrc = sticky
    (stk / "a.txt").write_text("old")
    tmp = stk / f"{TEMP_PREFIX}999997-aa-a.txt"
    tmp.write_text("new")
    _plant(stk, [(tmp, stk / "a.txt")], owner=None, mode=0o600)
    assert finish_interrupted(stk) == [stk / "a.txt"]
    assert (stk / "a.txt").read_text() == "new"
