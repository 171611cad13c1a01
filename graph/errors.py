"""Exceptions raised by govkg; every error the library raises is a ``GovkgError``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["GovkgError", "Problem", "DataError", "QueryError", "NotFoundError", "ValidationError", "QueryTimeout",
           "WorkerDied", "PublishError", "ReviewError"]


class GovkgError(Exception):
    """Base class of every error raised by govkg."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a data file: where it is and what is wrong.

    Examples
    --------
    >>> str(Problem("data/sites/x.yaml", 12, "unit", "unknown unit 'jin'"))
    "data/sites/x.yaml:12: field 'unit': unknown unit 'jin'"
    """

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        # a file or key name holding a line break or an escape sequence must not break the message up
        shown = _printable(self.file)
        where = shown if self.line is None else f"{shown}:{self.line}"
        what = f" field '{_printable(self.field)}':" if self.field else ""
        message = _printable(self.message)
        if len(message) > _MAX_MESSAGE:  # a value of 100,000 characters quoted back is no help
            message = f"{message[:_MAX_MESSAGE]}… (cut: the message is {len(message):,} characters long)"
        return f"{where}:{what} {message}"


#: The longest problem message shown whole.
_MAX_MESSAGE = 1000


def _printable(text: str) -> str:
    """``text`` with each character that is not printable written as its Python escape (``\\n``, ``\\x1b``).

    Examples
    --------
    >>> print(_printable("sites/a" + chr(10) + "b.yaml"))
    sites/a\\nb.yaml
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class DataError(GovkgError):
    """One or more problems in the data files; ``problems`` lists each with file, line and field."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))

    @classmethod
    def single(cls, file: str | Path, line: int | None, field: str | None, message: str) -> "DataError":
        """A ``DataError`` holding a single problem."""
        return cls([Problem(str(file), line, field, message)])


class QueryError(GovkgError):
    """A SPARQL query that cannot be run: a syntax error (with its position) or an update."""


class NotFoundError(GovkgError):
    """A name that matches no site, mechanism or kind; ``suggestions`` holds the closest labels."""

    def __init__(self, what: str, name: str, suggestions: list[str]):
        self.what, self.name, self.suggestions = what, name, list(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        shown = name if len(name) <= 80 else f"{name[:80]}… ({len(name)} characters)"
        super().__init__(f"No {what} matches {shown!r}.{hint}")


class ValidationError(GovkgError):
    """The graph violates the SHACL shapes or a quality rule; ``report`` holds the violations."""

    def __init__(self, report):
        self.report = report
        super().__init__(str(report))


class QueryTimeout(GovkgError):
    """A query ran past its deadline; its work was stopped (the process running it was killed)."""


class WorkerDied(GovkgError):
    """The process running a query stopped without an answer (most often: it hit the memory cap)."""


class PublishError(GovkgError):
    """The store refused the data, could not be reached, or holds another number of triples afterwards."""


class ReviewError(GovkgError):
    """Review decisions refused (``govkg review``): ``problems`` lists ``{"file", "line", "field", "message",
    "section", "id"}`` (``section`` and ``id`` name the entry the problem is in, when it is one of the folder's)."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or []
