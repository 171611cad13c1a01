"""Held-out estimates for the rule-based drafter: word-list entries only one devset text supports, and folds without them.

The drafter learns nothing, but its word lists were written while reading the development set;
an entry that occurs in one devset text only (and not in the Haikou report, the other text the
rules were written from) may be there for that text alone. Two tools measure that:

- ``fitted_entries``: every Chinese string of a word list in the drafter's modules (tuple, list
  and set literals of strings, and the first string of each pair in a table such as
  ``ORG_SUFFIXES``), with the texts that contain it; those supported by a single devset text are
  the candidates for "fitted to one text";
- ``score_split``: for each fold, the drafter's modules are compiled again in a fresh process with
  every word-list entry left out that occurs in the fold's test texts only (in no training text
  and not in the Haikou report), and the test texts are drafted and scored. Leaving one text out
  per fold (18 folds; every devset text has its own publisher, so this is also
  leave-one-publisher-out) estimates what the rules would score had that text not been read.

What this does not remove: words written inside a regular expression (``(?:等形式|等方式)``),
inside ``set("…")`` of single characters, or rules (code paths) written for one text. It is an
estimate of the word lists' fit only; an entry that a developer would have written from general
knowledge (协会, 公司) but that happens to occur in one text only is removed too, which makes the
estimate pessimistic for that entry.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import json
import os
import re
import subprocess
import sys
from pathlib import Path

__all__ = ["DRAFT_MODULES", "word_list_entries", "regex_words", "text_support", "fitted_entries", "score_split", "print_split"]

ROOT = Path(__file__).resolve().parent.parent
#: The drafter's modules whose word lists are examined (review, accept, writer hold no reading rules).
DRAFT_MODULES = ("govkg.numbers", "govkg.draft.numbers", "govkg.draft.names", "govkg.draft.organizations",
                 "govkg.draft.places", "govkg.draft.sites", "govkg.sentences", "govkg.draft.drafter",
                 "govkg.draft.gazetteer")
_CJK = re.compile("[\u4e00-\u9fff]")
HAIKOU = ROOT.parent / "shared" / "sources" / "haikou-grassroots-governance-demo-sites.zh.txt"


def _module_file(name: str) -> Path:
    spec = importlib.machinery.PathFinder.find_spec(name.split(".")[-1], [str(_package_dir(name))])
    return Path(spec.origin)


def _package_dir(name: str) -> Path:
    parts = name.split(".")[1:-1]  # govkg -> graph/
    return ROOT.joinpath("graph", *parts)


def _entry_key(node: ast.AST) -> str | None:
    """The string a literal element stands for: a string, or a pair's first string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[0], ast.Constant) \
            and isinstance(node.elts[0].value, str) and all(isinstance(e, ast.Constant) for e in node.elts):
        return node.elts[0].value
    return None


def _is_word_list(node: ast.AST) -> bool:
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set)) or len(node.elts) < 2:
        return False
    keys = [_entry_key(e) for e in node.elts]
    return all(k is not None for k in keys) and any(_CJK.search(k) for k in keys)


def word_list_entries() -> list[tuple[str, int, str]]:
    """``(module, line, entry)`` for every Chinese entry of a word list in ``DRAFT_MODULES``."""
    out = []
    for mod in DRAFT_MODULES:
        path = _module_file(mod)
        for node in _word_lists(ast.parse(path.read_text(encoding="utf-8"))):
            for e in node.elts:
                k = _entry_key(e)
                if _CJK.search(k):
                    out.append((mod, e.lineno, k))
    return out


def _word_lists(node: ast.AST):
    """The word lists under ``node``, outermost only (a pair inside a table is not a list of its own)."""
    if _is_word_list(node):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _word_lists(child)


def regex_words() -> list[tuple[str, int, str]]:
    """``(module, line, word)`` for every Chinese alternative of a regular expression (``(?:等形式|等方式)``)
    or character class of two or more words in ``DRAFT_MODULES``: words that ``score_split`` cannot leave out."""
    out = []
    for mod in DRAFT_MODULES:
        tree = ast.parse(_module_file(mod).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "|" in node.value:
                for group in re.findall(r"\(\?(?:P<\w+>|:)?([^()]*\|[^()]*)\)", node.value):
                    for alt in group.split("|"):
                        if _CJK.search(alt) and re.fullmatch("[\u4e00-\u9fff]+", alt):
                            out.append((mod, node.lineno, alt))
    return out


def _texts(devset: Path) -> dict[str, str]:
    texts = {}
    for txt in sorted(devset.glob("*.txt")):
        if (devset / f"{txt.stem}.gold.yaml").is_file():
            body = txt.read_text(encoding="utf-8").partition("\n")[2]
            texts[txt.stem] = re.sub(r"\s+", "", body)
    if HAIKOU.is_file():
        texts["(haikou)"] = re.sub(r"\s+", "", HAIKOU.read_text(encoding="utf-8"))
    return texts


def text_support(entries, texts: dict[str, str]) -> dict[str, frozenset[str]]:
    """For each entry string, the texts (slugs; ``(haikou)``) that contain it."""
    return {e: frozenset(slug for slug, body in texts.items() if e in body) for e in {x for _, _, x in entries}}


def fitted_entries(devset: Path, *, regex: bool = False) -> list[tuple[str, int, str, str]]:
    """Word-list entries that exactly one devset text (and not the Haikou report) contains.

    Returns ``(module, line, entry, slug)`` rows, by module and line; with ``regex`` the words
    of regular expressions (``regex_words``) instead.
    """
    entries = regex_words() if regex else word_list_entries()
    support = text_support(entries, _texts(devset))
    rows = {(m, ln, e, next(iter(support[e]))) for m, ln, e in entries
            if len(support[e]) == 1 and "(haikou)" not in support[e]}
    return sorted(rows)


class _Ablating(importlib.abc.MetaPathFinder):
    """Compiles the drafter's modules with the word-list entries in ``drop`` left out."""

    def __init__(self, drop: set[str]):
        self.drop = drop

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in DRAFT_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None:
            return None
        drop = self.drop

        class Loader(importlib.machinery.SourceFileLoader):
            def source_to_code(self, data, path, *, _optimize=-1):
                tree = ast.parse(data)

                for node in _word_lists(tree):
                    node.elts = [e for e in node.elts if _entry_key(e) not in drop]
                    if isinstance(node, ast.Set) and not node.elts:  # {} would be a dict: keep one impossible word
                        node.elts = [ast.copy_location(ast.Constant("\x00"), node)]
                tree = ast.fix_missing_locations(tree)
                return compile(tree, path, "exec", dont_inherit=True)

            def get_code(self, fullname):  # never read or write the bytecode cache
                source = self.get_data(self.path)
                return self.source_to_code(source, self.path)

        spec.loader = Loader(fullname, spec.origin)
        return spec


def _child(args: dict) -> None:
    """Run in a fresh process: draft and score ``only`` with ``drop`` left out of the word lists."""
    sys.meta_path.insert(0, _Ablating(set(args["drop"])))
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from draft_devset import score_devset

    scores = score_devset(Path(args["devset"]), build=False, only=set(args["only"]))
    print(json.dumps([{"slug": s.slug, "drafted": s.drafted, "counts": s.counts, "comparator": s.comparator,
                       "evidence": s.evidence, "misses": s.misses} for s in scores], ensure_ascii=False))


def score_split(devset: Path, folds: list[list[str]]) -> list[dict]:
    """Score each fold's test texts with the entries only they support left out (one process per fold).

    Returns one dict per fold: ``test`` (slugs), ``dropped`` (entries left out) and ``scores``
    (per text, as ``score_devset`` counts them).
    """
    texts = _texts(devset)
    entries = word_list_entries()
    support = text_support(entries, texts)
    out = []
    for test in folds:
        train = set(texts) - set(test)
        drop = sorted(e for e, sup in support.items() if sup and not (sup & train))
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run([sys.executable, __file__, json.dumps({"devset": str(devset), "only": test, "drop": drop})],
                           capture_output=True, text=True, env=env, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"fold {test} failed:\n{r.stderr[-2000:]}")
        out.append({"test": test, "dropped": drop, "scores": json.loads(r.stdout)})
    return out


def _sum(rows, cat):
    return [sum(r["counts"].get(cat, [0, 0, 0, 0])[i] for r in rows) for i in range(4)]


def print_split(result: list[dict], *, verbose: bool = False) -> dict:
    """Print one line per fold and the pooled totals over all folds' test texts; return the totals."""
    cats = ("numbers", "mechanisms", "organizations")
    print(f"{'fold (test texts)':36} left out  " + "  ".join(f"{c[:4]} R      P     " for c in cats))
    every = []
    for fold in result:
        rows = fold["scores"]
        every += rows
        cells = []
        for c in cats:
            f, g, r, d = _sum(rows, c)
            cells.append(f"{f:>2}/{g:<2} {r:>2}/{d:<3}")
        name = fold["test"][0] if len(fold["test"]) == 1 else f"{len(fold['test'])} texts: {fold['test'][0]} …"
        print(f"{name[:36]:36} {len(fold['dropped']):>8}  " + "   ".join(cells))
        if verbose and fold["dropped"]:
            print(f"    left out: {'、'.join(fold['dropped'])}")
    print()
    tot = {}
    for c in cats:
        f, g, r, d = _sum(every, c)
        tot[c] = (f, g, r, d)
        print(f"{c:14} recall {f}/{g} = {100 * f / g if g else 0:5.1f} %   precision {r}/{d} = "
              f"{100 * r / d if d else 0:5.1f} %   (pooled over the folds' test texts)")
    drafted = sum(r["drafted"] for r in every)
    print(f"texts drafted: {drafted}/{len(every)}")
    return tot


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
