"""Incremental rebuild: recompile and validate only the data files that changed since the last build.

Long module: the incremental rebuild (what changed, its neighbourhood, recompiled and checked) (issue 17).
Long function ``_rebuild``: the steps of one incremental rebuild share its state (parts, lines, manifest).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from .compile import BuildReport

from .errors import DataError
from .namespace import ID
from .partindex import PartIndex, index_parts, node_iri

__all__ = ["rebuild", "Rebuilt", "MAX_NEIGHBOURS"]

#: An edit whose checks would need the parts of more files than this (an edit of a file that
#: thousands of files refer to, such as the areas) is rebuilt in full instead.
MAX_NEIGHBOURS = 400

_DATA = str(ID)
#: predicates whose chains the structural rules follow (containment, part-of)
_CHAINS = tuple(f"<{p}>".encode() for p in (
    "https://schema.org/containedInPlace", "http://www.w3.org/ns/org#subOrganizationOf",
    "http://purl.org/dc/terms/hasPart", "http://purl.org/dc/terms/isPartOf"))


# --- the rebuild ---------------------------------------------------------------------------------

def _iris(line: bytes) -> tuple[str, str | None]:
    """Subject and (when it is an IRI of a node) object of an N-Triples line."""
    s, _p, rest = line.split(b" ", 2)
    o = rest[:-3]  # " .\n"
    obj = o[1:-1].decode() if o.startswith(b"<") and o.endswith(b">") else None
    return s[1:-1].decode(), obj


def _has_line(blob: bytes, line: bytes) -> bool:
    return blob.startswith(line) or (b"\n" + line) in blob


class _Table:
    """An id table of the compiler: ids of the changed files, else nodes other files define."""

    def __init__(self, local: dict, lookup):
        self.local, self.lookup = local, lookup
        self.seen: dict = {}

    def _get(self, key):
        if key in self.local:
            return self.local[key]
        if key not in self.seen:
            self.seen[key] = self.lookup(key)
        return self.seen[key]

    def __contains__(self, key) -> bool:
        return self._get(key) is not None

    def __getitem__(self, key):
        value = self._get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        value = self._get(key)
        return default if value is None else value


def _tables(parts, entries, changed: set[str]):
    """The compiler's id tables (places, spaces, labels) for ``entries``, other files' nodes from ``parts``."""
    from .compile import NODE_PATH

    def defined(iri: str) -> bool:
        # a node a report file defines (its publisher) is no entry of the data: a full build's
        # tables do not hold it, so neither do these
        owner = parts.defining([iri]).get(iri)
        return owner is not None and owner not in changed and not owner.startswith("sources/")

    def place(key):
        for kind in ("site", "area"):
            iri = f"{_DATA}{kind}/{key}"
            if defined(iri):
                return URIRef(iri)
        return None

    places = _Table({e.id: URIRef(node_iri(e)) for e in entries if e.section in ("site", "areas") and not e.is_use},
                    place)
    spaces = {}
    for space, section in (("org", "organizations"), ("mechanism", "mechanisms"), ("event", "events"),
                           ("outcome", "outcomes"), ("claim", "claims"), ("response", "responses")):
        path = NODE_PATH[section]
        spaces[space] = _Table({e.id: e for e in entries if e.section == section and not e.is_use},
                               lambda key, path=path: True if defined(f"{_DATA}{path}/{key}") else None)

    def label(node):
        got = parts.labels_of(str(node))
        return (got["zh"], got["en"]) if "zh" in got and "en" in got else None

    labels = _Table({URIRef(node_iri(e)): (e.values["zh"], e.values["en"]) for e in entries
                     if not e.is_use and e.section != "redirects"}, label)
    return {"places": places, "spaces": spaces, "labels": labels}


def _setup_changed(old: dict, fields: dict) -> str | None:
    """Why the previous build cannot be updated file by file (None when it can)."""
    if old.get("outputs"):
        return ("the previous build wrote the dumps govkg.ttl and govkg.nt (graphs of up to 1,000,000 "
                "triples get them by default; build with --no-dumps to rebuild edits incrementally)")
    if old.get("include_drafts") is not False:
        return "the previous build included drafts"
    for key, what in (("format", "another build format"), ("govkg", "another govkg version"),
                      ("code", "other govkg code"), ("data_dir", "another data folder"),
                      ("ontology", "another ontology")):
        if old.get(key) != fields.get(key):
            return f"the previous build was made with {what}"
    if not _shaped(old):
        return "the previous manifest lacks what an incremental rebuild needs"
    return None


def _shaped(old: dict) -> bool:
    """Whether the totals an incremental rebuild carries over are in the shape a build writes them
    (a manifest edited by hand may hold anything)."""
    def count(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    def strings(v) -> bool:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    counts, texts = old.get("counts"), old.get("texts")
    return (isinstance(old.get("generation"), str) and count(old.get("triples"))
            and isinstance(texts, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in texts.items())
            and isinstance(counts, dict) and all(isinstance(k, str) and count(v) for k, v in counts.items())
            and strings(old.get("warnings", [])) and strings(old.get("unchecked", [])))


@dataclass(frozen=True)
class Rebuilt:
    """What ``rebuild`` did: the ``report`` of the incremental rebuild it made, or (``report`` None)
    the reason ``full_because`` why it could not make one and a full build is needed.

    Examples
    --------
    >>> Rebuilt(None, "a report (sources/) changed").done
    False
    """

    #: the report of the incremental rebuild (None: not done)
    report: BuildReport | None = None
    #: why a full build is needed instead (None when ``report`` is set)
    full_because: str | None = None

    @property
    def done(self) -> bool:
        """Whether the incremental rebuild was made (``report`` holds its ``BuildReport``)."""
        return self.report is not None


def rebuild(data_dir: Path, out_dir: Path, old: dict, fields: dict, stamps: dict, sources_dirs, *,
            check: bool = True, timings: dict | None = None, before: dict[str, str] | None = None) -> Rebuilt:
    """Rebuild ``out_dir`` for the data files changed since the build ``old`` (its manifest) described.

    Returns a ``Rebuilt``: the ``BuildReport`` of the rebuild, or the reason why this rebuild cannot be done
    incrementally and a full build is needed: the previous build wrote dumps or was made otherwise (another govkg,
    ontology, data folder, drafts), a file was removed or is a report or a redirect, a report
    text changed, an id or label now clashes with another file's, a reference cannot be
    resolved, the checks would need more than ``MAX_NEIGHBOURS`` files, or the validation
    finds a violation (the full build then reports every problem, with file and line).

    Raises
    ------
    DataError
        A changed file has a problem of its own (its YAML, a field, evidence that is not in
        the report, a number not written in its sentence): reported at once, without a full build.

    ``before``: the content hash of every data file at the build ``old`` (``manifest.read_inputs``,
    read here when not given); ``fields["inputs"]`` and ``stamps``: the same now (``manifest.input_state``).
    """
    done = _attempt(data_dir, out_dir, old, before, fields, stamps, sources_dirs, check,
                    timings if timings is not None else {})
    return Rebuilt(None, done) if isinstance(done, str) else Rebuilt(done)


def _attempt(data_dir, out_dir, old, before, fields, stamps, sources_dirs, check, timings):
    """``rebuild``'s work: the ``BuildReport``, or the reason (a string) to build in full."""
    from .parts import Parts

    clock = time.perf_counter()
    why = _setup_changed(old, fields)
    if why is not None:
        return why
    if check and old.get("validated") is not True:
        return "the previous build was not validated"
    if before is None:
        from . import manifest

        known = manifest.read_inputs(out_dir, old)
        if known is None:
            return f"the previous build's table of data files ({manifest.INPUTS}) is missing or damaged"
        before = known[0]
    now = fields["inputs"]
    changed = sorted(f for f in now if before.get(f) != now[f])
    if any(f not in now for f in before) or any(f.startswith("sources/") for f in changed):
        return "a data file was removed, or a report (sources/) changed"
    parts = Parts.open(out_dir, generation=old["generation"])
    if parts is None:
        return "the parts of the previous build are missing or of another generation"
    try:
        return _rebuild(parts, changed, data_dir, out_dir, old, fields, stamps, sources_dirs, check, timings, clock)
    except sqlite3.Error as exc:
        return f"the parts of the previous build cannot be read ({exc})"
    finally:
        parts.close()


def _rebuild(parts, changed, data_dir, out_dir, old, fields, stamps, sources_dirs, check, timings, clock):
    from . import manifest
    from .compile import compile_parts, source_texts
    from .model import Dataset, load_file, load_source
    from .parts import next_generation
    from .resources import ontology_graph

    now = fields["inputs"]
    root = data_dir.parent
    sources = tuple(load_source(data_dir / f, root=root) for f in sorted(now) if f.startswith("sources/"))
    texts = source_texts(Dataset((), sources), sources_dirs)
    if manifest.text_hashes(texts) != old["texts"]:
        return "the text of a report changed"
    entries, problems = [], []
    for f in changed:
        try:
            entries += load_file(data_dir / f, root=root)
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    entries = [e for e in entries if not e.is_draft]
    if any(e.section == "redirects" or (e.section == "site" and e.is_use) for e in entries):
        return "a changed file holds redirects or describes a site defined in another file"
    changed_set = set(changed)
    mine = [e for e in entries if not e.is_use]
    iris = {}
    for e in mine:
        iri = node_iri(e)
        if e.section in ("site", "areas"):
            keys = [f"{_DATA}site/{e.id}", f"{_DATA}area/{e.id}"]  # one id space for places
        else:
            keys = [iri]
        for k in keys:
            if k in iris:
                return "two changed entries define one id"
            iris[k] = e
    owners = parts.defining(iris)
    if any(owner not in changed_set for owner in owners.values()):
        return "a changed file defines an id another file defines"
    from .structure import structure_problems

    if structure_problems(Dataset(tuple(entries), sources)):
        return "a structural problem (a cycle, a self-reference)"
    onto = ontology_graph()
    from .ntriples import ntriples

    # the ontology as govkg has it now (the manifest vouches that it is the previous build's):
    # the copy in the parts database, which readers load, must be the same
    onto_nt = ntriples(onto)
    if parts.ontology() != onto_nt:
        return "the parts of the previous build hold another ontology"
    try:
        new_parts, compiled = compile_parts(Dataset(tuple(entries), sources), ontology=onto, texts=texts,
                                           tables=_tables(parts, entries, changed_set), entries=entries)
    except DataError as exc:
        if any(" id '" in p.message or "is a draft" in p.message for p in exc.problems):
            return "a reference to an id of another file cannot be resolved"
        raise
    for f in changed:  # a file whose entries are all drafts has an empty part
        new_parts.setdefault(_shown_of(f, data_dir), set())
    index = index_parts(new_parts, entries, data_dir, texts, mentions=compiled.mentions,
                        defined=lambda found: {k: v for k, v in parts.defining(found).items()
                                               if v not in changed_set},
                        unowned=parts.unowned_subject)
    if any(owner not in changed_set for owner in parts.defining(index.nodes).values()):
        return "a node is now written by two files"
    old_nodes = set().union(*(parts.defined_in(f) for f in changed))
    for iri in old_nodes:
        outside = parts.referring([iri]) - changed_set
        if not outside:
            continue
        if iri not in index.nodes:
            return "a removed node is referred to by another file"
        new_labels = {r[3]: r[4] for r in index.labels if r[1] == iri}
        if new_labels != parts.labels_of(iri):
            return "a renamed node is referred to by another file (which writes its label)"
    timings["load+compile"] = timings.get("load+compile", 0.0) + time.perf_counter() - clock
    clock = time.perf_counter()
    old_lines = {f: set((parts.part(f) or b"").splitlines(keepends=True)) for f in changed}
    blobs: dict[str, bytes] = {}

    def blob(f: str) -> bytes:
        if f not in blobs:
            blobs[f] = parts.part(f) or b""
        return blobs[f]

    # which lines of the graph come and go (for the count of triples), and the unowned counts
    triples = old["triples"]
    unowned: dict[bytes, int] = {}
    new_lines = {f: index.lines(f) for f in changed}
    touched = set().union(*(old_lines[f] ^ new_lines[f] for f in changed)) if changed else set()
    for line in touched:
        s, o = _iris(line)
        n_old = sum(line in old_lines[f] for f in changed)
        n_new = sum(line in new_lines[f] for f in changed)
        writers = set(parts.defining([s] + ([o] if o else [])).values()) | \
            {index.nodes[x] for x in (s, o) if x in index.nodes}
        if not writers:  # a node no single file defines: exact counts are kept
            total = parts.shared_count(line)
            unowned[line] = total - n_old + n_new
            triples += (unowned[line] > 0) - (total > 0)
            continue
        others = any(_has_line(blob(w), line) for w in writers - changed_set)
        triples += (others or n_new > 0) - (others or n_old > 0)
    timings["n-triples"] = timings.get("n-triples", 0.0) + time.perf_counter() - clock
    clock = time.perf_counter()
    neighbourhood = _neighbourhood(parts, index, old_lines, new_lines, changed_set, blob)
    if neighbourhood is None:
        return f"the checks of this edit would need more than {MAX_NEIGHBOURS} files"
    if _cycle(neighbourhood[0]):  # a full build's structure check finds it (with or without validation)
        return "a cycle of containment, part-of or parts across files"
    if check:
        if not _conforms(*neighbourhood, onto_nt):
            return "the validation of the changed files found a violation"
        timings["validate"] = timings.get("validate", 0.0) + time.perf_counter() - clock
        clock = time.perf_counter()
    counts = dict(old["counts"])
    for f in changed:
        for k, v in parts.counts(f).items():
            counts[k] = counts.get(k, 0) - v
        for k, v in index.counts.get(f, {}).items():
            counts[k] = counts.get(k, 0) + v
    counts = {k: v for k, v in counts.items() if v or k == "evidence"}
    shown = [f"({_shown_of(f, data_dir)}:" for f in changed]
    warnings = [w for w in old.get("warnings", []) if not any(x in w for x in shown)]
    warnings += _label_warnings(parts, index, changed_set, data_dir)
    from .store import (STORE_FORMAT, evidence_path, index_paths, prune, read_only, store_identity, store_path,
                        write_index, write_store)

    kept = old["generation"]  # nothing changed and the store and index are whole: keep them (no reload)
    reuse = (not changed and old.get("store") == store_path(out_dir, kept).name
             and old.get("format_store") == STORE_FORMAT and old.get("store_id") is not None
             and store_identity(store_path(out_dir, kept)) == old.get("store_id")
             and all(p.is_file() for p in (*index_paths(out_dir, kept), evidence_path(out_dir, kept))))
    generation = kept if reuse else next_generation(old["generation"])
    rows = {}
    for f in changed:
        refs = {iri for iri, g in index.refs if g == f}
        rows[f] = (index.blobs.get(f, b""), index.counts.get(f, {}),
                   [iri for iri, g in index.nodes.items() if g == f], refs,
                   [row for row in index.labels if row[2] == f])

    try:  # the new generation's store and index first: the manifest names them only once they are whole
        if not reuse:
            write_store(out_dir, generation, _new_ntriples(parts, rows))
            write_index(out_dir, generation, read_only(out_dir, generation))
    except BaseException:
        shutil.rmtree(store_path(out_dir, generation), ignore_errors=True)
        for p in (*index_paths(out_dir, generation), evidence_path(out_dir, generation)):
            p.unlink(missing_ok=True)
        raise
    parts.replace(generation, rows, unowned)
    m = manifest.manifest_bytes(fields, {}, validated=check, generation=generation, triples=triples,
                                **manifest.write_inputs(out_dir, now, stamps),
                                store=store_path(out_dir, generation).name, format_store=STORE_FORMAT,
                                store_id=store_identity(store_path(out_dir, generation)),
                                texts=old["texts"], warnings=warnings, counts=counts,
                                unchecked=old.get("unchecked", []))
    from .writers import write_atomic

    write_atomic(out_dir / manifest.MANIFEST, m)
    prune(out_dir, generation)
    timings["write"] = timings.get("write", 0.0) + time.perf_counter() - clock
    entry_counts = {k: v for k, v in counts.items() if k != "evidence"}
    report = BuildReport([parts.path], triples, entry_counts, counts.get("evidence", 0),
                         list(old.get("unchecked", [])), warnings)
    report.timings = timings
    report.parsed = changed
    report.incremental = True
    return report


def _new_ntriples(parts, rows: dict):
    """The N-Triples chunks of the graph after replacing the parts of ``rows`` (``{file: (nt, …)}``):
    the ontology, the unchanged parts, the new ones."""
    yield parts.ontology()
    for file, nt in parts.blobs():
        if file not in rows:
            yield nt
    for row in rows.values():
        if row[0]:
            yield row[0]


def _shown_of(rel: str, data_dir: Path) -> str:
    from .model import shown_path

    return shown_path(data_dir / rel, data_dir.parent)


def _neighbourhood(parts, index: PartIndex, old_lines, new_lines, changed: set[str], blob):
    """``(lines, reported)``: the lines whose checks decide whether the changed files are valid,
    and the nodes whose violations count; None when that needs more than ``MAX_NEIGHBOURS`` files.

    Whole parts: the changed files (new), the files defining a node they mention, the files
    mentioning a node they define (before or after), the files defining another node with one
    of their labels, and the chains (containment, part-of) from any of these. Context lines
    (everything said about a node) for the other nodes those parts mention: their types and
    labels, which the shapes check; violations of context nodes do not count (their own
    neighbours are not all there, and they did not change).
    """
    from .parts import label_key

    whole: set[str] = set(changed)
    mentioned = set()
    mine = {iri for iri, f in index.nodes.items() if f in changed}
    for f in changed:
        mine |= parts.defined_in(f)
        for line in old_lines[f] | new_lines[f]:
            s, o = _iris(line)
            mentioned.add(s)
            if o is not None:
                mentioned.add(o)
    defs = parts.defining(mentioned - mine)
    whole |= set(defs.values())
    whole |= parts.referring(mine)
    keys = {label_key(row[4]) for row in index.labels}
    whole |= {row[2] for row in parts.same_labels(keys)}
    if len(whole) > MAX_NEIGHBOURS:
        return None

    def lines_of(f: str) -> set[bytes]:
        return new_lines[f] if f in changed else set(blob(f).splitlines(keepends=True))

    # chains: containment and part-of, to their ends
    frontier = set(whole)
    while frontier:
        heads = set()
        for f in frontier:
            for line in lines_of(f):
                if line.split(b" ", 2)[1] in _CHAINS:
                    _s, o = _iris(line)
                    if o:
                        heads.add(o)
        found = set(parts.defining(heads - mine).values()) - whole
        whole |= found
        frontier = found
        if len(whole) > MAX_NEIGHBOURS:
            return None
    lines: set[bytes] = set()
    for f in whole:
        lines |= lines_of(f)
    subjects, named = set(), set()
    for line in lines:
        s, o = _iris(line)
        subjects.add(s)
        named.add(s)
        if o is not None:
            named.add(o)
    owner = {iri: f for iri, f in parts.defining(named).items() if f not in changed}
    owner.update((iri, f) for iri, f in index.nodes.items() if f in changed)
    # a node another file defines (a mechanism used here, say) is context: what its file says of
    # it is added (its types and labels, for the shapes), but its own violations do not count
    outside = {iri: f for iri, f in owner.items() if f not in whole}
    for f, iris in _by_owner(outside).items():
        prefixes = tuple(f"<{iri}> ".encode() for iri in iris)
        lines |= {line for line in lines_of(f) if line.startswith(prefixes)}
    return lines, subjects - set(outside)


_HAS_PART, _IS_PART_OF = _CHAINS[2], _CHAINS[3]


def _cycle(lines: set[bytes]) -> bool:
    """Whether the containment, part-of or parts links among ``lines`` (which hold the chains of the
    changed files to their ends) go round: ``structure_problems`` of a full build reports each such cycle."""
    import networkx as nx

    graphs: dict[bytes, nx.DiGraph] = {p: nx.DiGraph() for p in (_CHAINS[0], _CHAINS[1], _HAS_PART)}
    for line in lines:
        p = line.split(b" ", 2)[1]
        if p not in _CHAINS:
            continue
        s, o = _iris(line)
        if o is None:
            continue
        if p == _IS_PART_OF:
            graphs[_HAS_PART].add_edge(o, s)
        else:
            graphs[p].add_edge(s, o)
    return not all(nx.is_directed_acyclic_graph(g) for g in graphs.values())


def _by_owner(owners: dict[str, str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for iri, f in owners.items():
        out.setdefault(f, set()).add(iri)
    return out


def _conforms(lines: set[bytes], reported: set[str], ontology: bytes) -> bool:
    """Whether the shapes and quality rules find no violation of a ``reported`` node (or of a term) in ``lines``."""
    import pyoxigraph as ox

    from .validate import run_checks, run_shacl_sparql

    store = ox.Store()
    store.bulk_load(ontology + b"".join(lines), format=ox.RdfFormat.N_TRIPLES)
    violations = run_shacl_sparql(store, scratch=True) + run_checks(None, store=store)
    return not any(v.focus in reported or not v.focus.startswith(_DATA) for v in violations)


def _label_warnings(parts, index: PartIndex, changed: set[str], data_dir: Path) -> list[str]:
    """``duplicate_label_warnings`` for the labels of the changed files (against every other label)."""
    from .structure import DUPLICATE_LABEL_SECTIONS

    section_of = {"site": "site", "area": "areas", "org": "organizations", "mechanism": "mechanisms",
                  "event": "events"}
    rows = [r for r in index.labels if r[2] in changed]
    keys = {r[0] for r in rows}
    others = [r for r in parts.same_labels(keys) if r[2] not in changed] + rows
    out = []
    seen: dict[tuple, tuple] = {}
    for r in sorted(others, key=lambda r: (r[2], r[5])):
        key, iri, f, lang, label, line = r
        kind = section_of.get(iri[len(_DATA):].split("/", 1)[0])
        if kind is None:
            continue
        first = seen.setdefault((kind, lang, key), r)
        if first is not r and (first[2] in changed or f in changed):
            a, b = first, r
            out.append(f"two {DUPLICATE_LABEL_SECTIONS[kind]} have the {lang} label '{label}': '{a[1].rsplit('/', 1)[1]}' "
                       f"({_shown_of(a[2], data_dir)}:{a[5]}) and '{b[1].rsplit('/', 1)[1]}' "
                       f"({_shown_of(b[2], data_dir)}:{b[5]})")
    return out
