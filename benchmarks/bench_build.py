"""Build benchmark: full build (with validation) of 2,000 / 8,000 / 20,000 synthetic site files, and rebuild after one edit.

    python3 benchmarks/bench_build.py [--sizes 2000 8000 20000] [--limit 300] [--keep DIR]

Each size gets a fresh folder from ``generate.generate_realistic`` (site, area, two
organizations, 3–6 mechanisms, two outcomes, one evidence sentence per entry, and the source
text so the evidence checks run). Timed, each in its own process killed after ``--limit``
seconds (so the longest run is bounded): the full build (``incremental=False``, empty build
folder), then the rebuild after changing one label in one site file. Targets on this machine:
8,000 sites ≤ 4.5× the 2,000 time; 20,000 sites ≤ 60 s; one-file rebuild at 20,000 ≤ 2 s.
Not a test: it prints figures, ratios and which targets are met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, resource, sys, time
from govkg.build import build
data, out, incremental = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t = time.perf_counter()
r = build(data, out, incremental=incremental)
cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for f in ("ru_utime", "ru_stime"))
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": cpu, "triples": r.triples, "evidence": r.evidence_checked,
                  "parsed": len(r.parsed), "stages": r.timings, "incremental": getattr(r, "incremental", False),
                  "full_because": getattr(r, "full_because", None)}))
"""


def _timed_build(data: Path, out: Path, incremental: bool, limit: float) -> dict | None:
    try:
        p = subprocess.run([sys.executable, "-c", _CHILD, str(data), str(out), "1" if incremental else "0"],
                           capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0:
        sys.exit(f"build failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _stages(r: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000, 20000])
    ap.add_argument("--limit", type=float, default=300.0, help="seconds before a build is stopped (default 300)")
    ap.add_argument("--keep", type=Path, help="keep the generated folders here")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from generate import edit_one_site, generate_realistic

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
          "(the targets are for an otherwise idle machine)", flush=True)
    root = a.keep or Path(tempfile.mkdtemp(prefix="govkg-bench-build-"))
    full: dict[int, float] = {}
    rebuild: dict[int, float] = {}
    try:
        for n in sorted(a.sizes):
            data, out = root / f"sites-{n}" / "data", root / f"sites-{n}" / "build"
            shutil.rmtree(data.parent, ignore_errors=True)
            t = time.perf_counter()
            counts = generate_realistic(data, n)
            print(f"{n:>6} sites: generated in {time.perf_counter() - t:.1f} s "
                  f"({counts['mechanisms']} mechanisms, {counts['uses']} uses, {counts['sentences']} sentences)", flush=True)
            r = _timed_build(data, out, False, a.limit)
            if r is None:
                print(f"        full build: stopped after {a.limit:.0f} s; larger sizes not run")
                break
            full[n] = r["seconds"]
            print(f"        full build: {r['seconds']:.1f} s ({r['cpu']:.1f} CPU s with its worker processes), "
                  f"{r['triples']:,} triples, {r['evidence']:,} evidence "
                  f"sentences checked ({_stages(r)})", flush=True)
            edit_one_site(data, n // 2)
            r = _timed_build(data, out, True, a.limit)
            if r is None:
                print(f"        rebuild after one edit: stopped after {a.limit:.0f} s")
                continue
            rebuild[n] = r["seconds"]
            how = "incremental" if r["incremental"] else f"FULL: {r['full_because']}"
            print(f"        rebuild after one edit: {r['seconds']:.2f} s ({how}; {r['parsed']} file parsed; {_stages(r)})",
                  flush=True)
    finally:
        if a.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    print("targets:")
    base = min(full) if full else None
    for n in sorted(full):
        if n != base:
            print(f"  {n:,} / {base:,} sites: {full[n] / full[base]:.2f}× the time for {n / base:.1f}× the sites")

    def verdict(ok):
        return "not measured" if ok is None else ("met" if ok else "NOT met")

    ratio = full[8000] / full[2000] if {2000, 8000} <= set(full) else None
    print(f"  growth 8,000 ≤ 4.5× 2,000: {verdict(None if ratio is None else ratio <= 4.5)}"
          + (f" ({ratio:.2f}×)" if ratio is not None else ""))
    print(f"  20,000 sites built and validated ≤ 60 s: {verdict(None if 20000 not in full else full[20000] <= 60)}"
          + (f" ({full[20000]:.1f} s)" if 20000 in full else ""))
    print(f"  one-file rebuild at 20,000 ≤ 2 s: {verdict(None if 20000 not in rebuild else rebuild[20000] <= 2)}"
          + (f" ({rebuild[20000]:.1f} s)" if 20000 in rebuild else ""))


if __name__ == "__main__":
    main()
