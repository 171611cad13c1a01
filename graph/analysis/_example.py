"""A tiny graph for the doctests: 甲社区 and 乙村 share three mechanisms, 丙社区 shares none."""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import ORG, PROV, SKOS

from ..namespace import GK, SCHEMA

__all__ = ["example_graph"]


def example_graph() -> Graph:
    """A tiny graph for the doctests: 甲社区 and 乙村 share three mechanisms, 丙社区 shares none."""
    from rdflib.namespace import XSD

    from ..namespace import ID, KIND, UNIT

    g = Graph()
    lab = {"site/a": ("甲社区", "Jia Community"), "site/b": ("乙村", "Yi Village"), "site/c": ("丙社区", "Bing Community"),
           "mechanism/m1": ("议事堂", "deliberation hall"), "mechanism/m2": ("网格", "grid"),
           "mechanism/m3": ("志愿队", "volunteer team"), "mechanism/m4": ("丙网格", "Bing grid"),
           "mechanism/m5": ("监控", "cameras"), "mechanism/m6": ("互助养老", "elderly mutual aid"),
           "org/o1": ("党支部", "party branch"), "outcome/x": ("处置问题件数", "issues handled")}
    for k, (zh, en) in lab.items():
        g.add((ID[k], RDFS.label, Literal(zh, lang="zh")))
        g.add((ID[k], RDFS.label, Literal(en, lang="en")))
    for s in "abc":
        g.add((ID["site/" + s], RDF.type, GK.DemonstrationSite))
    uses = {"m1": "ab", "m2": "ab", "m3": "ab", "m6": "b", "m4": "c", "m5": "c"}
    kinds = {"m1": "yishitangyishihui", "m2": "wanggehuaguanli", "m3": "zhiyuanfuwudui", "m4": "wanggehuaguanli",
             "m5": "shipinjiankong", "m6": "huzhuyanglao"}
    for m, ss in uses.items():
        g.add((ID["mechanism/" + m], RDF.type, GK.Mechanism))
        g.add((ID["mechanism/" + m], GK.mechanismKind, KIND[kinds[m]]))
        for s in ss:
            g.add((ID["mechanism/" + m], GK.usedAt, ID["site/" + s]))
    for k, b in (("yishitangyishihui", "xieshangyishi"), ("wanggehuaguanli", "jingxihuaguanli"),
                 ("zhiyuanfuwudui", "zhiyuanhuzhu"), ("huzhuyanglao", "zhiyuanhuzhu"), ("shipinjiankong", "shuzizhili")):
        g.add((KIND[k], SKOS.broader, KIND[b]))
    g.add((KIND.huzhuyanglao, RDFS.label, Literal("互助养老", lang="zh")))
    g.add((KIND.huzhuyanglao, RDFS.label, Literal("mutual-aid elderly care", lang="en")))
    for term, zh, en in ((GK.Exactly, "确数", "exactly"), (GK.Level, "水平值", "level"), (UNIT.jian, "件", "items")):
        g.add((term, RDFS.label, Literal(zh, lang="zh")))
        g.add((term, RDFS.label, Literal(en, lang="en")))
    g.add((ID["mechanism/m1"], GK.realizedBy, ID["org/o1"]))
    g.add((ID["org/o1"], RDF.type, ORG.Organization))
    x, ev = ID["outcome/x"], ID["evidence/outcome/x/1"]
    for t in ((x, RDF.type, GK.Outcome), (x, SCHEMA.value, Literal("28", datatype=XSD.integer)),
              (x, SCHEMA.unitText, Literal("件")), (x, SCHEMA.unitCode, UNIT.jian), (x, GK.comparator, GK.Exactly),
              (x, GK.measureType, GK.Level), (x, GK.site, ID["site/a"]), (x, GK.attributedTo, ID["mechanism/m1"]),
              (x, GK.evidence, ev), (ev, PROV.value, Literal("今年以来处置问题28件。", lang="zh"))):
        g.add(t)
    return g
