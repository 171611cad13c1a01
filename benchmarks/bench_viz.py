"""Benchmark: time from page load to stabilised layout of the viz page in headless Chromium (network cut).

Run: ``python benchmarks/bench_viz.py [SIZES…]`` (default 500 2000 5000). Prints one line per size and
page: nodes, edges, what the page draws at first, HTML size, Python render time, and the browser's time
to a stabilised layout (ms since navigation start, ``performance.now()`` when vis-network reports
stabilisation), median of the runs. Two pages per size: ``full`` as ``govkg viz --view full`` writes it
(collapsed by class: the sites and one node per class) and ``all`` with every node shown from the start
(the page before collapsing existed: the same work as the baseline).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from viz_synthetic import synthetic_view  # noqa: E402

from govkg.writers import write_atomic  # noqa: E402
from govkg.visualize.html import LARGE_GRAPH, render_html, size_warnings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
LIMIT_MS = 10_000


def main(sizes=(500, 2000, 5000), runs: int = 3) -> int:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as d, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n, page_kind in [(n, k) for n in sizes for k in ("full", "all")]:
            G = synthetic_view(n, seed=n)
            if page_kind == "all":
                G.graph["view"] = "mechanisms"  # no class groups: every node drawn and laid out
            t0 = time.perf_counter()
            page_html = render_html(G, lang="zh", title=f"synthetic {n}")
            t_render = time.perf_counter() - t0
            path = write_atomic(Path(d) / f"syn-{n}.html", page_html)
            times, counts = [], None
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
                page = ctx.new_page()
                page.goto(path.as_uri())
                page.wait_for_function("window.govkg && window.govkg.stabilized", timeout=120_000, polling=50)
                times.append(page.evaluate("window.govkg.stabilizedAt"))
                counts = page.evaluate("window.govkg.rendered()")
                ctx.close()
            med = statistics.median(times)
            rows.append((f"{n} {page_kind}", G.number_of_nodes(), G.number_of_edges(), counts, len(page_html) / 1e6, t_render, med,
                         min(times), max(times), bool(size_warnings(G.number_of_nodes(), "full"))))
        browser.close()
    print(f"{'target':>10} {'nodes':>6} {'edges':>6} {'rendered':>13} {'html MB':>8} {'render s':>9} "
          f"{'stabilised ms (median, min-max)':>32} {'warns':>5}")
    ok = True
    for n, nn, ne, c, mb, tr, med, lo, hi, warn in rows:
        print(f"{n:>10} {nn:>6} {ne:>6} {c['nodes']:>6}/{c['edges']:<6} {mb:>8.2f} {tr:>9.2f} "
              f"{med:>14.0f} ({lo:.0f}-{hi:.0f}) {'yes' if warn else 'no':>12}")
        ok &= med < LIMIT_MS
    print(f"warning threshold: > {LARGE_GRAPH} nodes; limit: stabilised in < {LIMIT_MS / 1000:.0f} s "
          f"-> {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sizes = tuple(int(a) for a in sys.argv[1:]) or (500, 2000, 5000)
    raise SystemExit(main(sizes))
