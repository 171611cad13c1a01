"""The suite's own policies, run in a child pytest: in CI a skip is a failure; a test that leaks a
thread fails; a build of the scratch data folder checks the evidence against the report's text."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from components import IN_CI

ROOT = Path(__file__).resolve().parent.parent
ME = Path(__file__).relative_to(ROOT).as_posix()


def test_probe(request):
    """Does what ``GOVKG_PROBE`` asks (``skip``, ``thread``) for the tests below; passes otherwise."""
    probe = os.environ.get("GOVKG_PROBE")
    if probe == "skip":
        pytest.skip("a probe of the skip policy")
    if probe == "thread":
        stop = threading.Event()
        threading.Thread(target=stop.wait, args=(5,), name="probe-leak", daemon=True).start()
    if probe == "signal":
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # left so: the policy must fail it
    if probe == "sigint":  # a process this test starts takes Ctrl-C as in a terminal
        r = subprocess.run([sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT).__name__)"],
                           capture_output=True, text=True, check=True)
        assert r.stdout.strip() == "default_int_handler", r.stdout


def _child(probe: str, ci: str, *, sigint_ignored: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "GOVKG_PROBE": probe, "CI": ci}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{ME}::test_probe"]
    if sigint_ignored:  # as a shell starts `pytest &`: SIGINT ignored, and so in whatever it starts
        cmd = ["sh", "-c", "trap '' INT; exec \"$@\"", "sh", *cmd]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_skip_fails_in_ci_and_is_a_skip_elsewhere():
    ci = _child("skip", "true")
    assert ci.returncode == 1 and "skipped in CI (CI=true turns a skip into a failure): a probe" in ci.stdout, ci.stdout
    local = _child("skip", "")
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout


def test_a_test_that_leaves_a_thread_running_fails():
    r = _child("thread", "")
    assert r.returncode == 1 and "left 1 thread(s) running: probe-leak" in r.stdout, r.stdout


def test_a_test_that_leaves_a_signal_changed_fails():
    r = _child("signal", "")
    assert r.returncode == 1 and "changed the signals" in r.stdout, r.stdout


def test_a_run_started_in_the_background_still_gives_its_processes_ctrl_c():
    """A CI runner or `pytest &` starts the run with SIGINT ignored: the processes the tests start must
    not inherit it, or every test of Ctrl-C hangs (test_cli_query_guard did, in CI)."""
    r = _child("sigint", "", sigint_ignored=True)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout


def test_a_build_of_the_scratch_data_checks_the_evidence(data_copy, sources_dirs):
    import govkg

    if not sources_dirs:  # without the report's text the copy builds unchecked (a failure in CI: see data_copy)
        assert not IN_CI
        pytest.skip("the report's text is not at hand (set GOVKG_SOURCES)")
    report = govkg.build(data_copy, data_copy.parent / "build")
    assert report.evidence_checked > 100 and report.evidence_unchecked == []
