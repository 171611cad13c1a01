"""Property: after any short sequence of edits, an incremental rebuild gives what a full build gives (hypothesis).

A synthetic data folder of 12 sites (``benchmarks/generate.py``) is built without dumps; each
example applies a few edits drawn from a set of operations (labels, evidence, values, references,
ids, files added or removed, cycles, shared labels, drafts). After each edit the kept build
folder is rebuilt (incrementally when it can be) and a fresh folder is built in full: both
succeed with the same rows and totals, or both fail with the same error. A failed edit is
undone, so the next edit starts from valid data again.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govkg.build import build
from govkg.errors import GovkgError

from buildstate import generate_realistic
from buildstate import state as _state

pytestmark = pytest.mark.slow  # builds a 12-site project many times

ROOT = Path(__file__).resolve().parent.parent
N_SITES = 12


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A built synthetic project (data + build without dumps), copied into place by each example."""
    base = tmp_path_factory.mktemp("incr-prop")
    work = base / "work"
    generate_realistic(work / "data", N_SITES)
    build(work / "data", work / "build", sources_dirs=[work / "data" / "sources"], dumps=False)
    shutil.copytree(work, base / "template")
    return base


def _restore(base: Path) -> Path:
    work = base / "work"
    shutil.rmtree(work)
    shutil.copytree(base / "template", work)  # same paths: the manifest's data folder is the same
    return work


# --- edit operations: each takes the data folder and two numbers, and returns what it did ----------

def _sites(data: Path) -> list[Path]:
    return sorted((data / "sites").glob("*.yaml"))


def _pick(items, n):
    return items[n % len(items)] if items else None


def _sub(path: Path, pattern: str, repl, k: int) -> str | None:
    """Replace the ``k``-th match (modulo) of ``pattern`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    found = list(re.finditer(pattern, text))
    if not found:
        return None
    m = found[k % len(found)]
    new = repl(m) if callable(repl) else m.expand(repl)
    path.write_text(text[: m.start()] + new + text[m.end():], encoding="utf-8")
    return f"{path.name}: {m.group(0)!r} -> {new!r}"


def _ids(data: Path, kind: str) -> list[str]:
    """The ids of one kind (m: mechanisms, o/v: organizations, a: areas, s: sites) defined anywhere."""
    out = []
    for p in [*_sites(data), data / "areas.yaml"]:
        if p.exists():
            out += re.findall(rf"\bid: ({kind}\d+)\b", p.read_text(encoding="utf-8"))
    return sorted(set(out))


def _sentences(data: Path) -> list[str]:
    return [s for s in (data / "sources" / "synthetic.zh.txt").read_text(encoding="utf-8").splitlines() if s]


def op_label(data, a, b):
    f = _pick(_sites(data), a)
    return _sub(f, r"\ben: ([A-Z][A-Za-z ]*\d+[A-Za-z ]*)", lambda m: f"en: {m.group(1)} edited{b % 3}", b)


def op_evidence_other(data, a, b):
    f = _pick(_sites(data), a)
    sentence = _pick(_sentences(data), a * 7 + b)
    return _sub(f, r"evidence: '[^']*'", f"evidence: '{sentence}'", b)


def op_evidence_fragment(data, a, b):
    f = _pick(_sites(data), a)
    return _sub(f, r"evidence: '([^']*)。'", r"evidence: '\1'", b)


def op_value(data, a, b):
    """An outcome's value changed to another number written in its sentence (b even) or to one that is not."""
    f = _pick(_sites(data), a)

    def repl(m):
        numbers = re.findall(r"\d+", m.group(2))
        value = _pick(numbers, b // 2) if b % 2 == 0 else str(int(m.group(1)) + 1 + b % 5)
        return m.group(0).replace(f"value: {m.group(1)},", f"value: {value},", 1)

    return _sub(f, r"value: (\d+),[^}]*evidence: '([^']*)'", repl, a)


def op_reference(data, a, b):
    f = _pick(_sites(data), a)
    field, kind = _pick([("within", "a"), ("mechanism", "m"), ("subject", "o"), ("use", "m"),
                         ("realized_by", "o"), ("part_of", "o")], b)
    target = _pick(_ids(data, kind) + [f"{kind}999"], a + b)
    if field == "realized_by":
        return _sub(f, r"realized_by: \[[^\]]*\]", f"realized_by: [{target}]", a)
    return _sub(f, rf"\b{field}: {kind}\d+", f"{field}: {target}", a)


def op_duplicate_id(data, a, b):
    f = _pick(_sites(data), a)
    other = _pick([p for p in _sites(data) if p != f], b)
    if other is None:
        return None
    theirs = re.findall(r"\bid: ([mov]\d+)\b", other.read_text(encoding="utf-8"))
    if not theirs:
        return None
    return _sub(f, r"\bid: m\d+", f"id: {_pick(theirs, b)}", a)


def op_rename_id(data, a, b):
    f = _pick(_sites(data), a)
    return _sub(f, r"\bid: ([mova]\d+)\b", r"id: \1r", b)


def op_delete_file(data, a, b):
    f = _pick(_sites(data), a)
    if f is None:
        return None
    f.unlink()
    return f"deleted {f.name}"


def op_add_file(data, a, b):
    """A new site file: a copy of another site's file with its ids renamed (uses, not definitions, of mechanisms)."""
    f = _pick(_sites(data), a)
    if f is None:
        return None
    n = 100 + b % 50
    text = f.read_text(encoding="utf-8")
    old = re.search(r"\n  id: (s\d+)\n", text).group(1)
    text = re.sub(r"\{id: (m\d+), [^}]*evidence: ('[^']*')\}", r"{use: \1, evidence: \2}", text)
    text = re.sub(rf"\b([aovs]){old[1:]}\b", rf"\g<1>{n}", text)
    text = text.replace(f"id: {old}-", f"id: s{n}-")
    new = data / "sites" / f"s{n}.yaml"
    if new.exists():
        return None
    new.write_text(text, encoding="utf-8")
    return f"added {new.name} from {f.name}"


def op_cycle(data, a, b):
    """A town placed within a site's area, which is within that town: a containment cycle across files."""
    f = _pick(_sites(data), a)
    m = re.search(r"\{id: (a\d+),[^}]*within: (t\d+)", f.read_text(encoding="utf-8"))
    if m is None:
        return None
    area, town = m.groups()
    return _sub(data / "areas.yaml", rf"(id: {town}, [^}}]*within: )d\d+", rf"\g<1>{area}", 0)


def op_same_zh_label(data, a, b):
    """A mechanism made a copy (labels, kinds, sentence) of a mechanism of another file: two mechanisms, one zh label."""
    f = _pick(_sites(data), a)
    theirs = re.findall(r"\{id: m\d+, (zh: [^}]*)\}",
                        "".join(p.read_text(encoding="utf-8") for p in _sites(data) if p != f))
    if not theirs:
        return None
    body = _pick(theirs, b)
    return _sub(f, r"(\{id: m\d+, )zh: [^}]*\}", lambda m: m.group(1) + body + "}", a)


def op_same_org_label(data, a, b):
    """An organization given the labels (and sentence) of one of another file: a duplicate-name warning."""
    f = _pick(_sites(data), a)
    theirs = re.findall(r"\{id: [ov]\d+, (zh: [^,]+, en: [^,]+), type: [^}]*(evidence: '[^']*')\}",
                        "".join(p.read_text(encoding="utf-8") for p in _sites(data) if p != f))
    if not theirs:
        return None
    labels, evidence = _pick(theirs, b)
    return _sub(f, r"(\{id: [ov]\d+, )zh: [^,]+, en: [^,]+,([^}]*)evidence: '[^']*'\}",
                lambda m: f"{m.group(1)}{labels},{m.group(2)}{evidence}}}", a)


def op_parts(data, a, b):
    """A mechanism given another mechanism (of any file) as a part: a parts cycle when the other has it as one."""
    f = _pick(_sites(data), a)
    target = _pick(_ids(data, "m"), a * 3 + b)
    return _sub(f, r"(\{id: m\d+, [^}]*)(realized_by: )", rf"\g<1>parts: [{target}], \g<2>", b)


def op_publisher(data, a, b):
    """A reference to the report's publisher, which a report file defines, not the data (an unknown org)."""
    f = _pick(_sites(data), a)
    return _sub(f, r"\b(subject|part_of): o\d+", r"\1: synthetic-press", b)


def op_draft(data, a, b):
    f = _pick(_sites(data), a)
    return _sub(f, r"\{(id|use): ([movs]\d+(-[xy])?), ", r"{\1: \2, status: draft, ", b)


OPS = {f.__name__[3:]: f for f in (op_label, op_evidence_other, op_evidence_fragment, op_value, op_reference,
                                    op_duplicate_id, op_rename_id, op_delete_file, op_add_file, op_cycle,
                                    op_same_zh_label, op_same_org_label, op_parts,
                                    op_publisher, op_draft)}

EDITS = st.lists(st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 10_000), st.integers(0, 10_000)),
                 min_size=1, max_size=4)


def _outcome(data, out):
    try:
        report = build(data, out, sources_dirs=[data / "sources"], dumps=False)
        return "ok", report
    except GovkgError as exc:
        return type(exc).__name__, str(exc)


def _snapshot(data: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in data.rglob("*.yaml")}


def _put_back(data: Path, snap: dict[Path, bytes]) -> None:
    for p in data.rglob("*.yaml"):
        if p not in snap:
            p.unlink()
    for p, b in snap.items():
        if not p.exists() or p.read_bytes() != b:
            p.write_bytes(b)


#: more examples (and random ones) for a longer search: GOVKG_INCR_EXAMPLES=200
_MORE = int(os.environ.get("GOVKG_INCR_EXAMPLES", "0"))


@settings(max_examples=_MORE or 15, deadline=None, derandomize=not _MORE, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=EDITS)
def test_incremental_rebuild_equals_a_full_build_after_any_edits(template, edits):
    work = _restore(template)
    data, out, fresh = work / "data", work / "build", work / "full"
    done = []
    for name, a, b in edits:
        snap = _snapshot(data)
        what = OPS[name](data, a, b)
        if what is None:
            continue
        done.append(what)
        shutil.rmtree(fresh, ignore_errors=True)
        before = _state(out)
        inc = _outcome(data, out)
        full = _outcome(data, fresh)
        assert inc[0] == full[0], (done, inc, full)
        if inc[0] == "ok":
            assert _state(out) == _state(fresh), (done, getattr(inc[1], "full_because", "incremental"))
            assert (inc[1].triples, inc[1].entries, inc[1].evidence_checked) == \
                (full[1].triples, full[1].entries, full[1].evidence_checked), done
        else:
            assert inc[1] == full[1], done
            assert _state(out) == before, done  # a failed build leaves the previous one as it was
            _put_back(data, snap)


# edits found by this search (and fixed): each step is built both ways and compared as above
FOUND = {
    "a parts cycle across files": [
        ("sites/s2.yaml", "realized_by: [o2, v2], evidence: '合成2社区首创合成机制2",
         "parts: [m8], realized_by: [o2, v2], evidence: '合成2社区首创合成机制2"),
        ("sites/s1.yaml", "realized_by: [o1, v1], evidence: '合成1社区首创合成机制8",
         "parts: [m2], realized_by: [o1, v1], evidence: '合成1社区首创合成机制8")],
    "a reference to the report's publisher": [("sites/s1.yaml", "realized_by: [o1, v1]", "realized_by: [synthetic-press]")],
}


@pytest.mark.parametrize("check", [True, False])
@pytest.mark.parametrize("name", sorted(FOUND))
def test_edits_found_by_the_search_fail_as_a_full_build_does(template, name, check):
    work = _restore(template)
    data, out = work / "data", work / "build"
    if not check:
        build(data, out, sources_dirs=[data / "sources"], dumps=False, check=False)
    results = []
    for file, old, new in FOUND[name]:
        text = (data / file).read_text(encoding="utf-8")
        assert old in text
        (data / file).write_text(text.replace(old, new, 1), encoding="utf-8")
        shutil.rmtree(work / "full", ignore_errors=True)
        results = []
        for folder in (out, work / "full"):
            try:
                build(data, folder, sources_dirs=[data / "sources"], dumps=False, check=check)
                results.append(("ok", _state(folder)))
            except GovkgError as exc:
                results.append((type(exc).__name__, str(exc)))
        assert results[0] == results[1]
    assert results[0][0] == "DataError"  # the last step breaks the data
