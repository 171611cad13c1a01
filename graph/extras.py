"""Optional dependencies: import them by name, or raise a ``GovkgError`` naming the extra to install."""

from __future__ import annotations

import importlib

from .errors import GovkgError

__all__ = ["require", "EXTRAS"]

#: module -> (extra that installs it, distribution name on PyPI)
EXTRAS = {
    "pyvis": ("viz", "pyvis"),
    "matplotlib": ("viz", "matplotlib"),
}


def require(module: str, feature: str):
    """Import ``module`` (e.g. ``"pyvis.network"``) for ``feature``, or explain how to get it.

    Raises
    ------
    GovkgError
        When the module is not installed; the message names the extra, e.g.
        ``pip install 'govkg[viz]'``.

    Examples
    --------
    >>> require("json", "reading JSON").__name__
    'json'
    >>> try:
    ...     require("pyvis_not_here", "the HTML view")
    ... except GovkgError as e:
    ...     print(e)
    the HTML view needs the Python package 'pyvis_not_here', which is not installed
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra, dist = EXTRAS.get(top, (None, top))
        how = f": pip install 'govkg[{extra}]' (or pip install {dist})" if extra else ""
        missing = getattr(exc, "name", None) or top
        what = f"'{top}'" if missing in (top, module) else f"'{top}' (its dependency '{missing}' is missing)"
        raise GovkgError(f"{feature} needs the Python package {what}, which is not installed{how}") from None
