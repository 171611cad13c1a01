"""Quality of `govkg draft` on the Haikou report (against the curated data) and on a devset of real reports (not a test).

Run:  python3 benchmarks/bench_draft.py [--text PATH] [--data DIR]
      python3 benchmarks/bench_draft.py --devset ../shared/devset [--no-build] [--only SLUG] [-v]
      python3 benchmarks/bench_draft.py --devset ../shared/devset --split loo|2 [--fitted] [-v]

``--split`` estimates held-out performance (benchmarks/draft_split.py): per fold, the drafter's
word-list entries that only the fold's test texts contain are left out (the modules compiled again
in a fresh process) and the test texts are scored; ``loo`` leaves one text out per fold (18 folds,
one publisher each), ``2`` splits the texts in two halves (alternating, by name). The in-sample
figures are printed first, in the same run. ``--fitted`` lists the word-list entries that one
devset text alone contains (candidates for rules fitted to that text).

With ``--devset`` every ``*.txt`` of the folder is drafted (without its ``# source:`` line) and
scored against its ``*.gold.yaml`` by the rules of the devset's README (benchmarks/draft_devset.py):
numbers, mechanisms and organizations recall and precision, comparator right, evidence whole
sentences, and whether each draft builds with ``govkg build --include-drafts``; one line per text
and the totals, then the Haikou report's figures as below.

The drafter's gazetteer is built from the curated data WITHOUT the entries of the Haikou report
(otherwise every name would be found by looking it up). Figures per category:

- outcomes: a drafted outcome is right when its site, sentence, value, unit and comparator all
  equal a curated outcome's (one-to-one; two curated outcomes stated by one figure need two);
- mechanisms, organizations: a drafted name is right when it names a curated one of the same
  site. "exact": the labels are equal once quotation marks are removed; "contains": one label
  contains the other (e.g. 党总支 in 云蛟村委会党总支, “三聚焦” in “三聚焦”助推“融合+服务”). The
  targets are judged on "contains"; both are printed;
- sites: drafted sites against the curated 8, with any extra one counted;
- evidence: share of drafted evidence strings that are whole sentences of the report, verbatim.

Targets (issue 11): outcomes recall >= 95 % and precision >= 80 %; mechanisms recall >= 80 %,
precision >= 70 %; organizations recall >= 70 %, precision >= 70 %; sites 8/8 with no extra;
evidence 100 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_TEXT = ROOT.parent / "shared" / "sources" / "haikou-grassroots-governance-demo-sites.zh.txt"


def _pair(drafted: list[tuple[str, str]], curated: list[tuple[str, str]], lenient: bool) -> int:
    """One-to-one matches between (site, name) lists; exact names first, then containment."""
    from govkg.draft.names import strip_quotes

    left = [(s, strip_quotes(n)) for s, n in curated]
    used = [False] * len(left)
    hits = 0
    rest = []
    for s, n in drafted:
        n = strip_quotes(n)
        for i, (cs, cn) in enumerate(left):
            if not used[i] and cs == s and cn == n:
                used[i], hits = True, hits + 1
                break
        else:
            rest.append((s, n))
    if lenient:
        for s, n in rest:
            for i, (cs, cn) in enumerate(left):
                if not used[i] and cs == s and len(n) >= 2 and (n in cn or cn in n):
                    used[i], hits = True, hits + 1
                    break
    return hits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="the Haikou report's text")
    ap.add_argument("--data", type=Path, default=ROOT / "data", help="the curated data")
    ap.add_argument("--devset", type=Path, help="a folder of real reports with gold files (../shared/devset)")
    ap.add_argument("--no-build", action="store_true", help="with --devset: do not build each draft")
    ap.add_argument("--only", help="with --devset: only the texts whose name holds this")
    ap.add_argument("-v", "--verbose", action="store_true", help="with --devset: list what was missed or wrong")
    ap.add_argument("--split", choices=("loo", "2"), help="with --devset: held-out estimate by folds (see above)")
    ap.add_argument("--fitted", action="store_true", help="with --devset: list word-list entries one devset text alone holds")
    args = ap.parse_args(argv)
    if args.devset is not None and (args.split or args.fitted):
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from draft_devset import print_scores, score_devset
        from draft_split import fitted_entries, print_split, score_split

        if args.fitted:
            rows = fitted_entries(args.devset)
            print(f"word-list entries that one devset text alone contains (and not the Haikou report): {len(rows)}")
            for mod, line, entry, slug in rows:
                print(f"  {mod}:{line}  {entry}  ({slug})")
            rows = fitted_entries(args.devset, regex=True)
            print(f"words of regular expressions that one devset text alone contains (not left out by --split): {len(rows)}")
            for mod, line, entry, slug in rows:
                print(f"  {mod}:{line}  {entry}  ({slug})")
            print()
        if args.split:
            slugs = sorted(p.stem for p in args.devset.glob("*.txt") if (args.devset / f"{p.stem}.gold.yaml").is_file())
            folds = [[s] for s in slugs] if args.split == "loo" else [slugs[0::2], slugs[1::2]]
            print("in-sample (every rule, every text):")
            print_scores(score_devset(args.devset, build=False), verbose=False)
            print()
            print(f"held-out estimate, {'leave one text out' if args.split == 'loo' else 'two folds'}: each fold's test "
                  "texts drafted without the word-list entries only they contain")
            print_split(score_split(args.devset, folds), verbose=args.verbose)
        return 0
    if args.devset is not None:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from draft_devset import print_scores, score_devset

        if not args.devset.is_dir():
            print(f"devset folder not found: {args.devset}")
            return 2
        print(f"govkg draft on the development set {args.devset} (scored by its README's rules)\n")
        print_scores(score_devset(args.devset, build=not args.no_build, only=args.only), verbose=args.verbose)
        if args.only:
            return 0
        print()
    if not args.text.is_file():
        print(f"report text not found: {args.text} (pass --text)")
        return 2

    from govkg.draft import draft_text, gazetteer_from_data
    from govkg.sentences import split_sentences
    from govkg.model import load_data

    text = args.text.read_text(encoding="utf-8")
    data = load_data(args.data)
    haikou = {s.id for s in data.sources if s.values.get("file") == args.text.name}
    t0 = time.perf_counter()
    gaz = gazetteer_from_data(args.data, exclude_sources=haikou)
    t1 = time.perf_counter()
    d = draft_text(text, source={"id": "bench", "zh": "bench", "en": "bench"}, gazetteer=gaz)
    t2 = time.perf_counter()

    site_zh = {e.id: e.values["zh"] for e in data.entries if e.section == "site" and not e.is_use}
    drafted_site_zh = {sid: sd.site["zh"] for sid, sd in d.sites.items()}

    # Outcomes: (site, sentence, value, unit, comparator), as multisets.
    cur_out = Counter()
    for e in data.entries:
        if e.section == "outcomes" and e.source in haikou:
            v = e.values
            for ev in e.evidence[:1]:
                cur_out[(site_zh[e.site], ev, float(v["value"]), v["unit"], v.get("comparator", "exactly"))] += 1
    got_out = Counter()
    for sid, sd in d.sites.items():
        for o in sd.outcomes:
            got_out[(drafted_site_zh[sid], o["evidence"], float(o["value"]), o["unit"], o.get("comparator", "exactly"))] += 1
    out_hits = sum((cur_out & got_out).values())

    # Mechanisms and organizations by site; a shared mechanism counts at each site that uses it.
    mech_names = {e.id: e.values["zh"] for e in data.entries if e.section == "mechanisms" and not e.is_use}
    cur_mech = [(site_zh[e.site], mech_names[e.id]) for e in data.entries
                if e.section == "mechanisms" and not e.is_use and e.source in haikou]
    cur_org = [(site_zh[e.site], e.values["zh"]) for e in data.entries
               if e.section == "organizations" and e.source in haikou and e.site]
    got_mech = [(drafted_site_zh[sid], m["zh"]) for sid, sd in d.sites.items() for m in sd.mechanisms if "zh" in m]
    got_org = [(drafted_site_zh[sid], o["zh"]) for sid, sd in d.sites.items() for o in sd.organizations]

    sentences = {s.text for s in split_sentences(text)}
    evidence = [ev for _, _, v in d.entries() for ev in ([v["evidence"]] if isinstance(v["evidence"], str) else v["evidence"])]
    evidence += [m["evidence"] for sd in d.sites.values() for m in sd.mechanisms if "use" in m]
    whole = sum(ev in sentences and ev in text for ev in evidence)

    def pct(a, b):
        return 100.0 * a / b if b else 0.0

    rows = []

    def row(name, hits, n_cur, n_got, r_target, p_target, note=""):
        r, p = pct(hits, n_cur), pct(hits, n_got)
        met = (r >= r_target and p >= p_target) if r_target is not None else None
        rows.append((name, f"{hits}/{n_cur}", f"{r:5.1f} %", f"{hits}/{n_got}", f"{p:5.1f} %",
                     f">= {r_target} % / >= {p_target} %" if r_target is not None else "(not a target)",
                     "" if met is None else ("met" if met else "NOT met"), note))

    row("outcomes (value, unit, comparator)", out_hits, sum(cur_out.values()), sum(got_out.values()), 95, 80)
    for name, got, cur, rt, pt in (("mechanisms", got_mech, cur_mech, 80, 70), ("organizations", got_org, cur_org, 70, 70)):
        ex = _pair(got, cur, lenient=False)
        le = _pair(got, cur, lenient=True)
        row(f"{name}, exact label", ex, len(cur), len(got), None, None)
        row(f"{name}, contains", le, len(cur), len(got), rt, pt)
    site_hits = len(set(drafted_site_zh.values()) & set(site_zh.values()))
    extra = len(set(drafted_site_zh.values()) - set(site_zh.values()))
    print(f"govkg draft on {args.text.name}: {len(split_sentences(text))} sentences; gazetteer without the "
          f"Haikou entries: {len(gaz)} names; draft {1000 * (t2 - t1):.0f} ms (gazetteer {1000 * (t1 - t0):.0f} ms)")
    print()
    head = ("category", "recall", "", "precision", "", "target (recall / precision)", "", "")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    print()
    print(f"sites: {site_hits}/{len(site_zh)} found, {extra} extra (target 8/8, no extra): "
          f"{'met' if site_hits == len(site_zh) and extra == 0 else 'NOT met'}")
    print(f"evidence: {whole}/{len(evidence)} drafted evidence strings are whole sentences of the report, verbatim "
          f"({pct(whole, len(evidence)):.1f} %; target 100 %): {'met' if whole == len(evidence) else 'NOT met'}")
    print(f"numbers left out by the stop list: {len(d.skipped)} "
          f"({', '.join(sorted(Counter(k.reason.split(':')[0].split(' (')[0] for _, k in d.skipped)))})")
    missed = cur_out - got_out
    if missed:
        print("outcomes missed: " + "; ".join(f"{k[2]:g} {k[3]} ({k[0]})" for k in missed))
    wrong = got_out - cur_out
    if wrong:
        print("outcomes drafted and not curated: " + "; ".join(f"{k[2]:g} {k[3]} ({k[0]})" for k in wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
