"""Default folders: where a build of a data folder goes when no folder is given."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["is_installed_bundle", "user_cache_dir", "default_build_dir"]


def is_installed_bundle(data_dir: str | Path) -> bool:
    """Whether ``data_dir`` is the data bundled inside an installed package (``site-packages/govkg/data``),
    as opposed to a data folder of a checkout (an editable install) or of the user.

    Examples
    --------
    >>> is_installed_bundle("/nowhere/data")
    False
    """
    from .build import bundled_data_dir

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


def default_build_dir(data_dir: str | Path) -> Path:
    """The build folder of ``data_dir`` when none is given: ``build/`` beside the data folder, or, for
    the data bundled in an installed package, ``build/`` in the user cache folder (never inside
    ``site-packages``, which may be read-only and is replaced by the next install).

    Examples
    --------
    >>> default_build_dir("/work/project/data").as_posix()
    '/work/project/build'
    """
    data_dir = Path(data_dir)
    if is_installed_bundle(data_dir):
        return user_cache_dir() / "build"
    return data_dir.parent / "build"
