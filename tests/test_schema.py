"""The data format is declared once, as JSON Schema (``ontology/govkg-data.schema.json``, a data file, and
``ontology/govkg-source.schema.json``, a report's record): the bundled data files are valid against it, the
schema and the loader accept and refuse the same files, and no module but ``govkg.fields`` (which reads
the schema) types a field table of its own (issue 22)."""

from __future__ import annotations

import ast
import datetime as dt
import textwrap
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from govkg.errors import DataError
from govkg.fields import ALLOWED, FIELDS, RDF_FIELDS, SCHEMA_FILES, SECTIONS, SOURCE_FIELDS, schema
from govkg.model import load_file, load_source
from govkg.namespace import PREFIXES
from govkg.resources import ontology_graph
from govkg.vocab import ENUMS

ROOT = Path(__file__).resolve().parent.parent
#: Every data folder the project ships or tests with.
DATA_FILES = sorted([*(ROOT / "data").rglob("*.yaml"), *(ROOT / "tests" / "fixtures").rglob("*.yaml")])


def _as_editor_reads(value):
    """A YAML value as a YAML editor hands it to the schema: dates are the texts they are written as."""
    if isinstance(value, dict):
        return {str(k): _as_editor_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editor_reads(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _schema_errors(text: str, name: str = "data") -> list[str]:
    doc = _as_editor_reads(yaml.safe_load(text))
    return [e.message for e in _validator(name).iter_errors(doc)]


def test_the_schemas_are_json_schema_2020_12():
    for name, file in SCHEMA_FILES.items():
        doc = schema(name)
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(doc)
        assert (ROOT / "ontology" / file).is_file()


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_bundled_data_file_is_valid(path):
    name = "source" if path.parent.name == "sources" else "data"
    assert _schema_errors(path.read_text(encoding="utf-8"), name) == []


HEAD = "source: s\nsite:\n  id: gaoxin\n  zh: 高新社区\n  en: Gaoxin\n  type: community\n  within: qu\n  evidence: 高新社区。\n"
#: Small data files, each accepted or refused by the loader: the schema must say the same.
CASES = {
    "a site file": (HEAD, True),
    "an unknown field": (HEAD + "mechanisms:\n  - zh: 甲\n    en: A\n    kind: [x]\n    evidence: 甲。\n", False),
    "a mechanism without kinds": (HEAD + "mechanisms:\n  - zh: 甲\n    en: A\n    evidence: 甲。\n", False),
    "a draft mechanism without kinds": (HEAD + "mechanisms:\n  - zh: 甲\n    en: A\n    status: draft\n    evidence: 甲。\n", True),
    "a site typed as a district": (HEAD.replace("community", "district"), False),
    "a draft site typed as a district": (HEAD.replace("community", "district") + "  status: draft\n", True),
    "a draft site without within": (HEAD.replace("  within: qu\n", "") + "  status: draft\n", True),
    "a site without within": (HEAD.replace("  within: qu\n", ""), False),
    "a use of a mechanism": (HEAD + "mechanisms:\n  - use: jia\n    led_by: org\n    evidence: 甲。\n", True),
    "a use with a label": (HEAD + "mechanisms:\n  - use: jia\n    zh: 甲\n    evidence: 甲。\n", False),
    "a use of an outcome": (HEAD + "outcomes:\n  - use: jia\n    evidence: 甲。\n", False),
    "an outcome": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: 3\n    unit: ge\n    evidence: 3个。\n", True),
    "an outcome without id": (HEAD + "outcomes:\n  - zh: 甲\n    en: A\n    value: 3\n    unit: ge\n    evidence: 3个。\n", False),
    "a change without direction": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: 3\n    unit: ge\n"
                                   "    measure: change\n    evidence: 3个。\n", False),
    "an upper end without a range": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: 3\n    value_max: 4\n"
                                     "    unit: ge\n    evidence: 3个。\n", False),
    "a range": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: 3\n    value_max: 4\n    comparator: range\n"
                "    unit: ge\n    evidence: 3个。\n", True),
    "a number as text": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: '3'\n    unit: ge\n    evidence: 3个。\n", False),
    "a number in a note": (HEAD + "areas:\n  - id: qu\n    zh: 区\n    en: D\n    type: district\n    note: 3 of them\n"
                           "    evidence: 区。\n", False),
    "an id that is not a slug": (HEAD + "areas:\n  - id: Qu\n    zh: 区\n    en: D\n    type: district\n    evidence: 区。\n", False),
    "an unknown comparator": (HEAD + "outcomes:\n  - id: o\n    zh: 甲\n    en: A\n    value: 3\n    comparator: about\n"
                              "    unit: ge\n    evidence: 3个。\n", False),
    "a half-translated description": (HEAD + "mechanisms:\n  - zh: 甲\n    en: A\n    kinds: [x]\n    description: {zh: 甲}\n"
                                      "    evidence: 甲。\n", False),
    "a confidence above 1": (HEAD + "areas:\n  - id: qu\n    zh: 区\n    en: D\n    type: district\n    confidence: 2\n"
                             "    evidence: 区。\n", False),
    "facts without a site": ("source: s\nclaims:\n  - id: c\n    zh: 甲\n    en: A\n    evidence: 甲。\n", False),
    "an event with a date": ("source: s\nevents:\n  - id: e\n    zh: 会\n    en: M\n    type: meeting\n    date: 2024-11-02\n"
                             "    evidence: 会。\n", True),
    "an event with a date and time": ("source: s\nevents:\n  - id: e\n    zh: 会\n    en: M\n    type: meeting\n"
                                      "    date: 2024-11-02 10:00:00\n    evidence: 会。\n", False),
    "a redirect": ("redirects:\n  - from: outcome/a\n    to: claim/b\n    reason: merged\n", True),
    "a redirect to a bare id": ("redirects:\n  - from: outcome/a\n    to: b\n    reason: merged\n", False),
    "a redirect without reason": ("redirects:\n  - from: outcome/a\n", False),
    "an unknown section": ("source: s\nplaces: []\n", False),
}


def _loads(load, text: str, path) -> bool:
    """Whether ``load`` (the loader of a data or a source file) accepts ``text`` written at ``path``."""
    path.write_text(text, encoding="utf-8")
    try:
        load(path, root=path.parent)
    except DataError:
        return False
    return True


@pytest.mark.parametrize("case", CASES)
def test_the_schema_and_the_loader_agree(case, tmp_path):
    text, ok = CASES[case]
    loaded = _loads(load_file, text, tmp_path / "x.yaml")
    assert (loaded, _schema_errors(text) == []) == (ok, ok), _schema_errors(text)


SOURCE = "id: r\nzh: 报道\nen: Report\npublisher: {zh: 海口网, en: Haikou Net}\nlanguage: zh\n"
SOURCE_CASES = {
    "a source": (SOURCE, True),
    "a source without publisher": (SOURCE.replace("publisher: {zh: 海口网, en: Haikou Net}\n", ""), False),
    "a publisher without en": (SOURCE.replace(", en: Haikou Net", ""), False),
    "both dates": (SOURCE + "date: 2024-11-02\ndate_earliest: 2024-11-01\n", False),
    "a file in a folder": (SOURCE + "file: texts/r.txt\n", False),
    "a url that is not http": (SOURCE + "url: ftp://example.org/r\n", False),
    "an unknown field": (SOURCE + "year: 2024\n", False),
}


@pytest.mark.parametrize("case", SOURCE_CASES)
def test_the_source_schema_and_the_loader_agree(case, tmp_path):
    text, ok = SOURCE_CASES[case]
    loaded = _loads(load_source, text, tmp_path / "r.yaml")
    assert (loaded, _schema_errors(text, "source") == []) == (ok, ok), _schema_errors(text, "source")


def test_the_loader_keeps_its_own_messages(tmp_path):
    """File, line and field in the loader's words, whatever the schema's validator would say."""
    path = tmp_path / "x.yaml"
    path.write_text(CASES["an unknown comparator"][0], encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_file(path, root=tmp_path)
    assert str(exc.value.problems[0]) == ("x.yaml:14: field 'comparator': 'about' is not one of: exactly, more-than, "
                                          "approximately, less-than, range")


def test_the_loader_reads_its_tables_from_the_schema():
    doc = schema()
    assert list(SECTIONS) == [s for s in doc["properties"] if s != "source"]
    assert ALLOWED["areas"] == set(doc["$defs"]["area"]["properties"])
    assert FIELDS["site"]["type"] == "enum:site" and FIELDS["mechanisms"]["parts"] == "refs:mechanism"
    assert SOURCE_FIELDS == set(schema("source")["properties"])
    doc["properties"]["areas"]["x-govkg-space"] = "changed"  # a copy: the format stays as it is
    assert SECTIONS["areas"] == "place"


def test_the_enumerations_are_the_vocabularies():
    defs = schema()["$defs"]
    for name, table in ENUMS.items():
        assert defs[f"enum-{name}"]["enum"] == list(table), name


def test_every_field_is_described_for_editors():
    def described(prop, doc):
        while "description" not in prop and "$ref" in prop:  # a field declared elsewhere (the common fields)
            target = doc
            for part in prop["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            prop = target
        return bool(prop.get("description", "").strip())

    missing = []
    for name in SCHEMA_FILES:
        doc = schema(name)
        objects = [("", doc), *(((f"$defs/{k}"), v) for k, v in doc["$defs"].items())]
        for where, obj in objects:
            for field, prop in obj.get("properties", {}).items():
                if not described(prop, doc):
                    missing.append(f"{name}: {where}.{field}")
    assert not missing, missing


def test_the_compiled_predicates_are_declared():
    """Every predicate the schema maps a field to is a known prefix, and ours are terms of the ontology."""
    onto = {str(s) for s in ontology_graph().subjects()}
    found = []
    for section, table in RDF_FIELDS.items():
        for name, rule in table.items():
            for curie in (rule["predicate"], rule.get("inverse")):
                if curie is None:
                    continue
                prefix, _, local = curie.partition(":")
                if prefix not in PREFIXES:
                    found.append(f"{section}.{name}: unknown prefix in {curie}")
                elif prefix == "gk" and PREFIXES[prefix] + local not in onto:
                    found.append(f"{section}.{name}: {curie} is not a term of the ontology")
    assert not found, found
    assert RDF_FIELDS["events"]["date_as_stated"] == {"predicate": "gk:dateAsStated", "lang": "zh", "kind": "str"}


def test_no_module_types_a_field_table_of_its_own():
    """Kinds such as ``"refs:org"`` are written in the schema only (``govkg.fields`` reads them)."""
    found = []
    for path in sorted((ROOT / "graph").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.partition(":")[0] in (
                    "ref", "refs", "enum") and node.value.partition(":")[2].isidentifier():
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, found


def test_a_modeline_is_a_comment_the_loader_reads_past(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("# yaml-language-server: $schema=../ontology/govkg-data.schema.json\n" + textwrap.dedent(HEAD),
                    encoding="utf-8")
    assert [e.id for e in load_file(path, root=tmp_path)] == ["gaoxin"]
