"""A query run on a worker thread (validate runs its rules so) whose results fail while they are read leaves
no Oxigraph object to be freed on another thread (pyo3's "unsendable … dropped on another thread")."""

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
