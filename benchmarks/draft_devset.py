"""Score `govkg draft` on a development set of real reports with gold files (the devset README's rules)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

__all__ = ["TextScore", "score_devset", "read_draft", "print_scores"]

_QUOTES = "“”‘’「」『』\"'"
#: How the devset writes a comparator, by the words that give it (the README's mapping).
_COMPARATORS = ("exactly", "more-than", "approximately", "less-than", "range")


@dataclass
class TextScore:
    """Counts for one text: per category found/gold and right/drafted, plus evidence and build."""

    slug: str
    drafted: bool = False
    error: str = ""
    built: bool | None = None
    build_error: str = ""
    counts: dict = field(default_factory=dict)  # category -> [found, gold, right, drafted]
    comparator: list = field(default_factory=lambda: [0, 0])  # right, judged
    evidence: list = field(default_factory=lambda: [0, 0])  # whole sentences, all
    misses: dict = field(default_factory=dict)
    seconds: float = 0.0


def _bare(name: str) -> str:
    return re.sub(r"\s+", "", name.translate({ord(c): None for c in _QUOTES}))


def _name_match(a: str, b: str) -> bool:
    a, b = _bare(a), _bare(b)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return short in long_ and len(short) >= 0.6 * len(long_)


def _sentences(body: str) -> set[str]:
    """Sentences as the README defines them, whitespace removed."""
    out, cur = [], ""
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\n":
            out.append(cur)
            cur = ""
        else:
            cur += c
            if c in "。！？!?":
                while i + 1 < len(body) and body[i + 1] in "”’」』\"'":
                    i += 1
                    cur += body[i]
                out.append(cur)
                cur = ""
        i += 1
    out.append(cur)
    return {re.sub(r"\s+", "", s) for s in out if s.strip()}


def read_draft(folder: Path) -> tuple[list[dict], list[str], list[str], list[str]]:
    """Numbers, mechanism names, organization names and evidence strings of a drafted folder, layout-free.

    Every mapping with a numeric ``value`` is a number; every entry with a label (``zh``) under a
    ``mechanisms`` or ``organizations`` list is a name; every ``evidence`` string is collected.
    """
    import yaml

    numbers, mechs, orgs, evidence = [], [], [], []

    def walk(node, under=None):
        if isinstance(node, dict):
            v = node.get("value")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                numbers.append(node)
            if under in ("mechanisms", "organizations") and isinstance(node.get("zh"), str):
                (mechs if under == "mechanisms" else orgs).append(node["zh"])
            ev = node.get("evidence")
            if isinstance(ev, str):
                evidence.append(ev)
            elif isinstance(ev, list):
                evidence.extend(e for e in ev if isinstance(e, str))
            for k, x in node.items():
                walk(x, k if isinstance(x, list) else under if not isinstance(x, dict) else None)
        elif isinstance(node, list):
            for x in node:
                walk(x, under)

    for p in sorted(folder.rglob("*.yaml")):
        walk(yaml.safe_load(p.read_text(encoding="utf-8")))
    return numbers, mechs, orgs, evidence


def _values_of(text: str) -> set[Decimal]:
    from govkg.numbers import number_values

    return set(number_values(text))


def _score(slug: str, body: str, gold: dict, folder: Path, ts: TextScore) -> None:
    numbers, mechs, orgs, evidence = read_draft(folder)
    g_nums = gold.get("numbers") or []
    doubt = gold.get("doubtful") or []
    doubt_values = set().union(*[_values_of(d["name"]) for d in doubt if d.get("kind") == "number"] or [set()])
    drafted_values = [Decimal(repr(n["value"])) if isinstance(n["value"], float) else Decimal(n["value"]) for n in numbers]
    found = 0
    for g in g_nums:
        targets = {Decimal(str(g["value"]))} | _values_of(g.get("as_written", ""))
        hit = [n for n, v in zip(numbers, drafted_values) if v in targets]
        if hit:
            found += 1
            ts.comparator[1] += 1
            comps = {n.get("comparator", "exactly") for n in hit}
            if g["comparator"] in comps:
                ts.comparator[0] += 1
            else:
                ts.misses.setdefault("comparator", []).append(f"{g['as_written']}: {'/'.join(sorted(comps))} ≠ {g['comparator']}")
        else:
            ts.misses.setdefault("numbers", []).append(g["as_written"])
    gold_values = {Decimal(str(g["value"])) for g in g_nums} | {Decimal(str(g["value_max"])) for g in g_nums if "value_max" in g}
    right = 0
    for n, v in zip(numbers, drafted_values):
        if v in gold_values or v in doubt_values:
            right += 1
        else:
            ts.misses.setdefault("numbers drafted, not gold", []).append(f"{n['value']:g} {n.get('unit')}")
    ts.counts["numbers"] = [found, len(g_nums), right, len(numbers)]
    for cat, drafted, kind in (("mechanisms", mechs, "mechanism"), ("organizations", orgs, "organization")):
        golds = gold.get(cat) or []
        names = [[x["name"], *(x.get("aliases") or [])] for x in golds]
        doubts = [d["name"] for d in doubt if d.get("kind") == kind]
        f = sum(any(_name_match(d, n) for d in drafted for n in ns) for ns in names)
        judged = [d for d in drafted if not any(_name_match(d, x) for x in doubts)
                  or any(_name_match(d, n) for ns in names for n in ns)]
        r = sum(any(_name_match(d, n) for ns in names for n in ns) for d in judged)
        ts.counts[cat] = [f, len(golds), r, len(judged)]
        ts.misses[f"{cat} missed"] = [ns[0] for ns in names if not any(_name_match(d, n) for d in drafted for n in ns)]
        ts.misses[f"{cat} wrong"] = [d for d in judged if not any(_name_match(d, n) for ns in names for n in ns)]
    sentences = _sentences(body)
    ts.evidence = [sum(re.sub(r"\s+", "", e) in sentences for e in evidence), len(evidence)]


def _build(folder: Path, sources: Path) -> tuple[bool, str]:
    env = dict(os.environ, GOVKG_SOURCES=str(sources))
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([sys.executable, "-m", "govkg", "--data", str(folder), "build", "--include-drafts",
                            "--no-dumps", "-o", out], capture_output=True, text=True, env=env, timeout=600)
    return r.returncode == 0, (r.stdout + r.stderr).strip()[-600:]


def score_devset(devset: Path, *, build: bool = True, only=None) -> list[TextScore]:
    """Draft every ``*.txt`` of ``devset`` (without its ``# source:`` line) and score it against its gold file.

    ``only``: a string (the texts whose name holds it) or a collection of slugs.
    """
    import yaml

    from govkg.draft import draft_report, write_draft
    from govkg.errors import GovkgError

    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for txt in sorted(devset.glob("*.txt")):
            slug = txt.stem
            if only and (only not in slug if isinstance(only, str) else slug not in only):
                continue
            gold_path = devset / f"{slug}.gold.yaml"
            if not gold_path.is_file():
                continue
            gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
            raw = txt.read_text(encoding="utf-8")
            first, _, body = raw.partition("\n")
            src = Path(tmp) / "sources"
            src.mkdir(exist_ok=True)
            report = src / f"{slug}.txt"
            report.write_text(body, encoding="utf-8")
            url = re.search(r"https?://\S+", first)
            folder = Path(tmp) / slug
            ts = TextScore(slug)
            t0 = time.perf_counter()
            try:
                d = draft_report(report, source_id=slug, title=slug, url=url.group(0) if url else None)
                write_draft(d, folder, text_path=report)
                ts.drafted = True
            except GovkgError as exc:
                ts.error = str(exc)
            ts.seconds = time.perf_counter() - t0
            if ts.drafted:
                _score(slug, body, gold, folder, ts)
                if build:
                    ts.built, ts.build_error = _build(folder, src)
            else:
                for cat in ("numbers", "mechanisms", "organizations"):
                    ts.counts[cat] = [0, len(gold.get(cat) or []), 0, 0]
            scores.append(ts)
    return scores


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:5.1f} %" if b else "   —   "


TARGETS = {"numbers": (95, 85), "mechanisms": (80, 70), "organizations": (60, 60)}


def print_scores(scores: list[TextScore], *, verbose: bool = False) -> dict:
    """Print one line per text and the totals; return the totals."""
    cats = ("numbers", "mechanisms", "organizations")
    print(f"{'text':36} drafted built  " + "  ".join(f"{c[:4]} R      P     " for c in cats) + " cmp    evid")
    tot = {c: [0, 0, 0, 0] for c in cats}
    comp, evid = [0, 0], [0, 0]
    for s in scores:
        cells = []
        for c in cats:
            f, g, r, d = s.counts.get(c, [0, 0, 0, 0])
            tot[c] = [a + b for a, b in zip(tot[c], (f, g, r, d))]
            cells.append(f"{f:>2}/{g:<2} {r:>2}/{d:<3}")
        comp = [comp[0] + s.comparator[0], comp[1] + s.comparator[1]]
        evid = [evid[0] + s.evidence[0], evid[1] + s.evidence[1]]
        built = "—" if s.built is None else ("yes" if s.built else "NO")
        print(f"{s.slug[:36]:36} {'yes' if s.drafted else 'NO':7} {built:5}  " + "   ".join(cells)
              + f"   {s.comparator[0]}/{s.comparator[1]}  {s.evidence[0]}/{s.evidence[1]}")
        if s.error:
            print(f"    refused: {s.error[:200]}")
        if s.built is False:
            print(f"    build failed: {s.build_error.splitlines()[-1] if s.build_error else ''}"[:300])
        if verbose:
            for k, v in s.misses.items():
                if v:
                    print(f"    {k}: {'; '.join(map(str, v))}")
    print()
    n = len(scores)
    print(f"texts drafted: {sum(s.drafted for s in scores)}/{n}; drafts that build with --include-drafts: "
          f"{sum(bool(s.built) for s in scores)}/{n}")
    for c in cats:
        f, g, r, d = tot[c]
        rt, pt = TARGETS[c]
        met = g and d and 100 * f / g >= rt and 100 * r / d >= pt
        print(f"{c:14} recall {f}/{g} = {_pct(f, g)}   precision {r}/{d} = {_pct(r, d)}   "
              f"(target >= {rt} % / >= {pt} %: {'met' if met else 'NOT met'})")
    print(f"{'comparator':14} right {comp[0]}/{comp[1]} = {_pct(*comp)} of the gold numbers found (target >= 90 %)")
    print(f"{'evidence':14} {evid[0]}/{evid[1]} = {_pct(*evid)} whole sentences of the text (target 100 %)")
    print(f"drafting time: {sum(s.seconds for s in scores):.1f} s in all (in this process, not a timing target)")
    return {"totals": tot, "comparator": comp, "evidence": evid}
