"""Synthetic govkg data at scale: N sites, M mechanisms with Zipf popularity, areas, organizations, outcomes.

Writes a data folder in the format of data/README.md (which ``govkg.build_graph(folder,
sources_dirs=[])`` accepts) and, optionally, the same graph directly as N-Triples (for
20,000 sites, where compiling the YAML through the build is the slow part; see
``bench_analysis.py``). Never writes into the repository's data/.

    python benchmarks/generate.py OUT_DIR --sites 2000 [--mechanisms 0] [--seed 1] [--nt]
    python benchmarks/generate.py OUT_DIR --sites 2000 --realistic   # for bench_build.py

``generate_realistic`` writes richer site files (each with its own area, organizations with
members, mechanisms defined or used, outcomes credited to mechanisms, a distinct evidence
sentence per entry) and the synthetic source text they quote, so the build's evidence
checks run.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from govkg.namespace import KIND

__all__ = ["generate", "generate_realistic", "edit_one_site", "LEAF_KINDS"]

#: Kinds a synthetic mechanism is typed by (narrower kinds of the real scheme).
LEAF_KINDS = [
    "dangjianlianjiangongjian", "dangyuanxianfengdui", "dangyuanshifandaidong", "yishitangyishihui",
    "juminxieshanghui", "canyushiyusuan", "wanggehuaguanli", "zhiyuanfuwudui", "huzhuyanglao",
    "shipinjiankong", "shuziqudao", "maodunjiufentiaojiedui", "shequhehuoren", "shequfazhangongsi",
    "bianminfuwu", "jiuyefuwu", "tesechanye", "huanjingzhengzhi", "wenhuazhili", "zhianlianfang",
]
_EVIDENCE = "合成数据，仅供基准测试。"


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def generate(out: str | Path, n_sites: int, n_mechanisms: int | None = None, *, seed: int = 1,
             per_site: tuple[int, int] = (4, 9), zipf: float = 0.9, nt: bool = False) -> dict:
    """Write a synthetic data folder under ``out``; return its counts.

    Mechanism ``r`` (rank from 0) is picked by a site with weight ``1 / (r + 1) ** zipf``;
    each site picks ``per_site`` (uniform range) distinct mechanisms. The first site picking
    a mechanism defines it (labels, kinds, organization); the others ``use`` it. Each site
    has a party branch realizing the mechanisms it defines, one outcome, and sits in a
    town of a district of one city.

    With ``nt=True`` the same graph (ontology + data, the triples ``govkg.build_graph``
    makes of this folder) is also written directly to ``out/graph.nt``, without the YAML
    parser and rdflib; ``bench_analysis.py`` checks that both give the same triples.
    """
    import numpy as np

    for k in LEAF_KINDS:
        KIND[k]  # a misspelt kind fails here
    out = Path(out)
    (out / "sites").mkdir(parents=True, exist_ok=True)
    (out / "sources").mkdir(exist_ok=True)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    M = n_mechanisms or max(50, n_sites // 4)
    w = 1.0 / np.arange(1, M + 1) ** zipf
    w /= w.sum()
    n_districts = 6
    n_towns = max(n_districts, n_sites // 40)

    (out / "sources" / "synthetic.yaml").write_text(
        "id: synthetic\nzh: 合成数据\nen: Synthetic data\nlanguage: zh\n"
        "publisher: {id: synthetic-press, zh: 合成出版社, en: Synthetic Press}\n", encoding="utf-8")
    areas = ["source: synthetic", "areas:", f"  - {{id: city, zh: 合成市, en: Synthetic City, type: city, evidence: {_q(_EVIDENCE)}}}"]
    for d in range(n_districts):
        areas.append(f"  - {{id: d{d}, zh: 合成{d}区, en: District {d}, type: district, within: city, evidence: {_q(_EVIDENCE)}}}")
    for t in range(n_towns):
        areas.append(f"  - {{id: t{t}, zh: 合成{t}镇, en: Town {t}, type: town, within: d{t % n_districts}, evidence: {_q(_EVIDENCE)}}}")
    (out / "areas.yaml").write_text("\n".join(areas) + "\n", encoding="utf-8")

    T = _Triples() if nt else None
    if T:
        T.source()
        T.area("city", "合成市", "Synthetic City", "City", None)
        for d in range(n_districts):
            T.area(f"d{d}", f"合成{d}区", f"District {d}", "District", "city")
        for t in range(n_towns):
            T.area(f"t{t}", f"合成{t}镇", f"Town {t}", "Town", f"d{t % n_districts}")
    defined: set[int] = set()
    uses = 0
    for s in range(n_sites):
        k = rng.randint(*per_site)
        picks = sorted(nrng.choice(M, size=min(k, M), replace=False, p=w).tolist())
        village = s % 3 == 0
        lines = ["source: synthetic", "site:", f"  id: s{s}",
                 f"  zh: 合成{s}{'村' if village else '社区'}", f"  en: Site {s} {'Village' if village else 'Community'}",
                 f"  type: {'village' if village else 'community'}", f"  within: t{s % n_towns}",
                 f"  evidence: {_q(_EVIDENCE)}",
                 "organizations:", f"  - {{id: o{s}, zh: 合成{s}党支部, en: Site {s} Party Branch, type: party-organization, evidence: {_q(_EVIDENCE)}}}",
                 "mechanisms:"]
        if T:
            T.site(s, lines[3][6:], lines[4][6:], "Village" if village else "Community", f"t{s % n_towns}")
        for m in picks:
            if m in defined:
                lines.append(f"  - {{use: m{m}, evidence: {_q(_EVIDENCE)}}}")
                uses += 1
                if T:
                    T.use(s, m)
            else:
                defined.add(m)
                kinds = sorted({LEAF_KINDS[m % len(LEAF_KINDS)], LEAF_KINDS[(m * 7 + 3) % len(LEAF_KINDS)]})
                lines.append(f"  - {{id: m{m}, zh: 合成机制{m}, en: Mechanism {m}, kinds: [{', '.join(kinds)}], "
                             f"realized_by: [o{s}], evidence: {_q(_EVIDENCE)}}}")
                if T:
                    T.mechanism(s, m, kinds)
        v = rng.randint(1, 500)
        if T:
            T.org(s)
            T.outcome(s, v)
        lines += ["outcomes:", f"  - {{id: s{s}-x, zh: 处置问题件数, en: issues handled, value: {v}, unit: jian, "
                  f"evidence: {_q(f'合成数据：处置问题{v}件。')}}}"]
        (out / "sites" / f"s{s}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = {"sites": n_sites, "mechanisms": len(defined), "uses": uses, "towns": n_towns, "districts": n_districts}
    if T:
        res["nt"] = str(T.write(out / "graph.nt"))
        res["nt_triples"] = T.count
    return res


def generate_realistic(out: str | Path, n_sites: int, *, seed: int = 1, per_site: tuple[int, int] = (3, 6),
                       zipf: float = 0.9) -> dict:
    """Write a realistic synthetic data folder (``out/sites/s<i>.yaml`` …) and its source text; return counts.

    Each site file holds the site, its own village committee or subdistrict (an area within a
    town of ``out/areas.yaml``), a party branch and a volunteer team (member of the branch),
    3–6 mechanisms (defined by the first site picking one, ``use``d by the others, Zipf
    popularity; the defining sentence names its kinds), two outcomes (one credited to a mechanism) and one evidence sentence per
    entry. Every sentence is in ``out/sources/synthetic.zh.txt``, which the build finds in
    ``data/sources/`` and checks each evidence sentence against.
    """
    import numpy as np
    from rdflib import RDFS

    from govkg.resources import ontology_graph

    onto = ontology_graph()
    kind_zh = {k: next(str(o) for o in onto.objects(KIND[k], RDFS.label) if o.language == "zh") for k in LEAF_KINDS}
    out = Path(out)
    (out / "sites").mkdir(parents=True, exist_ok=True)
    (out / "sources").mkdir(exist_ok=True)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    M = max(50, n_sites // 4)
    w = 1.0 / np.arange(1, M + 1) ** zipf
    w /= w.sum()
    n_districts = 6
    n_towns = max(n_districts, n_sites // 40)
    text: list[str] = ["合成数据报告，仅供基准测试。"]

    def say(sentence: str) -> str:
        text.append(sentence)
        return _q(sentence)

    (out / "sources" / "synthetic.yaml").write_text(
        "id: synthetic\nzh: 合成数据\nen: Synthetic data\nlanguage: zh\nfile: synthetic.zh.txt\n"
        "publisher: {id: synthetic-press, zh: 合成出版社, en: Synthetic Press}\n", encoding="utf-8")
    areas = ["source: synthetic", "areas:",
             f"  - {{id: city, zh: 合成市, en: Synthetic City, type: city, evidence: {say('合成市推进基层治理。')}}}"]
    for d in range(n_districts):
        areas.append(f"  - {{id: d{d}, zh: 合成{d}区, en: District {d}, type: district, within: city, "
                     f"evidence: {say(f'合成{d}区隶属合成市。')}}}")
    for t in range(n_towns):
        areas.append(f"  - {{id: t{t}, zh: 合成{t}镇, en: Town {t}, type: town, within: d{t % n_districts}, "
                     f"evidence: {say(f'合成{t}镇隶属合成{t % n_districts}区。')}}}")
    (out / "areas.yaml").write_text("\n".join(areas) + "\n", encoding="utf-8")
    defined: set[int] = set()
    uses = outcomes = 0
    for s in range(n_sites):
        village = s % 3 == 0
        kind, name = ("village", "村") if village else ("community", "社区")
        parent, pname = ("village-committee", "村委会") if village else ("subdistrict", "街道")
        town = s % n_towns
        lines = ["source: synthetic", "site:", f"  id: s{s}", f"  zh: 合成{s}{name}",
                 f"  en: Site {s} {'Village' if village else 'Community'}", f"  type: {kind}", f"  within: a{s}",
                 f"  evidence: {say(f'合成{s}{name}地处合成{town}镇，常住人口{1000 + s}人。')}",
                 "areas:",
                 f"  - {{id: a{s}, zh: 合成{s}{pname}, en: Area {s} {parent.replace('-', ' ').title()}, "
                 f"type: {parent}, within: t{town}, evidence: {say(f'合成{s}{pname}隶属合成{town}镇。')}}}",
                 "organizations:",
                 f"  - {{id: o{s}, zh: 合成{s}党支部, en: Site {s} Party Branch, type: party-organization, "
                 f"evidence: {say(f'合成{s}党支部牵头开展基层治理。')}}}",
                 f"  - {{id: v{s}, zh: 合成{s}志愿服务队, en: Site {s} Volunteer Team, type: volunteer-team, "
                 f"part_of: o{s}, evidence: {say(f'合成{s}志愿服务队由党员和居民组成。')}}}",
                 "mechanisms:"]
        picks = sorted(nrng.choice(M, size=min(rng.randint(*per_site), M), replace=False, p=w).tolist())
        for m in picks:
            if m in defined:
                lines.append(f"  - {{use: m{m}, evidence: {say(f'合成{s}{name}引入合成机制{m}。')}}}")
                uses += 1
            else:
                defined.add(m)
                kinds = sorted({LEAF_KINDS[m % len(LEAF_KINDS)], LEAF_KINDS[(m * 7 + 3) % len(LEAF_KINDS)]})
                lines.append(f"  - {{id: m{m}, zh: 合成机制{m}, en: Mechanism {m}, kinds: [{', '.join(kinds)}], "
                             f"realized_by: [o{s}, v{s}], evidence: "
                             f"{say(f'合成{s}{name}首创合成机制{m}，即{chr(12289).join(kind_zh[k] for k in kinds)}。')}}}")
        v1, v2 = rng.randint(1, 500), rng.randint(501, 999)
        lines += ["outcomes:",
                  f"  - {{id: s{s}-x, zh: 处置问题件数, en: issues handled, value: {v1}, unit: jian, "
                  f"mechanism: m{picks[0]}, evidence: {say(f'合成机制{picks[0]}在合成{s}{name}处置问题{v1}件。')}}}",
                  f"  - {{id: s{s}-y, zh: 服务户数, en: households served, value: {v2}, unit: hu, "
                  f"subject: o{s}, evidence: {say(f'合成{s}党支部服务群众{v2}户。')}}}"]
        outcomes += 2
        (out / "sites" / f"s{s}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "sources" / "synthetic.zh.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    return {"sites": n_sites, "mechanisms": len(defined), "uses": uses, "outcomes": outcomes, "towns": n_towns,
            "sentences": len(text)}


def edit_one_site(out: str | Path, s: int = 0) -> Path:
    """Change one label of site ``s`` (a one-file edit for the rebuild benchmark); return the file."""
    p = Path(out) / "sites" / f"s{s}.yaml"
    text = p.read_text(encoding="utf-8")
    old = "Community" if "Community" in text else "Village"
    p.write_text(text.replace(f"Site {s} {old}", f"Site {s} {old} (edited)", 1), encoding="utf-8")
    return p


_ID = "https://w3id.org/govkg/id/"
_GK = "https://w3id.org/govkg/ontology#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_PROV = "http://www.w3.org/ns/prov#"
_ORG = "http://www.w3.org/ns/org#"
_SCHEMA = "https://schema.org/"


def _nt_text(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Triples:
    """N-Triples lines of the triples the build makes of the generator's entries (see ``govkg.build``)."""

    def __init__(self):
        self.lines: list[str] = []
        self.count = 0

    def t(self, s, p, o):
        self.lines.append(f"<{s}> <{p}> {o} .")

    def iri(self, x):
        return f"<{x}>"

    def labels(self, node, zh, en):
        self.t(node, _RDFS + "label", _nt_text(zh) + "@zh")
        self.t(node, _RDFS + "label", _nt_text(en) + "@en")

    def evidence(self, node, ev_path, sentence=_EVIDENCE):
        ev = _ID + "evidence/" + ev_path + "/1"
        src = _ID + "source/synthetic"
        self.t(node, _PROV + "hadPrimarySource", self.iri(src))
        self.t(node, _GK + "evidence", self.iri(ev))
        self.t(node, _PROV + "wasDerivedFrom", self.iri(ev))
        self.t(ev, _RDF + "type", self.iri(_GK + "Evidence"))
        self.t(ev, _RDF + "type", self.iri(_PROV + "Entity"))
        self.t(ev, _PROV + "value", _nt_text(sentence) + "@zh")
        self.t(ev, _PROV + "wasQuotedFrom", self.iri(src))

    def source(self):
        src, pub = _ID + "source/synthetic", _ID + "org/synthetic-press"
        for c in (_SCHEMA + "NewsArticle", _PROV + "Entity"):
            self.t(src, _RDF + "type", self.iri(c))
        self.labels(src, "合成数据", "Synthetic data")
        self.t(src, _SCHEMA + "inLanguage", '"zh"')
        self.t(src, _SCHEMA + "publisher", self.iri(pub))
        for c in (_GK + "NewsOutlet", _ORG + "Organization"):
            self.t(pub, _RDF + "type", self.iri(c))
        self.labels(pub, "合成出版社", "Synthetic Press")

    def area(self, aid, zh, en, cls, within):
        node = _ID + "area/" + aid
        self.labels(node, zh, en)
        self.evidence(node, "area/" + aid)
        self.t(node, _RDF + "type", self.iri(_GK + cls))
        self.t(node, _RDF + "type", self.iri(_SCHEMA + "AdministrativeArea"))
        if within:
            self.t(node, _SCHEMA + "containedInPlace", self.iri(_ID + "area/" + within))

    def site(self, s, zh, en, cls, town):
        node = _ID + f"site/s{s}"
        self.labels(node, zh, en)
        self.evidence(node, f"site/s{s}")
        for c in (_GK + cls, _SCHEMA + "AdministrativeArea", _GK + "DemonstrationSite", _ORG + "Site"):
            self.t(node, _RDF + "type", self.iri(c))
        self.t(node, _SCHEMA + "containedInPlace", self.iri(_ID + "area/" + town))

    def org(self, s):
        node = _ID + f"org/o{s}"
        self.labels(node, f"合成{s}党支部", f"Site {s} Party Branch")
        self.evidence(node, f"org/o{s}")
        for c in (_GK + "PartyOrganization", _ORG + "Organization"):
            self.t(node, _RDF + "type", self.iri(c))
        self.t(node, _ORG + "hasSite", self.iri(_ID + f"site/s{s}"))

    def mechanism(self, s, m, kinds):
        node = _ID + f"mechanism/m{m}"
        self.labels(node, f"合成机制{m}", f"Mechanism {m}")
        self.evidence(node, f"mechanism/m{m}")
        self.t(node, _RDF + "type", self.iri(_GK + "Mechanism"))
        for k in kinds:
            self.t(node, _GK + "mechanismKind", self.iri(str(KIND[k])))
            self.t(node, "http://purl.org/dc/terms/type", self.iri(str(KIND[k])))
        self.t(node, _GK + "usedAt", self.iri(_ID + f"site/s{s}"))
        self.t(node, _GK + "realizedBy", self.iri(_ID + f"org/o{s}"))

    def use(self, s, m):
        node = _ID + f"mechanism/m{m}"
        self.t(node, _GK + "usedAt", self.iri(_ID + f"site/s{s}"))
        self.evidence(node, f"use/s{s}/m{m}")

    def outcome(self, s, v):
        node, site = _ID + f"outcome/s{s}-x", self.iri(_ID + f"site/s{s}")
        self.labels(node, "处置问题件数", "issues handled")
        self.evidence(node, f"outcome/s{s}-x", f"合成数据：处置问题{v}件。")
        for c in (_GK + "Outcome", "http://www.w3.org/ns/sosa/Observation", _SCHEMA + "QuantitativeValue"):
            self.t(node, _RDF + "type", self.iri(c))
        self.t(node, _SCHEMA + "value", f'"{v}"^^<http://www.w3.org/2001/XMLSchema#integer>')
        self.t(node, _SCHEMA + "unitCode", "<https://w3id.org/govkg/unit/jian>")
        self.t(node, _SCHEMA + "unitText", '"件"')
        self.t(node, _GK + "comparator", self.iri(_GK + "Exactly"))
        self.t(node, _GK + "measureType", self.iri(_GK + "Level"))
        self.t(node, _GK + "site", site)
        self.t(node, "http://www.w3.org/ns/sosa/hasFeatureOfInterest", site)

    def write(self, path: Path) -> Path:
        from govkg.resources import ontology_graph

        onto = ontology_graph().serialize(format="nt", encoding="utf-8").decode("utf-8")
        data = sorted(set(self.lines))
        self.count = len(data) + sum(1 for ln in onto.splitlines() if ln.strip())
        path.write_text(onto + "\n".join(data) + "\n", encoding="utf-8")
        return path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--mechanisms", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nt", action="store_true", help="also write graph.nt directly (no YAML parse)")
    ap.add_argument("--realistic", action="store_true", help="richer site files and a source text (bench_build.py)")
    a = ap.parse_args(argv)
    repo_data = (Path(__file__).resolve().parent.parent / "data").resolve()
    if a.out.resolve() == repo_data or repo_data in a.out.resolve().parents:
        sys.exit("refusing to write into the repository's data/ folder")
    if a.realistic:
        print(generate_realistic(a.out, a.sites, seed=a.seed))
    else:
        print(generate(a.out, a.sites, a.mechanisms or None, seed=a.seed, nt=a.nt))


if __name__ == "__main__":
    main()
