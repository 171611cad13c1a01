"""Benchmark: time from page load to stabilised layout of the viz page in headless Chromium (network cut).

Run: ``python benchmarks/bench_viz.py [SIZES…]`` (default 500 2000 5000). Prints one line per size and
page: nodes, edges, what the page draws at first, HTML size, Python render time, and the browser's time
to a stabilised layout (ms since navigation start, ``performance.now()`` when vis-network reports
stabilisation), median of the runs. Two pages per size: ``full`` as ``govkg viz --view full`` writes it
(collapsed by class: the sites and one node per class) and ``all`` with every node shown from the start
(the page before collapsing existed). With ``--baseline REV`` (e.g. ``main``) the same pages are also
rendered by the ``visualize`` package of that git revision, in the same run, and the ratios printed.
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


def _baseline_renderer(rev: str, into: Path):
    """``render_html`` of the ``visualize`` package at git revision ``rev`` (its own assets), loaded
    from a copy in ``into``."""
    import importlib.util
    import io
    import subprocess
    import tarfile

    repo = Path(__file__).resolve().parent.parent
    data = subprocess.run(["git", "-C", str(repo), "archive", rev, "visualize"], check=True, capture_output=True).stdout
    tarfile.open(fileobj=io.BytesIO(data)).extractall(into)
    pkg = into / "visualize"
    spec = importlib.util.spec_from_file_location("govkg_baseline_visualize", pkg / "__init__.py",
                                                  submodule_search_locations=[str(pkg)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    old = importlib.import_module("govkg_baseline_visualize.html")
    old._asset = lambda name: (pkg / name).read_text(encoding="utf-8")
    return old.render_html


def main(sizes=(500, 2000, 5000), runs: int = 3, baseline: str | None = None) -> int:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as d, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        kinds = ("full", "all") + (("base-full",) if baseline else ())
        base_render = _baseline_renderer(baseline, Path(d)) if baseline else None
        for n, page_kind in [(n, k) for n in sizes for k in kinds]:
            G = synthetic_view(n, seed=n)
            if page_kind == "all":
                G.graph["view"] = "mechanisms"  # no class groups: every node drawn and laid out
            t0 = time.perf_counter()
            render = base_render if page_kind.startswith("base") else render_html
            page_html = render(G, lang="zh", title=f"synthetic {n}")
            t_render = time.perf_counter() - t0
            path = write_atomic(Path(d) / f"syn-{n}-{page_kind}.html", page_html)
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
        ok &= med < LIMIT_MS or not n.endswith(" full") or n.startswith("base")  # the limit is for the default page
    if baseline:
        by = {r[0]: r[6] for r in rows}
        for n in sizes:
            b = by[f"{n} base-full"]
            print(f"{n}: {baseline} full view {b:.0f} ms; now full (collapsed) {by[f'{n} full']:.0f} ms "
                  f"(x{by[f'{n} full'] / b:.2f}), all nodes {by[f'{n} all']:.0f} ms (x{by[f'{n} all'] / b:.2f})")
    print(f"warning threshold: > {LARGE_GRAPH} nodes; limit (default page, 'full'): stabilised in < {LIMIT_MS / 1000:.0f} s "
          f"-> {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    base = None
    if "--baseline" in args:
        i = args.index("--baseline")
        base = args[i + 1]
        del args[i:i + 2]
    sizes = tuple(int(a) for a in args) or (500, 2000, 5000)
    raise SystemExit(main(sizes, baseline=base))
