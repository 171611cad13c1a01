"""The build's persistent store (issue 17): written by the build, opened read-only by the readers, refused when damaged."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import govkg
from govkg.build import build, ntriples
from govkg.cli import cli
from govkg.errors import GovkgError
from govkg.shared import shared_mechanisms, similar_sites
from govkg.analysis import site_index


@pytest.fixture
def built(data_copy, sources_dirs):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs)
    return data_copy, out


def _store_dirs(out):
    return sorted(p.name for p in out.iterdir() if p.name.startswith("store-"))


def _run(data, *args):
    r = CliRunner().invoke(cli, ["--data", str(data), *args])
    return r.exit_code, r.stdout, r.stderr


def test_build_writes_one_store_holding_the_graph(built, graph):
    data, out = built
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert _store_dirs(out) == [m["store"]] == [f"store-{m['generation']}"]
    assert (out / f"index-{m['generation']}.npz").is_file() and (out / f"index-{m['generation']}.json").is_file()
    h = govkg.open(out)
    mem = ox.Store()  # what the readers loaded in memory before: the same triples, as Oxigraph keeps them
    mem.bulk_load(ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    assert set(h.store) == set(mem) and len(h.store) == len(graph)
    assert h.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a gk:DemonstrationSite }").rows[0][0].toPython() == 8


def test_opened_build_answers_as_the_graph_does(built, graph):
    _data, out = built
    h = govkg.open(out)
    a, b = site_index(h), site_index(graph)
    assert a.sites == b.sites and a.labels == b.labels and a.broader == b.broader
    for level in ("mechanisms", "kinds", "specific", "organizations"):
        x, y = getattr(a, level), getattr(b, level)
        assert x.columns == y.columns and (x.matrix != y.matrix).nnz == 0
    assert (a.mechanism_kinds != b.mechanism_kinds).nnz == 0
    assert h.shared() == shared_mechanisms(graph)
    for name in ("椰智荟", "议事", "mediation"):
        assert h.shared(name) == shared_mechanisms(graph, name)
    assert h.shared("调解", kind=True, min_sites=1) == shared_mechanisms(graph, "调解", kind=True, min_sites=1)
    for site in ("高新社区", "江源村"):
        for by in ("kinds", "mechanisms"):
            assert h.similar(site, by=by) == similar_sites(graph, site, by=by)
    kinds = h.kind_texts
    assert kinds and all(set(v) <= {"label", "altLabel", "definition"} for v in kinds.values())
    assert any("altLabel" in v for v in kinds.values()) and any("definition" in v for v in kinds.values())


def test_evidence_file_read_whole_or_by_mechanism(built, graph, monkeypatch):
    """The build's evidence file, read whole (many mechanisms) or by mechanism (few), gives the graph's answer."""
    _data, out = built
    h = govkg.open(out)
    monkeypatch.setattr(govkg.OpenBuild, "PATTERN_LIMIT", 0)
    assert h.shared() == shared_mechanisms(graph)
    assert h.shared("议事") == shared_mechanisms(graph, "议事")
    assert h.similar("高新社区", by="mechanisms") == similar_sites(graph, "高新社区", by="mechanisms")


def test_labels_of_sites_and_organizations_are_read_a_term_at_a_time(built, graph):
    """The opened index holds mechanism and kind labels; the others come from the label table on demand."""
    import sqlite3

    from rdflib import URIRef

    _data, out = built
    want = site_index(graph).labels
    labels = govkg.open(out).site_index().labels
    site = next(s for s in site_index(graph).sites if str(s).endswith("/gaoxinshequ"))
    assert labels[site] == labels[str(site)] == want[site] and site in labels and str(site) in labels
    assert URIRef("https://w3id.org/govkg/id/site/nowhere") not in labels
    assert dict(labels) == want and len(labels) == len(want)
    assert all(type(k) is URIRef for k in labels)
    rows = sqlite3.connect(next(out.glob("evidence-*.sqlite"))).execute("SELECT iri FROM labels").fetchall()
    assert str(site) in {r[0] for r in rows} and len(rows) < len(want)  # mechanisms and kinds stay in the JSON


def test_a_damaged_label_table_is_a_clear_error(built):
    import sqlite3

    _data, out = built
    db = next(out.glob("evidence-*.sqlite"))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE labels SET zh = x'00ff'")  # a blob: TEXT affinity would turn a number into text
    with pytest.raises(GovkgError, match="label table .* wrong kind: run `govkg build --full`"):
        govkg.open(out).similar("高新社区")


def test_evidence_from_the_store_when_the_evidence_file_is_absent(built, graph, monkeypatch):
    """Without the build's evidence file, the store is read (look-ups for few mechanisms, scans for many)."""
    _data, out = built
    next(out.glob("evidence-*.sqlite")).unlink()
    h = govkg.open(out)
    assert h.shared("议事") == shared_mechanisms(graph, "议事")
    assert h.similar("高新社区") == similar_sites(graph, "高新社区")
    monkeypatch.setattr(govkg.OpenBuild, "PATTERN_LIMIT", 0)
    assert h.shared() == shared_mechanisms(graph)


def test_read_commands_do_not_parse_the_graph(built, monkeypatch):
    """query, shared and similar answer from the store and the index: the N-Triples reader is never called."""
    data, _out = built

    def refuse(*a, **k):
        raise AssertionError("the whole graph was loaded")

    module = sys.modules["govkg.build"]
    for name in ("load_graph", "build_graph", "_trusted_ntriples"):
        monkeypatch.setattr(module, name, refuse)
    code, out, err = _run(data, "shared", "椰智荟")
    assert code == 0, err
    assert "高新社区" in out and "江源村" in out
    code, out, err = _run(data, "similar", "高新社区", "--top", "2")
    assert code == 0, err
    assert "江源村" in out
    code, out, err = _run(data, "shared")
    assert code == 0, err
    code, out, err = _run(data, "query", "--timeout", "0", "SELECT ?s WHERE { ?s a gk:DemonstrationSite }")
    assert code == 0, err
    assert "(8 rows)" in out


def test_fresh_process_reads_the_store(built):
    data, out = built
    r = subprocess.run([sys.executable, "-m", "govkg", "--data", str(data), "--build-dir", str(out), "shared", "--json",
                        "椰智荟"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [s["label"]["zh"] for s in json.loads(r.stdout)["mechanisms"][0]["sites"]] == ["高新社区", "江源村"]


def _damage_sst(store):
    sst = sorted(store.glob("*.sst"))
    assert sst
    for p in sst:
        p.write_bytes(b"\0" * p.stat().st_size)


def _foreign(store):
    import pyoxigraph as ox

    shutil.rmtree(store)
    s = ox.Store(str(store))
    s.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:p"), ox.Literal("x")))
    s.flush()
    del s


def _layout(out):
    p = out / "manifest.json"
    m = json.loads(p.read_text(encoding="utf-8"))
    m["format_store"] = 999
    p.write_text(json.dumps(m), encoding="utf-8")


DAMAGES = {
    "store folder removed": lambda out, store: shutil.rmtree(store),
    "store files zeroed": lambda out, store: _damage_sst(store),
    "store CURRENT file garbled": lambda out, store: (store / "CURRENT").write_text("nonsense\n"),
    "another Oxigraph store in its place": lambda out, store: _foreign(store),
    "a file in place of the store": lambda out, store: (shutil.rmtree(store), store.write_text("x")),
    "another store layout": lambda out, store: _layout(out),
    "index tables removed": lambda out, store: next(out.glob("index-*.json")).unlink(),
    "index matrices garbled": lambda out, store: next(out.glob("index-*.npz")).write_bytes(b"PK\x03\x04garbage"),
    "evidence file garbled": lambda out, store: next(out.glob("evidence-*.sqlite")).write_bytes(b"SQLite format 3\0junk"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_foreign_or_other_layout_store_is_a_clear_error(built, damage):
    data, out = built
    store = out / json.loads((out / "manifest.json").read_text(encoding="utf-8"))["store"]
    DAMAGES[damage](out, store)
    with pytest.raises(GovkgError, match="govkg build --full"):
        h = govkg.open(out)
        h.shared("椰智荟")
    for args in (("shared", "椰智荟"), ("similar", "高新社区")):
        code, stdout, err = _run(data, *args)
        assert code == 1 and err.startswith("Error: ") and "Traceback" not in err and "govkg build --full" in err, err
    code, _o, err = _run(data, "build", "--full")  # the way out the message names
    assert code == 0, err
    assert _run(data, "shared", "椰智荟")[0] == 0


def test_open_refuses_what_is_not_a_fresh_build(tmp_path, built):
    data, out = built
    with pytest.raises(GovkgError, match="no build"):
        govkg.open(tmp_path)
    assert govkg.open(out, data_dir=data).generation
    f = data / "sites" / "gaoxinshequ.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("en: Gaoxin Community", "en: Gaoxin Neighbourhood"),
                 encoding="utf-8")
    with pytest.raises(GovkgError, match="not a build of"):
        govkg.open(out, data_dir=data)
    with pytest.raises(GovkgError, match="build_dir"):
        govkg.open(12)


def test_a_rebuild_switches_generation_and_removes_the_old_store(data_copy, sources_dirs):
    data, out = data_copy, data_copy.parent / "build"
    build(data, out, sources_dirs=sources_dirs, dumps=False)
    first = _store_dirs(out)
    f = data / "sites" / "gaoxinshequ.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace('en: one of the "four practical moves"',
                                                       'en: one of the "four practical moves" (edited)', 1),
                 encoding="utf-8")
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert getattr(report, "incremental", False), report.full_because
    second = _store_dirs(out)
    assert len(second) == 1 and second != first
    assert len(list(out.glob("index-*"))) == 2 and len(list(out.glob("evidence-*"))) == 1
    h = govkg.open(out, data_dir=data)
    assert h.query('ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "moves\\" (edited)")) }').boolean
    full = build(data, out.parent / "full", sources_dirs=sources_dirs, dumps=False, incremental=False)
    assert not getattr(full, "incremental", False)
    assert set(h.store) == set(govkg.open(out.parent / "full").store)


def test_serve_opens_the_build_store(built):
    """``govkg serve`` on a fresh build answers from its on-disk store (its processes hold the store's
    files open), queried by a client we did not write."""
    import psutil
    from SPARQLWrapper import JSON, SPARQLWrapper

    data, out = built
    exe = str(Path(sys.executable).with_name("govkg"))
    p = subprocess.Popen([exe, "--data", str(data), "--build-dir", str(out), "serve", "--port", "0", "--workers", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert "http://" in line, line + p.stderr.read()
        url = line.split("query page ")[1].split()[0]
        sw = SPARQLWrapper(f"{url}sparql")
        sw.setQuery("PREFIX gk: <https://w3id.org/govkg/ontology#> SELECT ?s WHERE { ?s a gk:DemonstrationSite }")
        sw.setReturnFormat(JSON)
        assert len(sw.query().convert()["results"]["bindings"]) == 8
        store = out / json.loads((out / "manifest.json").read_text(encoding="utf-8"))["store"]
        procs = [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
        held = {Path(f.path).parent for pr in procs for f in pr.open_files()}
        assert store in held
    finally:
        kids = psutil.Process(p.pid).children(recursive=True)
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
        psutil.wait_procs(kids, timeout=5)


def test_a_rebuild_with_nothing_changed_keeps_the_store(data_copy, sources_dirs):
    """An incremental build that finds no change keeps the store and index it has (no reload of the graph)."""
    data, out = data_copy, data_copy.parent / "build"
    build(data, out, sources_dirs=sources_dirs, dumps=False)
    m1 = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    report = build(data, out, sources_dirs=sources_dirs, dumps=False)
    assert getattr(report, "incremental", False) and report.parsed == []
    m2 = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (m2["generation"], m2["store"], m2["store_id"]) == (m1["generation"], m1["store"], m1["store_id"])
    assert _store_dirs(out) == [m1["store"]]
    assert govkg.open(out, data_dir=data).shared("椰智荟")["mechanisms"]
    shutil.rmtree(out / m1["store"])  # a missing store is not kept: the next rebuild writes a new one
    build(data, out, sources_dirs=sources_dirs, dumps=False)
    m3 = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m3["generation"] != m1["generation"] and _store_dirs(out) == [m3["store"]]
    assert govkg.open(out, data_dir=data).shared("椰智荟")["mechanisms"]


def _quads(out):
    """Every quad of the store of the build in ``out``, as N-Quads lines."""
    from govkg.store import read_only

    generation = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["generation"]
    dump = read_only(out, generation).dump(format=ox.RdfFormat.N_QUADS)
    return set(dump.splitlines())


@pytest.mark.parametrize("forked", [False, True])
def test_a_build_validated_on_disk_keeps_that_store_and_equals_one_validated_in_memory(
        data_copy, sources_dirs, monkeypatch, forked):
    """A large build validates in the generation's on-disk store (no in-memory copy of the graph)
    and keeps it: the same store, dumps, counts and answers as a build validated in memory."""
    from govkg import model

    if forked:  # the compile in batches, its parts kept in a Spill on disk
        monkeypatch.setattr(model, "PARALLEL_FILES", 2)
        monkeypatch.setattr(model, "can_fork", lambda: True)  # other tests may have left a thread running
    mem, disk = data_copy.parent / "mem", data_copy.parent / "disk"
    a = build(data_copy, mem, sources_dirs=sources_dirs, validate_on_disk=False)
    b = build(data_copy, disk, sources_dirs=sources_dirs, validate_on_disk=True)
    assert (b.batches > 1) is forked
    assert _quads(mem) == _quads(disk) and len(_quads(disk)) == b.triples == a.triples
    assert (mem / "govkg.nt").read_bytes() == (disk / "govkg.nt").read_bytes()
    assert (mem / "parts.sqlite").exists() and (disk / "parts.sqlite").exists()
    assert govkg.open(disk).shared() == govkg.open(mem).shared()
    assert _store_dirs(disk) == [json.loads((disk / "manifest.json").read_text(encoding="utf-8"))["store"]]


def test_a_graph_invalid_on_disk_leaves_the_previous_build_and_no_store(data_copy, sources_dirs, monkeypatch):
    """A violation found in the on-disk store fails the build; that store is removed and the
    previous build (files and store) is left as it was."""
    from govkg import model
    from govkg.errors import ValidationError

    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=sources_dirs, validate_on_disk=True)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    stores, quads = _store_dirs(out), _quads(out)
    site = data_copy / "sites" / "poxiangshequ.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("Party members", "party members", 1), encoding="utf-8")
    with pytest.raises(ValidationError, match="lowercase-party"):
        build(data_copy, out, sources_dirs=sources_dirs, incremental=False, validate_on_disk=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert _store_dirs(out) == stores and _quads(out) == quads


@pytest.mark.parametrize("command", [["shared"], ["query", "SELECT * WHERE { ?s a gk:DemonstrationSite }"],
                                     ["similar", "高新社区"], ["validate"]])
def test_a_large_data_folder_without_a_fresh_build_is_not_compiled_in_memory(built, monkeypatch, command):
    """A stale build of many files: the read command says why and asks for `govkg build` (no in-memory
    compile for minutes); a small folder is still compiled in memory."""
    data, _out = built
    (data / "sites" / "gaoxinshequ.yaml").write_text(
        (data / "sites" / "gaoxinshequ.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code, out, _err = _run(data, *command)
    assert code in (0, 1) and out  # stale, small: compiled in memory and answered
    monkeypatch.setattr(sys.modules["govkg.build"], "MEMORY_FALLBACK_FILES", 3)
    code, _out2, err = _run(data, *command)
    assert code == 1 and "not a fresh build" in err and "data changed since the build: sites/gaoxinshequ.yaml" in err
    assert "too many to compile for one command (more than 3): run `govkg build` first" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("evidence_file", [True, False])
def test_evidence_of_some_sites_is_the_whole_evidence_cut_to_them(built, evidence_file):
    _data, out = built
    if not evidence_file:
        next(out.glob("evidence-*.sqlite")).unlink()
    h = govkg.open(out)
    index = h.site_index()
    ms = list(index.mechanisms.columns)
    whole = h.link_evidence(ms)
    assert whole and all(v for v in whole.values())
    for sites in ([], index.sites[:1], index.sites[2:5], list(index.sites)):
        assert h.link_evidence(ms, sites) == {k: v for k, v in whole.items() if k[1] in set(sites)}


def test_site_search_in_sql_ranks_as_the_python_search(built, graph):
    """The label table's ranking (``LabelTable.rank``) equals ``rank_matches`` over the same labels, for names
    cut from every label and id (exact, prefixes, inner parts, other case, quotes added) and misses."""
    from govkg.analysis.matching import rank_matches

    _data, out = built
    index = govkg.open(out).site_index()
    labels = site_index(graph).labels
    names = {"", " ", "“", "nowhere", "社区", "Community", "village", "村", "COMMUNITY", "gaoxin"}
    for s in index.sites:
        for text in (*labels[s].values(), str(s).rsplit("/", 1)[-1]):
            names |= {text, text.upper(), f"“{text}”", text[:2], text[1:-1], text[len(text) // 2:]}
    for name in sorted(names):
        assert index.labels.rank(name, "site") == rank_matches(name, index.sites, lambda c: labels.get(c, {})), name


def test_an_unknown_site_gets_close_labels_from_the_label_table(built):
    _data, out = built
    from govkg.errors import NotFoundError

    with pytest.raises(NotFoundError, match="Did you mean: 高新社区"):
        govkg.open(out).similar("高新杜区")
