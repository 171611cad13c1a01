"""Queries run on worker threads (validate runs its rules so) leave no Oxigraph object to be freed on another
thread (pyo3's "unsendable … dropped on another thread"): neither when results fail while read nor when
the thread's frames outlive the query."""

from __future__ import annotations

import gc
import sys
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest

import govkg.query
from govkg.errors import QueryError


@pytest.mark.parametrize("text", ["SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"])
def test_results_failing_while_read_on_a_thread_are_freed_there(monkeypatch, text):
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), ox.Literal("x")))
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(str(u.exc_value)))

    def failing(term):  # an error while the solutions are read, as Oxigraph may raise one
        raise ValueError("reading failed")

    monkeypatch.setattr(govkg.query, "from_ox", failing)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(govkg.query.run_query, store, text)
        with pytest.raises(QueryError, match="failed while its results were read: reading failed"):
            future.result()
        del future
    gc.collect()
    assert unraisable == []


#: Quality rules run on threads in a process that has not yet imported rdflib's SPARQL parser: its
#: first import happens on a rule's thread (guard.find_service), and pyparsing keeps a frame of that
#: import, with every caller's frame behind it. A cycle collection then used to free a rule's answer
#: on the main thread, and pyo3 printed a RuntimeError traceback at the end of every large build.
_FRESH = """
import gc, sys
gc.disable()
import pyoxigraph as ox
from govkg import build_graph
from govkg.ntriples import ntriples
store = ox.Store()
store.bulk_load(ntriples(build_graph()), format=ox.RdfFormat.N_TRIPLES)
assert "rdflib.plugins.sparql.parser" not in sys.modules, "the parser is already imported: no first import on a thread"
from govkg.validate import run_checks
print(len(run_checks(None, store=store)))
gc.enable()
gc.collect()
"""


def test_rules_run_on_threads_in_a_fresh_process_leave_no_answer_to_another_thread():
    import subprocess

    done = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    assert "unsendable" not in done.stderr, done.stderr
