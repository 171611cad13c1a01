"""The build's persistent store: an on-disk Oxigraph store and the site index beside it, opened read-only.

Long module: writing a build's store, index and evidence and opening them read-only share one file layout.
"""

from __future__ import annotations

import io
import json
import shutil
from typing import IO, cast
from pathlib import Path

from .errors import GovkgError

__all__ = ["STORE_FORMAT", "check_own_folder", "store_path", "store_identity", "index_paths", "evidence_path",
           "write_evidence", "write_store", "read_only", "write_index", "index_from_store", "prune", "OpenBuild",
           "open_build", "open_fresh"]

#: Version of the store layout (the store and the index files; 2: site and organization labels in the
#: evidence file's label table); a build of another layout is refused.
STORE_FORMAT = 2



def store_path(build_dir: str | Path, generation: str) -> Path:
    """The folder of the Oxigraph store of ``generation`` in ``build_dir``.

    Examples
    --------
    >>> store_path("build", "3-ab").name
    'store-3-ab'
    """
    return Path(build_dir) / f"store-{generation}"


def evidence_path(build_dir: str | Path, generation: str) -> Path:
    """The SQLite file of the evidence of every site link of ``generation`` in ``build_dir``."""
    return Path(build_dir) / f"evidence-{generation}.sqlite"


def index_paths(build_dir: str | Path, generation: str) -> tuple[Path, Path]:
    """``(matrices .npz, tables .json)`` of the site index of ``generation`` in ``build_dir``."""
    return Path(build_dir) / f"index-{generation}.npz", Path(build_dir) / f"index-{generation}.json"


class ChunkReader(io.RawIOBase):
    """A binary reader over a sequence of ``bytes`` chunks, so Oxigraph's bulk loader streams
    them without their being joined into one copy first (internal, shared with ``govkg.build``)."""

    def __init__(self, chunks):
        self._it = iter(chunks)
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            nxt = next(self._it, None)
            if nxt is None:
                return 0
            self._buf = memoryview(nxt)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def store_identity(path: str | Path) -> str | None:
    """The unique id RocksDB gave the store folder ``path`` when it made it (its ``IDENTITY`` file), or None.

    The manifest records it, so a reader recognizes the store of this build: a folder put in its
    place (another store, a copy of another build's) has another id.
    """
    try:
        text = (Path(path) / "IDENTITY").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if 0 < len(text) <= 128 else None


def write_store(build_dir: str | Path, generation: str, chunks) -> Path:
    """Bulk-load the N-Triples ``chunks`` (an iterable of ``bytes``) into a new on-disk store of ``generation``.

    The triples go into the default graph (one copy of a triple however many files state it).
    A store folder left by an earlier attempt at the same generation is removed first; on
    failure nothing is left. The manifest then records the folder's ``store_identity``.

    Raises
    ------
    GovkgError
        When the store cannot be written (full disk, bad N-Triples).
    """
    import pyoxigraph as ox

    path = store_path(build_dir, generation)
    shutil.rmtree(path, ignore_errors=True)
    try:
        store = ox.Store(str(path))
        # a binary file object, though not typing.IO (which names methods a reader never needs)
        store.bulk_load(cast("IO[bytes]", ChunkReader(chunks)), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        store.flush()
        del store  # closes the database
    except (OSError, SyntaxError, ValueError) as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise GovkgError(f"cannot write the store {path}: {exc}") from None
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path


def read_only(build_dir: str | Path, generation: str):
    """The store of ``generation`` in ``build_dir`` that this process has just written, opened read-only.

    For the writer itself (the site index and evidence are computed from the store it wrote);
    a reader opens a build with ``open_build``, which also checks the store is the one the
    manifest names.

    Examples
    --------
    >>> import shutil, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_store(folder, "1-a", [b'<urn:x> <urn:p> "a" .\\n'])
    >>> store = read_only(folder, "1-a")
    >>> len(store)
    1
    >>> del store; shutil.rmtree(folder)
    """
    import pyoxigraph as ox

    return ox.Store.read_only(str(store_path(build_dir, generation)))


def index_from_store(store):
    """The ``SiteIndex`` of a pyoxigraph store, read one predicate at a time from the default graph
    (the same assembly as ``govkg.analysis.index.index_from_triples``)."""
    import pyoxigraph as ox

    from .analysis.index import LITERALS, PREDICATES, index_from_buckets
    from .namespace import GK

    dg = ox.DefaultGraph()
    buckets: dict = {}
    for iri, name in PREDICATES.items():
        p = ox.NamedNode(iri)
        if name == "type":
            buckets[name] = [q.subject.value for q in
                             store.quads_for_pattern(None, p, ox.NamedNode(str(GK.DemonstrationSite)), dg)]
        elif name in LITERALS:  # labels, altLabels and definitions keep their language
            buckets[name] = [(q.subject.value, q.object) for q in store.quads_for_pattern(None, p, None, dg)]
        else:
            buckets[name] = [(q.subject.value, q.object.value) for q in store.quads_for_pattern(None, p, None, dg)]
    return index_from_buckets(buckets)


def _kind_texts(store) -> dict:
    """``{kind IRI: {"label"|"altLabel"|"definition": [[text, language], …]}}`` of every mechanism kind
    (``gk:MechanismKind``; the texts a search over kinds reads), sorted."""
    import pyoxigraph as ox
    from rdflib.namespace import RDF, RDFS, SKOS

    from .namespace import GK

    dg = ox.DefaultGraph()
    out: dict = {}
    concepts = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)),
                                                                   ox.NamedNode(str(GK.MechanismKind)), dg)}
    for key, p in (("label", RDFS.label), ("altLabel", SKOS.altLabel), ("definition", SKOS.definition)):
        for q in store.quads_for_pattern(None, ox.NamedNode(str(p)), None, dg):
            s = q.subject.value
            if s in concepts and isinstance(q.object, ox.Literal):
                out.setdefault(s, {}).setdefault(key, []).append([q.object.value, q.object.language or ""])
    return {k: {f: sorted(v) for f, v in sorted(d.items())} for k, d in sorted(out.items())}


_MATRICES = ("mechanisms", "kinds", "specific", "organizations", "mechanism_kinds")


def write_index(build_dir: str | Path, generation: str, store) -> tuple[Path, Path]:
    """Compute the site index from ``store`` and write it beside the store: the sparse matrices as
    ``index-<generation>.npz`` (arrays only, read without pickle) and the row/column IRIs, labels,
    broader kinds and kind texts as ``index-<generation>.json``."""
    import numpy as np

    from .writers import write_atomic

    idx = index_from_store(store)
    # the labels of sites and organizations (600,000 at 200,000 sites) go to the evidence file's label
    # table, read a term at a time (LabelTable); mechanisms and kinds stay in the JSON (searched by name)
    kinds = {**{o: "organization" for o in idx.organizations.columns}, **{s: "site" for s in idx.sites}}
    apart = kinds.keys()
    mats = {"mechanisms": idx.mechanisms.matrix, "kinds": idx.kinds.matrix, "specific": idx.specific.matrix,
            "organizations": idx.organizations.matrix, "mechanism_kinds": idx.mechanism_kinds}
    arrays = {}
    for name, m in mats.items():
        m = m.tocsr()
        arrays[name + "_data"] = m.data.astype(np.int32)
        arrays[name + "_indices"] = m.indices.astype(np.int32)
        arrays[name + "_indptr"] = m.indptr.astype(np.int64)
        arrays[name + "_shape"] = np.array(m.shape, dtype=np.int64)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    tables = {
        "format": STORE_FORMAT, "generation": generation,
        "sites": _lines(idx.sites), "mechanisms": _lines(idx.mechanisms.columns),
        "kinds": _lines(idx.kinds.columns), "organizations": _lines(idx.organizations.columns),
        "broader": {str(k): sorted(str(x) for x in v) for k, v in sorted(idx.broader.items())},
        "labels": {str(k): v for k, v in sorted(idx.labels.items()) if k not in apart},
        "kind_texts": _kind_texts(store),
    }
    npz, js = index_paths(build_dir, generation)
    write_atomic(npz, buf.getvalue())
    write_atomic(js, (json.dumps(tables, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    write_evidence(build_dir, generation, store, {k: v for k, v in idx.labels.items() if k in apart}, kinds)
    return npz, js


def _lines(iris) -> str:
    """The IRIs ``iris`` as one text, a line an IRI: the index's rows and columns, read back with one
    split (5x faster than a JSON list of 600,000 strings)."""
    texts = [str(x) for x in iris]
    if any("\n" in t for t in texts):
        raise GovkgError("a site, mechanism, kind or organization IRI holds a line break: it cannot be indexed")
    return "\n".join(texts)


def _scan_rows(store, want=None):
    """``(pairs, rows)`` (see ``OpenBuild._evidence_rows``) of the mechanisms in ``want`` (None: all), by
    one scan of each predicate involved, joined in Python."""
    import pyoxigraph as ox
    from rdflib.namespace import PROV, RDF

    from .namespace import GK

    st, dg = store, ox.DefaultGraph()
    used, mech, site, ev, typ = (ox.NamedNode(str(x)) for x in (GK.usedAt, GK.mechanism, GK.site, GK.evidence, RDF.type))
    use_t, value, quoted, prim = (ox.NamedNode(str(x)) for x in (GK.MechanismUse, PROV.value, PROV.wasQuotedFrom,
                                                                 PROV.hadPrimarySource))

    def scan(p, o=None, keep=None):
        out: dict = {}
        for q in st.quads_for_pattern(None, p, o, dg):
            k = q.subject.value
            if keep is None or k in keep:
                out.setdefault(k, []).append(q.object.value)
        return out

    def ok(m):
        return want is None or m in want

    pairs = [(m, s) for m, ss in scan(used).items() if ok(m) for s in ss]
    use_m = {u: [m for m in mm if ok(m)] for u, mm in scan(mech).items()}
    uses = {u for u in scan(typ, use_t) if use_m.get(u)}
    u_site, u_ev, u_prim = scan(site, keep=uses), scan(ev, keep=uses), scan(prim, keep=uses)
    evs = {e for es in u_ev.values() for e in es}
    e_text, e_src = scan(value, keep=evs), scan(quoted, keep=evs)
    rows = [(m, s, u, text, src, pr) for u in sorted(uses) for m in use_m[u] for e in u_ev.get(u, ())
            for s in u_site.get(u, ()) for text in e_text.get(e, ()) for src in e_src.get(e) or [None]
            for pr in u_prim.get(u) or [None]]
    return pairs, rows


def write_evidence(build_dir: str | Path, generation: str, store, labels: dict | None = None,
                   kinds: dict | None = None) -> Path:
    """Write the evidence of every ``gk:usedAt`` link of ``store`` (``_scan_rows``) as
    ``evidence-<generation>.sqlite``: tables ``pairs(m, s)`` and ``quotes(m, s, u, text, src, prim)``
    indexed by mechanism, so ``shared`` reads the quotes it shows without decoding them from the
    store (~25 µs a quad), and the table ``labels`` of ``labels``, each term of the index table
    ``kinds[iri]`` (``govkg.labeltable``). Written to a temporary file, then renamed."""
    import os
    import sqlite3

    from .labeltable import write_labels
    from .writers import TEMP_PREFIX

    path = evidence_path(build_dir, generation)
    temp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")
    temp.unlink(missing_ok=True)
    pairs, rows = _scan_rows(store)
    try:
        conn = sqlite3.connect(temp)
        try:
            conn.executescript("CREATE TABLE pairs (m TEXT NOT NULL, s TEXT NOT NULL);"
                               "CREATE TABLE quotes (m TEXT NOT NULL, s TEXT NOT NULL, u TEXT NOT NULL, text TEXT NOT NULL, "
                               "src TEXT, prim TEXT);")
            conn.executemany("INSERT INTO pairs VALUES (?, ?)", pairs)
            conn.executemany("INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?)", rows)
            write_labels(conn, labels or {}, kinds or {})
            conn.executescript("CREATE INDEX pairs_m ON pairs (m, s); CREATE INDEX quotes_m ON quotes (m, s);")
            conn.commit()
        finally:
            conn.close()
        os.replace(temp, path)
    except (OSError, sqlite3.Error) as exc:
        temp.unlink(missing_ok=True)
        raise GovkgError(f"cannot write {path}: {exc}") from None
    return path


def prune(build_dir: str | Path, generation: str) -> None:
    """Remove the stores and index files of generations other than ``generation`` (after the manifest
    naming ``generation`` is written). Only names this module makes are touched."""
    import re

    pat = re.compile(r"(store-[0-9]+-[0-9a-f]+|index-[0-9]+-[0-9a-f]+\.(npz|json)|evidence-[0-9]+-[0-9a-f]+\.sqlite)")
    keep = {store_path(build_dir, generation).name, *(p.name for p in index_paths(build_dir, generation)),
            evidence_path(build_dir, generation).name}
    for p in Path(build_dir).iterdir():
        if p.name in keep or not pat.fullmatch(p.name) or p.is_symlink():
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


class OpenBuild:
    """A built graph opened read-only: its Oxigraph store and its site index (``govkg.open``).

    Pay the open once, then ask many questions: ``query`` (SPARQL), ``shared``, ``similar``,
    ``suggest``, ``analyze``, ``site_index``. The analysis functions of govkg accept it wherever they accept a graph for
    a site index. Nothing is written.

    Attributes
    ----------
    path : Path
        The build folder.
    generation : str
        The build's generation (``manifest.json``).
    store : pyoxigraph.Store
        The store, opened with ``Store.read_only``.
    """

    def __init__(self, path: Path, generation: str, store, manifest: dict):
        self.path, self.generation, self.store, self.manifest = path, generation, store, manifest
        self._index = None
        self._tables: dict | None = None

    def __repr__(self) -> str:
        return f"<govkg build {self.path} generation {self.generation}>"

    def _read_tables(self) -> dict:
        if self._tables is None:
            npz, js = index_paths(self.path, self.generation)
            try:
                tables = json.loads(js.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise GovkgError(f"the site index {js} cannot be read ({exc}): run `govkg build --full`") from None
            if not isinstance(tables, dict) or tables.get("generation") != self.generation \
                    or tables.get("format") != STORE_FORMAT:
                raise GovkgError(f"the site index {js} is not this build's: run `govkg build --full`")
            self._tables = tables
        return self._tables

    @property
    def kind_texts(self) -> dict:
        """``{kind IRI: {"label"|"altLabel"|"definition": [[text, language], …]}}`` of every kind."""
        return self._read_tables()["kind_texts"]

    def site_index(self):
        """The ``SiteIndex`` persisted by the build (read once, then kept)."""
        if self._index is None:
            self._index = _load_index(self.path, self.generation, self._read_tables(), self.store)
        return self._index

    def query(self, text: str, *, bindings: dict | None = None, timeout: float | None = None,
              max_rows: int | None = None):
        """A read-only SPARQL query on the store (``govkg.query.run_query``)."""
        from .query import run_query

        return run_query(self.store, text, bindings=bindings, timeout=timeout, max_rows=max_rows)

    def shared(self, name: str | None = None, **kw) -> dict:
        """``govkg.shared.shared_mechanisms`` of this build."""
        from .shared import shared_mechanisms

        return shared_mechanisms(self, name, **kw)

    def similar(self, site: str, **kw) -> dict:
        """``govkg.shared.similar_sites`` of this build."""
        from .shared import similar_sites

        return similar_sites(self, site, **kw)

    def suggest(self, site: str, **kw) -> dict:
        """``govkg.analysis.suggest`` of this build (from the persisted index)."""
        from .analysis.suggest import suggest

        return suggest(self, site, **kw)

    def analyze(self, **kw) -> dict:
        """``govkg.analysis.analyze`` of this build (from the persisted index)."""
        from .analysis.summary import analyze

        return analyze(self, **kw)

    def marked_mechanisms(self) -> set:
        """The mechanisms carrying a curators' mark: ``gk:inferred`` on the mechanism or on one of its
        uses, or a ``gk:inferredKind`` (read by pattern look-ups; few in any real data)."""
        import pyoxigraph as ox
        from rdflib import URIRef

        from .namespace import GK

        st, dg = self.store, ox.DefaultGraph()
        mech_p = ox.NamedNode(str(GK.mechanism))
        out = {URIRef(q.subject.value) for q in st.quads_for_pattern(None, ox.NamedNode(str(GK.inferredKind)), None, dg)}
        for q in st.quads_for_pattern(None, ox.NamedNode(str(GK.inferred)), ox.Literal(True), dg):
            node = q.subject
            uses = [u.object for u in st.quads_for_pattern(node, mech_p, None, dg)]
            out.update(URIRef(m.value) for m in uses) if uses else out.add(URIRef(node.value))
        kinds = set(self.site_index().mechanisms.columns)
        return {m for m in out if m in kinds}

    def subgraph(self, mechanisms):
        """An rdflib ``Graph`` of what the evidence of ``mechanisms`` needs: each mechanism's
        triples, its uses (``gk:MechanismUse``) and their triples, the evidence nodes of both,
        and the reports they quote (with their publishers' labels). Read by pattern look-ups on
        the store's indexes; no query text is made."""
        import pyoxigraph as ox
        from rdflib import Graph
        from rdflib.namespace import PROV, RDFS

        from .namespace import GK, SCHEMA
        from .query import from_ox

        st, dg = self.store, ox.DefaultGraph()
        g = Graph()
        add = g.add
        seen: set = set()

        def take(node):
            if node in seen:
                return []
            seen.add(node)
            quads = list(st.quads_for_pattern(node, None, None, dg))
            for q in quads:
                add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
            return quads

        ev, src_p, prim = (ox.NamedNode(str(x)) for x in (GK.evidence, PROV.wasQuotedFrom, PROV.hadPrimarySource))
        mech_p, pub = ox.NamedNode(str(GK.mechanism)), ox.NamedNode(str(SCHEMA.publisher))
        sources = set()
        for m in mechanisms:
            m = ox.NamedNode(str(m))
            nodes = [m] + [q.subject for q in st.quads_for_pattern(None, mech_p, m, dg)]
            for n in nodes:
                for q in take(n):
                    if q.predicate == ev:
                        for q2 in take(q.object):
                            if q2.predicate == src_p:
                                sources.add(q2.object)
                    elif q.predicate == prim:
                        sources.add(q.object)
        label = ox.NamedNode(str(RDFS.label))
        for s in sources:
            for q in take(s):
                if q.predicate == pub:
                    for q2 in st.quads_for_pattern(q.object, label, None, dg):
                        add((from_ox(q2.subject), from_ox(q2.predicate), from_ox(q2.object)))
        return g

    #: Up to this many mechanisms, their links are read by pattern look-ups on the store's indexes
    #: (per mechanism, per use, per quote); beyond, by one scan of each predicate involved, joined
    #: in Python (the same join as one SPARQL query took 20 s at 20,000 sites, the scans ~2 s).
    PATTERN_LIMIT = 256

    def direct_kinds(self, mechanisms) -> dict:
        """``{mechanism: sorted kinds given to it}`` (``gk:mechanismKind``, not rolled up)."""
        import pyoxigraph as ox
        from rdflib import URIRef

        from .namespace import GK

        p, dg = ox.NamedNode(str(GK.mechanismKind)), ox.DefaultGraph()
        return {URIRef(str(m)): sorted(URIRef(q.object.value) for q in
                                       self.store.quads_for_pattern(ox.NamedNode(str(m)), p, None, dg))
                for m in mechanisms}

    def _evidence_rows(self, mechanisms, sites=None):
        """``(pairs, rows)`` of ``mechanisms``: their ``gk:usedAt`` ``(mechanism, site)`` pairs and, for each
        quote of a ``gk:MechanismUse`` of theirs, ``(mechanism, site, use, text, quoted from, primary
        source)`` as strings (None where absent), as the join of ``link_evidence``'s query gives them;
        only the links to ``sites`` (IRI texts) when given."""
        if sites is None:
            return self._all_evidence_rows(mechanisms)
        got = self._evidence_file(sorted({str(m) for m in mechanisms}), sorted(sites))
        if got is not None:
            return got
        pairs, rows = self._all_evidence_rows(mechanisms)  # no evidence file: read from the store, then cut
        return [x for x in pairs if x[1] in sites], [r for r in rows if r[1] in sites]

    def _all_evidence_rows(self, mechanisms):
        """``_evidence_rows`` of every link of ``mechanisms``."""
        import pyoxigraph as ox
        from rdflib.namespace import PROV, RDF

        from .namespace import GK, PREFIXES

        st, ms = self.store, sorted({str(m) for m in mechanisms})

        def val(t):
            return None if t is None else t.value

        dg = ox.DefaultGraph()
        used, mech, site, ev, typ = (ox.NamedNode(str(x)) for x in (GK.usedAt, GK.mechanism, GK.site, GK.evidence, RDF.type))
        use_t, value, quoted, prim = (ox.NamedNode(str(x)) for x in (GK.MechanismUse, PROV.value, PROV.wasQuotedFrom,
                                                                     PROV.hadPrimarySource))
        if len(ms) > self.PATTERN_LIMIT:  # all rows, filtered: from the build's evidence file, else one scan per predicate
            want = set(ms)
            got = self._evidence_file(None)
            if got is None:
                return _scan_rows(st, want)
            pairs, rows = got
            return [x for x in pairs if x[0] in want], [r for r in rows if r[0] in want]
        got = self._evidence_file(ms)
        if got is not None:
            return got
        pairs, rows = [], []
        for m in ms:
            mn = ox.NamedNode(m)
            pairs += [(m, q.object.value) for q in st.quads_for_pattern(mn, used, None, dg)]
            for q in st.quads_for_pattern(None, mech, mn, dg):
                u = q.subject
                props: dict = {}
                for p in st.quads_for_pattern(u, None, None, dg):
                    props.setdefault(p.predicate, []).append(p.object)
                if use_t not in props.get(typ, ()):
                    continue
                for e in props.get(ev, ()):
                    eprops: dict = {}
                    for p in st.quads_for_pattern(e, None, None, dg):
                        eprops.setdefault(p.predicate, []).append(p.object)
                    for s in props.get(site, ()):
                        for text in eprops.get(value, ()):
                            for src in eprops.get(quoted) or [None]:
                                for pr in props.get(prim) or [None]:
                                    rows.append((m, s.value, u.value, text.value, val(src), val(pr)))
        return pairs, rows

    def _evidence_file(self, ms, sites=None):
        """``(pairs, rows)`` of the mechanisms ``ms`` (None: all), their links to ``sites`` only when given,
        from the build's evidence file, or None when there is none (a store made otherwise): see
        ``write_evidence``."""
        import sqlite3
        from urllib.parse import quote

        db = evidence_path(self.path, self.generation)
        if not db.is_file() or db.is_symlink():
            return None
        try:
            conn = sqlite3.connect(f"file:{quote(str(db.resolve()))}?mode=ro", uri=True)
            try:
                conn.execute("PRAGMA trusted_schema=OFF")  # no functions run from the schema (views, triggers)
                if ms is None:
                    pairs = conn.execute("SELECT m, s FROM pairs ORDER BY rowid").fetchall()
                    rows = conn.execute("SELECT m, s, u, text, src, prim FROM quotes ORDER BY rowid").fetchall()
                else:
                    pairs, rows = [], []
                    # the sites as bound values, at most 500 a statement (SQLite's limit may be 999)
                    chunks = [None] if sites is None else [sites[i:i + 500] for i in range(0, len(sites), 500)]
                    for m in ms:
                        for chunk in chunks:
                            where = "m = ?" if chunk is None else f"m = ? AND s IN ({','.join('?' * len(chunk))})"
                            args = (m,) if chunk is None else (m, *chunk)
                            pairs += conn.execute(f"SELECT m, s FROM pairs WHERE {where} ORDER BY rowid", args).fetchall()
                            rows += conn.execute(f"SELECT m, s, u, text, src, prim FROM quotes WHERE {where} "
                                                 f"ORDER BY rowid", args).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise GovkgError(f"the evidence file {db} cannot be read ({exc}): run `govkg build --full`") from None
        if not all(isinstance(x, str) for r in pairs for x in r) or \
                not all(isinstance(x, str) or (x is None and i >= 4) for r in rows for i, x in enumerate(r)):
            raise GovkgError(f"the evidence file {db} holds values of the wrong kind: run `govkg build --full`")
        return pairs, rows

    def link_evidence(self, mechanisms, sites=None) -> dict:
        """``govkg.analysis.provenance.link_evidence`` for the ``gk:usedAt`` links of ``mechanisms``:
        ``{(mechanism, site): [{"text", "source"}]}``, read from the store (``_evidence_rows``) instead
        of an rdflib graph; with ``sites``, only their links (a national mechanism has thousands of
        sites, of which an answer shows twenty). A graph without ``gk:MechanismUse`` (schema v1) is
        read through ``subgraph`` and the rdflib code."""
        from rdflib import URIRef

        from .analysis.outcomes import sources
        from .analysis.provenance import link_evidence
        from .namespace import PREFIXES

        if not self.store.query("ASK { ?u a gk:MechanismUse }", prefixes=PREFIXES):
            return link_evidence(self.subgraph(mechanisms))
        pairs, rows = self._evidence_rows(mechanisms, None if sites is None else {str(x) for x in sites})
        out: dict[tuple, list] = {(URIRef(m), URIRef(s)): [] for m, s in pairs}
        cited = {x for r in rows for x in r[4:] if x is not None}
        srcs = sources(self._nodes_graph(cited))
        by_use: dict = {}
        for m, s, u, text, src, pr in rows:
            src = src if src is not None else pr
            by_use.setdefault((m, s, u), {})[(text, src)] = None
        for (m, s, _u), quotes in sorted(by_use.items()):
            evs = [{"text": t, "source": srcs.get(URIRef(src)) if src is not None else None} for t, src in quotes]
            out.setdefault((URIRef(m), URIRef(s)), []).extend(sorted(evs, key=lambda d: d["text"]))
        return out

    def _nodes_graph(self, iris):
        """An rdflib ``Graph`` of the triples of ``iris`` and the labels of their publishers (reports)."""
        import pyoxigraph as ox
        from rdflib import Graph
        from rdflib.namespace import RDFS

        from .namespace import SCHEMA
        from .query import from_ox

        g, dg = Graph(), ox.DefaultGraph()
        pub, label = ox.NamedNode(str(SCHEMA.publisher)), ox.NamedNode(str(RDFS.label))
        for iri in iris:
            for q in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, dg):
                g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
                if q.predicate == pub:
                    for q2 in self.store.quads_for_pattern(q.object, label, None, dg):
                        g.add((from_ox(q2.subject), from_ox(q2.predicate), from_ox(q2.object)))
        return g

    def close(self) -> None:
        """Let go of the store (it is also closed when the handle is garbage)."""
        self.store = None

    def construct(self, *texts: str, bindings: dict | None = None):
        """An rdflib ``Graph`` of the triples the SPARQL CONSTRUCT queries ``texts`` give on the store
        (our prefixes predeclared; ``bindings`` ``{variable: rdflib term}`` substituted as values, never
        pasted into the text). The views build the part of the graph they show this way."""
        import pyoxigraph as ox

        from .namespace import PREFIXES
        from .query import from_ox, to_ox
        from .resources import bind_prefixes

        subs = {ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()}
        g = bind_prefixes(_graph())
        add = g.add
        for text in texts:
            for t in self.store.query(text, prefixes=PREFIXES, substitutions=subs):
                add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
        return g

    def triples(self, predicate=None, obj=None):
        """The triples of the store's default graph (with ``predicate``/``obj`` when given) as rdflib terms,
        one at a time (nothing held: the exports of the whole graph stream them)."""
        import pyoxigraph as ox

        from .query import from_ox, to_ox

        p = None if predicate is None else to_ox(predicate)
        o = None if obj is None else to_ox(obj)
        for q in self.store.quads_for_pattern(None, p, o, ox.DefaultGraph()):
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)

    def has_subject(self, iri) -> bool:
        """Whether the store holds a triple about ``iri`` (an rdflib ``URIRef``)."""
        import pyoxigraph as ox

        try:
            node = ox.NamedNode(str(iri))
        except ValueError:  # not an absolute IRI: nothing is about it
            return False
        return next(iter(self.store.quads_for_pattern(node, None, None, ox.DefaultGraph())), None) is not None


def _graph():
    from rdflib import Graph

    return Graph()


def _load_index(path: Path, generation: str, tables: dict, store=None):
    import zipfile

    import numpy as np
    from rdflib import URIRef
    from scipy import sparse

    from .analysis.index import Incidence, SiteIndex
    from .labeltable import IriList, LabelTable

    npz, js = index_paths(path, generation)
    try:
        with np.load(npz, allow_pickle=False) as z:
            mats = {}
            for name in _MATRICES:
                shape = tuple(int(x) for x in z[name + "_shape"])
                mats[name] = sparse.csr_matrix((z[name + "_data"], z[name + "_indices"], z[name + "_indptr"]),
                                               shape=shape)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise GovkgError(f"the site index {npz} cannot be read ({exc}): run `govkg build --full`") from None

    def iris(text):
        if not isinstance(text, str):
            raise GovkgError(f"the site index {js} is damaged (its rows or columns are not IRIs): run `govkg build --full`")
        return IriList(text.split("\n") if text else [])

    sites, mechs, kinds, orgs = (iris(tables[k]) for k in ("sites", "mechanisms", "kinds", "organizations"))
    want = {"mechanisms": (len(sites), len(mechs)), "kinds": (len(sites), len(kinds)),
            "specific": (len(sites), len(kinds)), "organizations": (len(sites), len(orgs)),
            "mechanism_kinds": (len(mechs), len(kinds))}
    if any(mats[k].shape != v for k, v in want.items()):
        raise GovkgError(f"the site index {npz} does not match its tables: run `govkg build --full`")
    broader = {URIRef(k): frozenset(URIRef(x) for x in v) for k, v in tables["broader"].items()}
    labels = LabelTable(tables["labels"], evidence_path(path, generation), store)
    texts: dict = {}  # the search texts of kinds (SiteIndex.texts), from the kind texts the index persisted
    for k, fields in tables.get("kind_texts", {}).items():
        d: dict[str, dict[str, list]] = {"alt": {"zh": [], "en": []}, "definition": {"zh": [], "en": []}}
        for field, what in (("altLabel", "alt"), ("definition", "definition")):
            for text, lang in fields.get(field, ()):
                lang = (lang or "").split("-")[0].lower()
                if lang in ("zh", "en"):
                    d[what][lang].append(text)
        if any(v for by_lang in d.values() for v in by_lang.values()):
            texts[URIRef(k)] = {w: {lg: sorted(v) for lg, v in by_lang.items()} for w, by_lang in d.items()}
    return SiteIndex(sites, Incidence(sites, mechs, mats["mechanisms"]), Incidence(sites, kinds, mats["kinds"]),
                     Incidence(sites, orgs, mats["organizations"]), mats["mechanism_kinds"], broader, labels,
                     Incidence(sites, kinds, mats["specific"]), texts)


def _open_store(path: Path, identity) -> object:
    """``Store.read_only(path)``, checked to be the store the manifest names (``store_identity``)."""
    import pyoxigraph as ox

    if path.is_symlink() or not path.is_dir():
        raise GovkgError(f"the store {path} named by the build's manifest is missing: run `govkg build --full`")
    found = store_identity(path)
    if found is None or found != identity:
        raise GovkgError(f"the store {path} is not the one this build wrote ("
                         f"{'no RocksDB IDENTITY file' if found is None else 'another store id'}): it was replaced or "
                         f"damaged; run `govkg build --full`")
    try:
        return ox.Store.read_only(str(path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise GovkgError(f"the store {path} cannot be opened ({' '.join(str(exc).split())[:200]}): it is damaged; "
                         f"run `govkg build --full`") from None


def check_own_folder(path: Path) -> None:
    """Refuse a build folder another user owns or may write (issue 23 L14): everything a reader
    trusts (manifest, store, index) lies in it, so whoever can write it decides the answers.
    Writable by everyone, or by a group other than the user's own primary group, is refused.

    A folder that does not exist passes (the caller says there is no build).

    Examples
    --------
    >>> import tempfile
    >>> check_own_folder(Path(tempfile.mkdtemp()))
    """
    import os
    import stat

    try:
        st = os.stat(path)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise GovkgError(f"{path} belongs to another user (uid {st.st_uid}): govkg reads only build folders "
                         f"of your own; build into a folder of yours (--build-dir)")
    # group-writable is fine for the user's own primary group (a private group: umask 002 on Ubuntu)
    group_writes = st.st_mode & stat.S_IWGRP and hasattr(os, "getgid") and st.st_gid != os.getgid()
    if st.st_mode & stat.S_IWOTH or group_writes:
        raise GovkgError(f"{path} can be written by other users (mode {stat.S_IMODE(st.st_mode):o}): anyone "
                         f"who can write it can forge the build; `chmod go-w {path}` or build elsewhere")


def open_build(build_dir: str | Path, data_dir: str | Path | None = None) -> OpenBuild:
    """Open the built graph in ``build_dir`` read-only (``govkg.open``).

    Parameters
    ----------
    build_dir : path
        A build folder written by ``govkg build``.
    data_dir : path, optional
        When given, the build must be a fresh build of this data folder (its manifest's
        hashes match the files now), else ``GovkgError`` says why.

    Raises
    ------
    GovkgError
        No build there, a build of another govkg version or manifest format, a stale build
        (with ``data_dir``), a store that is missing, damaged, foreign or of another layout.
    """
    from . import manifest
    from .args import as_path

    path = as_path(build_dir, "build_dir")
    check_own_folder(path)
    return _open_read(path, manifest.read_manifest(path), data_dir)


def _open_read(path: Path, m: dict | None, data_dir: str | Path | None = None) -> OpenBuild:
    """``open_build`` of ``path``, its manifest ``m`` read (once: it is large for a large build)."""
    from . import manifest
    from .args import as_path

    if m is None:
        raise GovkgError(f"{path} holds no build (no readable manifest.json): run `govkg build`")
    if m.get("format") != manifest.FORMAT or m.get("govkg") != manifest.govkg_version():
        raise GovkgError(f"{path} was built by govkg {m.get('govkg')} (manifest format {m.get('format')}); "
                         f"this is govkg {manifest.govkg_version()}: run `govkg build`")
    if data_dir is not None:
        why = manifest.stale_reason(path, as_path(data_dir, "data_dir"), m)
        if why is not None:
            raise GovkgError(f"the build in {path} is not a build of {data_dir} now ({why}): run `govkg build`")
    gen = m.get("generation")
    if not isinstance(gen, str) or m.get("store") != store_path(path, gen).name:
        raise GovkgError(f"{path} holds a build without a store (an older govkg): run `govkg build --full`")
    if m.get("format_store") != STORE_FORMAT:
        raise GovkgError(f"the store in {path} has layout {m.get('format_store')}, this govkg reads {STORE_FORMAT}: "
                         f"run `govkg build --full`")
    return OpenBuild(path, gen, _open_store(store_path(path, gen), m.get("store_id")), m)


#: A fresh-build check of a build of more sites than this walks the data folder in a forked process
#: (``manifest.DigestApart``): at 2,000 files the walk takes about 10 ms.
FORK_DIGEST_SITES = 2_000


def open_fresh(data_dir: str | Path, build_dir: str | Path, *, prefetch: bool = False,
               meanwhile=None) -> OpenBuild | None:
    """The build in ``build_dir`` when it is a fresh build of ``data_dir`` with a store, else None
    (the caller compiles in memory); a fresh build whose store is damaged or foreign raises ``GovkgError``.

    The freshness check (a ``stat`` of every data file: 1 s at 200,000 files) runs in a forked
    process where it can (``manifest.DigestApart``), the rest of it on a thread, while the store
    is opened and, with ``prefetch``, the site index read, and ``meanwhile()`` (if given: the caller's
    own start-up work) runs. Nothing of a stale build is used.
    """
    from concurrent.futures import ThreadPoolExecutor

    from . import manifest
    from .args import as_path

    path = as_path(build_dir, "build_dir")
    check_own_folder(path)
    m = manifest.read_manifest(path)
    if m is None or not m.get("store"):
        return None
    # forked before any thread starts, for a large folder only (the last build's sites, a file each): a small
    # one is walked in less time than a process takes to start
    counts = m.get("counts")
    sites = counts.get("site", 0) if isinstance(counts, dict) else 0
    digest = manifest.DigestApart(data_dir, fork=isinstance(sites, int) and sites > FORK_DIGEST_SITES)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="govkg-fresh") as pool:
            check = pool.submit(manifest.stale_reason, path, data_dir, m, digest)
            try:
                opened = _open_read(path, m)
                if prefetch:
                    opened.site_index()
                if meanwhile is not None:
                    meanwhile()
            except GovkgError:
                if check.result() is not None:  # a stale build: what is wrong with it does not matter
                    return None
                raise
            if check.result() is not None:
                opened.close()
                return None
        return opened
    finally:
        digest.close()  # a child whose answer was not needed (the build was stale for another reason)
