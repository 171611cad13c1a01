"""Structural rules: containment and part-of cycles, self-membership (errors), duplicate labels (warnings)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import ORG

from govkg.cli import cli
from govkg.namespace import ID, SCHEMA
from govkg.resources import checks
from govkg.validate import run_checks


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1 + old.count("\n")


def _build(data):
    r = CliRunner().invoke(cli, ["--data", str(data), "build"])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def test_site_within_itself(data_copy):
    line = _edit(data_copy / "sites" / "gaoxinshequ.yaml", "within: xiuyingjiedao", "within: gaoxinshequ")
    r = _build(data_copy)
    assert r.exit_code == 1
    assert f"data/sites/gaoxinshequ.yaml:{line}: field 'within': 'gaoxinshequ' is within itself" in r.stderr


def test_city_within_its_own_district(data_copy):
    f = data_copy / "areas.yaml"
    line = _edit(f, "    type: city\n", "    type: city\n    within: xiuyingqu\n")
    r = _build(data_copy)
    assert r.exit_code == 1
    assert (f"data/areas.yaml:{line}: field 'within': containment cycle: 'haikoushi' (data/areas.yaml:{line}) "
            f"is within 'xiuyingqu' (data/areas.yaml:") in r.stderr
    assert "which is within 'haikoushi'" in r.stderr


def test_part_of_cycle_and_self_membership(data_copy):
    f = data_copy / "sites" / "jiangyuancun.yaml"
    # the alliance lists itself among its members, and the party branch and the alliance are part of each other
    _edit(f, "    members: [", "    members: [jiangyuan-dangjianlianmeng, ")
    _edit(f, "    type: alliance\n", "    type: alliance\n    part_of: jiangyuancundangzhibu\n")
    _edit(f, "    type: party-organization\n", "    type: party-organization\n    part_of: jiangyuan-dangjianlianmeng\n")
    assert "id: jiangyuan-dangjianlianmeng" in f.read_text(encoding="utf-8")
    r = _build(data_copy)
    assert r.exit_code == 1
    assert "field 'members': 'jiangyuan-dangjianlianmeng' is listed among its own members" in r.stderr
    assert "field 'part_of': part-of cycle: 'jiangyuan-dangjianlianmeng'" in r.stderr
    assert "is part of 'jiangyuancundangzhibu'" in r.stderr and "data/sites/jiangyuancun.yaml:" in r.stderr


def test_two_sites_with_one_label_warn_naming_both_files(data_copy):
    # the old name stays an ``aka``, so the site's evidence still names it (the build checks evidence)
    _edit(data_copy / "sites" / "poxiangshequ.yaml", "zh: 坡巷社区", "zh: 高新社区\n  aka: [坡巷社区]")
    r = _build(data_copy)
    assert r.exit_code == 0, r.output
    warning = next(line for line in r.stderr.splitlines() if "two sites have the zh label" in line)
    assert "'高新社区'" in warning
    assert "data/sites/gaoxinshequ.yaml:" in warning and "data/sites/poxiangshequ.yaml:" in warning


def test_bundled_data_has_no_structure_warning(data_copy):
    r = _build(data_copy)
    assert r.exit_code == 0 and "two " not in r.stderr


# --- the same rules on the graph (ontology/checks/), for graphs not made by the loader ----

RULES = ("containment-cycle", "part-of-cycle", "self-membership")


@pytest.fixture(scope="module")
def rules():
    found = checks()
    assert set(RULES) <= set(found)
    return {n: found[n] for n in RULES}


def _copy(graph):
    g = Graph()
    for t in graph:
        g.add(t)
    return g


def test_rules_pass_on_the_bundled_graph(graph, rules):
    assert run_checks(graph, rules) == []


@pytest.mark.parametrize("rule, triples", [
    ("containment-cycle", [(ID["area/haikoushi"], SCHEMA.containedInPlace, ID["area/xiuyingqu"])]),
    ("containment-cycle", [(ID["site/gaoxinshequ"], SCHEMA.containedInPlace, ID["site/gaoxinshequ"])]),
    ("part-of-cycle", [(ID["org/a"], ORG.subOrganizationOf, ID["org/b"]), (ID["org/b"], ORG.subOrganizationOf, ID["org/a"])]),
    ("self-membership", [(ID["org/a"], ORG.hasMember, ID["org/a"])]),
])
def test_rules_find_the_break(graph, rules, rule, triples):
    g = _copy(graph)
    for t in triples:
        g.add(t)
    found = run_checks(g, {rule: rules[rule]})
    assert found and all(v.rule == rule for v in found)
    assert {URIRef(v.focus) for v in found} <= {s for s, _p, _o in triples} | {o for _s, _p, o in triples}
