"""Default folders: the data bundled with govkg, and where a build of a data folder goes when no folder is given."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["bundled_data_dir", "is_installed_bundle", "user_cache_dir", "default_build_dir"]


def bundled_data_dir() -> Path:
    """The data folder shipped with govkg (package data ``govkg.data``, found through
    ``importlib.resources``): ``data/`` of the checkout in an editable install, else
    ``site-packages/govkg/data``."""
    from importlib.resources import files

    try:
        return Path(str(files("govkg.data")))
    except ModuleNotFoundError:  # an editable install made before govkg.data existed
        return Path(__file__).resolve().parent.parent / "data"


def is_installed_bundle(data_dir: str | Path) -> bool:
    """Whether ``data_dir`` is the data bundled inside an installed package (``site-packages/govkg/data``),
    as opposed to a data folder of a checkout (an editable install) or of the user.

    Examples
    --------
    >>> is_installed_bundle("/nowhere/data")
    False
    """
    data_dir = Path(data_dir)
    try:
        return (data_dir.resolve() == bundled_data_dir().resolve()
                and (data_dir.parent / "__init__.py").is_file())
    except OSError:
        return False


def user_cache_dir() -> Path:
    """govkg's per-user cache folder: ``platformdirs.user_cache_path("govkg")`` (``$XDG_CACHE_HOME/govkg``
    or ``~/.cache/govkg`` on Linux, ``~/Library/Caches/govkg`` on macOS, ``%LOCALAPPDATA%\\govkg\\Cache`` on Windows).

    Examples
    --------
    >>> user_cache_dir().name in ("govkg", "Cache")
    True
    """
    try:
        from platformdirs import user_cache_path
    except ModuleNotFoundError:  # an environment made before platformdirs was a dependency
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "govkg"
    return Path(user_cache_path("govkg", appauthor=False))


def default_build_dir(data_dir: str | Path, *, command: bool = False) -> Path:
    """The build folder of ``data_dir`` when none is given (the one rule the library, the server and
    the command line follow): ``build/`` beside the data folder; for the data bundled in an installed
    package, never inside ``site-packages`` (read-only, replaced by the next install) but ``build/`` in
    the user cache folder, or, for a command typed in a shell (``command=True``), ``./build`` in the
    current folder, where the user looks for what it wrote.

    Examples
    --------
    >>> default_build_dir("/work/project/data").as_posix()
    '/work/project/build'
    >>> default_build_dir("/work/project/data", command=True).as_posix()
    '/work/project/build'
    """
    data_dir = Path(data_dir)
    if is_installed_bundle(data_dir):
        return Path("build") if command else user_cache_dir() / "build"
    return data_dir.parent / "build"
