"""Memory the process has freed, given back to the system."""

from __future__ import annotations

__all__ = ["release_memory", "malloc_restart"]


def release_memory() -> None:
    """Give the memory the process has freed back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). Freed blocks stay in the allocator's arenas, counted in the process's memory, until
    trimmed: after a bulk load of 3.2 million triples 340 MB stayed, 61 MB once trimmed.

    Hand-written (``ctypes``) for a reason: no maintained package exposes ``malloc_trim``.

    Examples
    --------
    >>> release_memory()
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is not None:
        trim(0)


def malloc_restart(args: list[str], environ=None) -> tuple[list[str], dict] | None:
    """``(argv, environment)`` to start this Python again with the arguments ``args`` (``sys.orig_argv[1:]``)
    and its objects allocated by the C library (``PYTHONMALLOC=malloc``), or None where that gains
    nothing (not glibc, or already so).

    For a national build (``govkg build`` of more than ``build.DISK_VALIDATION_FILES`` data
    files): Python's own allocator takes memory from the system in 1 MiB arenas and gives an arena
    back only when every object in it is gone. The parsed data files die, but the tables the
    build keeps were allocated among them, so at 200,000 sites the process kept 5.5 GB after
    the compile, of which the C library's allocator held 0.8 GB (``malloc_stats``): the rest were
    Python's arenas. With the C library's allocator, ``release_memory`` gives back every free
    page (at 20,000 sites, the tables let go: 223 MB held instead of 450 MB). Its cost: each
    object takes a little more memory (at 200,000 sites 6.5 GB after the compile) and is
    slower to allocate.

    Examples
    --------
    >>> cmd, env = malloc_restart(["-m", "govkg", "build"], {"PATH": "/bin"}) or (None, {})
    >>> env.get("PYTHONMALLOC") in ("malloc", None)
    True
    >>> malloc_restart(["-m", "govkg", "build"], {"PYTHONMALLOC": "pymalloc"}) is None
    True
    """
    import os
    import platform
    import sys

    env = dict(os.environ if environ is None else environ)
    if env.get("PYTHONMALLOC") or platform.libc_ver()[0] != "glibc":
        return None
    env["PYTHONMALLOC"] = "malloc"
    return [sys.executable, *args], env
