"""Facts are traceable: every fact has evidence quoted verbatim from its source, and links to that source."""

from __future__ import annotations

import re

from rdflib import RDF, Literal
from rdflib.namespace import ORG, PROV

from govkg.namespace import GK, ID, SCHEMA

FACT_CLASSES = (GK.DemonstrationSite, GK.Mechanism, GK.Outcome, SCHEMA.AdministrativeArea, SCHEMA.Event,
                GK.EventResponse)


def _facts(graph):
    facts = {s for c in FACT_CLASSES for s in graph.subjects(RDF.type, c)}
    facts |= set(graph.subjects(ORG.hasSite, None))  # organizations of the data
    return facts


def test_every_fact_has_evidence_and_source(graph):
    facts = _facts(graph)
    assert len(facts) > 150
    for f in facts:
        evs = list(graph.objects(f, GK.evidence))
        assert evs, f"{f} has no evidence"
        sources = set(graph.objects(f, PROV.hadPrimarySource))
        assert sources, f"{f} has no source"
        for ev in evs:
            (text,) = graph.objects(ev, PROV.value)
            assert isinstance(text, Literal) and text.language == "zh" and len(text) >= 2
            assert set(graph.objects(ev, PROV.wasQuotedFrom)) <= sources


def test_evidence_occurs_verbatim_in_the_source_text(graph, source_text):
    sentences = {str(o) for o in graph.objects(None, PROV.value)}
    assert len(sentences) > 50
    missing = [s for s in sentences if s not in source_text]
    assert not missing, missing[:3]


def test_repository_does_not_reproduce_the_article(source_text):
    """Only single sentences are quoted: no data file holds more than a fifth of the article."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sentences = {s.strip() for s in re.split(r"[。\n]", source_text) if len(s.strip()) >= 15}
    notice = next(line for line in source_text.splitlines() if "版权" in line)[1:20]
    for f in (root / "data").rglob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        hits = sum(1 for s in sentences if s in text)
        assert hits < 0.2 * len(sentences), f"{f} quotes {hits} of {len(sentences)} sentences"
        assert notice not in text, f"{f} holds the report's copyright notice"


def test_every_number_of_the_article_is_in_the_graph(graph, source_text):
    """Each Arabic numeral the article states about the sites is the value of some outcome."""
    body = source_text.split("编者按", 1)[1].split("·凡注明", 1)[0]
    body = body.replace("11月2日", "").replace("8个基层治理示范点", "")
    # Left out: the meeting date 11月2日 (modelled on the meeting, not as an outcome) and the
    # editor's note's "8个" (the eight sites are the sites themselves).
    values = {str(v) for v in graph.objects(None, SCHEMA.value)}
    numbers = set(re.findall(r"\d+(?:\.\d+)?", body))
    missing = sorted(n for n in numbers if n not in values)
    assert not missing, f"numbers of the article with no outcome: {missing}"


def test_report_is_a_news_article_by_haikou_net(graph):
    src = ID["source/haikou-jicengzhili-shifandian-2024"]
    assert (src, RDF.type, SCHEMA.NewsArticle) in graph
    publisher = graph.value(src, SCHEMA.publisher)
    assert Literal("海口网", lang="zh") in set(graph.objects(publisher, None))
    meeting = graph.value(src, SCHEMA.about)
    assert str(graph.value(meeting, SCHEMA.startDate)) == "2024-11-02"
    assert "inferred" in str(graph.value(meeting, GK.dateBasis))
    assert str(graph.value(meeting, GK.dateAsStated)) == "11月2日"
