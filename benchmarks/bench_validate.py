"""Validation benchmark: CPU and wall seconds of ``validate(ntriples=…)`` per stage, on a built graph.

    python3 benchmarks/bench_validate.py --nt build/govkg.nt      # a graph already built
    python3 benchmarks/bench_validate.py --sites 2000              # generate and build one first

Stages, each timed alone (one query at a time, CPU = ``time.process_time``, all threads): loading
the N-Triples into an in-memory Oxigraph store (strictly, as readers do, and leniently, as a full
build fills its store while it compiles), the SHACL shapes as SPARQL (``run_shacl_sparql``: its
queries one by one, the five slowest listed), the quality rules and warnings one by one; then the
whole ``validate(store=…)`` as the build calls it on its filled store, and ``validate(ntriples=…)``
as a library user would (load included; all queries side by side on the cores). The baseline of
the same run is the strict load itself: validation is printed as a multiple of it.
Target (issue 10): a 20,000-site build including validation ≤ 60 s on this 2-core machine.
Not a test: it prints figures and ratios. ``--sites`` builds without checks (validation is what is
measured) and with the dumps (``govkg.nt``) at any size; ``--each`` prints every query's time.

Figures (issue 17, 2 cores, load average ~1.6 from other work; one query at a time, CPU s):

====================================  ===============  ===============
                                      2,000 sites      20,000 sites
====================================  ===============  ===============
triples / strict load                 326,061 / 1.1    3,235,986 / 8.8
shapes as SPARQL (65 queries)         0.5              5.5
composed-label-without-note           54 (before)      > 60, killed (before)
  … MINUS over the pairs, found once  0.09             0.92
unstated-identity (SPARQL)            > 120, killed    > 60, killed
  … in Python (``govkg.pyrules``)     0.08             1.05
slowest other rule (missing-label)    0.18             2.47
all 22 rules + 1 warning              1.1              12.0
validate(store=…), wall               1.4              11.4
validate(ntriples=…), wall            2.4              21.8
====================================  ===============  ===============

Every other rule and shape query grows 9.6-14× from 2,000 to 20,000 sites (9.9× the triples;
the load itself 8×, a full scan such as lowercase-party 11×): linear, none crosses pairs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _timed(fn):
    c, t = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c, time.perf_counter() - t


def _graph(a) -> tuple[bytes, Path | None]:
    if a.nt is not None:
        return a.nt.read_bytes(), None
    sys.path.insert(0, str(HERE))
    from generate import generate_realistic

    from govkg.build import build

    root = Path(tempfile.mkdtemp(prefix="govkg-bench-validate-"))
    generate_realistic(root / "data", a.sites)
    # validation is what is measured: the build skips it, and writes govkg.nt at any size
    build(root / "data", root / "build", check=False, dumps=True)
    return (root / "build" / "govkg.nt").read_bytes(), root


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nt", type=Path, help="a graph as N-Triples (e.g. build/govkg.nt)")
    ap.add_argument("--sites", type=int, default=2000, help="without --nt: generate and build this many sites")
    ap.add_argument("--each", action="store_true", help="print every query's seconds, not only the five slowest")
    a = ap.parse_args(argv)
    import pyoxigraph as ox

    from govkg import validate as v
    from govkg.resources import checks, warnings

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    nt, root = _graph(a)
    try:
        store = ox.Store()
        _, load_cpu, load_wall = _timed(lambda: store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES))
        print(f"{len(store):,} triples; load: {load_cpu:.1f} CPU s, {load_wall:.1f} s", flush=True)
        lenient = ox.Store()
        _, c, w = _timed(lambda: lenient.load(nt, format=ox.RdfFormat.N_TRIPLES, lenient=True))
        print(f"lenient load (the build's): {c:.1f} CPU s, {w:.1f} s", flush=True)

        jobs, cpu, wall = _timed(lambda: v._shacl_jobs(store))
        times = []
        for i, job in enumerate(jobs):
            _, c, w = _timed(job)
            cpu, wall = cpu + c, wall + w
            times.append((c, i))
            if a.each:
                print(f"  shape query {i}: {c:.2f} CPU s, {w:.2f} s", flush=True)
        print(f"shapes: {len(jobs)} queries, {cpu:.1f} CPU s, {wall:.1f} s one at a time "
              f"(slowest: {', '.join(f'{c:.2f}' for c, _ in sorted(times, reverse=True)[:5])})", flush=True)
        for label, rules in (("rules", checks()), ("warnings", warnings())):
            cpu = wall = 0.0
            times = []
            for name, job in zip(rules, v._check_jobs(store, rules)):
                _, c, w = _timed(job)
                cpu, wall = cpu + c, wall + w
                times.append((c, name))
                if a.each:
                    print(f"  {name}: {c:.2f} CPU s, {w:.2f} s", flush=True)
            print(f"{label}: {len(rules)} queries, {cpu:.1f} CPU s, {wall:.1f} s one at a time "
                  f"(slowest: {', '.join(f'{n} {c:.2f}' for c, n in sorted(times, reverse=True)[:5])})", flush=True)
        del store

        report, cpu, wall = _timed(lambda: v.validate(store=lenient))
        print(f"validate(store=…), the store filled: {cpu:.1f} CPU s, {wall:.1f} s "
              f"({len(report.violations)} violations); {wall / load_wall:.1f}× the load alone", flush=True)
        del lenient
        report, cpu, wall = _timed(lambda: v.validate(ntriples=nt))
        print(f"validate(ntriples=…): {cpu:.1f} CPU s, {wall:.1f} s ({len(report.violations)} violations); "
              f"{wall / load_wall:.1f}× the load alone", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
