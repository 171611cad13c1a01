"""The SHACL shapes run as SPARQL on Oxigraph give the same violations as pySHACL (bundled data and broken graphs)."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import ORG, PROV, SKOS

from govkg.namespace import GK, ID, KIND, SCHEMA
from govkg.query import to_store
from govkg.resources import bind_prefixes
from govkg.validate import run_shacl, run_shacl_sparql, validate

SITE = ID["site/gaoxinshequ"]
MECH = ID["mechanism/yezhihuiyishitang"]


def _key(violations):
    return Counter((v.rule, v.focus, v.path) for v in violations)


def _same(g):
    py, sq = run_shacl(g), run_shacl_sparql(to_store(g))
    assert _key(py) == _key(sq)
    # with the class memberships precomputed in a scratch graph (as validate() does): the same,
    # and the store holds the same quads afterwards
    store = to_store(g)
    before = len(store)
    assert _key(run_shacl_sparql(store, scratch=True)) == _key(py)
    assert len(store) == before
    # where a shape gives its message, both report it
    named = {(v.rule, v.focus, v.path, v.message) for v in py if " / " in v.message}
    assert named <= {(v.rule, v.focus, v.path, v.message) for v in sq}
    return py


def test_bundled_data_conforms_in_both(graph):
    assert _same(graph) == []


def _outcome(g):
    return next(g.subjects(RDF.type, GK.Outcome))


BREAKS = {
    "no zh label": lambda g: g.remove((SITE, RDFS.label, next(o for o in g.objects(SITE, RDFS.label) if o.language == "zh"))),
    "two en labels": lambda g: g.add((SITE, RDFS.label, Literal("Another name", lang="en"))),
    "two parents": lambda g: g.add((SITE, SCHEMA.containedInPlace, ID["area/haikoushi"])),
    "no parent": lambda g: g.remove((SITE, SCHEMA.containedInPlace, None)),
    "no kind": lambda g: g.remove((MECH, GK.mechanismKind, None)),
    "parent not an area": lambda g: g.set((SITE, SCHEMA.containedInPlace, MECH)),
    "not a community or village": lambda g: [g.remove((SITE, RDF.type, c)) for c in (GK.Community, GK.Village)],
    "no evidence": lambda g: g.remove((MECH, GK.evidence, None)),
    "unknown kind": lambda g: g.add((MECH, GK.mechanismKind, URIRef("https://w3id.org/govkg/kind/no-such-kind"))),
    "string value": lambda g: g.set((_outcome(g), SCHEMA.value, Literal("12"))),
    "two values": lambda g: g.add((_outcome(g), SCHEMA.value, Literal(3, datatype=XSD.integer))),
    "measure not in list": lambda g: g.set((_outcome(g), GK.measureType, GK.Exactly)),
    "kind without scheme": lambda g: g.remove((KIND["yishitangyishihui"], SKOS.inScheme, None)),
    "short evidence": lambda g: g.set((next(g.subjects(RDF.type, GK.Evidence)), PROV.value, Literal("x", lang="zh"))),
    "plain evidence": lambda g: g.set((next(g.subjects(RDF.type, GK.Evidence)), PROV.value, Literal("一句没有语言标签的话"))),
    "member not an org": lambda g: g.add((next(g.subjects(RDF.type, ORG.Organization)), ORG.hasMember, SITE)),
    "used at a non-site": lambda g: g.add((MECH, GK.usedAt, ID["area/haikoushi"])),
    "literal class value": lambda g: g.add((MECH, GK.realizedBy, Literal("someone"))),
    "confidence above 1": lambda g: g.add((MECH, GK.confidence, Literal("1.5", datatype=XSD.decimal))),
    "confidence not a number": lambda g: g.add((MECH, GK.confidence, Literal("high"))),
    "inferred without reason": lambda g: g.add((MECH, GK.inferred, Literal(True))),
    # the SPARQL translation's own paths: a failing value that is a blank node (cannot be named
    # in VALUES), a class with a blank-node subclass, membership only through a subclass
    "blank node where a class is needed": lambda g: g.add((MECH, GK.realizedBy, BNode())),
    "instance of a blank-node subclass": lambda g: _blank_subclass(g),
    "area typed only by a subclass": lambda g: _only_subclass(g),
}


def _blank_subclass(g):
    sub, mech = BNode(), ID["mechanism/no-such-mechanism"]
    g.add((sub, RDFS.subClassOf, GK.Mechanism))
    g.add((mech, RDF.type, sub))
    g.add((MECH, GK.mechanismKind, mech))  # a mechanism where a kind is needed


def _only_subclass(g):
    area = next(g.objects(SITE, SCHEMA.containedInPlace))
    g.remove((area, RDF.type, SCHEMA.AdministrativeArea))
    g.add((area, RDF.type, GK.Town))  # still an administrative area, through rdfs:subClassOf
    g.remove((area, RDFS.label, None))  # and now one without labels


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_broken_graph_gives_the_same_violations(graph, name):
    g = bind_prefixes(Graph())
    for t in graph:
        g.add(t)
    BREAKS[name](g)
    assert _same(g), f"{name}: no violation found"


def test_validate_uses_sparql_above_the_threshold(graph, monkeypatch):
    import govkg.validate as v

    g = bind_prefixes(Graph())
    for t in graph:
        g.add(t)
    BREAKS["two parents"](g)
    small = validate(g)
    monkeypatch.setattr(v, "SHACL_SPARQL_ABOVE", 0)
    monkeypatch.setattr(v, "run_shacl", lambda graph: pytest.fail("pySHACL ran on a large graph"))
    large = validate(g)
    assert not large.conforms
    assert _key(small.violations) == _key(large.violations)


def test_a_draft_may_leave_area_and_kind_for_review(graph):
    """A draft site without its area and a draft mechanism without a kind conform for both
    validators (issue 18: the report did not state them); the same without the draft mark do not."""
    g = Graph()
    for t in graph:
        g.add(t)
    g.remove((SITE, SCHEMA.containedInPlace, None))
    g.remove((MECH, GK.mechanismKind, None))
    assert {v.rule for v in _same(g)} >= {"shacl:gks:SiteContainedShape", "shacl:gks:MechanismKindShape"}
    g.add((SITE, GK.curationStatus, GK.Draft))
    g.add((MECH, GK.curationStatus, GK.Draft))
    assert _same(g) == []


def test_validate_store_in_processes_equals_validate(graph, monkeypatch, tmp_path):
    """``validate_store`` (each query in a spawned process of its own, on the store opened read-only; what
    large builds use) finds the same violations, warnings and rules as ``validate`` on the same store."""
    import pyoxigraph as ox

    import govkg.validate as v
    from govkg.build import ntriples
    from govkg.validate import validate_store

    g = bind_prefixes(Graph())
    for t in graph:
        g.add(t)
    BREAKS["two parents"](g)  # a SHACL violation
    BREAKS["inferred without reason"](g)  # and a quality rule's
    folder = tmp_path / "store"
    ox.Store(str(folder)).bulk_load(ntriples(g), format=ox.RdfFormat.N_TRIPLES)
    monkeypatch.setattr(v, "SHACL_SPARQL_ABOVE", 0)  # decided in this process: the workers run the SPARQL shapes
    monkeypatch.setattr(v, "run_shacl", lambda graph: pytest.fail("pySHACL ran on a large graph"))
    triples, apart = validate_store(folder, processes=2)
    together = validate(store=ox.Store.read_only(str(folder)))
    assert triples == len(g)
    assert not apart.conforms
    assert "inferred-without-reason" in {x.rule for x in apart.violations}
    assert any(x.rule.startswith("shacl") for x in apart.violations)
    assert apart.violations == together.violations
    assert apart.warnings == together.warnings
    assert apart.rules_run == together.rules_run


def test_validate_store_reports_a_failed_worker_as_a_govkg_error(graph, monkeypatch, tmp_path):
    """A worker process that fails (here: a rule that is not SPARQL) is a ``GovkgError`` naming the rule, not a hang."""
    import pyoxigraph as ox

    import govkg.validate as v
    from govkg.build import ntriples
    from govkg.errors import GovkgError

    folder = tmp_path / "store"
    ox.Store(str(folder)).bulk_load(ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    monkeypatch.setattr(v, "SHACL_SPARQL_ABOVE", 0)
    monkeypatch.setattr(v, "checks", lambda: {"broken-rule": "SELECT nothing WHERE"})
    with pytest.raises(GovkgError, match="broken-rule"):
        v.validate_store(folder, processes=1)


def test_a_worker_stops_when_the_process_that_started_it_is_killed():
    """``guard.die_with_parent``, called first by every validation worker: a build killed mid-validation
    (Ctrl-C, out of memory) leaves no rule running on a core."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    worker = "from govkg.guard import die_with_parent; import time; die_with_parent(); print('ready', flush=True); time.sleep(60)"
    parent = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', sys.argv[1]], stdout=subprocess.PIPE, "
              "text=True); p.stdout.readline(); print(p.pid, flush=True); p.wait()")
    mid = subprocess.Popen([sys.executable, "-c", parent, worker], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(mid.stdout.readline())
        assert psutil.pid_exists(pid)
        mid.send_signal(signal.SIGKILL)
        mid.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        else:
            psutil.Process(pid).kill()
            raise AssertionError("the worker ran on after its parent was killed")
    finally:
        if mid.poll() is None:
            mid.kill()
