"""Issue 20: `shared --kind` and `outcomes --kind` find kinds by meaning (labels, altLabels, definitions; zh and en)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from govkg.analysis import site_index
from govkg.analysis.matching import kind_matches
from govkg.cli import cli
from govkg.errors import NotFoundError
from govkg.shared import shared_mechanisms


def _kinds(name):
    r = CliRunner().invoke(cli, ["shared", name, "--kind", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["kinds"]


def _sites(kinds):
    return {s["label"]["zh"] for k in kinds for s in k["sites"]}


def test_mediation_finds_dispute_resolution_at_four_sites():
    kinds = _kinds("mediation")
    labels = {k["label"]["zh"]: k for k in kinds}
    assert {"矛盾纠纷调解队", "矛盾纠纷化解"} <= set(labels)
    assert labels["矛盾纠纷化解"]["site_count"] >= 4 and len(_sites(kinds)) >= 4
    assert labels["矛盾纠纷化解"]["match"] == "definition" and labels["矛盾纠纷调解队"]["match"] == "alt"


def test_zh_mediation_finds_the_same_kinds():
    assert {k["iri"] for k in _kinds("调解")} == {k["iri"] for k in _kinds("mediation")}


@pytest.mark.parametrize("name", ["deliberation", "议事"])
def test_deliberation_finds_the_broad_kind_and_its_narrower_kinds(name):
    kinds = _kinds(name)
    labels = {k["label"]["zh"]: k["match"] for k in kinds}
    assert "协商议事" in labels and "议事堂议事会" in labels
    # a kind's narrower kinds come with it, marked as such
    assert labels.get("居民协商会") == "narrower" and labels.get("参与式预算") == "narrower"
    assert len(_sites(kinds)) == 7


def test_grid_management_and_volunteer():
    assert _kinds("grid management")[0]["label"]["zh"] == "网格化管理"
    assert {"志愿服务队", "志愿互助"} <= {k["label"]["zh"] for k in _kinds("volunteer")}
    # a stemmed word of a name: "volunteers" and "mediator" match too
    assert {"志愿互助"} <= {k["label"]["zh"] for k in _kinds("volunteers")}
    assert "矛盾纠纷调解队" in {k["label"]["zh"] for k in _kinds("mediators")}


def test_a_definition_match_does_not_pull_in_narrower_kinds(graph):
    index = site_index(graph)
    got = {index.label(k): sc for sc, k in kind_matches("grid management", index)}
    assert got == {"网格化管理": 6, "精细化管理": 1}


def test_text_output_says_why_a_kind_matched():
    out = CliRunner().invoke(cli, ["shared", "mediation", "--kind", "--lang", "en"]).stdout
    assert "dispute resolution (named in its definition) — 4 sites" in out
    zh = CliRunner().invoke(cli, ["shared", "议事", "--kind"]).stdout
    assert "居民协商会(下位类型)" in zh


def test_nothing_found_is_a_clear_error(graph):
    with pytest.raises(NotFoundError):
        shared_mechanisms(graph, "zzzz-no-such-practice", kind=True)
    r = CliRunner().invoke(cli, ["shared", "zzzz-no-such-practice", "--kind"])
    assert r.exit_code != 0 and "Traceback" not in r.output


def test_outcomes_by_kind_meaning():
    r = CliRunner().invoke(cli, ["outcomes", "--kind", "mediation", "--format", "json", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    sites = {row["site"] for row in rows}
    assert {"江源村", "高新社区", "迈瀛社区"} <= sites
