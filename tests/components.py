"""The one skip policy of the test suite: a test that needs an outside component (java, Virtuoso,
chromium, the oxigraph server) skips when it is missing, except in CI (``CI=true``), where it fails."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

__all__ = ["IN_CI", "CHROMIUM", "COMPONENTS", "require", "present"]

#: In CI (``CI=true``) nothing may be skipped: a missing component or source text is a failure.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

#: Debian's chromium (apt), driven by Playwright: no browser download.
CHROMIUM = "/usr/bin/chromium"

#: Each outside component: how to tell it is installed, and how to install it.
COMPONENTS = {
    "java": (lambda: shutil.which("java") is not None,
             "a Java runtime, for HermiT through owlready2 (apt-get install default-jre-headless)"),
    "virtuoso": (lambda: shutil.which("virtuoso-t") is not None
                 and Path("/etc/virtuoso-opensource-7/virtuoso.ini").is_file(),
                 "Virtuoso, a store with users for the authenticated publish tests (apt-get install virtuoso-opensource)"),
    "chromium": (lambda: os.path.exists(CHROMIUM),
                 f"Debian's chromium at {CHROMIUM}, driven by Playwright (apt-get install chromium)"),
    "oxigraph": (lambda: Path(sys.executable).with_name("oxigraph").is_file(),
                 "the oxigraph server beside this Python (pip install -e '.[test]')"),
}


def present(name: str) -> bool:
    """Whether the component ``name`` (a key of ``COMPONENTS``) is installed."""
    return COMPONENTS[name][0]()


def require(name: str) -> None:
    """Go on if the component ``name`` is installed; else skip the test, or fail it in CI."""
    if present(name):
        return
    msg = f"{name} is missing: the test needs {COMPONENTS[name][1]}"
    if IN_CI:
        pytest.fail(msg + " (CI=true: a missing component fails)", pytrace=False)
    pytest.skip(msg)
