"""Helpers shared by the incremental-build tests: what a build folder says, and synthetic data folders."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from govkg import manifest
from govkg.parts import NAME

__all__ = ["state", "generate_realistic"]

ROOT = Path(__file__).resolve().parent.parent


def state(out) -> dict:
    """Everything a build folder says about the graph: the parts database's rows and the manifest's totals.

    Two builds of the same data, one incremental and one full, must give equal states.
    """
    with sqlite3.connect(Path(out) / NAME) as c:
        found = {t: set(c.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608 - fixed names
                 for t in ("parts", "nodes", "refs", "labels", "shared")}
    m = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    found.update({k: m.get(k) for k in ("triples", "counts", "texts", "unchecked")})
    found["inputs"] = (manifest.read_inputs(out, m) or (None,))[0]
    found["warnings"] = sorted(m["warnings"])
    return found


def generate_realistic(folder, n_sites: int, **kw) -> dict:
    """``benchmarks/generate.py``'s synthetic data folder of ``n_sites`` sites, with its source text."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate_realistic as generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return generate(folder, n_sites, **kw)
