"""Click parameter types and checks shared by the command modules."""

from __future__ import annotations

import click

__all__ = ["NonEmptyPath", "finite_seconds", "read_user_file"]


def finite_seconds(ctx, param, value):
    """Click callback: a number of seconds must be finite (``inf`` and ``nan`` pass FloatRange) and at most
    ``MAX_SECONDS`` (a larger deadline overflows the clock: ``OverflowError``)."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of seconds", ctx=ctx, param=param)
    if value is not None and value > MAX_SECONDS:
        raise click.BadParameter(f"{value:,} s is more than {MAX_SECONDS:,} s (about 11 days); 0 means no limit "
                                 f"where the command allows it", ctx=ctx, param=param)
    return value


#: The longest deadline the clocks and select() can hold everywhere (a million seconds; poll() counts milliseconds in a C int).
MAX_SECONDS = 1_000_000


class NonEmptyPath(click.Path):
    """``click.Path`` that refuses an empty value ('' would silently mean the current folder)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path; give a file or folder name (. for the current folder)", param, ctx)
        return super().convert(value, param, ctx)


def read_user_file(path, what: str, *, limit: int = 16 << 20) -> str:
    """The UTF-8 text of a file named on the command line (a BOM dropped), as a ``GovkgError``
    when it is not a regular file (a device such as ``/dev/zero`` or a FIFO would never end),
    is larger than ``limit`` bytes, cannot be read or is not UTF-8."""
    from pathlib import Path

    from .errors import GovkgError

    p = Path(path)
    try:
        if not p.is_file():
            raise GovkgError(f"{p}: cannot read {what}: " + ("not a regular file" if p.exists() else "no such file"))
        size = p.stat().st_size
        if size > limit:
            raise GovkgError(f"{p}: {what} of {size:,} bytes is too large (at most {limit:,})")
        return p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GovkgError(f"{p} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GovkgError(f"{p}: cannot read {what}: {exc.strerror or exc}") from None
