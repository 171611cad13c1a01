"""Wall time of each govkg command on the bundled data, in fresh processes (median of N runs).

Run:  python3 benchmarks/bench_cli.py [--runs 5]
Target (core issue): every command answers in well under a second on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wcwidth import wcswidth

COMMANDS = [
    ["--help"],
    ["build"],
    ["validate"],
    ["query", "--example", "numbers-with-evidence", "--format", "csv"],
    ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"],
    ["shared", "--json"],
    ["shared", "椰智荟"],
    ["similar", "高新社区"],
    ["export", "--format", "turtle", "-o", "{tmp}/govkg.ttl"],
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    exe = [sys.executable, "-m", "govkg"]
    subprocess.run(exe + ["build"], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python_startup = time.perf_counter() - start
    print(f"python startup alone: {python_startup * 1000:.0f} ms")
    print(f"{'command':62} {'median':>8} {'min':>8}")
    worst = 0.0
    for cmd in COMMANDS:
        cmd = [c.replace("{tmp}", tmp) for c in cmd]
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(exe + cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        worst = max(worst, med)
        name = f"govkg {' '.join(cmd)}"[:62]
        pad = " " * max(0, 62 - wcswidth(name))
        print(f"{name}{pad} {med * 1000:7.0f}ms {min(times) * 1000:7.0f}ms")
    print(f"slowest command: {worst * 1000:.0f} ms (target: under 1000 ms)")
    Path(tmp, "govkg.ttl").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
