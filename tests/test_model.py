"""Every data error of govkg.model names its file, line and field: one case per message."""

from __future__ import annotations

import textwrap

import pytest
from govkg.errors import DataError
from govkg.model import load_data, load_file, load_source

SITE = """\
source: s
site:
  id: st
  zh: 某社区
  en: Some Community
  type: community
  within: qu
  evidence: 某社区
"""


def _problems(tmp_path, text, *, name="x.yaml", loader=load_file):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(DataError) as exc_info:
        loader(path, root=tmp_path)
    return exc_info.value.problems


def _line(text, marker):
    """1-based line of the first line of ``text`` holding ``marker``."""
    lines = textwrap.dedent(text).splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line)


def _check(problems, line, field, message, file="x.yaml"):
    assert any((p.file, p.line, p.field) == (file, line, field) and message in p.message for p in problems), \
        "\n".join(map(str, problems))


# --- entries of a data file: (text, line marker, field, message) ----------------------------------

ENTRY_CASES = {
    "enum": (SITE + "areas:\n  - {id: a, zh: 区, en: District, type: metropolis, evidence: 区}\n",
             "metropolis", "type", "'metropolis' is not one of: city"),
    "ref": (SITE.replace("within: qu", "within: Not An Id"), "within:", "within", "expected an id"),
    "refs": (SITE + "organizations:\n  - {id: o, zh: 组织, en: Org, type: alliance, members: [1, 2], evidence: 组织}\n",
             "members", "members", "expected a list of ids"),
    "number": (SITE + "outcomes:\n  - id: o\n    zh: 数\n    en: N\n    value: many\n    unit: ge\n    evidence: 数\n",
               "value: many", "value", "expected a number"),
    "text2": (SITE.replace("  evidence: 某社区", "  headline: {zh: 标题}\n  evidence: 某社区"), "headline", "headline",
              "expected a mapping with non-empty 'zh' and 'en' texts"),
    "date": ("source: s\nevents:\n  - {id: e, zh: 会, en: Meeting, type: meeting, date: 11月2日, evidence: 会}\n",
             "11月2日", "date", "expected an ISO date"),
    "str": ("source: s\nevents:\n  - {id: e, zh: 会, en: Meeting, type: meeting, date_basis: '  ', evidence: 会}\n",
            "date_basis", "date_basis", "expected a non-empty text"),
    "strs": (SITE.replace("  evidence: 某社区", "  aka: [1]\n  evidence: 某社区"), "aka", "aka", "expected a text or a list of texts"),
    "kindmap": (SITE + "mechanisms:\n  - id: m\n    zh: 机制\n    en: M\n    kinds: [k]\n    kind_basis: [k]\n    evidence: 机制\n",
                "kind_basis", "kind_basis", "expected a mapping of kind id"),
    "confidence": (SITE.replace("  evidence: 某社区", "  confidence: 1.5\n  evidence: 某社区"), "confidence", "confidence",
                   "expected a number between 0 and 1"),
    "not-a-mapping": (SITE + "areas:\n  - just text\n", "just text", "areas[0]", "expected a mapping of fields"),
    "unknown-field": (SITE.replace("  en: Some Community", "  english: Some Community\n  en: Some Community"),
                      "english", "english", "unknown field in site"),
    "use-elsewhere": (SITE + "areas:\n  - {use: qu, evidence: 区}\n", "use: qu", "use", "'use' is only for mechanisms and the site"),
    "use-extra": (SITE + "mechanisms:\n  - use: m\n    kinds: [k]\n    evidence: 机制\n", "kinds", "kinds", "a 'use' entry takes only"),
    "required": (SITE.replace("  type: community\n", ""), "id: st", "type", "missing required field 'type' in site"),
    "empty-label": (SITE.replace("  en: Some Community", "  en: ''"), "en: ''", "en", "expected a non-empty text"),
    "no-evidence": (SITE.replace("  evidence: 某社区\n", ""), "id: st", "evidence", "missing evidence sentence"),
    "bad-evidence": (SITE.replace("  evidence: 某社区", "  evidence: {a: b}"), "evidence", "evidence",
                     "expected a sentence or a list of sentences"),
    "note-number": (SITE.replace("  evidence: 某社区", "  note: about 12 households\n  evidence: 某社区"), "note:", "note",
                    "a note holds a number"),
    "outcome-id": (SITE + "outcomes:\n  - zh: 数\n    en: N\n    value: 1\n    unit: ge\n    evidence: 1个\n", "- zh: 数", "id",
                   "outcomes need an explicit 'id'"),
    "change-direction": (SITE + "outcomes:\n  - id: o\n    zh: 数\n    en: N\n    value: 33\n    unit: baifenbi\n"
                                "    measure: change\n    evidence: 下降率33%\n", "measure: change", "direction",
                         "a 'measure: change' outcome needs 'direction"),
    "claim-id": (SITE + "claims:\n  - zh: 满意度提升\n    en: Satisfaction rose\n    evidence: 满意度提升\n", "- zh: 满意度提升", "id",
                 "claims need an explicit 'id'"),
    "not-a-slug": (SITE.replace("  id: st", "  id: Some_Site"), "Some_Site", "id", "not a slug"),
    "no-slug": ("source: s\nareas:\n  - {zh: '!!!', en: Nothing, type: city, evidence: x}\n", "'!!!'", "zh",
                "cannot make an id from this label"),
    "unknown-section": (SITE + "people: []\n", "people", "people", "unknown section (allowed: source, site"),
    "source-not-id": (SITE.replace("source: s", "source: [s]"), "source:", "source", "expected a source id"),
    "not-a-list": (SITE + "areas:\n  id: a\n", "areas:", "areas", "expected a list of entries"),
    "needs-site": ("source: s\nclaims:\n  - {id: c, zh: 好, en: Good, evidence: 好}\n", "id: c", None, "claims belong to a site file"),
    "no-source": (SITE.replace("source: s\n", ""), None, "source", "missing 'source'"),
    "redirect-from": ("redirects:\n  - from: 'mechanism/a b>x'\n    reason: gone\n", "from:", "from",
                      "expected '<kind>/<id>' made of slugs"),
    "redirect-to": ("redirects:\n  - from: mechanism/old\n    to: new\n    reason: merged\n", "to:", "to",
                    "expected '<kind>/<id>' made of slugs"),
}


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_entry_error_names_file_line_and_field(tmp_path, case):
    text, marker, field, message = ENTRY_CASES[case]
    line = 1 if marker is None else _line(text, marker)
    _check(_problems(tmp_path, text), line, field, message)


# --- reading the file ------------------------------------------------------------------------------

def test_duplicate_key(tmp_path):
    text = SITE.replace("  en: Some Community", "  en: Some Community\n  en: Again")
    _check(_problems(tmp_path, text), _line(text, "en: Again"), "en", "duplicate key 'en' (first on line 5)")


def test_not_utf8(tmp_path):
    (p,) = _problems(tmp_path, b"source: s\n" + "区".encode("gbk"))
    assert (p.file, p.line, p.field) == ("x.yaml", None, None) and "not UTF-8 text" in p.message


def test_cannot_read(tmp_path):
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(DataError) as exc_info:
        load_file(tmp_path / "x.yaml", root=tmp_path)
    (p,) = exc_info.value.problems
    assert (p.file, p.field) == ("x.yaml", None) and p.message.startswith("cannot read")


def test_malformed_yaml_with_position(tmp_path):
    text = SITE.replace("  type: community", "  type: [community")
    (p,) = _problems(tmp_path, text)
    assert p.file == "x.yaml" and p.line is not None and p.line >= _line(text, "[community")
    assert p.message.startswith("malformed YAML")


def test_malformed_yaml_without_position(tmp_path):
    (p,) = _problems(tmp_path, "source: s\x07\n")  # a control character: the reader refuses it
    assert (p.file, p.field) == ("x.yaml", None) and p.message.startswith("malformed YAML")


def test_top_level_must_be_a_mapping(tmp_path):
    (p,) = _problems(tmp_path, "- a\n- b\n")
    assert (p.file, p.line, p.field) == ("x.yaml", 1, None) and "expected a mapping at the top level" in p.message


# --- source files ----------------------------------------------------------------------------------

SOURCE = """\
id: s
zh: 报道
en: Report
publisher: {zh: 网, en: Net}
language: zh
"""

SOURCE_CASES = {
    "unknown": (SOURCE + "author_name: x\n", "author_name", "author_name", "unknown field (allowed:"),
    "required": (SOURCE.replace("language: zh\n", ""), None, "language", "missing required field 'language'"),
    "slug": (SOURCE.replace("id: s", "id: S S"), "id: S S", "id", "not a slug"),
    "person": (SOURCE + "photographer: 杨忠凯\n", "photographer", "photographer", "expected a mapping with 'zh' and 'en'"),
    "date": (SOURCE + "date: 11月2日\n", "date:", "date", "expected an ISO date"),
    "date-both": (SOURCE + "date: 2024-11-03\ndate_earliest: 2024-11-02\n", "date_earliest", "date_earliest",
                  "give 'date' when the date is known"),
    "title": (SOURCE + "title: 标题\n", "title", "title", "expected a mapping of language code to title"),
    "url": (SOURCE + "url: www.example.org\n", "url", "url", "expected an http(s) URL"),
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_source_error_names_file_line_and_field(tmp_path, case):
    text, marker, field, message = SOURCE_CASES[case]
    line = 1 if marker is None else _line(text, marker)
    _check(_problems(tmp_path, text, loader=load_source), line, field, message)


def test_source_must_be_a_mapping(tmp_path):
    (p,) = _problems(tmp_path, "", loader=load_source)
    assert (p.file, p.line) == ("x.yaml", 1) and p.message == "expected a mapping of fields"


# --- the data folder -------------------------------------------------------------------------------

def test_data_folder_not_found(tmp_path):
    with pytest.raises(DataError) as exc_info:
        load_data(tmp_path / "missing")
    (p,) = exc_info.value.problems
    assert p.message == "data folder not found" and p.file.endswith("missing")


def test_duplicate_ids_and_sources(tmp_path):
    data = tmp_path / "data"
    (data / "sources").mkdir(parents=True)
    (data / "sources" / "a.yaml").write_text(SOURCE, encoding="utf-8")
    (data / "sources" / "b.yaml").write_text(SOURCE, encoding="utf-8")
    area = "source: s\nareas:\n  - {id: qu, zh: 区, en: District, type: district, evidence: 区}\n"
    (data / "one.yaml").write_text(area, encoding="utf-8")
    (data / "two.yaml").write_text(area, encoding="utf-8")
    with pytest.raises(DataError) as exc_info:
        load_data(data)
    problems = exc_info.value.problems
    _check(problems, 3, "id", "duplicate id 'qu' (place); first defined at data/one.yaml:3", file="data/two.yaml")
    _check(problems, 1, "id", "duplicate source id 's'; first at data/sources/a.yaml", file="data/sources/b.yaml")


def test_drafts_are_skipped_unless_included(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.yaml").write_text("source: s\nareas:\n  - {id: qu, zh: 区, en: District, type: district, status: draft, "
                                 "confidence: 0.4, evidence: 区}\n", encoding="utf-8")
    assert load_data(data).entries == () and load_data(data).drafts == {("place", "qu")}
    (e,) = load_data(data, include_drafts=True).entries
    assert e.is_draft and e.values["confidence"] == 0.4


def test_entry_source_overrides_the_files(tmp_path):
    text = SITE + "claims:\n  - {id: c, zh: 好, en: Good, source: t, evidence: 好}\n"
    (tmp_path / "x.yaml").write_text(text, encoding="utf-8")
    entries = {e.id: e for e in load_file(tmp_path / "x.yaml", root=tmp_path)}
    assert (entries["st"].source, entries["c"].source) == ("s", "t")


def test_parallel_loading_equals_serial_and_keeps_each_files_problems(tmp_path, monkeypatch):
    """Many files are parsed by several processes (``PARALLEL_FILES``): same entries, same order, same problems."""
    import os
    import shutil

    import govkg.model as model
    from govkg.build import default_data_dir

    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    serial = load_data(data)
    pids = tmp_path / "pids"
    pids.mkdir()
    real = model._load_chunk

    def spy(chunk):  # records which process parsed a chunk
        (pids / str(os.getpid())).touch()
        return real(chunk)

    spy.__module__, spy.__qualname__ = "govkg.model", "_load_chunk"  # pickled by name into the workers
    monkeypatch.setattr(model, "_load_chunk", spy)
    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)  # other tests may have left a thread running
    parallel = load_data(data)
    assert str(os.getpid()) not in {p.name for p in pids.iterdir()} and len(list(pids.iterdir())) >= 1
    assert [(e.section, e.id, e.file, e.line, e.values) for e in parallel.entries] == \
        [(e.section, e.id, e.file, e.line, e.values) for e in serial.entries]
    assert parallel.files == serial.files
    (data / "sites" / "broken.yaml").write_text("site:\n  id: x\n  zh: [\n", encoding="utf-8")
    (data / "sites" / "no-list.yaml").write_text("areas: 3\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_data(data)
    found = {(p.file, p.line, p.field) for p in exc.value.problems}
    assert ("data/sites/no-list.yaml", 1, "areas") in found
    assert any(f == "data/sites/broken.yaml" and "malformed YAML" in p.message
               for p in exc.value.problems for f in [p.file])


def test_no_fork_while_another_thread_runs():
    import threading

    import govkg.model as model

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not model.can_fork()
    finally:
        stop.set()
        t.join()


def test_a_parse_worker_that_dies_falls_back_to_parsing_here(tmp_path, monkeypatch):
    """A worker killed mid-parse (e.g. by the out-of-memory killer) costs time, not the build."""
    import os
    import shutil

    import govkg.model as model
    from govkg.build import default_data_dir

    data = tmp_path / "data"
    shutil.copytree(default_data_dir(), data)
    serial = load_data(data)
    real, parent = model._load_chunk, os.getpid()

    def dies_in_a_worker(chunk):
        if os.getpid() != parent:
            os._exit(9)
        return real(chunk)

    dies_in_a_worker.__module__, dies_in_a_worker.__qualname__ = "govkg.model", "_load_chunk"
    monkeypatch.setattr(model, "_load_chunk", dies_in_a_worker)
    monkeypatch.setattr(model, "PARALLEL_FILES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(model, "can_fork", lambda: True)
    again = load_data(data)
    assert [(e.section, e.id, e.values) for e in again.entries] == [(e.section, e.id, e.values) for e in serial.entries]


@pytest.mark.parametrize("path, root, shown", [
    ("/p/data/sites/x.yaml", "/p", "data/sites/x.yaml"),
    ("/p/./data//x.yaml", "/p/", "data/x.yaml"),
    ("/p/data/../x.yaml", "/p", "x.yaml"),
    ("/pq/x.yaml", "/p", "/pq/x.yaml"),
    ("/p/x.yaml", "/", "p/x.yaml"),
])
def test_files_are_shown_relative_to_the_project_folder(path, root, shown):
    """How a data file is named in errors and parts: below the data folder's parent, else as given."""
    from pathlib import Path

    from govkg.model import shown_path

    assert shown_path(Path(path), Path(root)) == shown_path(path, root) == shown
