"""Issue 20: the one similarity sees the kind hierarchy (kinds closed under broader, ln((n+1)/df) weights)."""

from __future__ import annotations

import itertools

from click.testing import CliRunner

from govkg.analysis import similarity_matrix
from govkg.cli import cli
from govkg.shared import shared_mechanisms, similar_sites


def test_gaoxin_and_maiying_share_kinds_and_score_above_zero(graph):
    res = similar_sites(graph, "高新社区")
    maiying = next(s for s in res["similar"] if s["label"]["zh"] == "迈瀛社区")
    assert maiying["similarity"] > 0 and maiying["shared_count"] >= 3
    # the shared kinds listed are those `shared --kind` puts both sites under (most specific of them)
    assert {"党建引领", "矛盾纠纷化解", "精细化管理"} <= {k["label"]["zh"] for k in maiying["shared"]["kinds"]}


def test_no_pair_sharing_a_kind_scores_zero(graph):
    kinds = shared_mechanisms(graph, min_sites=2)["kinds"]
    together = set()
    for k in kinds:
        for a, b in itertools.combinations(sorted(s["iri"] for s in k["sites"]), 2):
            together.add((a, b))
    assert together
    sites, S = similarity_matrix(graph)
    row = {str(s): i for i, s in enumerate(sites)}
    zero = [(a, b) for a, b in together if S[row[a], row[b]] <= 0]
    assert not zero


def test_a_broad_kind_counts_less_than_a_narrow_one(graph):
    from govkg.analysis import feature_weights, features

    X, cols = features(graph)
    w = dict(zip((str(c).rsplit("/", 1)[1] for c in cols), feature_weights(X)))
    # 党建引领 (a broad kind nearly every site has) weighs less than 议事堂议事会 (a narrow one at 3 sites)
    assert 0 < w["dangjianyinling"] < w["yishitangyishihui"]


def test_formula_is_in_every_help():
    r = CliRunner()
    for cmd in (["similar", "--help"], ["suggest", "--help"], ["analyze", "--help"]):
        out = " ".join(r.invoke(cli, cmd).stdout.split())
        assert "ln((n + 1) / df(f))" in out and "closed under broader kinds" in out, cmd


def test_similar_cli_gives_maiying_a_score():
    out = CliRunner().invoke(cli, ["similar", "高新社区"]).stdout
    line = next(x for x in out.splitlines() if "迈瀛社区" in x)
    assert float(line.split()[2]) > 0
