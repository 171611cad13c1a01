"""The content-addressed build: the manifest decides when build/ is trusted; incremental = full; sorted bytes."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from rdflib import RDFS, Graph, Literal
from rdflib.compare import isomorphic

import govkg
from govkg import manifest
from govkg.build import build, build_graph, is_fresh, load_graph, load_store
from govkg.errors import DataError

SITE = "sites/gaoxinshequ.yaml"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _labels(g):
    """The English labels of a graph."""
    return {str(o) for o in g.objects(None, RDFS.label) if isinstance(o, Literal) and o.language == "en"}


@pytest.fixture
def built(data_copy):
    out = data_copy.parent / "build"
    build(data_copy, out, sources_dirs=[], check=False)
    return data_copy, out


def test_fresh_after_build_and_manifest_names_every_input(built):
    data, out = built
    assert is_fresh(out, data)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    hashes, stamps = manifest.read_inputs(out, m)
    assert set(hashes) == set(stamps) == {p.relative_to(data).as_posix() for p in data.rglob("*.yaml")}
    assert "inputs" not in m and "stamps" not in m and m["stamps_digest"] == manifest.stamps_digest(stamps)
    assert m["govkg"] == govkg.__version__ and m["data_dir"] == str(data.resolve())
    assert set(m["outputs"]) == {"govkg.nt", "govkg.ttl"}
    assert m["ontology"] == manifest.ontology_hash()


def test_other_data_folder_is_not_answered_from_this_build(built, tmp_path):
    data, out = built
    other = tmp_path / "other" / "data"
    shutil.copytree(data, other)
    _edit(other / SITE, "en: Gaoxin Community", "en: Other Gaoxin")
    assert not is_fresh(out, other)
    assert manifest.stale_reason(out, other).startswith("build made from another data folder")
    assert "Other Gaoxin" in _labels(load_graph(other, out))
    assert "Other Gaoxin" in {str(r[0].value) for r in load_store(other, out).query(
        'SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = "en") }')}


def test_edit_that_keeps_the_old_mtime_is_noticed(built):
    data, out = built
    site = data / SITE
    st = site.stat()
    _edit(site, "en: Gaoxin Community", "en: Gaoxin Neighbourhood")
    os.utime(site, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert site.stat().st_mtime_ns == st.st_mtime_ns
    assert not is_fresh(out, data)
    assert "data changed" in manifest.stale_reason(out, data)
    assert "Gaoxin Neighbourhood" in _labels(load_graph(data, out))


def test_new_and_deleted_files_make_the_build_stale(built):
    data, out = built
    (data / "sites" / "extra.yaml").write_text("", encoding="utf-8")
    assert not is_fresh(out, data)
    (data / "sites" / "extra.yaml").unlink()
    assert is_fresh(out, data)
    (data / "sites" / "jiangyuancun.yaml").unlink()
    assert not is_fresh(out, data)


def test_govkg_upgrade_is_noticed(built, monkeypatch):
    data, out = built
    monkeypatch.setattr(govkg.version, "__version__", "99.0.0")  # where the build machinery reads it
    assert not is_fresh(out, data)
    assert "this is 99.0.0" in manifest.stale_reason(out, data)


def test_ontology_change_is_noticed(built, monkeypatch):
    data, out = built
    monkeypatch.setattr(manifest, "ontology_hash", lambda: "sha256:other")
    assert manifest.stale_reason(out, data) == "ontology changed since the build"
    assert not is_fresh(out, data)


def test_outputs_not_matching_the_manifest_are_not_trusted(built):
    data, out = built
    nt = out / "govkg.nt"
    good = nt.read_bytes()
    # an output replaced after the manifest was written (e.g. a build killed between its renames)
    nt.write_bytes(good + b'<urn:x> <http://www.w3.org/2000/01/rdf-schema#label> "Injected"@en .\n')
    assert not is_fresh(out, data)
    assert "Injected" not in _labels(load_graph(data, out))
    nt.write_bytes(good)
    assert is_fresh(out, data)
    (out / "manifest.json").unlink()
    assert not is_fresh(out, data)
    assert manifest.stale_reason(out, data) == "no build manifest"
    (out / "manifest.json").write_text("{not json", encoding="utf-8")
    assert not is_fresh(out, data)


def test_identical_builds_give_identical_bytes(data_copy, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build(data_copy, a, sources_dirs=[], check=False)
    build(data_copy, b, sources_dirs=[], check=False, incremental=False)
    for name in ("govkg.nt", "govkg.ttl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    lines = (a / "govkg.nt").read_bytes().splitlines()
    assert lines == sorted(set(lines))
    assert isomorphic(Graph().parse(a / "govkg.ttl", format="turtle"), Graph().parse(a / "govkg.nt", format="nt"))


def _full(data, tmp_path):
    out = tmp_path / "full-build"
    shutil.rmtree(out, ignore_errors=True)
    build(data, out, sources_dirs=[], check=False, incremental=False)
    return Graph().parse(out / "govkg.nt", format="nt")


def test_incremental_rebuild_parses_only_the_changed_file_and_equals_a_full_build(data_copy, tmp_path):
    data, out = data_copy, data_copy.parent / "build"
    build(data, out, sources_dirs=[], check=False, dumps=False)
    report = build(data, out, sources_dirs=[], check=False, dumps=False)
    assert report.parsed == []  # nothing changed: nothing parsed
    _edit(data / SITE, 'en: one of the "four practical moves"', 'en: one of the "four practical moves" (edited)')
    report = build(data, out, sources_dirs=[], check=False, dumps=False)
    assert report.parsed == [SITE], report.full_because
    inc = load_graph(data, out)
    assert any(str(o).endswith('moves" (edited)') for o in inc.objects())
    assert isomorphic(inc, _full(data, tmp_path))
    assert is_fresh(out, data)


def test_incremental_rebuild_still_checks_references_into_cached_files(built):
    # yezhihuiyishitang is defined in gaoxinshequ.yaml and used by jiangyuancun.yaml: renaming
    # it in the defining file must break the (unchanged, cached) file that uses it.
    data, out = built
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _edit(data / SITE, "id: yezhihuiyishitang", "id: yezhihui-renamed")
    with pytest.raises(DataError) as exc:
        build(data, out, sources_dirs=[], check=False)
    assert any("yezhihuiyishitang" in p.message and "jiangyuancun" in p.file for p in exc.value.problems)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not is_fresh(out, data)


_EXTRA = """source: haikou-jicengzhili-shifandian-2024
areas:
  - id: extra-area
    zh: 额外区
    en: Extra District
    type: district
    within: haikoushi
    evidence: 海口不断推进城乡基层治理创新发展,让城市更加美好宜居。
"""


def test_incremental_rebuild_after_adding_and_deleting_files_equals_a_full_build(data_copy, tmp_path):
    data, out = data_copy, data_copy.parent / "build"
    build(data, out, sources_dirs=[], check=False, dumps=False)
    extra = data / "extra.yaml"
    extra.write_text(_EXTRA, encoding="utf-8")
    assert build(data, out, sources_dirs=[], check=False, dumps=False).parsed == ["extra.yaml"]
    assert "Extra District" in _labels(load_graph(data, out))
    extra.unlink()
    build(data, out, sources_dirs=[], check=False, dumps=False)
    inc = load_graph(data, out)
    assert isomorphic(inc, _full(data, tmp_path))
    assert isomorphic(inc, build_graph(data, sources_dirs=[]))
    assert "Extra District" not in _labels(inc)


def test_deleting_a_file_others_refer_to_is_an_error_though_they_are_cached(built):
    data, out = built
    (data / "sites" / "jiangyuancun.yaml").unlink()
    with pytest.raises(DataError) as exc:
        build(data, out, sources_dirs=[], check=False)
    assert any(p.file.endswith("events.yaml") and "jiangyuancun" in p.message for p in exc.value.problems)
    assert not is_fresh(out, data)


class _Planted:
    """Unpickling this touches a file: the stand-in for code an attacker plants in a build folder."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_parse_cache_pickle_is_never_read_and_is_removed(built, tmp_path):
    """The parse-cache pickle of older govkg is gone (issue 23 M6, issue 17): one planted there is never
    unpickled, every file is parsed, and the build removes it."""
    import pickle

    data, out = built
    marker = tmp_path / "ran"
    (out / ".parse-cache.pickle").write_bytes(b"\0" * 32 + pickle.dumps(_Planted(marker)))
    report = build(data, out, sources_dirs=[], check=False)
    assert not marker.exists()
    assert len(report.parsed) == len(list(data.rglob("*.yaml")))
    assert not (out / ".parse-cache.pickle").exists()
    assert isomorphic(Graph().parse(out / "govkg.nt", format="nt"), _full(data, tmp_path))


def test_cache_and_build_made_by_other_code_are_not_trusted(built, monkeypatch):
    """Same version, other modules (a checkout being edited): the manifest is stale and every file is parsed."""
    import govkg.manifest as manifest

    data, out = built
    build(data, out, sources_dirs=[], check=False)
    assert is_fresh(out, data)
    monkeypatch.setattr(manifest, "code_hash", lambda: "sha256:other")
    assert not is_fresh(out, data)
    assert "code changed" in manifest.stale_reason(out, data)
    report = build(data, out, sources_dirs=[], check=False)
    assert len(report.parsed) == len(list(data.rglob("*.yaml")))
