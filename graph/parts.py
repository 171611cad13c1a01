"""The parts of a build: each data file's compiled triples, and the indexes an incremental rebuild needs, in one SQLite file."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from .errors import GovkgError

__all__ = ["NAME", "Parts", "DamagedParts", "label_key", "next_generation"]

#: The file's name inside the build folder.
NAME = "parts.sqlite"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
-- the sorted N-Triples each data file compiles to (its path relative to the data folder), with
-- the number of entries of each section and of evidence sentences checked (JSON)
CREATE TABLE parts (file TEXT PRIMARY KEY, nt BLOB NOT NULL, counts TEXT NOT NULL);
-- the file whose entry defines (types) each node
CREATE TABLE nodes (iri TEXT PRIMARY KEY, file TEXT NOT NULL);
-- which files refer to a node defined in another file
CREATE TABLE refs (iri TEXT NOT NULL, file TEXT NOT NULL, PRIMARY KEY (iri, file)) WITHOUT ROWID;
-- the labels of the nodes, by label_key, with where each was written
CREATE TABLE labels (key TEXT NOT NULL, iri TEXT NOT NULL, file TEXT NOT NULL, lang TEXT NOT NULL,
                     label TEXT NOT NULL, line INTEGER NOT NULL);
CREATE INDEX labels_key ON labels (key);
CREATE INDEX labels_file ON labels (file);
CREATE INDEX refs_file ON refs (file);
CREATE INDEX nodes_file ON nodes (file);
-- lines about nodes no single file defines (a report's date, a period), with how many parts
-- write each: the parts that write any other line are those defining its subject or object
CREATE TABLE shared (line BLOB PRIMARY KEY, n INTEGER NOT NULL);
CREATE INDEX labels_iri ON labels (iri);
"""


def next_generation(previous=None) -> str:
    """The name of the next generation of a build's parts: a count and a random tag, so that
    parts copied from another build folder (or left by a killed build) are never taken for
    the ones a manifest names.

    Examples
    --------
    >>> next_generation("4-0a1b2c3d4e5f").startswith("5-"), next_generation(None).startswith("1-")
    (True, True)
    """
    import secrets

    try:
        count = int(str(previous).split("-", 1)[0]) if previous is not None else 0
    except ValueError:
        count = 0
    return f"{count + 1}-{secrets.token_hex(6)}"


def label_key(label: str) -> str:
    """How two labels are compared for "the same name": spaces collapsed, case folded.

    Examples
    --------
    >>> label_key(" Gaoxin  Community ") == label_key("gaoxin community")
    True
    """
    return " ".join(label.split()).casefold()


class DamagedParts(sqlite3.DatabaseError):
    """A row of a parts database is not in the shape a build writes (a damaged or edited file)."""


#: a part as a build writes it: N-Triples lines of IRIs and literals (no blank nodes)
_PART = re.compile(rb'(?:<[^<>"{}|^`\\\s]*> <[^<>"{}|^`\\\s]*> '
                   rb'(?:<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n\r]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^<[^<>\s]*>)?) \.\n)*')


def _checked(value, kind, what: str):
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DamagedParts(f"{what} is not what a build writes")
    return value


def _counts(text) -> dict:
    try:
        counts = json.loads(_checked(text, str, "a part's counts"))
    except ValueError:
        counts = None
    if not isinstance(counts, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                               and v >= 0 for k, v in counts.items()):
        raise DamagedParts("a part's counts are not what a build writes")
    return counts


class Parts:
    """An open ``parts.sqlite`` of a build folder (see ``govkg.build`` and ``govkg.incremental``)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path, self.conn = path, conn

    # --- making one ----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, *, generation: str, ontology: bytes, parts: Mapping[str, bytes],
               counts: dict[str, dict], nodes: dict[str, str], refs, labels, shared: dict[bytes, int]) -> Path:
        """Write a new database at ``path`` (which must not exist) and return ``path``."""
        path = Path(path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")  # a new file, renamed into place only when complete
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [("generation", generation), ("ontology", ontology)])
            # a generator: the parts may wait on disk (``partindex.Spill``) and are read one at a time
            conn.executemany("INSERT INTO parts VALUES (?, ?, ?)", ((f, nt, json.dumps(counts.get(f, {}), sort_keys=True))
                                                               for f, nt in parts.items()))
            conn.executemany("INSERT INTO nodes VALUES (?, ?)", nodes.items())
            conn.executemany("INSERT OR IGNORE INTO refs VALUES (?, ?)", refs)
            conn.executemany("INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?)", labels)
            conn.executemany("INSERT INTO shared VALUES (?, ?)", shared.items())
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        return path

    @classmethod
    def open(cls, build_dir: str | Path, generation: str | None = None) -> Parts | None:
        """The parts of ``build_dir``, or None when missing, unreadable or of another ``generation``."""
        import stat

        path = Path(build_dir) / NAME
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):  # a link or a device is not ours to write
                return None
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None, timeout=30)
            conn.execute("PRAGMA trusted_schema=OFF")  # no functions run from the schema (views, triggers)
            conn.execute("PRAGMA synchronous=NORMAL")
            parts = cls(path, conn)
            if generation is not None and parts.generation() != generation:
                conn.close()
                return None
            return parts
        except (OSError, sqlite3.Error):
            return None

    def readable(self) -> bool:
        """Whether every table can be read (a cheap look, not an integrity check of each row)."""
        try:
            for table in ("meta", "parts", "nodes", "refs", "labels", "shared"):
                self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()  # noqa: S608 - fixed names
            return True
        except sqlite3.Error:
            return False

    def close(self) -> None:
        self.conn.close()

    # --- reading -------------------------------------------------------------------------------

    def _meta(self, key: str):
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def generation(self) -> str | None:
        """The generation the database holds (``next_generation``): a build trusts it only when its manifest names the same."""
        value = self._meta("generation")
        return value if isinstance(value, str) else None

    def ontology(self) -> bytes:
        """The ontology's N-Triples as the build compiled them."""
        return _checked(self._meta("ontology"), bytes, "the ontology")

    def part(self, file: str) -> bytes | None:
        """The N-Triples of ``file``'s part (None when it has none), checked to be lines as a build writes them.

        Raises
        ------
        DamagedParts
            The row holds something else (text, a number, lines that are not N-Triples).
        """
        row = self.conn.execute("SELECT nt FROM parts WHERE file = ?", (file,)).fetchone()
        if row is None:
            return None
        nt = _checked(row[0], bytes, f"the part of {file}")
        try:
            nt.decode("utf-8")
        except UnicodeDecodeError:
            raise DamagedParts(f"the part of {file} is not UTF-8") from None
        if _PART.fullmatch(nt) is None:
            raise DamagedParts(f"the part of {file} is not N-Triples as a build writes them")
        return nt

    def counts(self, file: str) -> dict:
        """The entries per section and evidence sentences checked of ``file``'s part ({} when none)."""
        row = self.conn.execute("SELECT counts FROM parts WHERE file = ?", (file,)).fetchone()
        return {} if row is None else _counts(row[0])

    def labels_of(self, iri: str) -> dict[str, str]:
        """``{lang: label}`` of a node defined by a data file."""
        return {_checked(lang, str, "a label's language"): _checked(label, str, "a label") for lang, label in
                self.conn.execute("SELECT lang, label FROM labels WHERE iri = ?", (iri,))}

    def ntriples(self) -> bytes:
        """Ontology and every part as one N-Triples document (not sorted; a line may occur twice)."""
        chunks = [self.ontology()]
        chunks += [_checked(r[0], bytes, "a part") for r in self.conn.execute("SELECT nt FROM parts")]
        return b"".join(chunks)

    def blobs(self):
        """``(file, N-Triples)`` of every part, one at a time."""
        for file, nt in self.conn.execute("SELECT file, nt FROM parts"):
            yield _checked(file, str, "a file name"), _checked(nt, bytes, "a part")

    def defining(self, iris) -> dict[str, str]:
        """``{iri: file}`` of the nodes among ``iris`` that a data file defines."""
        out = {}
        for iri in iris:
            row = self.conn.execute("SELECT file FROM nodes WHERE iri = ?", (iri,)).fetchone()
            if row is not None:
                out[iri] = _checked(row[0], str, "a node's file")
        return out

    def defined_in(self, file: str) -> set[str]:
        return {_checked(r[0], str, "a node") for r in self.conn.execute("SELECT iri FROM nodes WHERE file = ?", (file,))}

    def referring(self, iris) -> set[str]:
        """The files that refer to one of ``iris`` (defined in another file)."""
        out: set[str] = set()
        for iri in iris:
            out.update(_checked(r[0], str, "a reference's file")
                       for r in self.conn.execute("SELECT file FROM refs WHERE iri = ?", (iri,)))
        return out

    def same_labels(self, keys) -> list[tuple]:
        """``(key, iri, file, lang, label, line)`` of every label whose ``label_key`` is among ``keys``."""
        out = []
        for key in keys:
            for row in self.conn.execute("SELECT key, iri, file, lang, label, line FROM labels WHERE key = ?", (key,)):
                for value, kind in zip(row, (str, str, str, str, str, int)):
                    _checked(value, kind, "a label's row")
                out.append(row)
        return out

    def unowned_subject(self, iri: str) -> bool:
        """Whether lines about ``iri`` are counted as written by several files (a period, a report's date)."""
        head = f"<{iri}> ".encode()
        row = self.conn.execute("SELECT 1 FROM shared WHERE line >= ? AND line < ? LIMIT 1",
                                (head, head[:-1] + b"!")).fetchone()
        return row is not None

    def shared_count(self, line: bytes) -> int:
        """How many parts write ``line``, a line about a node no single file defines (0 when none)."""
        row = self.conn.execute("SELECT n FROM shared WHERE line = ?", (line,)).fetchone()
        return 0 if row is None else _checked(row[0], int, "a shared line's count")

    # --- changing ------------------------------------------------------------------------------

    def replace(self, generation: str, changed: dict[str, tuple], shared: dict[bytes, int]) -> None:
        """Replace, in one transaction, the rows of each file of ``changed``
        (``{file: (nt, counts, nodes, refs, labels)}``), set the counts of ``shared`` (0 removes
        the row) and the generation. Nothing is changed when it fails."""
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            for file, (nt, counts, nodes, refs, labels) in changed.items():
                if nt:
                    c.execute("INSERT OR REPLACE INTO parts VALUES (?, ?, ?)", (file, nt, json.dumps(counts, sort_keys=True)))
                else:  # a file that compiles to nothing has no part (as in a full build)
                    c.execute("DELETE FROM parts WHERE file = ?", (file,))
                for table in ("nodes", "refs", "labels"):
                    c.execute(f"DELETE FROM {table} WHERE file = ?", (file,))  # noqa: S608 - fixed names
                c.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?)", [(iri, file) for iri in nodes])
                c.executemany("INSERT OR IGNORE INTO refs VALUES (?, ?)", [(iri, file) for iri in refs])
                c.executemany("INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?)", labels)
            for line, n in shared.items():
                if n >= 1:
                    c.execute("INSERT OR REPLACE INTO shared VALUES (?, ?)", (line, n))
                else:
                    c.execute("DELETE FROM shared WHERE line = ?", (line,))
            c.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (generation,))
            c.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                c.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise GovkgError(f"cannot update {self.path}: {exc}") from None

