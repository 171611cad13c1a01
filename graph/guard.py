"""Guards around a SPARQL query: SERVICE refused, updates recognised, errors with their position, a memory cap, a deadline in a child process."""

from __future__ import annotations

import os
import re
import signal
import time

from .errors import GovkgError, QueryError

__all__ = ["QueryTimeout", "WorkerDied", "find_service", "refuse_service", "is_update", "syntax_error",
           "limit_memory", "run_in_child"]


class QueryTimeout(GovkgError):
    """A query ran past its deadline; its work was stopped (the process running it was killed)."""


class WorkerDied(GovkgError):
    """The process running a query stopped without an answer (most often: it hit the memory cap)."""


# Strings, IRIs and comments are skipped so that the word SERVICE inside them does not count;
# a SERVICE preceded by ?, $, : or a word character is part of a variable or a prefixed name.
_TOKENS = re.compile(r'''
      (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<comment>\#[^\n]*)
    | (?P<service>(?<![\w?$:])SERVICE(?![\w:]))
''', re.X | re.I | re.S)


def find_service(text: str) -> tuple[int, int] | None:
    """The (line, column) of the first ``SERVICE`` keyword in a query, or ``None``.

    Examples
    --------
    >>> find_service('SELECT * WHERE { ?service ?p "SERVICE" # SERVICE\\n SERVICE <http://x/> { ?s ?p ?o } }')
    (2, 2)
    >>> find_service("SELECT * WHERE { ?s ex:SERVICE <http://x/SERVICE> }") is None
    True
    """
    for m in _TOKENS.finditer(text):
        if m.lastgroup == "service":
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            return line, col
    return None


def refuse_service(text: str) -> None:
    """Raise ``QueryError`` when the query holds a ``SERVICE`` clause (it would send a request out).

    Examples
    --------
    >>> try:
    ...     refuse_service("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    ... except QueryError as e:
    ...     print(e)
    SERVICE (federated query) at line 1, column 18 is refused: govkg never sends a request to another endpoint
    """
    pos = find_service(text)
    if pos is not None:
        raise QueryError(f"SERVICE (federated query) at line {pos[0]}, column {pos[1]} is refused: "
                         f"govkg never sends a request to another endpoint")


def is_update(text: str) -> bool:
    """Whether ``text`` parses as a SPARQL 1.1 Update (INSERT, DELETE, LOAD, CLEAR, DROP …).

    Examples
    --------
    >>> is_update("DROP SILENT GRAPH <urn:g>"), is_update("SELECT * WHERE { ?s ?p ?o }"), is_update("  # nothing")
    (True, False, False)
    """
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parsed = parseUpdate(text)
    except Exception:  # noqa: BLE001 - anything unparsable as an update is not one
        return False
    return "request" in parsed  # an empty text (or only prefixes, comments) is no update


def syntax_error(exc: SyntaxError) -> str:
    """Oxigraph's ``error at 2:11: …`` as ``SPARQL syntax error at line 2, column 11: …``.

    The parser's list of what it expected is cut to what a reader can use: its own messages
    (``The SELECT contains a variable that is unbound``) and tokens, without character classes.

    Examples
    --------
    >>> syntax_error(SyntaxError("error at 1:46: expected one of '(', IF, The SELECT contains a variable that is unbound, ['0' ..= '9' | 'A' ..= 'Z'], [_]"))
    'SPARQL syntax error at line 1, column 46: The SELECT contains a variable that is unbound'
    >>> syntax_error(SyntaxError("error at 1:5: expected one of BASE, [_]"))
    'SPARQL syntax error at line 1, column 5: expected BASE'
    """
    msg = str(exc)
    if msg.startswith("error at "):
        pos, _, rest = msg[len("error at "):].partition(": ")
        line, _, col = pos.partition(":")
        msg = f"at line {line}, column {col}: {_expected(rest)}"
    return f"SPARQL syntax error {msg}"


def _expected(rest: str) -> str:
    m = re.match(r"expected (?:one of )?(.*)$", rest, re.S)
    if not m:
        return rest
    items, depth, cur = [], 0, ""
    for ch in m.group(1):  # split on the commas outside [character classes]
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    items.append(cur.strip())
    items = [i for i in items if i and not i.startswith("[")]
    said = [i for i in items if " " in i and i[:1].isupper()]
    if said:
        return "; ".join(said)
    if not items:
        return "unexpected text here"
    shown = ", ".join(items[:12]) + (" …" if len(items) > 12 else "")
    return ("expected one of " if len(items) > 1 else "expected ") + shown


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def limit_memory(nbytes: int) -> int | None:
    """Cap this process's address space at its current size plus ``nbytes`` (``RLIMIT_AS``).

    Memory shared with the parent after a fork counts once in the current size, so the cap
    bounds what the query itself may allocate. Returns the limit set, or ``None`` where the
    platform has no such limit.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    limit = _vm_size() + int(nbytes)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def _kill(proc) -> None:
    if proc.is_alive():
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.join(5)


def run_in_child(target, args=(), *, timeout: float | None, on_message=None):
    """Run ``target(send, *args)`` in a forked child and return its final value, within ``timeout`` seconds.

    The child calls ``send(obj)`` for intermediate messages (handed to ``on_message`` as they
    arrive, e.g. chunks of output) and returns its result. On the deadline, on Ctrl-C, or on
    any error in the parent, the child is killed at once (SIGKILL), so a runaway query never
    goes on burning CPU. A ``GovkgError`` raised in the child is raised again here.

    Raises
    ------
    QueryTimeout
        When the deadline passed.
    WorkerDied
        When the child ended without an answer.
    """
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child():
        recv.close()
        try:
            value = target(send.send, *args)
            send.send(("done", value))
        except GovkgError as exc:
            send.send(("error", exc))
        except MemoryError:
            send.send(("error", WorkerDied("the query ran out of memory")))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
            send.send(("error", GovkgError(f"{type(exc).__name__}: {exc}")))
        finally:
            send.close()

    proc = ctx.Process(target=child, daemon=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    proc.start()
    send.close()
    try:
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not recv.poll(left):
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
            try:
                msg = recv.recv()
            except EOFError:
                raise WorkerDied("the process running the query stopped without an answer "
                                 "(most likely it ran out of memory)") from None
            if isinstance(msg, tuple) and len(msg) == 2 and msg[0] == "done":
                return msg[1]
            if isinstance(msg, tuple) and len(msg) == 2 and msg[0] == "error":
                raise msg[1]
            if on_message is not None:
                on_message(msg)
    finally:
        _kill(proc)
        recv.close()
