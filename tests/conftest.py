"""Shared fixtures and policies: the bundled graph, the source text, scratch data folders, skips, slow tests, threads."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from components import CHROMIUM, IN_CI, require

# A test run started in the background by a non-interactive shell (`pytest &`, a CI runner) inherits SIGINT
# ignored (POSIX: an asynchronous command ignores SIGINT and SIGQUIT), and every process the tests start would
# inherit it through exec: Python then installs no KeyboardInterrupt handler, and the tests of Ctrl-C (a query,
# a server stopped with SIGINT) would wait for ever. Handled as in a terminal; exec resets a handler to default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
#: The draft test report (a made-up text in the layout of the Haikou report).
LANHU = ROOT / "tests" / "fixtures" / "draft" / "lanhu.txt"
SOURCE_NAME = "haikou-grassroots-governance-demo-sites.zh.txt"
#: GOVKG_SOURCES as the user set it (read before any fixture runs; kept for every test).
USER_SOURCES = os.environ.get("GOVKG_SOURCES", "")
#: Where the source text is looked for: $GOVKG_SOURCES (os.pathsep-separated), then ../shared/sources.
SOURCE_DIRS = [Path(p) for p in USER_SOURCES.split(os.pathsep) if p] + [ROOT.parent / "shared" / "sources"]
SOURCE_TEXT = next((d / SOURCE_NAME for d in SOURCE_DIRS if (d / SOURCE_NAME).is_file()), SOURCE_DIRS[-1] / SOURCE_NAME)


@pytest.fixture(scope="session")
def graph():
    """The whole bundled graph (ontology + data), compiled once per session. Do not mutate."""
    import govkg

    return govkg.build_graph(DATA)


@pytest.fixture(scope="session")
def onto():
    """The ontology alone (terms, kinds, units), loaded once per session. Do not mutate."""
    from govkg.resources import ontology_graph

    return ontology_graph()


@pytest.fixture(scope="session")
def store(graph):
    """The bundled graph in an Oxigraph store."""
    from govkg.query import to_store

    return to_store(graph)


@pytest.fixture(scope="session")
def source_text():
    """The text of the first report, from $GOVKG_SOURCES or ../shared/sources/.

    Missing, the tests that need it are skipped, except in CI (``CI=true``) where they fail.
    """
    if not SOURCE_TEXT.is_file():
        where = ", ".join(str(d) for d in SOURCE_DIRS)
        msg = f"source text {SOURCE_NAME} not found in {where} (set GOVKG_SOURCES to its folder)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return SOURCE_TEXT.read_text(encoding="utf-8")


@pytest.fixture
def data_copy(tmp_path):
    """A scratch copy of the bundled data folder (tmp/project/data), safe to break, with the report's
    text in its ``sources/`` when it is at hand, so that a build of the copy checks every evidence
    sentence as a build of the real folder does (``govkg.build.default_sources_dirs``). Without the
    text, the copy builds with the evidence unchecked, except in CI, where the test fails.
    """
    dst = tmp_path / "project" / "data"
    shutil.copytree(DATA, dst)
    if SOURCE_TEXT.is_file():
        shutil.copyfile(SOURCE_TEXT, dst / "sources" / SOURCE_NAME)
    elif IN_CI:
        pytest.fail(f"source text {SOURCE_NAME} not found in {', '.join(map(str, SOURCE_DIRS))} (set GOVKG_SOURCES "
                    f"to its folder): the build tests would run with the evidence checks off")
    return dst


@pytest.fixture
def drafted(tmp_path):
    """The draft test report (tests/fixtures/draft/lanhu.txt) drafted into tmp/lanhu/data, its text copied."""
    from govkg.draft import draft_report, write_draft

    out = tmp_path / "lanhu" / "data"
    write_draft(draft_report(LANHU, source_id="lanhu-test"), out, text_path=LANHU)
    return out


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """A scratch copy of the data folder with a fresh build beside it (commands load the build
    instead of compiling). Commands run on it must not change it."""
    from click.testing import CliRunner

    from govkg.cli import cli

    dst = tmp_path_factory.mktemp("built") / "data"
    shutil.copytree(DATA, dst)
    r = CliRunner().invoke(cli, ["--data", str(dst), "build"])
    assert r.exit_code == 0, r.output
    return dst


@pytest.fixture
def sources_dirs():
    """Where the build looks for source texts in tests."""
    return [SOURCE_TEXT.parent] if SOURCE_TEXT.is_file() else []


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    """Tests choose their data folder themselves; GOVKG_SOURCES stays as the user set it."""
    monkeypatch.delenv("GOVKG_DATA", raising=False)
    if USER_SOURCES:
        monkeypatch.setenv("GOVKG_SOURCES", USER_SOURCES)
    else:
        monkeypatch.delenv("GOVKG_SOURCES", raising=False)
    yield


#: Chromium's flags that keep it off the network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for every browser test of the session."""
    require("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# --- the skip policy (tests/components.py): in CI a skip is a failure -----------------------

def pytest_runtest_setup(item):
    """A test marked ``requires(name, ...)`` goes on only when each component is installed."""
    for mark in item.iter_markers("requires"):
        for name in mark.args:
            require(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI=true``) every skip, whatever raised it, is reported as a failure."""
    outcome = yield
    rep = outcome.get_result()
    if IN_CI and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason.removeprefix("Skipped: ")
        rep.outcome = "failed"
        rep.longrepr = f"skipped in CI (CI=true turns a skip into a failure): {reason}"


# --- no test leaves a thread running ------------------------------------------------------------

#: Threads kept for the whole process once started, not by a test: asyncio's default executor (Playwright's
#: event loop) and threads Python did not start (``Dummy-``: made in C, seen only when they call Python).
_LONG_LIVED = ("asyncio_", "Dummy-")


@pytest.fixture(autouse=True)
def _no_leaked_threads(request):
    """Fail a test that leaves a thread of its own running (a server not stopped, a watcher not
    joined): a leaked thread runs on into the next tests and makes them flaky. Threads get two
    seconds to finish after the test."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        left = [t for t in threading.enumerate()
                if t not in before and t.is_alive() and not t.name.startswith(_LONG_LIVED)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if left:
        pytest.fail(f"{request.node.nodeid} left {len(left)} thread(s) running: "
                    + ", ".join(f"{t.name} ({getattr(t, '_target', None)})" for t in left), pytrace=False)


# --- no test leaves the signals changed ---------------------------------------------------------

def _signal_state() -> tuple:
    """This process's ignored and (main thread's) blocked signals, from the kernel, and Python's SIGINT,
    SIGTERM and SIGCHLD handlers: what a process started next inherits (an ignored SIGINT stays
    ignored through exec, and Python then installs no KeyboardInterrupt handler)."""
    kernel = ()
    if os.path.exists("/proc/self/status"):
        with open(f"/proc/self/task/{threading.get_native_id()}/status", encoding="ascii") as f:
            kernel = tuple(line.split()[1] for line in f if line.startswith(("SigIgn:", "SigBlk:")))
    return kernel, tuple(signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD))


@pytest.fixture(autouse=True)
def _no_changed_signals(request):
    """Fail a test that leaves a signal ignored, blocked or handled otherwise than it found it: every
    process the later tests start would inherit it (a Ctrl-C test then waits for ever)."""
    before = _signal_state()
    yield
    after = _signal_state()
    if after != before:
        pytest.fail(f"{request.node.nodeid} changed the signals (ignored/blocked masks, SIGINT/SIGTERM/SIGCHLD "
                    f"handlers) from {before} to {after}", pytrace=False)
