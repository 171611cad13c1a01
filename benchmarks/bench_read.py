"""Read commands on the persistent store (issue 17), each a fresh process, beside a bare pyoxigraph script on the same store.

Run:  python benchmarks/bench_read.py [--sites 2000 20000] [--runs 3] [--workdir /tmp/govkg-bench-read]

For each size: ``benchmarks/generate.py --realistic`` data (made once, kept in ``--workdir``), a
full ``govkg build`` (wall time, and peak memory of the whole process tree, forked compile
workers included: the sum of their proportional set sizes, sampled every 0.5 s with psutil, so
pages the workers share with the parent are counted once; the build is killed above
``--limit-gb``), then each read command in a new
process: ``query`` (the sites of one mechanism), ``shared NAME``, ``similar SITE`` and ``shared``
(all), and beside each a bare Python script that opens the same store with
``pyoxigraph.Store.read_only`` and runs the same look-up as SPARQL (the issue's baseline). Wall
time is the median of ``--runs``; peak RSS is the process's ``ru_maxrss`` (``os.wait4``).
Targets (issue 17, 20,000 sites): each of the three look-ups ≤ max(1 s, 2.5 × bare) and ≤ 600 MB;
``shared`` (all) ≤ 5 s; at 200,000 sites each read command ≤ 2 s. Also timed: ``govkg serve`` from its
start to its first answered query (the sites of the mechanism, over HTTP), target ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import sparse

HERE = Path(__file__).resolve().parent

_BARE = r"""
import sys, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
kind, arg = sys.argv[2], sys.argv[3]
P = {"gk": "https://w3id.org/govkg/ontology#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
if kind == "query":
    q = "SELECT ?m ?site WHERE { ?m gk:usedAt ?site }"
    rows = store.query(q, prefixes=P, substitutions={ox.Variable("m"): ox.NamedNode(arg)})
elif kind == "shared":
    q = "SELECT ?l ?m ?site ?name WHERE { ?m rdfs:label ?l ; gk:usedAt ?site . ?site rdfs:label ?name }"
    rows = store.query(q, prefixes=P, substitutions={ox.Variable("l"): ox.Literal(arg, language="zh")})
elif kind == "similar":
    q = ("SELECT ?me ?other (COUNT(DISTINCT ?k) AS ?n) WHERE { ?m1 gk:usedAt ?me ; gk:mechanismKind ?k . "
         "?m2 gk:mechanismKind ?k ; gk:usedAt ?other . FILTER(?other != ?me) } GROUP BY ?me ?other "
         "ORDER BY DESC(?n) LIMIT 10")
    rows = store.query(q, prefixes=P, substitutions={ox.Variable("me"): ox.NamedNode(arg)})
else:
    q = ("SELECT ?m (COUNT(?site) AS ?n) WHERE { ?m gk:usedAt ?site } GROUP BY ?m HAVING (COUNT(?site) >= 2) "
         "ORDER BY DESC(?n) LIMIT 20")
    rows = store.query(q, prefixes=P)
print(sum(1 for _ in rows))
"""


def run(cmd: list[str], out: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of ``cmd`` in a new process, its stdout into ``out``."""
    with open(out, "wb") as f:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{err}")
    return wall, usage.ru_maxrss // 1024


def run_tree(cmd: list[str], out: Path, limit_gb: float) -> tuple[float, int]:
    """(wall seconds, peak MB) of ``cmd`` in a new process, the peak being the largest sum of the
    proportional set sizes (PSS) of the process and all its descendants seen every 0.5 s; killed
    (SystemExit) when that sum passes ``limit_gb``."""
    import psutil

    peak = 0
    with open(out, "wb") as f:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE)
        root = psutil.Process(p.pid)
        while p.poll() is None:
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for q in procs:
                try:
                    total += q.memory_full_info().pss
                except psutil.Error:
                    pass
            peak = max(peak, total)
            if total > limit_gb * 2**30:
                p.kill()
                p.wait()
                raise SystemExit(f"{' '.join(cmd)} killed at {total >> 20:,} MB (over --limit-gb {limit_gb})")
            time.sleep(0.5)
        wall = time.perf_counter() - t
    err = p.stderr.read().decode("utf-8", "replace")
    p.stderr.close()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{err}")
    return wall, peak >> 20


def serve_first_answer(base: list[str], mech: str) -> float:
    """Seconds from starting ``govkg serve`` (a new process) to its first answered query (the sites of
    ``mech`` over HTTP, asked every 50 ms from the start); the server is then stopped."""
    import socket
    import urllib.error
    import urllib.parse
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    q = urllib.parse.urlencode({"query": f"SELECT ?site WHERE {{ <{mech}> <https://w3id.org/govkg/ontology#usedAt> ?site }}"})
    url = f"http://127.0.0.1:{port}/sparql?{q}"
    t = time.perf_counter()
    p = subprocess.Popen(base + ["serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if p.poll() is not None:
                raise SystemExit(f"govkg serve stopped: {p.stderr.read().decode('utf-8', 'replace')}")
            try:
                with urllib.request.urlopen(urllib.request.Request(
                        url, headers={"Accept": "application/sparql-results+json"}), timeout=30) as r:
                    if r.status == 200 and json.loads(r.read())["results"]["bindings"]:
                        return time.perf_counter() - t
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
    finally:
        p.terminate()
        p.wait()
        p.stderr.close()


def timed(cmd, out, runs):
    results = [run(cmd, out) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit-gb", type=float, default=12.0, help="kill the build above this much memory (default 12)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "govkg-bench-read")
    ap.add_argument("--reuse-build", action="store_true",
                    help="time the read commands on a build already in --workdir (its build column says 'reused')")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "govkg"]
    bare = args.workdir / "bare.py"
    args.workdir.mkdir(parents=True, exist_ok=True)
    bare.write_text(_BARE, encoding="utf-8")
    out = args.workdir / "out.txt"
    t0, _ = run([sys.executable, "-c", "pass"], out)
    print(f"python startup alone: {t0:.2f} s; median of {args.runs} runs per command; peak RSS per process")
    rows = []
    for n in args.sites:
        data = args.workdir / f"sites-{n}"
        if not (data / "sites").is_dir():
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(data), "--sites", str(n), "--realistic"],
                           check=True, capture_output=True)
        build_dir = args.workdir / f"build-{n}"
        base = exe + ["--data", str(data), "--build-dir", str(build_dir)]
        if args.reuse_build and (build_dir / "manifest.json").is_file():
            b_wall, b_rss = float("nan"), 0
        else:
            b_wall, b_rss = run_tree(base + ["build", "--full"], out, args.limit_gb)
        m = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
        store = str(build_dir / m["store"])
        tables = json.loads((build_dir / f"index-{m['generation']}.json").read_text(encoding="utf-8"))
        with np.load(build_dir / f"index-{m['generation']}.npz", allow_pickle=False) as z:
            M = sparse.csr_matrix((z["mechanisms_data"], z["mechanisms_indices"], z["mechanisms_indptr"]),
                                  shape=tuple(z["mechanisms_shape"]))
        per_mech = np.asarray(M.getnnz(axis=0))
        j = int(np.argsort(-per_mech)[len(per_mech) // 10])  # a mechanism at the 90th percentile of use
        tables = {k: tables[k].split("\n") if k in ("sites", "mechanisms") else tables[k] for k in tables}
        mech = tables["mechanisms"][j]
        mech_label = tables["labels"][mech]["zh"]
        site = tables["sites"][len(tables["sites"]) // 2]
        import sqlite3  # site labels live in the evidence file's label table (store layout 2)

        with sqlite3.connect(build_dir / f"evidence-{m['generation']}.sqlite") as conn:
            site_label = conn.execute("SELECT zh FROM labels WHERE iri = ?", (site,)).fetchone()[0]
        cases = [
            ("query (sites of one mechanism)",
             base + ["query", "--timeout", "0", "SELECT ?m ?site WHERE { ?m gk:usedAt ?site }", "--bind", f"m=<{mech}>"],
             ["query", mech]),
            ("shared NAME", base + ["shared", mech_label], ["shared", mech_label]),
            ("similar SITE", base + ["similar", site, "--top", "10"], ["similar", site]),
            ("shared (all)", base + ["shared"], ["all", "-"]),
        ]
        row = {"sites": n, "build": (b_wall, b_rss)}
        for name, cmd, bare_args in cases:
            row[name] = timed(cmd, out, args.runs)
            if not out.read_text(encoding="utf-8").strip():
                raise SystemExit(f"{name}: govkg printed nothing")
            row[name + " bare"] = timed([sys.executable, str(bare), store, *bare_args], out, args.runs)
            if int(out.read_text(encoding="utf-8")) < 1:
                raise SystemExit(f"{name}: the bare pyoxigraph look-up found nothing (wrong query?)")
        row["serve"] = statistics.median(serve_first_answer(base, mech) for _ in range(args.runs))
        rows.append(row)
        print(f"\n{n:,} sites ({m.get('triples', 0):,} triples); mechanism {mech_label} "
              f"({per_mech[j]} sites), site {site_label}")
        print("  full build: reused (--reuse-build)" if not b_rss else
              f"  full build: {b_wall:.1f} s, peak {b_rss:,} MB (process tree, PSS)")
        print(f"  {'command':32} {'govkg':>16} {'bare pyoxigraph':>18} {'target':>10} {'met':>4}")
        for name, *_ in cases:
            (w, r), (bw, br) = row[name], row[name + " bare"]
            target = 2.0 if n >= 200_000 else 5.0 if name == "shared (all)" else max(1.0, 2.5 * bw)
            met = w <= target and (name == "shared (all)" or r <= 600)
            print(f"  {name:32} {w:6.2f} s {r:5,} MB {bw:8.2f} s {br:5,} MB {target:8.2f} s {'yes' if met else 'NO':>4}")
        print(f"  {'serve: start to first answer':32} {row['serve']:6.2f} s {'':>26} {2.0:8.2f} s "
              f"{'yes' if row['serve'] <= 2.0 else 'NO':>4}")
    print("\nissue 17's table (govkg / bare pyoxigraph, wall time and peak RSS):")
    print("| sites | query | shared NAME | similar SITE | shared (all) | full build |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{row[k][0]:.2f} s / {row[k][1]} MB (bare {row[k + ' bare'][0]:.2f} s / {row[k + ' bare'][1]} MB)"
                 for k in ("query (sites of one mechanism)", "shared NAME", "similar SITE", "shared (all)")]
        built = "reused" if not row["build"][1] else f"{row['build'][0]:.0f} s / {row['build'][1]:,} MB"
        print(f"| {row['sites']:,} | " + " | ".join(cells) + f" | {built} |")


if __name__ == "__main__":
    main()
