"""writers.exclusive_lock: the one file lock of the build folder and of the review's decisions."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from govkg.errors import GovkgError
from govkg.writers import exclusive_lock

_HOLD = """
import sys, time
from govkg.writers import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_holder_waits_for_the_first(tmp_path):
    lock = tmp_path / ".lock"
    child = subprocess.Popen([sys.executable, "-c", _HOLD, str(lock), "0.6"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        start = time.monotonic()
        with exclusive_lock(lock):
            waited = time.monotonic() - start
        assert waited > 0.2
    finally:
        child.wait(timeout=10)
    assert lock.is_file()  # the lock file stays


def test_a_new_lock_file_has_the_mode_asked_for(tmp_path):
    with exclusive_lock(tmp_path / "a"):
        pass
    with exclusive_lock(tmp_path / "b", mode=0o644):
        pass
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o600 & ~_umask()
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_anything_but_a_regular_file_is_refused_and_left_alone(tmp_path, kind):
    lock = tmp_path / ".lock"
    os.mkfifo(lock) if kind == "fifo" else lock.mkdir()
    with pytest.raises(GovkgError, match="not a regular file"):
        with exclusive_lock(lock, what="the test folder"):
            pass
    assert lock.is_fifo() if kind == "fifo" else lock.is_dir()


def test_a_link_is_followed_to_its_target(tmp_path):
    (tmp_path / ".lock").symlink_to(tmp_path / "target")
    with exclusive_lock(tmp_path / ".lock"):
        pass
    assert (tmp_path / "target").is_file() and (tmp_path / ".lock").is_symlink()


def test_a_link_is_refused_when_asked_and_its_target_left_alone(tmp_path):
    (tmp_path / ".lock").symlink_to(tmp_path / "target")
    with pytest.raises(GovkgError, match=r"cannot lock the decisions: .*\.lock is a symbolic link"):
        with exclusive_lock(tmp_path / ".lock", what="the decisions", follow_link=False):
            pass
    assert not (tmp_path / "target").exists()


def test_the_review_lock_refuses_a_link(drafted, tmp_path):
    from govkg.draft.review import apply_decisions

    (drafted / ".govkg-review.lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(GovkgError, match="symbolic link"):
        apply_decisions(drafted, {"decisions": []})
    assert not (tmp_path / "elsewhere").exists()


def test_a_missing_folder_is_an_error_naming_what_was_locked(tmp_path):
    with pytest.raises(GovkgError, match="cannot lock the decisions: "):
        with exclusive_lock(tmp_path / "nowhere" / ".lock", what="the decisions"):
            pass
