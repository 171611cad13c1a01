"""The build manifest: what a ``build/`` folder was made from, so that it is trusted only for those inputs."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

from .writers import write_atomic

__all__ = ["FORMAT", "MANIFEST", "input_hashes", "ontology_hash", "code_hash", "govkg_version", "expected",
           "input_state", "read_manifest", "stale_reason", "verified_bytes", "manifest_bytes", "write_manifest", "digest", "text_hashes"]

#: Version of the manifest and of the build layout; a change makes every older build stale.
FORMAT = 2
#: The manifest's file name inside the build folder (written after every output it names).
MANIFEST = "manifest.json"


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` as ``sha256:<hex>``.

    Examples
    --------
    >>> digest(b"")[:20]
    'sha256:e3b0c44298fc1'
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


def input_files(data_dir: str | Path) -> list[Path]:
    """The files ``load_data`` reads: every ``*.yaml`` below ``data_dir``, sorted."""
    return sorted(p for p in Path(data_dir).rglob("*.yaml") if p.is_file())


def input_hashes(data_dir: str | Path) -> dict[str, str]:
    """The content hash of every data file, by its path relative to ``data_dir`` (POSIX form).

    Content, not modification time: an edit that keeps the old mtime is seen.
    """
    return input_state(data_dir)[0]


def _yaml_files(top: str) -> list[str]:
    """The paths of ``*.yaml`` below ``top``, sorted: what ``Path(top).rglob("*.yaml")`` lists
    (directory links not followed), as strings from ``os.scandir`` (15× faster for 20,000 files)."""
    import os

    out, stack = [], [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for e in entries:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    elif e.name.endswith(".yaml"):
                        out.append(e.path)
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            continue
    return sorted(out)


def _stamp(st) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def input_state(data_dir: str | Path, known: dict | None = None) -> tuple[dict[str, str], dict[str, list[int]]]:
    """``(hashes, stamps)`` of every data file: its content hash and its ``[size, mtime, ctime, inode]``.

    A file whose stamp equals the one recorded in ``known`` (a manifest) keeps the hash recorded
    there; every other file is read and hashed. The change time (ctime) is set by the system
    on every write and cannot be set back by ``touch`` or by a program keeping the old
    modification time, so an edit is always seen; reading 20,000 unchanged files is avoided.
    """
    import os
    import stat

    old_hashes = (known or {}).get("inputs") or {}
    old_stamps = (known or {}).get("stamps") or {}
    hashes, stamps = {}, {}
    base = str(Path(data_dir))
    cut = len(base.rstrip(os.sep)) + 1
    for name in _yaml_files(base):
        try:
            st = os.stat(name)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        rel = name[cut:].replace(os.sep, "/")
        stamp = _stamp(st)
        h = old_hashes.get(rel)
        if h is None or old_stamps.get(rel) != stamp:
            with open(name, "rb") as f:
                h = digest(f.read())
        hashes[rel], stamps[rel] = h, stamp
    return hashes, stamps


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
    """The manifest of ``build_dir``, or None when it is missing or unreadable."""
    try:
        m = json.loads((Path(build_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(m, dict):
        return None
    # a manifest edited by hand (or by anyone) is trusted only in the shape this module writes
    if not isinstance(m.get("inputs", {}), dict) or not isinstance(m.get("outputs", {}), dict) or not all(
            isinstance(k, str) and isinstance(v, str) for part in ("inputs", "outputs") for k, v in m.get(part, {}).items()):
        return None
    stamps = m.get("stamps", {})
    if not isinstance(stamps, dict) or not all(isinstance(v, list) for v in stamps.values()):
        return None
    return m


def stale_reason(build_dir: str | Path, data_dir: str | Path, manifest: dict | None = None) -> str | None:
    """Why ``build_dir`` cannot be trusted for ``data_dir`` now, or None when it can.

    Compares the manifest with the data folder (its resolved path and every file's content
    hash), the ontology files and the govkg version. The outputs themselves are checked
    against their hashes when read (``verified_bytes``). ``manifest``: the one already read
    from ``build_dir`` (at 200,000 data files it is 60 MB of JSON: read once, not per check).
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
    try:
        inputs = input_state(data_dir, m)[0]
    except OSError as exc:
        return f"cannot read the data folder: {exc}"
    if m.get("inputs") != inputs:
        old = m.get("inputs") or {}
        changed = sorted(k for k in set(old) | set(inputs) if old.get(k) != inputs.get(k))
        return f"data changed since the build: {', '.join(changed[:3])}{' …' if len(changed) > 3 else ''}"
    if not isinstance(m.get("outputs"), dict) or not isinstance(m.get("generation"), str):
        return "manifest names no outputs"
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
    """The text of ``manifest.json``: ``fields`` (see ``expected``), the hash of each output, ``extra``."""
    m = dict(fields)
    m["outputs"] = {name: digest(data) for name, data in sorted(outputs.items())}
    m.update(extra)
    return (json.dumps(m, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_manifest(build_dir: str | Path, fields: dict, outputs: dict[str, bytes], **extra) -> Path:
    """Write ``manifest.json`` (atomically) naming ``outputs`` with their hashes; call it after writing them."""
    return write_atomic(Path(build_dir) / MANIFEST, manifest_bytes(fields, outputs, **extra))
