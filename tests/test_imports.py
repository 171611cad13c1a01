"""The import graph of govkg, read with ``ast`` (imports inside functions count too): no import cycle
and no private name imported from another module, except those listed below with their reason (none now)."""

from __future__ import annotations

import networkx as nx
from importgraph import ROOT, edges, imports, modules, private_names_used

#: Cycles that are known and not yet broken, each a set of modules, with why it stays this round.
#: A cycle found must be one of these or a part of one; any other cycle (or a known one that grows) fails.
KNOWN_CYCLES: dict[frozenset, str] = {}

#: Private names imported from another module that are known, with why they stay this round.
KNOWN_PRIVATE: dict[str, str] = {}


def _cycles(graph: dict[str, set[str]]) -> list[frozenset]:
    """The strongly connected components of more than one module (networkx's)."""
    g = nx.DiGraph()
    g.add_nodes_from(graph)
    g.add_edges_from((a, b) for a, targets in graph.items() for b in targets)
    return [frozenset(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def test_the_cycle_finder_finds_cycles_and_only_them():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_imports_inside_functions():
    graph = edges()
    assert "govkg.query" in graph["govkg.counts"]  # counts.counts imports run_query in the function
    assert "govkg.draft.decisions" in graph["govkg.draft.accept"]
    known = modules()
    counts = imports("govkg.counts", known["govkg.counts"], known)
    assert [i.in_function for i in counts if i.target == "govkg.query"] == [True]


def test_no_new_import_cycle():
    new = [sorted(c) for c in _cycles(edges()) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"import cycles (imports inside functions count): {new}"


def test_no_new_private_import_across_modules():
    known = modules()
    found = {}
    for m, p in known.items():
        for qualified, line in private_names_used(m, p, known):
            found[qualified] = f"{p.relative_to(ROOT)}:{line}"
    new = {k: v for k, v in found.items() if k not in KNOWN_PRIVATE}
    assert not new, f"private names taken from another module (give them a public name): {new}"


def test_private_names_are_seen_imported_and_read_as_attributes(tmp_path):
    (tmp_path / "a.py").write_text("from . import model\nfrom .compile import _x, y\n\n"
                                   "def f():\n    return model._can(), model.ok, model.__name__\n", encoding="utf-8")
    known = {"govkg.a": tmp_path / "a.py", "govkg.model": None, "govkg.compile": None}
    assert private_names_used("govkg.a", tmp_path / "a.py", known) == [("govkg.compile._x", 2), ("govkg.model._can", 5)]
