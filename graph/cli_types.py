"""Click parameter types and checks shared by the command modules."""

from __future__ import annotations

import click

__all__ = ["NonEmptyPath", "finite_seconds"]


def finite_seconds(ctx, param, value):
    """Click callback: a number of seconds must be finite (``inf`` and ``nan`` pass FloatRange)."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of seconds", ctx=ctx, param=param)
    return value


class NonEmptyPath(click.Path):
    """``click.Path`` that refuses an empty value ('' would silently mean the current folder)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path; give a file or folder name (. for the current folder)", param, ctx)
        return super().convert(value, param, ctx)
