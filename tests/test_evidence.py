"""Facts are traceable: every fact has evidence quoted verbatim from its source, and links to that source."""

from __future__ import annotations

import re

import pytest
from govkg.namespace import GK, ID, SCHEMA
from rdflib import RDF, RDFS, Literal
from rdflib.namespace import ORG, PROV

FACT_CLASSES = (GK.DemonstrationSite, GK.Mechanism, GK.Outcome, SCHEMA.AdministrativeArea, SCHEMA.Event,
                GK.EventResponse)


def _facts(graph):
    facts = {s for c in FACT_CLASSES for s in graph.subjects(RDF.type, c)}
    facts |= set(graph.subjects(ORG.hasSite, None))  # organizations of the data
    return facts


def _one_problem(data_dir, site: str, old: str, new: str, sources_dirs):
    """Replace ``old`` by ``new`` in ``sites/<site>.yaml`` of ``data_dir``, build, and return the
    single problem raised with the line where ``old`` stood."""
    from govkg.build import build_graph
    from govkg.errors import DataError

    f = data_dir / "sites" / f"{site}.yaml"
    text = f.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError) as exc_info:
        build_graph(data_dir, sources_dirs=sources_dirs)
    (p,) = exc_info.value.problems
    return p, line


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
    # Numbers that are part of a name (1人+N户, 1个党组织+2个群众团体) are not outcomes: they
    # stay in the name of the mechanism.
    values = {str(v) for v in graph.objects(None, SCHEMA.value)}
    names = " ".join(str(label) for m in graph.subjects(RDF.type, GK.Mechanism) for label in graph.objects(m, RDFS.label))
    numbers = set(re.findall(r"\d+(?:\.\d+)?", body))
    in_names = set(re.findall(r"\d+(?:\.\d+)?", names))
    missing = sorted(n for n in numbers if n not in values and n not in in_names)
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


# --- evidence and numbers by meaning (whole sentences, number tokens) ---------------------------

def test_every_evidence_is_whole_sentences_of_the_source(graph, source_text):
    from govkg.compile import sentence_problem

    quotes = {str(o) for o in graph.objects(None, PROV.value)}
    bad = {q: sentence_problem(q, source_text) for q in quotes}
    assert not {q: why for q, why in bad.items() if why}, bad


def test_sentences_end_at_full_stops_and_line_breaks_not_semicolons():
    from govkg.compile import sentence_problem

    text = "第一句;仍是第一句。第二句说“好。”\n标题行\n"
    assert sentence_problem("第一句;仍是第一句。", text) is None
    assert sentence_problem("第二句说“好。”", text) is None
    assert sentence_problem("标题行", text) is None
    assert sentence_problem("第一句;仍是第一句。第二句说“好。”", text) is None  # two whole sentences
    assert "fragment" in sentence_problem("第一句;", text)  # ; does not end a sentence
    assert "fragment" in sentence_problem("仍是第一句。", text)
    assert "not found" in sentence_problem("第三句。", text)


def test_numbers_are_whole_tokens_and_chinese_numerals_count():
    from govkg.compile import number_in

    assert number_in(12, ["累计开展企业互助12场次"]) and not number_in(12, ["累计开展企业互助112场次"])
    assert not number_in(1, ["累计开展企业互助12场次"]) and not number_in(2, ["现有人口1.2万人"])
    assert number_in(1.2, ["现有人口1.2万人"]) and number_in(11.5, ["打通村内道路11.5公里"])
    assert number_in(5, ["创建五级党建联盟"]) and number_in(2, ["两个作用"]) and number_in(12, ["十二项"])
    assert number_in(0, ["无“零就业家庭”"]) and not number_in(3, ["五级"])


def test_fragment_evidence_is_refused_with_file_line_field(data_copy, sources_dirs, source_text):
    p, line = _one_problem(data_copy, "maiyingshequ",
                           "evidence: '琼山区凤翔街道迈瀛社区是典型的城中村,有商铺511家、群租楼239栋。'",
                           "evidence: '有商铺511家、群租楼239栋。'", sources_dirs)
    assert (p.file, p.line, p.field) == ("data/sites/maiyingshequ.yaml", line, "evidence")
    assert "fragment of a sentence" in p.message


def test_number_inside_a_longer_number_is_refused(data_copy):
    # 1 is in 13次 only as a digit
    p, line = _one_problem(data_copy, "gaoxinshequ", "    value: 13\n", "    value: 1\n", [])
    assert (p.file, p.line, p.field) == ("data/sites/gaoxinshequ.yaml", line, "value")
    assert "not written as a number" in p.message


def test_evidence_naming_neither_the_entity_is_refused(data_copy, sources_dirs, source_text):
    p, line = _one_problem(
        data_copy, "maiyingshequ",
        "    evidence: '该社区组建“老爸团”,将关心党和国家动态、热心社区发展的“老爸”组织起来,为群众宣讲党史、解读政策、化解纠纷。'\n\nmechanisms:",
        "    evidence: '居民构成复杂,常住人口仅占23%,流动人口占77%。'\n\nmechanisms:", sources_dirs)
    assert (p.file, p.line, p.field) == ("data/sites/maiyingshequ.yaml", line, "evidence")
    assert "names '“老爸团”'" in p.message


def test_kind_not_named_by_the_words_needs_a_basis(data_copy, sources_dirs, source_text):
    p, line = _one_problem(data_copy, "guangyangshequ", "    kinds: [canyushiyusuan]\n",
                           "    kinds: [canyushiyusuan, shipinjiankong]\n", sources_dirs)
    assert (p.file, p.line, p.field) == ("data/sites/guangyangshequ.yaml", line, "kinds")
    assert "kind 'shipinjiankong' is not named" in p.message and "kind_basis" in p.message


def test_kind_basis_is_compiled_as_a_scope_note(graph):
    from rdflib.namespace import SKOS

    notes = [str(n) for n in graph.objects(ID["mechanism/poxiang-yimazhendi"], SKOS.scopeNote)]
    assert notes and "解决矛盾诉求" in notes[0]


def test_labels_of_unnamed_things_are_marked_as_ours(graph):
    """Names the report does not give (the two Party-building alliances, descriptive practice labels) say so."""
    from rdflib.namespace import SKOS

    for iri in ("org/jiangyuan-dangjianlianmeng", "org/yunjiao-dangjianlianmeng", "mechanism/yunjiao-dangjianlianmeng-lianjie"):
        assert "no name" in str(graph.value(ID[iri], SKOS.editorialNote)), iri
    labels = {str(o) for o in graph.objects(None, RDFS.label)}
    assert not {"江源村党建联盟", "云蛟村委会党建联盟"} & labels  # the invented names are gone
