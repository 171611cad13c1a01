"""Guards around a SPARQL query: SERVICE and deep nesting refused, no network for query processes, updates recognised, errors with their position, a memory cap, a deadline in a child process."""

from __future__ import annotations

import os
import re
import signal
import time

from .errors import GovkgError, QueryError, QueryTimeout, WorkerDied

__all__ = ["QueryTimeout", "WorkerDied", "MAX_DEPTH", "MAX_CHAIN", "check_query", "find_service", "refuse_service",
           "refuse_deep", "deny_network", "die_with_parent", "is_update", "syntax_error", "limit_memory", "run_in_child"]


MAX_DEPTH = 64
"""The deepest nesting of brackets ``( { [`` a query may have (Oxigraph's recursive parser and
optimizer overflow their stack, killing the process, near a few thousand levels)."""

MAX_CHAIN = 1000
"""The most ``UNION``, ``||`` or ``&&`` operators a query may hold (each chain becomes a tree as
deep as it is long in Oxigraph's algebra; 10,000 overflow its stack)."""

# A first, cheap look at the text, used only to point at where a SERVICE is (the decision is the
# parser's): strings, IRIs and comments are skipped; a SERVICE after ?, $, : or a word character
# is part of a variable or a prefixed name.
_TOKENS = re.compile(r"""
      (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<comment>\#[^\n]*)
    | (?P<service>(?<![\w?$:])SERVICE(?![\w:]))
""", re.X | re.I | re.S)
_SERVICE_WORD = re.compile(r"(?<![\w?$:])SERVICE(?=\s*(?:\#[^\n]*\s*)*(?:SILENT\b|<|[?$]|[\w-]*:))", re.I)
_CHAIN = re.compile(r"\|\||&&|(?<![\w?$:])UNION(?![\w:])", re.I)
_QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_PROLOGUE = re.compile(r"""(?:\s+|\#[^\n]*|PREFIX\s*[\w.-]*:\s*<[^>\s]*>|BASE\s*<[^>\s]*>)*""", re.I)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def refuse_deep(text: str) -> None:
    """Raise ``QueryError`` when the query nests brackets deeper than ``MAX_DEPTH`` or chains more than ``MAX_CHAIN`` operators.

    Such a query would overflow the stack of Oxigraph's parser (killing the process that runs
    it, a segmentation fault), so it is refused before any parser sees it. Every bracket
    counts, also those in strings and comments: the check cannot be fooled by text that only
    looks like a string, and no real query comes near the limit.

    Examples
    --------
    >>> refuse_deep("SELECT * WHERE { FILTER((1)) }")
    >>> try:
    ...     refuse_deep("SELECT * WHERE { FILTER(" + "(" * 500 + "1" + ")" * 500 + ") }")
    ... except QueryError as e:
    ...     print(e)
    the query nests brackets 502 deep at line 1, column 87: the limit is 64 (a deeper query would crash the SPARQL engine)
    """
    depth, top, where = 0, 0, -1
    for i, ch in enumerate(text):
        if ch in "({[":
            depth += 1
            if depth > MAX_DEPTH and where < 0:
                where = i  # where the limit is first passed
            top = max(top, depth)
        elif ch in ")}]" and depth:
            depth -= 1
    if where >= 0:
        line, col = _position(text, where)
        raise QueryError(f"the query nests brackets {top} deep at line {line}, column {col}: the limit is "
                         f"{MAX_DEPTH} (a deeper query would crash the SPARQL engine)")
    chain = sum(1 for _ in _CHAIN.finditer(text)) if len(text) > 4 * MAX_CHAIN else 0
    if chain > MAX_CHAIN:
        raise QueryError(f"the query holds {chain} UNION, || or && operators: the limit is {MAX_CHAIN} "
                         f"(a longer chain would crash the SPARQL engine)")


def _parse_tree(text: str):
    """rdflib's parse of a query (a tree of ``CompValue``), or ``None`` if rdflib cannot parse it.

    pyparsing recurses about 40 Python frames per bracket, so the parse runs on a thread of its
    own with a large stack and a recursion limit that fits ``MAX_DEPTH``.
    """
    import sys
    import threading

    from rdflib.plugins.sparql.parser import parseQuery

    out: list = [None]

    def parse():
        try:
            out[0] = parseQuery(text)
        except Exception:  # noqa: BLE001 - rdflib's ParseException and friends: "cannot parse"
            out[0] = None
        except RecursionError:  # pragma: no cover - refuse_deep keeps the depth within the limit
            out[0] = None

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    sys.setrecursionlimit(max(old_limit, 200 * MAX_DEPTH + 2000))
    try:
        threading.stack_size(64 << 20)
        try:
            worker = threading.Thread(target=parse, name="govkg-sparql-check")
        finally:
            threading.stack_size(old_stack)
        worker.start()
        worker.join()
    except RuntimeError:  # no thread (e.g. an address-space cap): "cannot parse", so the check fails closed
        return None
    finally:
        sys.setrecursionlimit(old_limit)
    return out[0]


def _has_service(tree) -> bool:
    stack = [tree]
    while stack:
        node = stack.pop()
        if getattr(node, "name", None) == "ServiceGraphPattern":
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(list(node))
    return False


def find_service(text: str) -> tuple[int, int] | None:
    """Where the query holds a ``SERVICE`` pattern: ``(line, column)``, ``(0, 0)`` if not found in the text, or ``None``.

    The decision is a SPARQL parser's (rdflib's grammar: a ``ServiceGraphPattern`` in the parse
    tree), not a lexer's: ``<`` is an IRI or *less than* depending on where it stands, which
    only a parser knows. A query rdflib cannot parse is taken to hold a SERVICE when the word
    stands in it as a keyword would (fail closed). The position is a hint from a lexer.
    Raises ``QueryError`` for a query too deep to parse safely (``refuse_deep``).

    Examples
    --------
    >>> find_service('SELECT * WHERE { ?service ?p "SERVICE" # SERVICE\\n SERVICE <http://x/> { ?s ?p ?o } }')
    (2, 2)
    >>> find_service("SELECT * WHERE { ?s ex:SERVICE <http://x/SERVICE> }") is None
    True
    >>> find_service("SELECT ?s WHERE { BIND(1<'a>' AS ?z) SERVICE <http://h/> {?s ?p ?o} BIND('' AS ?w) }")
    (1, 38)
    """
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        seen = expandUnicodeEscapes(text)  # as rdflib reads it (Oxigraph does not: fail closed)
    except Exception:  # noqa: BLE001 - a malformed escape: judge the text as written
        seen = text
    if "service" not in seen.lower():
        return None
    refuse_deep(seen)
    tree = _parse_tree(seen)
    if tree is not None and not _has_service(tree):
        return None
    if tree is None and not _SERVICE_WORD.search(seen):
        return None
    m = _SERVICE_WORD.search(text)
    for tok in _TOKENS.finditer(text):  # prefer the lexer's keyword when it agrees
        if tok.lastgroup == "service":
            m = tok
            break
    return _position(text, m.start()) if m else (0, 0)


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
        at = f" at line {pos[0]}, column {pos[1]}" if pos[0] else ""
        raise QueryError(f"SERVICE (federated query){at} is refused: govkg never sends a request to another endpoint")


def check_query(text: str) -> None:
    """Raise ``QueryError`` unless ``text`` may go to the SPARQL engine: not a query, too deep, or SERVICE.

    The one check to call before evaluating a query text (``run_query``, ``govkg query`` and
    the endpoint). An update passes (the engine refuses it; the caller says it is read-only).

    Examples
    --------
    >>> check_query("PREFIX ex: <http://x/>  # a comment\\nSELECT * WHERE { ?s ?p ?o }")
    >>> try:
    ...     check_query("# govkg\\n\\nA knowledge graph of SERVICE <points>")
    ... except QueryError as e:
    ...     print(e)
    not a SPARQL query: it begins with 'A knowledge graph of' at line 3, column 1, where SELECT, ASK, CONSTRUCT or DESCRIBE (after PREFIX and BASE lines) should stand
    """
    if not isinstance(text, str):
        raise QueryError(f"a query is text, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line, col = _position(text, exc.start)
        raise QueryError(f"the query holds U+{ord(text[exc.start]):04X} at line {line}, column {col}, a lone "
                         f"surrogate that no UTF-8 text can hold") from None
    m = _PROLOGUE.match(text)
    assert m is not None  # every pattern of _PROLOGUE may match nothing, so it matches any text
    rest = text[m.end():]
    word = re.findall(r"^[A-Za-z]*", rest)[0].upper()
    if rest and word not in _QUERY_FORMS + _UPDATE_WORDS:
        line, col = _position(text, m.end())
        head = " ".join(rest[:60].split()[:4])
        raise QueryError(f"not a SPARQL query: it begins with {head!r} at line {line}, column {col}, where "
                         f"SELECT, ASK, CONSTRUCT or DESCRIBE (after PREFIX and BASE lines) should stand")
    refuse_deep(text)
    refuse_service(text)


def deny_network(*, explain: bool = False) -> str:
    """Take away this process's network: from now on it cannot open a connection to any host.

    The process moves into a new, empty Linux network namespace (``unshare(CLONE_NEWNET)``;
    as a user other than root inside a new user namespace that maps only that user, so files
    are reached as before). Sockets it already holds (a server's listening socket, Unix
    sockets) keep working; a new TCP or UDP socket finds no interface but a down loopback, so
    a SERVICE request, a DNS lookup or any other connection fails at once. This is what makes
    SERVICE impossible, whatever the query checks miss: pyoxigraph 0.5 has no option to
    evaluate without its HTTP client, and a seccomp filter would need a hand-written BPF
    program per architecture, while a namespace needs one system call.

    Call it in a process that evaluates queries, before it starts threads (a user namespace
    needs a single-threaded process). Returns ``"network namespace"`` when done, else the
    reason the kernel refused (the query checks then stand alone), e.g. in a container without
    the privilege to create namespaces; with ``explain`` that reason is also written to stderr
    (for a server's log).
    """
    import ctypes
    import errno

    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        unshare = libc.unshare
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return "not available on this system (no unshare)"
    if unshare(clone_newnet) == 0:
        return "network namespace"
    first = ctypes.get_errno()
    uid, gid = os.getuid(), os.getgid()
    if unshare(clone_newuser | clone_newnet) == 0:
        try:
            for name, value in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w", encoding="ascii") as f:
                    f.write(value)
        except OSError:  # pragma: no cover - the namespace holds anyway; ids show as unmapped
            pass
        return "network namespace (in a user namespace)"
    second = ctypes.get_errno()  # pragma: no cover - depends on the kernel's settings
    why = (f"the kernel refused a network namespace ({errno.errorcode.get(first, first)}, "  # pragma: no cover
           f"{errno.errorcode.get(second, second)} in a user namespace)")
    if explain:  # pragma: no cover
        import sys

        print(f"govkg: query process {os.getpid()} keeps its network: {why}; SERVICE is refused by the "
              f"query check alone", file=sys.stderr, flush=True)
    return why  # pragma: no cover


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
    if proc.pid is None:  # never started (Ctrl-C came before the fork)
        return
    if proc.is_alive():
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.join(5)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (no effect elsewhere): a server's workers, and
    the validation workers of a build that was killed, stop instead of running on.

    Hand-written (``ctypes``, ``prctl(PR_SET_PDEATHSIG)``) for a reason: the standard library has no binding.
    No example runs here: it would bind the test process to its own parent (tests/test_validate_sparql.py
    runs it in a process of its own).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


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
        deny_network()  # a query never reaches the network, whatever it says (issue 23)
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
    try:
        proc.start()  # inside the try: a Ctrl-C during the fork still ends the child
        send.close()
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
