"""The terms of an opened site index made on demand: IRIs as text until read, labels read one term at a time."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from rdflib import URIRef

from .errors import GovkgError

__all__ = ["LabelTable", "IriList", "write_labels", "trusted_iri"]

#: The SQL of the label table (in ``evidence-<generation>.sqlite``): one row a term, zh/en NULL when absent;
#: ``nzh``/``nen`` the labels as a search compares them (``matching.normalize``), ``slug`` the IRI's last
#: segment case-folded, ``kind`` the index's table the term is a row or column of (``site``, ``organization``).
SCHEMA = ("CREATE TABLE labels (iri TEXT PRIMARY KEY, zh TEXT, en TEXT, nzh TEXT, nen TEXT, slug TEXT NOT NULL, "
          "kind TEXT NOT NULL) WITHOUT ROWID")

#: ``match_score`` in SQL (3 exact label or id, 2 a label starts with it, 1 a label holds it), ``:n`` the
#: normalized name; SQLite's ``substr``, ``length`` and ``instr`` count characters, as Python does.
_SCORE = ("CASE WHEN nzh = :n OR nen = :n OR slug = :n THEN 3 "
          "WHEN substr(nzh, 1, length(:n)) = :n OR substr(nen, 1, length(:n)) = :n THEN 2 "
          "WHEN instr(nzh, :n) > 0 OR instr(nen, :n) > 0 THEN 1 ELSE 0 END")


def trusted_iri(value: str) -> URIRef:
    """A ``URIRef`` of an IRI the build itself wrote, made without rdflib's check of each character.

    Hand-made (``str.__new__``), for a reason: ``URIRef(value)`` validates the text, which cost
    2.2 s of the 3.1 s that opening the site index of 200,000 sites took (1.3 million IRIs);
    these IRIs were ``URIRef`` terms of the build's own store when written, and the result is the
    same object type, equal to and hashed like ``URIRef(value)``.

    Examples
    --------
    >>> trusted_iri("https://w3id.org/govkg/id/site/a") == URIRef("https://w3id.org/govkg/id/site/a")
    True
    """
    return str.__new__(URIRef, value)


class IriList(Sequence):
    """The IRIs ``texts`` as a read-only list of ``URIRef``, each made when read (``trusted_iri``).

    The rows and columns of an opened site index: 650,000 IRIs at 200,000 sites, of which a
    question about one mechanism reads a few hundred. Equal to a list of the same ``URIRef``s.

    Examples
    --------
    >>> iris = IriList(["https://x/a", "https://x/b"])
    >>> iris[1], URIRef("https://x/a") in iris, "https://x/a" in iris, iris == [URIRef("https://x/a"), URIRef("https://x/b")]
    (rdflib.term.URIRef('https://x/b'), True, False, True)
    """

    __slots__ = ("_texts", "_positions")

    def __init__(self, texts: list[str]):
        self._texts = texts
        self._positions: dict[str, int] | None = None

    def positions(self) -> dict[str, int]:
        """``{IRI text: position}``, made once (from the texts: no ``URIRef`` made)."""
        if self._positions is None:
            self._positions = dict(zip(self._texts, range(len(self._texts))))
        return self._positions

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [trusted_iri(t) for t in self._texts[i]]
        return trusted_iri(self._texts[i])

    def __iter__(self) -> Iterator[URIRef]:
        return map(trusted_iri, self._texts)

    def __contains__(self, value) -> bool:
        return isinstance(value, URIRef) and str(value) in self._texts  # a URIRef never equals a plain str

    def __eq__(self, other) -> bool:
        if isinstance(other, IriList):
            return self._texts == other._texts
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"IriList({len(self)} IRIs)"


def write_labels(conn, labels: Mapping, kinds: Mapping) -> None:
    """Create the label table in the open sqlite connection ``conn`` and fill it with ``labels``
    (``{iri: {"zh"?, "en"?}}``), each term of the index table ``kinds[iri]``.

    Examples
    --------
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:")
    >>> write_labels(conn, {"https://x/a": {"zh": "“甲”村", "en": "A"}}, {"https://x/a": "site"})
    >>> conn.execute("SELECT * FROM labels").fetchall()
    [('https://x/a', '“甲”村', 'A', '甲村', 'a', 'a', 'site')]
    """
    from .analysis.matching import normalize

    def norm(text):
        return normalize(text) if text else None

    conn.execute(SCHEMA)
    conn.executemany("INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?)",
                     ((str(k), v.get("zh"), v.get("en"), norm(v.get("zh")), norm(v.get("en")),
                       str(k).rsplit("/", 1)[-1].casefold(), kinds[k])
                      for k, v in sorted(labels.items(), key=lambda kv: str(kv[0]))))


class LabelTable(Mapping):
    """``{iri: {"zh": …, "en": …}}`` of a build: the terms of ``base`` in memory, every other term
    read from the label table of ``db`` when first asked for (an indexed look-up), then kept.

    The site index's ``labels``: a command about a few sites of 200,000 reads their labels, not
    all 600,000 site and organization labels (1.5 s of JSON). Iterating (or ``len``) reads the
    whole table once. Look-ups take ``URIRef`` or ``str`` keys alike; iteration yields ``URIRef``.
    Safe to share between threads (``govkg serve``).

    Parameters
    ----------
    base : dict
        Labels held in memory (mechanisms and kinds: a search by name ranks all of them).
    db : Path
        The sqlite file with a ``labels`` table (``write_labels``).
    store : pyoxigraph.Store, optional
        Where the labels are read (``rdfs:label``) when ``db`` does not exist (a store written
        without its evidence file).
    """

    def __init__(self, base: dict, db: Path, store=None):
        self._base = {str(k): v for k, v in base.items()}
        self._db, self._store = db, store
        self._read: dict = {}
        self._all = False
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _rows(self, sql: str, args: tuple | dict = ()) -> list:
        from urllib.parse import quote

        if self._store is not None and not self._db.exists():
            return self._store_rows(args[0] if isinstance(args, tuple) and args else None)
        with self._lock:
            try:
                if self._conn is None:
                    if not self._db.is_file() or self._db.is_symlink():
                        raise sqlite3.OperationalError("missing")
                    conn = sqlite3.connect(f"file:{quote(str(self._db.resolve()))}?mode=ro", uri=True,
                                           check_same_thread=False)
                    conn.execute("PRAGMA trusted_schema=OFF")
                    self._conn = conn
                rows = self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise GovkgError(f"the label table of {self._db} cannot be read ({exc}): run `govkg build --full`") from None
        if not all(isinstance(r[0], str) and all(x is None or isinstance(x, (str, int)) for x in r[1:]) for r in rows):
            raise GovkgError(f"the label table of {self._db} holds values of the wrong kind: run `govkg build --full`")
        return rows

    def _store_rows(self, iri: str | None) -> list:
        """The rows of ``iri`` (None: every labelled term) read from the store's ``rdfs:label``."""
        import pyoxigraph as ox
        from rdflib import Literal
        from rdflib.namespace import RDFS

        from .analysis.labels import label_dict

        subject = ox.NamedNode(iri) if iri is not None else None
        found = label_dict((q.subject.value, Literal(q.object.value, lang=q.object.language or None))
                           for q in self._store.quads_for_pattern(
            subject, ox.NamedNode(str(RDFS.label)), None, ox.DefaultGraph()) if isinstance(q.object, ox.Literal))
        return [(k, v.get("zh"), v.get("en")) for k, v in found.items()]

    @staticmethod
    def _value(zh, en) -> dict:
        return {k: v for k, v in (("zh", zh), ("en", en)) if v is not None}

    def __getitem__(self, iri) -> dict:
        key = str(iri)
        found = self._base.get(key)
        if found is None:
            found = self._read.get(key)
        if found is not None:
            return found
        if not self._all:
            rows = self._rows("SELECT iri, zh, en FROM labels WHERE iri = ?", (key,))
            if rows:
                self._read[key] = found = self._value(*rows[0][1:])
                return found
        raise KeyError(iri)

    def _load(self) -> None:
        if not self._all:
            self._read = {r[0]: self._value(*r[1:]) for r in self._rows("SELECT iri, zh, en FROM labels")}
            self._all = True

    def __iter__(self) -> Iterator[URIRef]:
        self._load()
        return iter([trusted_iri(k) for k in {**self._base, **self._read}])

    def __len__(self) -> int:
        self._load()
        return len(self._base.keys() | self._read.keys())

    def __contains__(self, iri) -> bool:
        try:
            self[iri]
        except KeyError:
            return False
        return True

    def rank(self, name: str, kind: str) -> list[tuple[int, URIRef]] | None:
        """``govkg.analysis.matching.rank_matches`` of ``name`` over the terms of ``kind``, computed by
        SQLite over the label table (200,000 sites in 0.1 s, not 200,000 look-ups); None when this
        table cannot (labels read from the store)."""
        from .analysis.matching import normalize

        if self._store is not None and not self._db.exists():
            return None
        n = normalize(name)
        if not n:
            return []
        rows = self._rows(f"SELECT iri, {_SCORE} AS sc FROM labels WHERE kind = :k AND sc > 0 "
                          f"ORDER BY sc DESC, iri", {"n": n, "k": kind})
        return [(int(sc), trusted_iri(iri)) for iri, sc in rows]

    def near(self, name: str, kind: str, limit: int = 2_000) -> list[str]:
        """Labels of ``kind`` sharing pairs of characters with ``name``, those sharing the most first (at
        most ``limit`` terms): the texts a "Did you mean" hint compares ``name`` with (``difflib`` over
        200,000 labels took 10 s)."""
        from .analysis.matching import normalize

        n = normalize(name)
        grams = sorted({n[i:i + 2] for i in range(max(1, len(n) - 1))} - {""})[:16]
        if not grams or (self._store is not None and not self._db.exists()):
            return []
        shared = " + ".join(f"(instr(coalesce(nzh, '') || ' ' || coalesce(nen, ''), :g{i}) > 0)"
                            for i in range(len(grams)))
        rows = self._rows(f"SELECT iri, zh, en, {shared} AS hits FROM labels WHERE kind = :k AND hits > 0 "
                          f"ORDER BY hits DESC, iri LIMIT :lim",
                          {"k": kind, "lim": limit, **{f"g{i}": g for i, g in enumerate(grams)}})
        return [t for _iri, zh, en, _hits in rows for t in (zh, en) if t]

    def close(self) -> None:
        """Close the sqlite connection (it is also closed when the table is garbage)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
