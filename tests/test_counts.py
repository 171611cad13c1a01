"""Issue 20: one definition of every count (counts.rq), the same in build, analyze --json, report and the query examples."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from govkg.cli import cli
from govkg.counts import COUNTED, counts


def test_counts_agree_across_commands(tmp_path, data_copy):
    r = CliRunner()
    base = ["--data", str(data_copy), "--build-dir", str(tmp_path / "build")]
    out = r.invoke(cli, base + ["build"])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.stdout.splitlines() if " triples (" in x)
    built = {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", line.split("(", 1)[1])}

    analyzed = json.loads(r.invoke(cli, base + ["analyze", "--json"]).stdout)["counts"]

    rows = r.invoke(cli, base + ["query", "--example", "counts", "--format", "json"]).stdout
    example = {b["what"]["value"]: int(b["n"]["value"]) for b in json.loads(rows)["results"]["bindings"]}

    md = tmp_path / "report.md"
    assert r.invoke(cli, base + ["report", "-o", str(md), "--lang", "en"]).exit_code == 0
    first = next(x for x in md.read_text(encoding="utf-8").splitlines() if " named mechanisms" in x)
    reported = {k: int(n) for n, k in re.findall(r"(\d+) (sites|named mechanisms|kinds|organizations|other administrative areas|outcomes|claims)", first)}
    reported = {{"named mechanisms": "mechanisms", "other administrative areas": "areas"}.get(k, k): n for k, n in reported.items()}

    for k in COUNTED:
        assert built[k] == analyzed[k] == example.get(k, 0), k
    for k, n in reported.items():
        assert n == built[k], k
    assert set(reported) >= {"sites", "mechanisms", "kinds", "organizations", "areas", "outcomes", "claims"}


def test_counts_on_the_bundled_data(graph):
    from rdflib import RDF
    from rdflib.namespace import ORG, PROV, SKOS

    from govkg.namespace import GK, SCHEMA

    c = counts(graph)
    # the same definitions counted another way (rdflib triples, not SPARQL)
    of = lambda cls: set(graph.subjects(RDF.type, cls))  # noqa: E731
    sites = of(GK.DemonstrationSite)
    assert c["sites"] == len(sites) == 8
    assert c["areas"] == len(of(SCHEMA.AdministrativeArea) - sites) == 15  # the sites are areas too: left out
    orgs = {o for o in of(ORG.Organization) if (o, PROV.hadPrimarySource, None) in graph}
    assert c["organizations"] == len(orgs) < len(of(ORG.Organization))  # not the report's publisher
    assert c["mechanisms"] == len(of(GK.Mechanism))
    kinds = {k for m in of(GK.Mechanism) for d in graph.objects(m, GK.mechanismKind)
             for k in graph.transitive_objects(d, SKOS.broader)}
    assert c["kinds"] == len(kinds)
    assert c["outcomes"] == len(of(GK.Outcome)) and c["claims"] == len(of(GK.Claim))


def test_facts_per_source_counts_as_counts_does(graph):
    from govkg.query import run_query
    from govkg.resources import example_query

    res = run_query(graph, example_query("facts-per-source"))
    facts = {}
    for row in res.rows:
        d = dict(zip(res.variables, row))
        facts[str(d["type"])] = int(d["facts"].toPython())
    c = counts(graph)
    assert facts["administrative area"] == c["areas"] and facts["organization"] == c["organizations"]
    assert facts["governance mechanism"] == c["mechanisms"] and facts["outcome"] == c["outcomes"]
