"""The build manifest: what a ``build/`` folder was made from, so that it is trusted only for those inputs."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

from .writers import write_atomic

__all__ = ["FORMAT", "MANIFEST", "INPUTS", "input_hashes", "ontology_hash", "code_hash", "govkg_version", "expected",
           "input_state", "read_manifest", "stale_reason", "verified_bytes", "manifest_bytes", "write_manifest", "digest",
           "text_hashes", "stamps_digest", "data_digest", "DigestApart", "write_inputs", "read_inputs", "input_count"]

#: Version of the manifest and of the build layout; a change makes every older build stale.
#: 3: the per-file tables (content hash and stamp of every data file) moved to ``INPUTS``.
FORMAT = 3
#: The manifest's file name inside the build folder (written after every output it names).
MANIFEST = "manifest.json"
#: The table of every data file's content hash and stamp, beside the manifest (which records its hash):
#: 39 MB at 200,000 data files, read only when the data folder's stamps differ from the build's.
INPUTS = "inputs.json"


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` as ``sha256:<hex>``.

    Examples
    --------
    >>> digest(b"")[:20]
    'sha256:e3b0c44298fc1'
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


def input_count(data_dir: str | Path) -> int:
    """How many files ``load_data`` reads: the regular ``*.yaml`` files below ``data_dir``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_text("x: 1"), (d / "b.txt").write_text("")
    >>> input_count(d)
    1
    """
    return sum(1 for _ in _walk(str(Path(data_dir))))


def input_hashes(data_dir: str | Path) -> dict[str, str]:
    """The content hash of every data file, by its path relative to ``data_dir`` (POSIX form).

    Content, not modification time: an edit that keeps the old mtime is seen.
    """
    return input_state(data_dir)[0]


def _walk(top: str):
    """``(relpath, stat)`` of every regular ``*.yaml`` file below ``top`` (POSIX relative paths, in no order).

    The files ``Path(top).rglob("*.yaml")`` lists (directory links not followed, file links
    followed), as ``os.scandir`` names stat-ed relative to their open folder (``dir_fd``): at
    200,000 files the walk and stat take 0.9 s where ``rglob`` and ``Path.stat`` take several.
    A folder or file that vanishes or cannot be read meanwhile is left out.
    """
    import os
    import stat

    by_fd = os.stat in os.supports_dir_fd and os.scandir in os.supports_fd
    regular, stat_, join = stat.S_ISREG, os.stat, os.path.join
    stack = [("", top)]
    while stack:
        prefix, folder = stack.pop()
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if by_fd else None
        except OSError:
            continue
        try:
            with os.scandir(folder if fd is None else fd) as entries:
                for e in entries:
                    name = e.name
                    if e.is_dir(follow_symlinks=False):
                        stack.append((prefix + name + "/", join(folder, name)))
                    elif name.endswith(".yaml"):
                        try:
                            st = stat_(join(folder, name)) if fd is None else stat_(name, dir_fd=fd)
                        except OSError:
                            continue
                        if regular(st.st_mode):
                            yield prefix + name, st
        except OSError:
            continue
        finally:
            if fd is not None:
                os.close(fd)


def _stamp(st) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def input_state(data_dir: str | Path, known: tuple[dict[str, str], dict[str, list[int]]] | None = None
                ) -> tuple[dict[str, str], dict[str, list[int]]]:
    """``(hashes, stamps)`` of every data file: its content hash and its ``[size, mtime, ctime, inode]``.

    A file whose stamp equals the one recorded in ``known`` (a build's ``read_inputs``) keeps the
    hash recorded there; every other file is read and hashed. The change time (ctime) is set by
    the system on every write and cannot be set back by ``touch`` or by a program keeping the old
    modification time, so an edit is always seen; reading 20,000 unchanged files is avoided.

    Raises
    ------
    OSError
        A file listed cannot be read (removed or made unreadable while the folder is read).
    """
    import os

    old_hashes, old_stamps = known or ({}, {})
    hashes, stamps = {}, {}
    base = str(Path(data_dir))
    for rel, st in sorted(_walk(base)):
        stamp = _stamp(st)
        h = old_hashes.get(rel)
        if h is None or old_stamps.get(rel) != stamp:
            with open(os.path.join(base, rel), "rb") as f:
                h = digest(f.read())
        hashes[rel], stamps[rel] = h, stamp
    return hashes, stamps


def stamps_digest(stamps: dict[str, list[int]]) -> str:
    """One hash over the ``(relpath, stamp)`` pairs of ``stamps`` (see ``input_state``), sorted by path.

    Examples
    --------
    >>> a = stamps_digest({"a.yaml": [1, 2, 3, 4], "b.yaml": [5, 6, 7, 8]})
    >>> a == stamps_digest({"b.yaml": [5, 6, 7, 8], "a.yaml": [1, 2, 3, 4]}), a == stamps_digest({"a.yaml": [1, 2, 3, 5]})
    (True, False)
    """
    return _lines_digest([f"{rel}\0{s[0]} {s[1]} {s[2]} {s[3]}" for rel, s in stamps.items()])


def data_digest(data_dir: str | Path) -> str:
    """``stamps_digest`` of the data folder as it is now, without hashing or keeping any file's content.

    What a reader pays to know the data folder is the one built (at 200,000 files: one walk and
    one ``stat`` per file, no per-file table): equal to the build's ``stamps_digest``, every
    file has the size, times and inode it had then, so the same content (``input_state``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_text("x: 1")
    >>> data_digest(d) == stamps_digest(input_state(d)[1])
    True
    """
    return _lines_digest([f"{rel}\0{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"
                          for rel, st in _walk(str(Path(data_dir)))])


class DigestApart:
    """``data_digest(data_dir)`` computed in a forked process while this one goes on; ``result()`` waits for it.

    A read command's freshness check is one ``stat`` of every data file (0.9 s at 200,000
    files), most of it Python's loop, which holds Python's lock: on a thread it only takes turns
    with the store's opening and the index's reading. A child forked for it runs on another core.
    It is forked only where that is safe: on Linux (``/proc/self/task`` lists the threads), when
    this process has no thread but its main one (a fork copies the locks other threads hold, held
    for ever in the child). Otherwise, or when the child fails, ``result()`` computes the digest
    here. The child only walks the folder and writes the digest to a pipe, then leaves with
    ``os._exit`` (no exit handlers, no buffers of the parent flushed). ``close()`` ends a child
    whose answer is no longer wanted. ``fork=False``: computed here (a small folder, whose walk
    costs less than a process).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_text("x: 1")
    >>> DigestApart(d).result() == data_digest(d)
    True
    """

    def __init__(self, data_dir: str | Path, fork: bool = True):
        import os

        self._dir, self._read = data_dir, -1
        self._value: str | None = None
        self._pid: int | None = None
        #: Whether a child was forked to compute the digest (False: ``result()`` computes it here).
        self.forked = fork and hasattr(os, "fork") and _alone()
        if not self.forked:
            return
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a limit reached): computed here
            os.close(r)
            os.close(w)
            self.forked = False
            return
        if pid == 0:  # the child
            code = 1
            try:
                os.close(r)
                os.write(w, data_digest(data_dir).encode("ascii"))  # ~71 bytes: one write (PIPE_BUF ≥ 512)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self._pid, self._read = pid, r

    def result(self) -> str:
        """The digest: the child's answer, or computed here when there was no child or it failed."""
        import os

        if self._value is None and self._pid is not None:
            chunks = []
            while chunk := os.read(self._read, 256):
                chunks.append(chunk)
            os.close(self._read)
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            text = b"".join(chunks).decode("ascii", "replace")
            if os.waitstatus_to_exitcode(status) == 0 and text.startswith("sha256:"):
                self._value = text
        if self._value is None:
            self._value = data_digest(self._dir)
        return self._value

    def close(self) -> None:
        """End the child, if it still runs (its answer is not wanted)."""
        import os
        import signal

        if self._pid is not None:
            os.close(self._read)
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = None


def _alone() -> bool:
    """Whether this process runs one thread only (Linux: as the system counts them, native threads too)."""
    import os
    import threading

    try:
        return threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _lines_digest(lines: list[str]) -> str:
    """The hash of ``lines`` sorted (a path ends at NUL, which sorts first: the order of the paths)."""
    lines.sort()
    return digest("\n".join(lines).encode("utf-8", "surrogateescape"))


def ontology_hash() -> str:
    """One hash over every file shipped in ``govkg.ontology`` (terms, kinds, units, shapes, checks)."""
    h = hashlib.sha256()

    def walk(d, prefix=""):
        for p in sorted(d.iterdir(), key=lambda p: p.name):
            if p.is_dir():
                if p.name != "__pycache__":
                    walk(p, prefix + p.name + "/")
            elif p.name.endswith((".ttl", ".rq")):
                h.update((prefix + p.name).encode() + b"\0" + p.read_bytes() + b"\0")

    walk(files("govkg.ontology"))
    return "sha256:" + h.hexdigest()


def code_hash() -> str:
    """One hash over govkg's own modules (``govkg/*.py``): in a checkout the version stays the same
    while the loader, compiler or checks change, and a build or parse made by other code is not trusted.

    Examples
    --------
    >>> code_hash() == code_hash(), code_hash()[:7]
    (True, 'sha256:')
    """
    h = hashlib.sha256()
    for p in sorted(files("govkg").iterdir(), key=lambda p: p.name):
        if p.name.endswith(".py"):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def govkg_version() -> str:
    """The installed govkg version (a build by another version is not trusted)."""
    from . import version

    return version.__version__


def expected(data_dir: str | Path, *, inputs: dict[str, str] | None = None, include_drafts: bool = False) -> dict:
    """The manifest fields a build of ``data_dir`` made now would have (outputs left out)."""
    return {
        "format": FORMAT,
        "include_drafts": include_drafts,
        "govkg": govkg_version(),
        "code": code_hash(),
        "data_dir": str(Path(data_dir).resolve()),
        "ontology": ontology_hash(),
        "inputs": inputs if inputs is not None else input_hashes(data_dir),
    }


def read_manifest(build_dir: str | Path) -> dict | None:
    """The manifest of ``build_dir``, or None when it is missing or unreadable.

    Small at any size of data folder: the per-file tables are in ``INPUTS`` (``read_inputs``).
    """
    try:
        m = json.loads((Path(build_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(m, dict):
        return None
    # a manifest edited by hand (or by anyone) is trusted only in the shape this module writes
    outputs = m.get("outputs", {})
    if not isinstance(outputs, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()):
        return None
    if not all(isinstance(m.get(k, ""), str) for k in ("inputs_sha", "stamps_digest")):
        return None
    return m


def write_inputs(build_dir: str | Path, hashes: dict[str, str], stamps: dict[str, list[int]]) -> dict[str, str]:
    """Write ``INPUTS`` (atomically): the content hash and stamp of every data file (``input_state``).

    Call it before writing the manifest; returns the manifest fields naming it: ``inputs_sha``
    (the hash of the file: a changed or foreign table is not trusted) and ``stamps_digest``.
    """
    data = json.dumps({"inputs": hashes, "stamps": stamps}, sort_keys=True, separators=(",", ":")).encode("utf-8")
    write_atomic(Path(build_dir) / INPUTS, data)
    return {"inputs_sha": digest(data), "stamps_digest": stamps_digest(stamps)}


def read_inputs(build_dir: str | Path, manifest: dict | None) -> tuple[dict[str, str], dict[str, list[int]]] | None:
    """``(hashes, stamps)`` of every data file of the build ``manifest`` describes (see ``write_inputs``).

    None when ``INPUTS`` is missing, unreadable, not the table the manifest names (its hash) or
    not of the shape written: a build then counts as made from other data.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> m = write_inputs(d, {"a.yaml": "sha256:0"}, {"a.yaml": [1, 2, 3, 4]})
    >>> read_inputs(d, m), read_inputs(d, {"inputs_sha": "sha256:0"})
    (({'a.yaml': 'sha256:0'}, {'a.yaml': [1, 2, 3, 4]}), None)
    """
    want = (manifest or {}).get("inputs_sha")
    if not isinstance(want, str):
        return None
    try:
        data = (Path(build_dir) / INPUTS).read_bytes()
    except OSError:
        return None
    if digest(data) != want:
        return None
    try:
        table = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(table, dict):
        return None
    hashes, stamps = table.get("inputs"), table.get("stamps")
    if not isinstance(hashes, dict) or not isinstance(stamps, dict) or not all(
            isinstance(v, str) for v in hashes.values()) or not all(isinstance(v, list) for v in stamps.values()):
        return None
    return hashes, stamps


def stale_reason(build_dir: str | Path, data_dir: str | Path, manifest: dict | None = None,
                 digest: DigestApart | None = None) -> str | None:
    """Why ``build_dir`` cannot be trusted for ``data_dir`` now, or None when it can.

    Compares the manifest with the data folder (its resolved path and every file's content
    hash), the ontology files and the govkg version. The outputs themselves are checked
    against their hashes when read (``verified_bytes``). ``manifest``: the one already read
    from ``build_dir``. When every data file has the stamp it had at the build (``data_digest``
    equals the manifest's ``stamps_digest``) the content is the same and the table of
    inputs is not read; otherwise the files whose stamp changed are hashed and compared.
    ``digest``: that digest already started (``DigestApart``).
    """
    m = manifest if manifest is not None else read_manifest(build_dir)
    if m is None:
        return "no build manifest"
    if m.get("format") != FORMAT:
        return "build made with another manifest format"
    if m.get("govkg") != govkg_version():
        return f"build made by govkg {m.get('govkg')}, this is {govkg_version()}"
    if m.get("code") != code_hash():
        return "govkg's code changed since the build (same version, other modules: a checkout)"
    if m.get("include_drafts") is not False:
        return "build includes draft entries (govkg build --include-drafts)"
    if m.get("data_dir") != str(Path(data_dir).resolve()):
        return f"build made from another data folder ({m.get('data_dir')})"
    if m.get("ontology") != ontology_hash():
        return "ontology changed since the build"
    if (digest.result() if digest is not None else data_digest(data_dir)) != m.get("stamps_digest"):
        why = _inputs_changed(build_dir, data_dir, m)
        if why is not None:
            return why
    if not isinstance(m.get("outputs"), dict) or not isinstance(m.get("generation"), str):
        return "manifest names no outputs"
    return None


def _inputs_changed(build_dir: str | Path, data_dir: str | Path, m: dict) -> str | None:
    """``stale_reason``'s full comparison: the data files whose content differs from the build's, if any."""
    known = read_inputs(build_dir, m)
    if known is None:
        return f"the build's table of data files ({INPUTS}) is missing or damaged"
    try:
        inputs = input_state(data_dir, known)[0]
    except OSError as exc:
        return f"cannot read the data folder: {exc}"
    old = known[0]
    if old != inputs:
        changed = sorted(k for k in set(old) | set(inputs) if old.get(k) != inputs.get(k))
        return f"data changed since the build: {', '.join(changed[:3])}{' …' if len(changed) > 3 else ''}"
    return None


def verified_bytes(build_dir: str | Path, name: str, manifest: dict | None = None) -> bytes | None:
    """The bytes of output ``name`` when they match the hash the manifest recorded; else None.

    A build interrupted between writing its files and its manifest (or a file changed by hand)
    thus never passes for a build of the current inputs.
    """
    m = manifest if manifest is not None else read_manifest(build_dir)
    want = (m or {}).get("outputs", {}).get(name)
    if not want:
        return None
    try:
        data = (Path(build_dir) / name).read_bytes()
    except OSError:
        return None
    return data if digest(data) == want else None


def text_hashes(texts: dict[str, str]) -> dict[str, str]:
    """The hash of each report text the build read, by source id (a changed text means a full rebuild)."""
    return {sid: digest(text.encode("utf-8")) for sid, text in sorted(texts.items())}


def manifest_bytes(fields: dict, outputs: dict[str, bytes], **extra) -> bytes:
    """The text of ``manifest.json``: ``fields`` (see ``expected``), the hash of each output, ``extra``.

    The content hashes in ``fields["inputs"]`` are left out: they go to ``INPUTS`` (``write_inputs``,
    whose fields ``extra`` then holds).
    """
    m = {k: v for k, v in fields.items() if k != "inputs"}
    m["outputs"] = {name: digest(data) for name, data in sorted(outputs.items())}
    m.update(extra)
    return (json.dumps(m, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(build_dir: str | Path, fields: dict, outputs: dict[str, bytes], **extra) -> Path:
    """Write ``manifest.json`` (atomically) naming ``outputs`` with their hashes; call it after writing them."""
    return write_atomic(Path(build_dir) / MANIFEST, manifest_bytes(fields, outputs, **extra))
