"""Checks of the library's arguments: a value of the wrong type is a ``GovkgError`` naming the argument, never a ``TypeError``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import GovkgError

__all__ = ["as_path", "as_text", "GraphOrBuild"]

#: What the read functions take: an rdflib ``Graph`` or a build opened with ``govkg.open``
#: (``govkg.store.OpenBuild``, not named here: the store imports the readers).
GraphOrBuild = Any


def as_path(value, name: str) -> Path:
    """``value`` as a ``Path``, or ``GovkgError`` when it is not a path (``None``, a number, text with NUL).

    Examples
    --------
    >>> as_path("data", "data_dir")
    PosixPath('data')
    >>> try:
    ...     as_path(5, "data_dir")
    ... except GovkgError as e:
    ...     print(e)
    data_dir must be a path (str or os.PathLike), not int
    """
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise GovkgError(f"{name} must be a path (str or os.PathLike), not {type(value).__name__}")
    path = Path(value)
    if "\x00" in str(path):
        raise GovkgError(f"{name} holds a NUL character: {str(path)!r}")
    return path


def as_text(value, name: str) -> str:
    """``value`` if it is text that can be written as UTF-8, else ``GovkgError`` (also for a lone surrogate).

    Examples
    --------
    >>> try:
    ...     as_text(None, "text")
    ... except GovkgError as e:
    ...     print(e)
    text must be text (str), not NoneType
    """
    if not isinstance(value, str):
        raise GovkgError(f"{name} must be text (str), not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise GovkgError(f"{name} holds U+{ord(value[exc.start]):04X} at position {exc.start}, a lone "
                         f"surrogate that no UTF-8 text can hold") from None
    return value
