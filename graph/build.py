"""Build the graph: data folder + ontology -> compiled, validated graph; write and reload ``build/``.

Long module: the build is one transaction (compile, validate, write store/parts/dumps, manifest last) (issue 17).
Long function ``build``: its steps share one lock and one overlap of background work (``_Overlap``) (issue 17).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import sqlite3
import time
from concurrent.futures import Future
from pathlib import Path

from rdflib import Graph

from .compile import BuildReport, compile_graph, compile_triples
from .args import as_path
from .errors import GovkgError, ValidationError
from .exports import serialize
from .heap import release_memory
from .model import load_data
from .ntriples import nt_lines, ntriples, turtle_from_ntriples  # nt_lines: named here too (govkg.build.nt_lines)
from .paths import bundled_data_dir, default_build_dir  # bundled_data_dir: named here too
from .resources import bind_prefixes, ontology_graph
from .structure import check_structure, duplicate_label_warnings
from .writers import write_atomic, write_set

__all__ = [
    "BuildReport", "bundled_data_dir", "default_data_dir", "default_sources_dirs", "compile_graph", "build_graph",
    "build", "write_atomic", "serialize", "load_graph", "load_store", "is_fresh", "MEMORY_FALLBACK_FILES",
    "check_memory_fallback",
    "ntriples", "nt_lines", "turtle_from_ntriples", "DUMP_TRIPLES", "dump_ntriples",
]

#: The file ``load_graph`` reads back (N-Triples parses fastest).
_FAST = "govkg.nt"


def default_data_dir() -> Path:
    """The data folder: ``$GOVKG_DATA``, else ``./data`` when it holds sites, else the bundled data.

    Examples
    --------
    >>> (default_data_dir() / "sites").is_dir()
    True
    """
    env = os.environ.get("GOVKG_DATA")
    if env:
        return Path(env)
    cwd = Path.cwd() / "data"
    if (cwd / "sites").is_dir():
        return cwd
    return bundled_data_dir()


def default_sources_dirs(data_dir: str | Path) -> list[Path]:
    """Folders searched for source texts: ``$GOVKG_SOURCES`` (``os.pathsep``-separated), then
    ``data/sources/`` and ``../shared/sources/`` beside the project folder."""
    dirs = [Path(p) for p in os.environ.get("GOVKG_SOURCES", "").split(os.pathsep) if p]
    data_dir = Path(data_dir).resolve()
    dirs += [data_dir / "sources", data_dir.parent.parent / "shared" / "sources"]
    return dirs


def build_graph(data_dir: str | Path | None = None, *, sources_dirs=None, include_drafts: bool = False) -> Graph:
    """The whole graph: ontology plus the compiled data of ``data_dir``.

    Parameters
    ----------
    data_dir : path, optional
        Default: ``default_data_dir()``.
    sources_dirs : list of paths, optional
        Where source texts are looked up to check evidence (default: ``default_sources_dirs``).
    include_drafts : bool, default False
        Also compile the entries marked ``status: draft``.

    Raises
    ------
    DataError
        When any data file has a problem.

    Examples
    --------
    >>> from govkg.namespace import GK
    >>> from rdflib import RDF
    >>> g = build_graph()
    >>> len(set(g.subjects(RDF.type, GK.DemonstrationSite)))
    8
    """
    return _build(data_dir, sources_dirs, include_drafts)[0]


@contextlib.contextmanager
def _no_cycle_collection():
    """Python's cycle collector paused (and put back as it was): a build allocates millions of
    small objects and holds them, so each full collection walks them all again for nothing
    (a third of the compile time at 8,000 sites); they are freed by reference counting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _compile(data_dir, sources_dirs, include_drafts=False, file_loader=None):
    """(ontology graph, data triples, report): load, check and compile ``data_dir``."""
    data_dir = as_path(data_dir, "data_dir") if data_dir is not None else default_data_dir()
    if sources_dirs is None:
        sources_dirs = default_sources_dirs(data_dir)
    onto = ontology_graph()
    dataset = load_data(data_dir, include_drafts=include_drafts, file_loader=file_loader)
    check_structure(dataset)
    data, report = compile_triples(dataset, sources_dirs=sources_dirs, ontology=onto)
    report.warnings = duplicate_label_warnings(dataset)
    return onto, data, report


def _compile_indexed(data_dir: Path, sources_dirs, include_drafts=False, file_loader=None, lap=lambda name: None,
                     overlap: _Overlap | None = None, spill: Path | None = None):
    """(ontology graph, the indexed parts of each data file, report, source texts) of ``data_dir``.

    With ``overlap``, the compiled triples and the ontology go into its store as they come, and
    its validation starts as soon as they are all there (before the index is made). ``spill``:
    the folder where a forked compile keeps the parts' N-Triples (``partindex.compile_indexed``)."""
    from .compile import source_texts
    from .partindex import compile_indexed

    onto = ontology_graph()
    dataset = load_data(data_dir, include_drafts=include_drafts, file_loader=file_loader)
    check_structure(dataset)
    lap("load")
    texts = source_texts(dataset, sources_dirs)
    index, report = compile_indexed(dataset, data_dir, ontology=onto, texts=texts,
                                    sink=overlap.load if overlap else None,
                                    compiled=(lambda: overlap.validate(onto)) if overlap else None,
                                    spill=spill)
    report.warnings = duplicate_label_warnings(dataset)
    lap("compile")
    return onto, index, report, texts


def _build(data_dir, sources_dirs, include_drafts=False, file_loader=None):
    with _no_cycle_collection():
        onto, data, report = _compile(data_dir, sources_dirs, include_drafts, file_loader)
    onto.addN((s, p, o, onto) for s, p, o in data)
    report.triples = len(onto)
    return onto, report


@contextlib.contextmanager
def _build_lock(out_dir: Path):
    """One build at a time in ``out_dir`` (``writers.exclusive_lock`` of ``out_dir/.build.lock``): a
    second build waits for the first, then sees its result (an incremental rebuild reads the
    manifest and parts the previous one wrote)."""
    from .errors import GovkgError
    from .writers import check_target, exclusive_lock

    real, _st = check_target(out_dir / ".build.lock")
    made = not real.parent.exists()
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GovkgError(f"cannot lock the build folder {out_dir}: {exc.strerror or exc}") from None
    try:
        with exclusive_lock(real, what=f"the build folder {out_dir}", mode=0o644):
            yield
    except BaseException:
        if made:  # a first build that failed leaves no build folder behind
            with contextlib.suppress(OSError):
                real.unlink()
                real.parent.rmdir()
        raise


class _Overlap:
    """What a full build does beside its main thread: filling the validation store with
    N-Triples chunks as the compile hands them over, then validating it (in order, on one
    thread; pyoxigraph's ``Store.load`` and queries release Python's lock), while the main
    thread makes the index; and writing the new parts database (on another; so does SQLite).
The in-memory store is dropped once validated (``validation``), before the build writes the
on-disk one, so the graph is never held by both (issue 17: peak memory). With ``disk`` (a
large build, ``DISK_VALIDATION_FILES``), there is no in-memory store: once compiled, the
parts are bulk-loaded (``fill``) into the generation's on-disk store, validated there, and
that store is kept.

    The chunks are parsed leniently (IRIs and language tags are not checked again): they
    are this build's own serialization of IRIs the loader checked (slugs, ``url`` fields),
    and checking them again took a third of the loading (3.5 of 11 s at 20,000 sites).

    A thread starts with its first task, so a forking compile must hand over its first chunk
    only once its workers are forked (``partindex.compile_indexed`` does). When the block ends
    with an error, queued tasks are dropped, running ones waited for, and the file being
    written is removed.
    """

    def __init__(self, check: bool, disk: Path | None = None):
        from concurrent.futures import ThreadPoolExecutor

        import pyoxigraph as ox

        self._store: ox.Store | None
        self._format = ox.RdfFormat.N_TRIPLES
        self._remove: list[Path] = []
        #: the on-disk store validated in place (it then is the generation's store), or None (in memory)
        self.disk = disk if check else None
        if self.disk is not None:
            import shutil

            shutil.rmtree(self.disk, ignore_errors=True)  # left by an earlier attempt at this generation
            self._remove.append(self.disk)
            self._store = ox.Store(str(self.disk))
        else:
            self._store = ox.Store() if check else None
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="govkg-load")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="govkg-write")
        self._loads: list = []
        self._temp: Path | None = None
        self._write: Future | None = None
        self._validation: Future | None = None
        #: the ontology's N-Triples (``validate``)
        self.onto_nt = b""

    def load(self, nt: bytes) -> None:
        """Queue ``nt`` for the store (bulk-loaded on disk: RocksDB's transactions are slow to fill)."""
        assert self._store is not None, "made without checks: no store to load"
        fill = self._store.bulk_load if self.disk is not None else self._store.load
        # at most two chunks wait: a compile faster than the loading would otherwise queue the whole graph
        waiting = [f for f in self._loads if not f.done()]
        if len(waiting) > 2:
            waiting[0].result()
        self._loads.append(self._loader.submit(fill, nt, format=self._format, lenient=True))

    def fill(self, chunks) -> None:
        """Queue the N-Triples ``chunks`` (an iterable of ``bytes``, read one at a time) for the store, in one bulk load."""
        from typing import IO, cast

        from .store import ChunkReader

        assert self._store is not None, "made without checks: no store to fill"
        reader = cast("IO[bytes]", ChunkReader(chunks))
        self._loads.append(self._loader.submit(self._store.bulk_load, reader, format=self._format, lenient=True))

    def validate(self, onto: Graph) -> None:
        """Queue the ontology ``onto``, then the validation of the whole store (``validation``)."""
        self.onto_nt = ntriples(onto)
        self.load(self.onto_nt)
        assert self._store is not None, "made without checks: no store to validate"
        self._validation = self._loader.submit(self._validate)

    def _validate(self):
        """``(triples, ValidationReport)`` of the store, run on the loading thread once it is filled. An
        on-disk store is closed first and validated by processes of their own (``validate_store``):
        RocksDB's bulk load leaves its buffers in the allocator's arenas (340 MB after 3.2 million
        triples, 61 MB once trimmed), which ``release_memory`` then gives back."""
        from .validate import validate, validate_store

        if self.disk is not None:
            assert self._store is not None
            self._store.flush()
            self._store = None
            gc.collect()
            release_memory()
            return validate_store(self.disk)
        store = self._store
        assert store is not None, "made without checks: no store to validate"
        return len(store), validate(store=store)

    def validation(self):
        """``(triples in the store, ValidationReport)``, once the validation ``validate`` queued is done
        (raising the error of a chunk that could not be loaded, if any)."""
        for f in self._loads:
            f.result()
        assert self._validation is not None, "validate() was not called"
        done = self._validation.result()
        if self.disk is not None and self._store is not None:
            self._store.flush()
        # The store is let go before the build writes the on-disk one (issue 17: memory), and the on-disk one
        # closed before it is opened read-only. A build pauses the cycle collector, and the frames of the
        # validation's threads can be held in a cycle (pyparsing keeps a frame of its first import, which
        # happens on a rule's thread, and with it every caller's frame, ``store`` included): collected here.
        self._store = None
        gc.collect()
        return done

    def write(self, temp: Path, make) -> None:
        """Run ``make`` (which writes the new file ``temp``) in the background."""
        self._temp, self._write = temp, self._writer.submit(make)

    def remove_on_failure(self, *paths: Path) -> None:
        """Remove ``paths`` (files or folders) when the block ends with an error."""
        self._remove += paths

    def background(self, fn):
        """Run ``fn`` in the background, after the writing: its future."""
        return self._writer.submit(fn)

    def written(self) -> None:
        """Wait for the file ``write`` makes (raising its error, if any)."""
        assert self._write is not None, "write() was not called"
        self._write.result()

    def __enter__(self) -> _Overlap:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = exc_type is not None
        self._loader.shutdown(wait=True, cancel_futures=failed)
        self._writer.shutdown(wait=True, cancel_futures=failed)
        if failed and self._temp is not None:
            self._temp.unlink(missing_ok=True)
        if failed:
            import shutil

            for p in self._remove:
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)


#: A full build of more data files than this validates on disk, in the generation's store, instead of in
#: memory: an in-memory Oxigraph store takes about 370 bytes a triple (1.2 GB at 20,000 generated sites,
#: 12 GB at 200,000). Measured at 20,000 sites: 97 s and 3.3 GB in memory, 145 s and 2.6 GB on disk;
#: at 200,000 sites on disk 1,650 s and 9.0 GB (README, "Build memory and national scale").
DISK_VALIDATION_FILES = 50_000

#: Graphs of at most this many triples get the single-file dumps ``govkg.ttl`` and ``govkg.nt``
#: by default (``build(dumps=None)``); larger ones only when asked, since rewriting them would
#: make every rebuild as slow as a full one (430 MB of N-Triples at 20,000 sites).
DUMP_TRIPLES = 1_000_000


def build(data_dir: str | Path | None = None, out_dir: str | Path | None = None, *, sources_dirs=None,
          check: bool = True, include_drafts: bool = False, incremental: bool = True,
          dumps: bool | None = None, validate_on_disk: bool | None = None) -> BuildReport:
    """Compile ontology + data, validate, and write the build folder ``out_dir``.

    The build folder holds ``parts.sqlite`` (the compiled triples of each data file, with the
    indexes an incremental rebuild uses), for graphs of up to ``DUMP_TRIPLES`` triples the
    single-file dumps ``govkg.ttl`` and ``govkg.nt`` (sorted: the same inputs give the same
    bytes), and ``manifest.json``. Everything is compiled and validated (SHACL shapes and
    quality rules, unless ``check`` is false) first, in memory or, for a large build, in the new
    generation's store (removed when the graph is not valid); files are replaced only then, and
    the manifest naming them (with the hash of every input and output, and the parts'
    generation) is written last, so invalid data leaves the previous build untouched and an
    interrupted write is never trusted (see ``govkg.manifest``).

    Parameters
    ----------
    data_dir : path, optional
        Default: ``default_data_dir()``.
    out_dir : path, optional
        Default: ``govkg.paths.default_build_dir(data_dir)`` (``build/`` beside the data folder;
        the user cache folder for the data bundled in an installed package).
    include_drafts : bool, default False
        Also compile the entries marked ``status: draft``.
    incremental : bool
        When only data files changed since the last build in ``out_dir`` (not the reports,
        their texts, the ontology or govkg), recompile and validate just those files and what
        refers to them (``govkg.incremental``); else every file is parsed again. Checks across
        files run either way.
    dumps : bool, optional
        Write ``govkg.ttl`` and ``govkg.nt``; default: when the graph has at most
        ``DUMP_TRIPLES`` triples. A build with dumps is always a full build.
    validate_on_disk : bool, optional
        Validate a full build in the generation's on-disk store (bounded memory, slower) rather
        than in memory; default: for more than ``DISK_VALIDATION_FILES`` data files.

    Returns
    -------
    BuildReport

    Raises
    ------
    DataError
        A data file has a problem (file, line and field are named).
    ValidationError
        The compiled graph violates a SHACL shape or a quality rule.
    """
    data_dir = as_path(data_dir, "data_dir") if data_dir is not None else default_data_dir()
    out_dir = as_path(out_dir, "out_dir") if out_dir is not None else default_build_dir(data_dir)
    if not data_dir.is_dir():  # the loader's own error, before a build folder is made for nothing
        load_data(data_dir)
    with _no_cycle_collection(), _build_lock(out_dir):
        from . import manifest

        if sources_dirs is None:
            sources_dirs = default_sources_dirs(data_dir)
        clock, timings = time.perf_counter(), dict[str, float]()

        def lap(name):
            nonlocal clock
            now = time.perf_counter()
            timings[name] = timings.get(name, 0.0) + now - clock
            clock = now

        old = manifest.read_manifest(out_dir) if out_dir.is_dir() else None
        known = manifest.read_inputs(out_dir, old) if old is not None else None
        try:
            inputs, stamps = manifest.input_state(data_dir, known) if data_dir.is_dir() else ({}, {})
        except OSError as exc:  # a file removed (or made unreadable) while the folder was read
            raise GovkgError(f"cannot read the data folder {data_dir}: {exc.strerror or exc} "
                             f"({exc.filename}); was it changed during the build?") from None
        fields = manifest.expected(data_dir, inputs=inputs, include_drafts=include_drafts)
        from .parts import next_generation

        generation = next_generation((old or {}).get("generation"))
        lap("hash")
        if incremental and not include_drafts and dumps is not True and old is not None:
            from .incremental import rebuild

            done = rebuild(data_dir, out_dir, old, fields, stamps, sources_dirs, check=check, timings=timings,
                           before=known[0] if known is not None else None)
            if done.report is not None:
                return done.report
            why_full = done.full_because
            clock = time.perf_counter()
        else:
            why_full = "asked for" if not incremental else "no previous build" if old is None else \
                "a build with drafts or dumps is always full"
        from .store import store_path

        if validate_on_disk is None:
            validate_on_disk = len(inputs) > DISK_VALIDATION_FILES
        with _Overlap(check, store_path(out_dir, generation) if validate_on_disk else None) as work:
            # the in-memory store fills while the compile runs; the on-disk one from the parts after it, so that
            # no thread runs while the compile forks its workers (a fresh pair for every two batches)
            onto, index, report, texts = _compile_indexed(data_dir, sources_dirs, include_drafts, None, lap,
                                                          overlap=work if check and work.disk is None else None,
                                                          spill=out_dir)
            on_disk = check and work.disk is not None
            if on_disk:  # what the compile freed, given back before the parts are written (see below)
                gc.collect()
                release_memory()
            onto_nt = work.onto_nt if check and not on_disk else ntriples(onto)
            from .parts import NAME, Parts
            from .writers import TEMP_PREFIX, check_target, finish_interrupted

            out_dir.mkdir(parents=True, exist_ok=True)
            finish_interrupted(out_dir)
            real, _st = check_target(out_dir / NAME)
            temp = real.with_name(f"{TEMP_PREFIX}{os.getpid()}-{NAME}")
            temp.unlink(missing_ok=True)
            # written while the rules run; renamed into place only once the graph is valid
            work.write(temp, lambda: Parts.create(temp, generation=generation, ontology=onto_nt, parts=index.blobs,
                                                  counts=index.counts, nodes=index.nodes, refs=index.refs,
                                                  labels=index.labels, shared=index.unowned))
            if on_disk:
                # The parts first, then the tables they were made from let go, and what the compile freed given
                # back, before the bulk load needs its buffers: at 200,000 sites the process held 6.5 GB after the
                # compile, the bulk load beside it took it to 8.1 GB; 3.4 GB once the tables were let go.
                work.written()
                index.counts, index.nodes, index.refs, index.labels, index.unowned = {}, {}, [], [], {}
                gc.collect()
                release_memory()
                work.fill(index.blobs.values())
                work.validate(onto)
            from .store import (STORE_FORMAT, evidence_path, index_paths, read_only, store_identity, write_index,
                                write_store)

            work.remove_on_failure(store_path(out_dir, generation), *index_paths(out_dir, generation),
                                   evidence_path(out_dir, generation))
            nt = None
            if check:
                report.triples, result = work.validation()
                lap("validate")
                if not result.conforms:
                    raise ValidationError(result)
            # the store of this generation (and its site index) is written once the graph is valid and the
            # in-memory validation store is freed: the two never hold the graph at the same time
            if work.disk is not None:  # validated in place: it is the generation's store
                stored = work.background(lambda: work.disk)
            else:
                chunks = itertools.chain([onto_nt], index.blobs.values())  # read one at a time from a Spill
                stored = work.background(lambda: write_store(out_dir, generation, chunks))
            indexed = work.background(lambda: stored.result() and write_index(out_dir, generation,
                                                                              read_only(out_dir, generation)))
            if not check:
                nt = onto_nt + b"".join(index.blobs.values())
                report.triples = len(set(nt.splitlines(keepends=True)))
            if dumps is None:
                dumps = report.triples <= DUMP_TRIPLES
            if dumps:
                nt = b"".join(sorted(set((nt or onto_nt + b"".join(index.blobs.values())).splitlines(keepends=True))))
            blobs = {"govkg.ttl": turtle_from_ntriples(nt), _FAST: nt} if dumps and nt is not None else {}
            lap("turtle")
            try:
                work.written()
                indexed.result()
                os.replace(temp, real)
            except (OSError, sqlite3.Error) as exc:  # a full disk, a folder made read-only meanwhile
                raise GovkgError(f"cannot write {real}: {getattr(exc, 'strerror', None) or exc}") from None
        # the dumps and the manifest naming their hashes as one set (writers.write_set): after a
        # crash all are new or all are old, and readers check the hashes in any case
        files = {out_dir / name: b for name, b in blobs.items()}
        files[out_dir / manifest.MANIFEST] = manifest.manifest_bytes(
            fields, blobs, validated=check, generation=generation, store=store_path(out_dir, generation).name,
            store_id=store_identity(store_path(out_dir, generation)), format_store=STORE_FORMAT,
            **manifest.write_inputs(out_dir, inputs, stamps), triples=report.triples,
            texts=manifest.text_hashes(texts), warnings=report.warnings,
            counts={**report.entries, "evidence": report.evidence_checked}, unchecked=report.evidence_unchecked)
        report.outputs = write_set(files)[: len(blobs)] + [real, store_path(out_dir, generation)]
        from .store import prune

        prune(out_dir, generation)
        with contextlib.suppress(OSError):  # the parse cache of govkg before issue 17 (a pickle): no longer read
            (out_dir / ".parse-cache.pickle").unlink()
        lap("write")
        #: seconds per stage (for benchmarks/bench_build.py)
        report.timings = timings
        #: data files parsed (a full build parses every one), for reports and tests
        report.parsed = sorted(inputs)
        #: why this was a full build rather than an incremental one
        report.full_because = why_full
        return report


def is_fresh(build_dir: str | Path, data_dir: str | Path) -> bool:
    """Whether ``build_dir`` holds a build of exactly the current ``data_dir``, ontology and govkg.

    Decided by the build's manifest (content hashes, not modification times; the data
    folder's resolved path; the govkg version) and by the outputs matching the hashes it
    recorded.
    """
    from . import manifest

    from .parts import Parts

    if manifest.stale_reason(build_dir, data_dir) is not None:
        return False
    m = manifest.read_manifest(build_dir)
    assert m is not None  # stale_reason read it
    parts = Parts.open(build_dir, generation=m["generation"])
    if parts is None:
        return False
    try:
        if not parts.readable():
            return False
    finally:
        parts.close()
    return all(manifest.verified_bytes(build_dir, name, m) is not None for name in m["outputs"])


def _trusted_ntriples(build_dir: Path, data_dir: Path) -> bytes | None:
    """The prebuilt N-Triples when the manifest vouches for them for ``data_dir`` now; else None.

    The sorted dump ``govkg.nt`` when the build wrote one (and it matches its hash), else the
    parts of the generation the manifest names (``parts.sqlite``), not sorted.
    """
    from . import manifest
    from .parts import Parts
    from .store import check_own_folder

    try:
        check_own_folder(Path(build_dir))  # a folder others may write is not trusted: compile instead
    except GovkgError:
        return None
    if manifest.stale_reason(build_dir, data_dir) is not None:
        return None
    m = manifest.read_manifest(build_dir)
    assert m is not None  # stale_reason read it
    if _FAST in m["outputs"]:
        return manifest.verified_bytes(build_dir, _FAST, m)
    import sqlite3

    parts = Parts.open(build_dir, generation=m["generation"])
    if parts is None:
        return None
    try:
        return parts.ntriples()
    except sqlite3.Error:  # a damaged database: compile in memory instead
        return None
    finally:
        parts.close()


def load_store(data_dir: str | Path | None = None, build_dir: str | Path | None = None):
    """The whole graph in an Oxigraph store (for SPARQL): the fresh build's on-disk store opened read-only
    (``govkg.store``), else built in memory."""
    import pyoxigraph as ox

    data_dir = as_path(data_dir, "data_dir") if data_dir is not None else default_data_dir()
    build_dir = as_path(build_dir, "build_dir") if build_dir is not None else default_build_dir(data_dir)
    from .store import open_fresh

    opened = open_fresh(data_dir, build_dir)
    if opened is not None:
        return opened.store
    nt = _trusted_ntriples(build_dir, data_dir)
    if nt is not None:
        store = ox.Store()
        try:
            store.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
            return store
        except SyntaxError:  # a damaged parts database (its lines are not N-Triples): built in memory instead
            pass
    from .query import to_store

    check_memory_fallback(data_dir, build_dir)
    return to_store(build_graph(data_dir))


def dump_ntriples(data_dir: str | Path | None = None, build_dir: str | Path | None = None) -> bytes:
    """The whole graph as sorted N-Triples (what a build's ``govkg.nt`` holds), from the trusted
    build when there is one (its parts, for a build without dumps), else compiled in memory.

    Examples
    --------
    >>> dump_ntriples().count(b"\\n") == len(build_graph())
    True
    """
    data_dir = as_path(data_dir, "data_dir") if data_dir is not None else default_data_dir()
    build_dir = as_path(build_dir, "build_dir") if build_dir is not None else default_build_dir(data_dir)
    nt = _trusted_ntriples(build_dir, data_dir)
    if nt is None:
        return ntriples(build_graph(data_dir))
    return b"".join(sorted(set(nt.splitlines(keepends=True))))


#: A read command compiles the data in memory when there is no fresh build, up to this many data files;
#: above, it asks for ``govkg build`` (at 200,000 files the in-memory compile ran for minutes, unasked).
MEMORY_FALLBACK_FILES = 2_000


def check_memory_fallback(data_dir: Path, build_dir: Path) -> None:
    """Raise ``GovkgError`` when ``data_dir`` is too large to compile in memory for one command
    (more than ``MEMORY_FALLBACK_FILES`` data files), saying why the build in ``build_dir`` is not used."""
    from . import manifest

    n = manifest.input_count(data_dir)
    if n > MEMORY_FALLBACK_FILES:
        why = manifest.stale_reason(build_dir, data_dir) or "its store cannot be used"
        raise GovkgError(f"the build in {build_dir} is not a fresh build of {data_dir} ({why}); {n:,} data files "
                         f"are too many to compile for one command (more than {MEMORY_FALLBACK_FILES:,}): "
                         f"run `govkg build` first")


def load_graph(data_dir: str | Path | None = None, build_dir: str | Path | None = None) -> Graph:
    """The whole graph: the prebuilt ``build/`` output when its manifest matches the inputs, else built in memory.

    The prebuilt N-Triples file is parsed into rdflib's default store (for a graph of this
    size rdflib's own N-Triples parser is the fastest: 0.12 s against 0.24 s through oxrdflib,
    whose literals also come back with an explicit xsd:string). Nothing is written.
    """
    data_dir = as_path(data_dir, "data_dir") if data_dir is not None else default_data_dir()
    build_dir = as_path(build_dir, "build_dir") if build_dir is not None else default_build_dir(data_dir)
    nt = _trusted_ntriples(build_dir, data_dir)
    if nt is not None:
        from rdflib.plugins.parsers.ntriples import ParseError

        g = bind_prefixes(Graph())
        try:
            g.parse(data=nt, format="nt")
            return g
        except (ParseError, UnicodeDecodeError):  # a damaged parts database: built in memory instead
            pass
    check_memory_fallback(data_dir, build_dir)
    return build_graph(data_dir)
