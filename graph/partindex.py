"""Compile a dataset into indexed parts (the triples of each data file), on every core for large data folders."""

from __future__ import annotations

import collections
import copy
import os
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS

from .errors import DataError
from .namespace import ID

__all__ = ["PartIndex", "Spill", "index_parts", "compile_indexed", "node_iri", "rel_path"]

_DATA = str(ID)
_TYPE, _LABEL = str(RDF.type), str(RDFS.label)
_eq, _starts = str.__eq__, str.startswith
#: sections whose labels are indexed (duplicate names, the duplicate-mechanism rule, use labels)
_LABELLED = ("site", "areas", "organizations", "mechanisms", "events")


class Spill(MutableMapping):
    """``{file: bytes}`` kept in an anonymous temporary file in ``folder``, only offsets in memory.

    A large build's parts (430 MB of N-Triples at 20,000 generated sites, 4.3 GB at 200,000)
    wait here between the compile and the writing of ``parts.sqlite`` and the store, instead of
    in memory (issue 17). Reads are positional (``os.pread``), so threads may read at once; the
    file is gone when the mapping is (or the process ends).

    Examples
    --------
    >>> s = Spill()
    >>> s["a.yaml"] = b"<a> <b> <c> .\\n"; s["b.yaml"] = b""
    >>> s["a.yaml"], len(s), list(s)
    (b'<a> <b> <c> .\\n', 2, ['a.yaml', 'b.yaml'])
    """

    def __init__(self, folder: str | Path | None = None):
        import tempfile
        import threading

        self._file = tempfile.TemporaryFile(dir=folder)
        self._at: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._lock = threading.Lock()

    def __setitem__(self, key: str, value: bytes) -> None:
        from .errors import GovkgError

        with self._lock:
            view, at = memoryview(value), self._end
            try:
                while view:
                    n = os.pwrite(self._file.fileno(), view, at)
                    view, at = view[n:], at + n
            except OSError as exc:  # a full disk
                raise GovkgError(f"cannot keep the compiled parts in {self._file.name}: "
                                 f"{exc.strerror or exc}") from None
            self._at[key] = (self._end, len(value))
            self._end = at

    def __getitem__(self, key: str) -> bytes:
        at, n = self._at[key]
        return os.pread(self._file.fileno(), n, at) if n else b""

    def __delitem__(self, key: str) -> None:
        del self._at[key]

    def __iter__(self):
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


@dataclass
class PartIndex:
    """The parts of a compilation, keyed by data file (path relative to the data folder)."""

    #: sorted N-Triples of each file (a ``Spill`` for a forked compile)
    blobs: MutableMapping[str, bytes] = field(default_factory=dict)
    #: entries per section and evidence sentences checked, of each file
    counts: dict[str, dict] = field(default_factory=dict)
    #: the file defining each node (typed by exactly one file)
    nodes: dict[str, str] = field(default_factory=dict)
    #: ``(iri, file)``: ``file`` mentions a node another file defines
    refs: list[tuple[str, str]] = field(default_factory=list)
    #: ``(key, iri, file, lang, label, line)`` of each labelled entry
    labels: list[tuple] = field(default_factory=list)
    #: lines about nodes no single file defines, with how many files write each
    unowned: dict[bytes, int] = field(default_factory=dict)

    def lines(self, f: str) -> set[bytes]:
        """The lines of file ``f``'s part, as a set."""
        return set(self.blobs.get(f, b"").splitlines(keepends=True))


def rel_path(shown: str, data_dir: Path, _memo: dict = {}) -> str:  # noqa: B006 - a memo of pure results
    """The path of a data file relative to the data folder, from its shown path (``data/sites/x.yaml``).

    Examples
    --------
    >>> rel_path("data/sites/x.yaml", Path("/p/data"))
    'sites/x.yaml'
    """
    key = (shown, data_dir)
    if key not in _memo:
        p = Path(shown)
        if not p.is_absolute():
            p = data_dir.parent / p
        try:
            _memo[key] = p.relative_to(data_dir).as_posix()
        except ValueError:
            _memo[key] = shown
    return _memo[key]


def node_iri(e) -> str:
    """The IRI of the node an entry defines.

    Examples
    --------
    >>> from govkg.model import Entry
    >>> node_iri(Entry("areas", "xiuyingqu", {}, "data/areas.yaml", 1, {}))
    'https://w3id.org/govkg/id/area/xiuyingqu'
    """
    from .compile import NODE_PATH

    if e.section == "site":
        return f"{_DATA}site/{e.id}"
    if e.section == "areas":
        return f"{_DATA}area/{e.id}"
    return f"{_DATA}{NODE_PATH[e.section]}/{e.id}"


def _entry_rows(entries, texts, data_dir: Path):
    """``{file: counts}`` and the label rows of ``entries``."""
    from .parts import label_key

    counts: dict[str, dict] = {}
    labels = []
    for e in entries:
        f = rel_path(e.file, data_dir)
        c = counts.setdefault(f, {})
        if e.source in texts:
            c["evidence"] = c.get("evidence", 0) + len(e.evidence)
        if e.is_use or e.section == "redirects":
            continue
        c[e.section] = c.get(e.section, 0) + 1
        if e.section in _LABELLED:
            iri = node_iri(e)
            for lang in ("zh", "en"):
                label = e.values.get(lang)
                if isinstance(label, str):
                    labels.append((label_key(label), iri, f, lang, label, e.line_of(lang)))
    return counts, labels


@dataclass
class _Local:
    """What the parts of one batch of files tell on their own (made where they were compiled)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    typed: dict[str, set[str]] = field(default_factory=dict)
    mentions: dict[str, set[str]] = field(default_factory=dict)
    #: lines whose subject the file does not type (a node of another file, a shared node)
    loose: dict[str, list[bytes]] = field(default_factory=dict)
    labelled: set[str] = field(default_factory=set)


def _local(parts: dict[str, set], mentions: dict, data_dir: Path, labelled: bool = False) -> _Local:
    from .ntriples import nt_lines

    out = _Local()
    for shown, triples in parts.items():
        f = rel_path(shown, data_dir)
        lines = nt_lines(triples)
        out.blobs[f] = b"".join(sorted(lines))
        # predicates compared as plain strings (rdflib's ``__eq__`` is a Python call per triple)
        typed = {str(s) for s, p, _o in triples if _eq(p, _TYPE) and _starts(s, _DATA)}
        out.typed[f] = typed
        heads = {f"<{s}>".encode() for s in typed}
        out.loose[f] = [line for line in lines if line[: line.index(b" ")] not in heads]
        if labelled:
            out.labelled |= {str(s) for s, p, _o in triples if _eq(p, _LABEL)}
    for shown, nodes in mentions.items():
        out.mentions.setdefault(rel_path(shown, data_dir), set()).update(map(str, nodes))
    return out


def _drain(queue):
    """The items of ``queue`` (a deque), each removed as it is handed over."""
    while queue:
        yield queue.popleft()


def _merge(locals_, entries, texts, data_dir: Path, defined=None, unowned=None,
           blobs: MutableMapping[str, bytes] | None = None) -> PartIndex:
    """The index of every part: who defines each node, who names whose, which lines are shared.
    ``locals_``: an iterable of ``_Local``, read once (``compile_indexed`` hands them over one at a time, so each is
    let go once read: at 200,000 sites they held about a gigabyte). ``blobs``: where the parts go (holding those
    already taken out of ``locals_``)."""
    index = PartIndex() if blobs is None else PartIndex(blobs=blobs)
    owner: dict[str, str] = {}
    multi: set[str] = set()
    mentions: dict[str, set[str]] = {}
    loose: dict[str, list[bytes]] = {}
    for loc in locals_:
        index.blobs.update(loc.blobs)
        loose.update(loc.loose)
        for f, nodes in loc.mentions.items():
            mentions.setdefault(f, set()).update(nodes)
        for f, typed in loc.typed.items():
            for s in typed:
                if owner.setdefault(s, f) != f:
                    multi.add(s)
        del loc
    shared_nodes = multi | {s for s in owner if unowned is not None and unowned(s)}
    for s in shared_nodes:  # the owner table becomes the index's (no second table of every node)
        del owner[s]
    index.nodes = owner
    outside = {n for nodes in mentions.values() for n in nodes if n not in index.nodes}
    elsewhere = defined(outside) if defined is not None and outside else {}
    for f, nodes in mentions.items():
        for n in nodes:
            o = index.nodes.get(n) or elsewhere.get(n)
            if o is not None and o != f:
                index.refs.append((n, f))
    del mentions
    for f, lines in loose.items():
        for line in lines:
            # the subject of ``<iri> <p> <o> .``, looked up as text (not a set of every node's ``<iri>`` bytes)
            head = line[: line.index(b" ")]
            s = head[1:-1].decode("utf-8") if head[:1] == b"<" else ""
            if s not in index.nodes and s not in elsewhere:
                index.unowned[line] = index.unowned.get(line, 0) + 1
    del loose
    if shared_nodes:  # typed by several files: every line about them is counted
        heads = tuple(f"<{s}> ".encode() for s in shared_nodes)
        for f, blob in index.blobs.items():
            for line in blob.splitlines(keepends=True):
                if line.startswith(heads):
                    index.unowned[line] = index.unowned.get(line, 0) + 1
    index.counts, index.labels = _entry_rows(entries, texts or {}, data_dir)
    for f in index.blobs:
        index.counts.setdefault(f, {})
    return index


def index_parts(parts: dict[str, set], entries, data_dir: str | Path, texts=None, *, mentions=None,
                defined=None, unowned=None) -> PartIndex:
    """Serialize and index the parts ``compile_parts`` returned (keys: shown paths).

    ``entries`` are the compiled entries; ``mentions`` (``{shown path: nodes}``, the compiler's
    ``report.mentions``) the nodes each part names by reference. ``defined(iris) -> {iri: file}``
    answers for nodes of other files and ``unowned(iri)`` for nodes several files write (an
    incremental rebuild); by default every node is among ``parts``.
    """
    data_dir = Path(data_dir)
    return _merge([_local(parts, mentions or {}, data_dir)], entries, texts, data_dir, defined, unowned)


# --- a whole dataset, on every core --------------------------------------------------------------

#: What the forked workers compile: set just before the fork, read by ``_compile_batch``.
_JOB: tuple | None = None


def _compile_batch(i: int):
    """Compile batch ``i`` of ``_JOB`` in a worker: (problems, evidence checked, sources unchecked, local index)."""
    from .compile import materialize

    assert _JOB is not None  # set by the parent before forking
    template, batches, data_dir, labelled = _JOB
    c = copy.copy(template)
    c.parts, c.mentions, c.problems, c.checked, c.unchecked = {}, {}, [], 0, set()
    # the batch's own owners over the shared ones, not a copy: copying reads (and so, through reference
    # counts, writes) every key, and a forked worker would copy every page holding one (issue 17: memory)
    c.ev_owner = collections.ChainMap({}, template.ev_owner)
    for e in batches[i]:
        c.part(e.file)
        c.entry(e)
    cache: dict = {}
    for part in c.parts.values():
        materialize(part, c.onto, cache)
    return c.problems, c.checked, c.unchecked, _local(c.parts, c.mentions, data_dir, labelled)


def _evidence_owners(dataset, sources) -> dict[str, str]:
    """The report owning each evidence base name, in file order (what a serial compilation decides
    as it goes: a site described in two files by two reports)."""
    from .compile import NODE_PATH

    owners: dict[str, str] = {}
    for e in dataset.entries:
        if e.source not in sources or e.section == "redirects":
            continue
        if e.is_use:
            base = f"evidence/site/{e.id}" if e.section == "site" else f"evidence/use/{e.site}/{e.id}"
        else:
            base = f"evidence/{NODE_PATH[e.section]}/{e.id}"
        owners.setdefault(base, e.source)
    return owners


def _batches(entries, size: int) -> list[list]:
    """``entries`` (less the redirects) in batches of whole files, each of about ``size`` entries."""
    batches: list[list] = []
    for e in entries:
        if e.section == "redirects":
            continue
        if not batches or (len(batches[-1]) >= size and batches[-1][-1].file != e.file):
            batches.append([])
        batches[-1].append(e)
    return batches


def _forked(c, batches, data_dir: Path, redirects: bool, cores: int, sink, spilled: Spill) -> list | None:
    """Each batch compiled by the compiler ``c`` in a forked worker, in order (its parts moved into
    ``spilled`` as it comes back, after going to ``sink``); None when a worker died or there is no fork."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from . import model

    global _JOB
    _JOB = (c, batches, data_dir, redirects)
    # Without a sink (no thread runs), a fresh worker for every batch: a long-lived one keeps what it touched
    # of the dataset (reference counts write to every object read, so the pages are copied) and its heap.
    step = cores if sink is None and model.can_fork() else len(batches)
    done: list = []
    try:
        for start in range(0, len(batches), step):
            with ProcessPoolExecutor(cores, mp_context=mp.get_context("fork")) as pool:
                for d in pool.map(_compile_batch, range(start, min(start + step, len(batches)))):
                    done.append(d)
                    if sink is not None:
                        sink(b"".join(d[3].blobs.values()))
                    spilled.update(d[3].blobs)
                    d[3].blobs = {}
        return done
    except (BrokenProcessPool, OSError):  # a worker killed (out of memory) or no fork: compile here instead
        return None
    finally:
        _JOB = None


#: The most entries a forked worker compiles at once: its rdflib graph of them is most of what it holds
#: (about 500 generated sites; 20,000 entries took about 1 GB in each worker at 200,000 sites).
BATCH_ENTRIES = 5_000


def compile_indexed(dataset, data_dir: str | Path, *, ontology, texts: dict[str, str], processes: int | None = None,
                    sink=None, compiled=None, spill: str | Path | None = None):
    """``compile_parts`` and ``index_parts`` of a whole dataset: ``(PartIndex, BuildReport)``.

    From ``model.PARALLEL_FILES`` data files on (and when forking is safe), the entries are
    compiled and serialized by one forked process per core, in batches of whole files in file
    order; the report of each evidence sentence and every problem come out as in one process.
    ``sink``, when given, is called with the N-Triples of each batch as soon as it is compiled
    (the build loads them into its validation store meanwhile); lines may come more than once.
    ``compiled``, when given, is called once every chunk has gone to ``sink`` and the data have
    no problem, before the index is made (the build starts validating then). A forked compile
    keeps the parts' N-Triples in a ``Spill`` in the folder ``spill`` (default: the temporary
    folder), not in memory.

    Raises
    ------
    DataError
        Every problem of every file.
    """
    import os

    from . import model
    from .compile import BuildReport, Compiler, materialize

    global _JOB
    data_dir = Path(data_dir)
    entries = dataset.entries
    counts: dict[str, int] = {}
    for e in entries:
        if not e.is_use and e.section != "redirects":
            counts[e.section] = counts.get(e.section, 0) + 1
    redirects = [e for e in entries if e.section == "redirects"]
    c = Compiler(dataset, ontology, texts)
    c.ev_owner = _evidence_owners(dataset, c.sources)
    cores = processes or os.cpu_count() or 1
    batches: list[list] = []
    spilled: Spill | None = None
    done: list | None = None
    if cores > 1 and len(dataset.files) >= model.PARALLEL_FILES and model.can_fork():
        batches = _batches(entries, max(1, min(len(entries) // (cores * 4), BATCH_ENTRIES)))
    if len(batches) > 1:
        spilled = Spill(spill)
        done = _forked(c, batches, data_dir, bool(redirects), cores, sink, spilled)
    if done is None:  # one batch here (a small dataset; or no fork, or a worker died): its parts in memory
        spilled = None
        _JOB = (c, [[e for e in entries if e.section != "redirects"]], data_dir, bool(redirects))
        try:
            done = [_compile_batch(0)]
        finally:
            _JOB = None
        if sink is not None:
            sink(b"".join(done[0][3].blobs.values()))
    problems = [p for d in done for p in d[0]]
    locals_ = [d[3] for d in done]
    typed = set().union(*(t for loc in locals_ for t in loc.typed.values()))
    labelled = set().union(*(loc.labelled for loc in locals_))
    # redirects (checked against every node) and the reports' nodes, here
    c.parts, c.mentions = {}, {}
    for e in redirects:
        c.part(e.file)
        c.redirect(e)
    problems += c.finish(typed=typed, labelled=labelled)
    del typed, labelled  # every node of the graph: not needed again
    if problems:
        raise DataError(problems)
    for part in c.parts.values():
        materialize(part, ontology, {})
    locals_.append(_local(c.parts, c.mentions, data_dir))
    if sink is not None:
        sink(b"".join(locals_[-1].blobs.values()))
    if compiled is not None:
        compiled()
    checked = sum(d[1] for d in done)
    unchecked = set().union(*(d[2] for d in done))
    batched = len(done) if len(done) > 1 else 0
    # the locals handed to the merge one at a time, each let go once read
    queue = collections.deque(locals_)
    del done, locals_
    index = _merge(_drain(queue), entries, texts, data_dir, blobs=spilled)
    report = BuildReport([], 0, counts, checked, sorted(unchecked))
    #: how many batches were compiled in forked processes (0: all here)
    report.batches = batched
    return index, report
