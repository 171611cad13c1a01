"""Write output files safely: regular files only, atomically, one file or a whole set at once."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import time
from pathlib import Path

from .errors import GovkgError

__all__ = ["write_atomic", "write_set", "check_target", "exclusive_lock", "finish_interrupted", "TEMP_PREFIX"]

#: Every temporary file starts with this prefix followed by the writer's pid, e.g.
#: ``.govkg-tmp-4242-1a2b3c-govkg.nt``; a set's journal ends in ``.set.json``.
TEMP_PREFIX = ".govkg-tmp-"

#: Temporary files of a dead process are removed once they are this old (seconds).
STALE_AFTER = 60.0

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_target(path: str | Path) -> tuple[Path, os.stat_result | None]:
    """Where writing ``path`` will really write, and the current status of that file.

    ``path`` must be a regular file or a new path. A symbolic link is followed: the file
    it points to is replaced (the link stays a link). A device, FIFO, socket or folder is
    refused, so ``-o /dev/null`` never replaces ``/dev/null``.

    Returns
    -------
    (Path, os.stat_result or None)
        The real target path, and its status (``None`` when the file does not exist yet).

    Raises
    ------
    GovkgError
        When ``path`` is not a regular file, or its folder cannot hold a file.

    Examples
    --------
    >>> try:
    ...     check_target("/dev/null")
    ... except GovkgError as e:
    ...     print(e)
    refusing to write /dev/null: it is a character device, not a regular file
    """
    from .args import as_path

    shown = as_path(path, "path")
    real = Path(os.path.realpath(shown))  # follows symbolic links, also dangling ones
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise GovkgError(f"cannot write {shown}: a parent of it is a file, not a folder") from None
    except OSError as exc:
        raise GovkgError(f"cannot write {shown}: {_why(exc)}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise GovkgError(f"refusing to write {shown}: it is {_kind(st.st_mode)}, not a regular file")
    return real, st



@contextlib.contextmanager
def exclusive_lock(path: str | Path, *, what: str | None = None, mode: int = 0o600, follow_link: bool = True):
    """Hold an exclusive advisory lock (``flock``) on the file ``path`` for the ``with`` block.

    The file is created when missing (``mode``), must be a regular file, and is left in place
    afterwards. A symbolic link at ``path`` is followed as ``check_target`` does (the file it
    points to is locked, and made when missing), or, with ``follow_link=False``, refused (for a
    folder someone else may have prepared). Closing it at the end of the block releases the lock; a second
    holder waits until then. Its folder must exist.

    Parameters
    ----------
    path : str or Path
        The lock file.
    what : str, optional
        What is locked, for the error message (default: ``path``).
    mode : int
        The permissions of a new lock file.
    follow_link : bool
        Whether a symbolic link at ``path`` is followed (else it is an error).

    Raises
    ------
    GovkgError
        When the file cannot be opened or created, or is not a regular file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with exclusive_lock(Path(d) / ".lock"):
    ...         print("locked")
    locked
    """
    import fcntl

    real = check_target(path)[0] if follow_link else Path(path)
    what = what or str(path)
    try:
        fd = os.open(real, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if not follow_link and os.path.islink(real):
            raise GovkgError(f"cannot lock {what}: {real} is a symbolic link; not locking through it") from None
        raise GovkgError(f"cannot lock {what}: {_why(exc)}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise GovkgError(f"cannot lock {what}: {real} is not a regular file: remove it")
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

def _make_parent(real: Path, shown: Path) -> None:
    parent = real.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise GovkgError(f"cannot write {shown}: {parent} is a file, not a folder") from None
    except NotADirectoryError:
        raise GovkgError(f"cannot write {shown}: a parent of it is a file, not a folder") from None
    except OSError as exc:
        raise GovkgError(f"cannot create the folder {parent} for {shown}: {_why(exc)}") from None
    if not parent.is_dir():
        raise GovkgError(f"cannot write {shown}: {parent} is not a folder")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _temp_pid(name: str) -> int | None:
    head = name[len(TEMP_PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _ours(st: os.stat_result) -> bool:
    """A regular file (not a link) of this user that no one else may write."""
    return (stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_nlink == 1
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _replayable(journal: Path, pid: int) -> list[tuple[str, str]] | None:
    """The renames a journal asks for, or ``None`` unless it is one this user's govkg wrote.

    Only a journal that ``lstat`` shows as a regular file of ours, not writable by others, is
    read; each of its renames must move a temporary file of the same run (``TEMP_PREFIX`` and
    the journal's pid, a regular file of ours, not a link) onto a plain name in the same
    folder, with no symbolic link on either path. One pair out of line and the whole journal
    is ignored: a planted journal never moves anything (issue 23 H2).
    """
    try:
        if not _ours(os.lstat(journal)):
            return None
        moves = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(moves, list) or not moves:
        return None
    pairs = []
    for pair in moves:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            return None
        tmp, final = Path(pair[0]), Path(pair[1])
        if not (tmp.is_absolute() and final.is_absolute() and tmp.parent == final.parent
                and tmp.name.startswith(f"{TEMP_PREFIX}{pid}-") and not final.name.startswith(TEMP_PREFIX)
                and os.path.realpath(tmp.parent) == str(tmp.parent)):
            return None
        try:
            tst = os.lstat(tmp)
        except FileNotFoundError:
            continue  # already moved in before the run died
        except OSError:
            return None
        if not _ours(tst):
            return None
        try:
            fst = os.lstat(final)
        except FileNotFoundError:
            fst = None
        except OSError:
            return None
        if fst is not None and not stat.S_ISREG(fst.st_mode):
            return None
        pairs.append((str(tmp), str(final)))
    return pairs


def finish_interrupted(folder: str | Path, *, stale_after: float = STALE_AFTER) -> list[Path]:
    """Finish or clean up what killed govkg runs left in ``folder``; return the files completed.

    A set of files (``write_set``) whose journal was written before the run died is
    completed: every file of the set is moved in, so the set is never half old, half new.
    Only journals this user's govkg wrote are replayed (see ``_replayable``): a journal
    planted by someone else, or one that names files outside its own set, is left alone.
    Other temporary files of this user (names starting with ``TEMP_PREFIX`` and the pid of a
    process that no longer runs, older than ``stale_after`` seconds) are removed. Files of
    running processes, of other users and files not made by govkg are never touched. Nothing
    is raised.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".govkg-tmp-999999999-ab-x.nt").write_text("partial")
    >>> finish_interrupted(d, stale_after=0)
    []
    >>> sorted(p.name for p in d.iterdir())
    []
    """
    folder = Path(folder)
    done: list[Path] = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return done
    now = time.time()

    def stale(name: str) -> bool:
        pid = _temp_pid(name)
        if pid is None or _pid_alive(pid):
            return False
        try:
            st = os.lstat(folder / name)
        except OSError:
            return False
        return st.st_uid == os.getuid() and now - st.st_mtime >= stale_after

    # Journals first: a complete journal means every temporary file of the set was written.
    for name in sorted(n for n in names if n.endswith(".set.json") and stale(n)):
        journal = folder / name
        pid = _temp_pid(name)
        pairs = None if pid is None else _replayable(journal, pid)
        if pairs is None:
            continue
        try:
            for tmp, final in pairs:
                os.replace(tmp, final)
                done.append(Path(final))
            os.unlink(journal)
        except OSError:
            pass
    for name in names:
        p = folder / name
        if os.path.lexists(p) and stale(name):
            try:
                os.unlink(p)
            except OSError:
                pass
    return done


def _mode_for(st: os.stat_result | None) -> int:
    if st is not None:
        return stat.S_IMODE(st.st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_temp(real: Path, shown: Path, st: os.stat_result | None, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``real`` with the mode (and owner) of ``st``."""
    tmp = real.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{real.name}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise GovkgError(f"cannot write {shown}: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _mode_for(st))
            if st is not None and hasattr(os, "fchown"):
                try:  # keep the owner when allowed (root, or the same user)
                    os.fchown(f.fileno(), st.st_uid, st.st_gid)
                except OSError:
                    pass
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        _unlink(tmp)
        raise GovkgError(f"cannot write {shown}: {_why(exc)}") from None
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise GovkgError(f"expected bytes or str to write, got {type(data).__name__}")


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    - Only a regular file or a new path is written: a folder, device (``/dev/null``), FIFO
      or socket is refused with a ``GovkgError``, and nothing is written.
    - A symbolic link is written **through**: the file it points to is replaced and the
      link stays as it was.
    - An existing file keeps its permissions (a 0600 file stays 0600) and, when allowed,
      its owner; a new file gets the usual mode (0666 minus the umask).
    - Missing folders are created. A failure (unwritable folder, ``/proc/…``, a parent
      that is a file) raises ``GovkgError`` naming the path and the reason, and leaves any
      previous file untouched.
    - Temporary files are named ``.govkg-tmp-<pid>-…``; those of killed runs are removed by
      the next write into the same folder (``finish_interrupted``).

    Parameters
    ----------
    path : str or Path
    data : bytes or str
        Text is written as UTF-8.

    Returns
    -------
    Path
        ``path`` as given.

    Raises
    ------
    GovkgError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out" / "a.txt"
    >>> write_atomic(p, "海口").read_text(encoding="utf-8")
    '海口'
    """
    from .args import as_path

    return write_set({as_path(path, "path"): data})[0]


def write_set(paths_to_bytes: dict) -> list[Path]:
    """Write several files as one set: after a crash either all are new or all are old.

    Every target is checked first (as in ``write_atomic``), so a refused path writes
    nothing. Then every file is written to a temporary file beside its target, a journal
    listing the renames (``.govkg-tmp-<pid>-….set.json``) is written last, and the files are
    renamed into place. A run killed during the renames leaves the journal behind; the next
    ``write_set``/``write_atomic`` into that folder, or ``finish_interrupted(folder)`` (to be
    called by readers before they trust the folder), completes the set. A run killed before
    the journal leaves only temporary files, which are removed: the old set stays whole.

    Parameters
    ----------
    paths_to_bytes : dict
        Path -> bytes or str (UTF-8).

    Returns
    -------
    list of Path
        The paths, in the order given.

    Raises
    ------
    GovkgError
        When a path is refused or cannot be written; the old files are left as they were.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_set({d / "nodes.csv": "id\\n", d / "edges.csv": b"a,b\\n"})]
    ['nodes.csv', 'edges.csv']
    """
    from .args import as_path

    if not isinstance(paths_to_bytes, dict):
        raise GovkgError(f"write_set needs a dict of path -> bytes or str, not {type(paths_to_bytes).__name__}")
    items = [(as_path(p, "path"), _as_bytes(b)) for p, b in paths_to_bytes.items()]
    if not items:
        return []
    targets = []
    seen = set()
    for shown, data in items:
        real, st = check_target(shown)
        if real in seen:
            raise GovkgError(f"cannot write {shown}: the same file is written twice in one set")
        seen.add(real)
        targets.append((shown, real, st, data))
    for shown, real, _st, _data in targets:
        _make_parent(real, shown)
    folders = sorted({real.parent for _s, real, _st, _d in targets})
    for folder in folders:
        finish_interrupted(folder)
    temps: list[Path] = []
    journal = None
    try:
        for shown, real, st, data in targets:
            temps.append(_write_temp(real, shown, st, data))
        if len(targets) > 1:
            first = targets[0][1]
            journal = first.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.set.json")
            moves = [[str(t), str(real)] for t, (_s, real, _st, _d) in zip(temps, targets)]
            try:  # only this user may write it: others' journals are never replayed
                fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(moves, f)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as exc:
                raise GovkgError(f"cannot write {targets[0][0]}: {_why(exc)}") from None
    except BaseException:
        for t in temps:
            _unlink(t)
        if journal is not None:
            _unlink(journal)
        raise
    # From here on the new set is complete on disk: move it in, whatever happens.
    failed = None
    for tmp, (shown, real, _st, _d) in zip(temps, targets):
        try:
            os.replace(tmp, real)
        except OSError as exc:
            failed = failed or GovkgError(f"cannot write {shown}: {_why(exc)}")
            _unlink(tmp)
    if failed is not None:
        if journal is not None:
            _unlink(journal)
        raise failed
    if journal is not None:
        _unlink(journal)
    for folder in folders:
        _fsync_dir(folder)
    return [shown for shown, _r, _st, _d in targets]
