"""The views of issue 17 item 2 (outcomes, report, viz, figure, export -f graphml), each a fresh process, before (a git ref) and after (this checkout).

Run:  python benchmarks/bench_views.py [--sites 2000 20000] [--runs 1] [--before main] [--workdir /tmp/readers-bench]

For each size: ``benchmarks/generate.py --realistic`` data (made once, kept in ``--workdir``);
the code of ``--before`` (``git archive``, laid out as the installed package in
``<workdir>/before-pkg``, run with ``PYTHONPATH``) and this checkout's code (copied the same way
into ``<workdir>/after-pkg`` when the benchmark starts) each make a full build of it without the
checks (``_BUILD``; a build is read only by the code that wrote it: the manifest records the code), then
each command runs in a new process on each side: ``outcomes -f csv``, ``report -o …html``,
``viz`` (the matrix, the default view), ``figure -o …png`` and ``export -f graphml``. Wall time is
the median of ``--runs``; peak RSS the process's ``ru_maxrss`` (``os.wait4``); a command past
``--timeout`` seconds is killed and reported as such. The outputs of the two sides are compared
(the same bytes; GraphML: the same nodes and edges with the same attributes, as networkx reads
them), so the figures are of commands that give the same answer. Timings on this project's shared
2-core machine vary from run to run with the other jobs on it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The package's folders as the installed package lays them out (pyproject.toml's package-dir).
LAYOUT = {"graph": "govkg", "visualize": "govkg/visualize", "ontology": "govkg/ontology", "data": "govkg/data"}


#: A full build by each side's own code, without the quality rules and shapes (``check=False``): at
#: 20,000 sites one rule query ran for more than 20 minutes on this shared machine, and the build is
#: not what is measured here (the store, index and evidence file it writes are the same).
_BUILD = "import sys; from govkg.build import build; build(sys.argv[1], sys.argv[2], check=False, incremental=False)"


def run(cmd: list[str], out: Path, env: dict, timeout: float) -> tuple[float, int] | None:
    """(wall seconds, peak RSS in MB) of ``cmd`` in a new process (stdout into ``out``), None past ``timeout``."""
    with open(out, "wb") as f, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=f, stderr=err, env=env)
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t > timeout:
                p.kill()
                os.wait4(p.pid, 0)
                return None
            time.sleep(0.05)
        wall = time.perf_counter() - t
        if status != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{err.read().decode('utf-8', 'replace')}")
    return wall, usage.ru_maxrss // 1024


def package(side: str, ref: str | None, workdir: Path, reuse: bool = False) -> Path:
    """``<workdir>/<side>-pkg``: the package of git ref ``ref`` (None: this checkout's files as they are
    now), laid out as installed, for ``PYTHONPATH``. A copy, so that editing the checkout while the
    benchmark runs does not change the code measured (nor make its build stale)."""
    src, pkg = workdir / f"{side}-src", workdir / f"{side}-pkg"
    if reuse and (pkg / "govkg").is_dir():  # the code that made the builds kept (--reuse-builds)
        return pkg
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(pkg, ignore_errors=True)
    if ref is None:
        src = ROOT
    else:
        src.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    for folder, target in LAYOUT.items():
        shutil.copytree(src / folder, pkg / target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return pkg


def same_graphml(a: Path, b: Path) -> bool:
    import networkx as nx

    ga, gb = nx.read_graphml(a), nx.read_graphml(b)
    return (dict(ga.nodes(data=True)) == dict(gb.nodes(data=True))
            and sorted((u, v, k, sorted(d.items())) for u, v, k, d in ga.edges(keys=True, data=True))
            == sorted((u, v, k, sorted(d.items())) for u, v, k, d in gb.edges(keys=True, data=True)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--before", default="main", help="git ref of the code measured as 'before'")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds before a command is killed")
    ap.add_argument("--reuse-builds", action="store_true",
                    help="keep the builds (and the copies of the code that made them) an earlier run left in --workdir")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "readers-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    envs = {side: dict(os.environ, PYTHONPATH=str(package(side, ref, args.workdir, args.reuse_builds)))
            for side, ref in (("before", args.before), ("after", None))}
    for side, env in envs.items():  # each side runs its own code
        where = subprocess.run([sys.executable, "-c", "import govkg; print(govkg.__file__)"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        print(f"{side}: {where}")
    exe = [sys.executable, "-m", "govkg"]
    print(f"median of {args.runs} run(s) per command; peak RSS per process; timeout {args.timeout:g} s")
    table = []
    for n in args.sites:
        data = args.workdir / f"sites-{n}"
        if not (data / "sites").is_dir():
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(data), "--sites", str(n), "--realistic"],
                           check=True, capture_output=True)
        outs = {side: args.workdir / f"out-{side}-{n}" for side in envs}
        bases = {side: exe + ["--data", str(data), "--build-dir", str(args.workdir / f"build-{side}-{n}")]
                 for side in envs}
        print(f"\n{n:,} sites", flush=True)
        print(f"  {'command':20} {'before':>20} {'after':>20} {'output':>10}", flush=True)
        row = [n]

        def show(name, results, same=""):
            cells = [r if isinstance(r, str) else f"> {args.timeout:g} s (killed)" if r is None
                     else f"{r[0]:7.2f} s {r[1]:6,} MB" for r in results]
            print(f"  {name:20} {cells[0]:>20} {cells[1]:>20} {same:>10}", flush=True)
            row.append((name, cells, same))

        builds = []
        for side, env in envs.items():
            shutil.rmtree(outs[side], ignore_errors=True)
            outs[side].mkdir()
            if args.reuse_builds and (args.workdir / f"build-{side}-{n}" / "manifest.json").is_file():
                builds.append("reused")  # made by an earlier run of the same code (else its readers compile)
                continue
            builds.append(run([sys.executable, "-c", _BUILD, str(data), str(args.workdir / f"build-{side}-{n}")],
                              outs[side] / "build.txt", env, args.timeout * 4))
        show("build (no checks)", builds)
        cases = {  # name: (arguments, the file it writes, or None: its standard output is the answer)
            "outcomes": (["outcomes", "-f", "csv"], None),
            "report": (["report", "-o", "{out}/report.html"], "report.html"),
            "viz": (["viz", "-o", "{out}/viz.html"], "viz.html"),
            "figure": (["figure", "-o", "{out}/figure.png"], "figure.png"),
            "export -f graphml": (["export", "-f", "graphml", "-o", "{out}/g.graphml"], "g.graphml"),
        }
        for name, (cmd, file) in cases.items():
            results = []
            for side, env in envs.items():
                o = outs[side]
                argv = bases[side] + [a.replace("{out}", str(o)) for a in cmd]
                got = [run(argv, o / (f"{name.split()[0]}.txt" if file is None else "stdout.txt"), env, args.timeout)
                       for _ in range(args.runs)]
                results.append(None if None in got else (statistics.median(g[0] for g in got), max(g[1] for g in got)))
            a, b = (outs[side] / (file or f"{name.split()[0]}.txt") for side in envs)
            if None in results:
                same = "n/a"
            elif name == "export -f graphml":
                same = "same" if same_graphml(a, b) else "DIFFERS"
            else:
                same = "same" if a.read_bytes() == b.read_bytes() else "DIFFERS"
            show(name, results, same)
        table.append(row)
    print("\n| sites | command | before | after | output |")
    print("|---|---|---|---|---|")
    for n, *cells in table:
        for name, (before, after), same in cells:
            print(f"| {n:,} | {name} | {before.strip()} | {after.strip()} | {same} |")


if __name__ == "__main__":
    main()
