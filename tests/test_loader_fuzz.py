"""Property: any data file gives a clean build or a clean ``GovkgError`` (hypothesis; bounded, a few seconds)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
from govkg.compile import compile_graph
from govkg.errors import GovkgError
from govkg.model import SECTIONS, load_data
from govkg.structure import check_structure, duplicate_label_warnings

pytestmark = pytest.mark.slow  # generated examples, each loaded and compiled

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SOURCE_ID = "haikou-jicengzhili-shifandian-2024"
FIELDS = sorted({"id", "zh", "en", "evidence", "note", "type", "within", "headline", "members", "part_of",
                 "active_at", "description", "kinds", "realized_by", "use", "value", "unit", "comparator",
                 "measure", "mechanism", "subject", "event", "period", "date", "date_as_stated", "visited"})
WORDS = ["gaoxinshequ", "haikoushi", "xiuyingqu", "city", "community", "alliance", "yezhihuiyishitang",
         "ge", "wanyuan", "exactly", "more-than", "level", "change", "meeting", "高新社区", "海口", "x", ""]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A small data folder: the source file and one site; the fuzzed file is written beside them."""
    d = tmp_path_factory.mktemp("fuzz") / "data"
    (d / "sources").mkdir(parents=True)
    shutil.copy(DATA / "sources" / f"{SOURCE_ID}.yaml", d / "sources")
    shutil.copy(DATA / "areas.yaml", d)
    events = (DATA / "events.yaml").read_text(encoding="utf-8")
    visited = next(line for line in events.splitlines() if line.strip().startswith("visited:"))
    (d / "events.yaml").write_text(events.replace(visited, "    visited: [gaoxinshequ]"), encoding="utf-8")
    return d


def clean_build_or_error(folder, onto, content: str | bytes):
    """Write ``content`` as a data file and build: success, or a GovkgError; anything else fails."""
    f = folder / "fuzz.yaml"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        dataset = load_data(folder)
        check_structure(dataset)
        graph, _report = compile_graph(dataset, sources_dirs=[], ontology=onto)
        duplicate_label_warnings(dataset)
    except GovkgError as exc:
        assert str(exc).strip()
        return exc
    finally:
        f.unlink()
    assert len(graph) >= 0
    return None


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(WORDS), st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS + ["zh", "en"]), inner, max_size=4)),
    max_leaves=12)
entry = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
documents = st.fixed_dictionaries(
    {"source": st.sampled_from([SOURCE_ID, "nope", 3])},
    optional={**{s: st.lists(entry, max_size=3) if s != "site" else entry for s in SECTIONS},
              "extra": values})


@SETTINGS
@given(doc=documents)
def test_random_documents(folder, onto, doc):
    clean_build_or_error(folder, onto, yaml.safe_dump(doc, allow_unicode=True))


YAML_BITS = ["a", ": ", "- ", "\n", "  ", "&x ", "*x", "!!str ", "!!binary ", "? ", "[", "]", "{", "}", ",",
             "'", '"', "|\n", ">\n", "#", "---\n", "...\n", "%YAML 1.1\n", "site:", "areas:", "zh: ", "9" * 20,
             "2024-13-45", "\t", "\\", "海口", "\x00", "\ufeff"]


@SETTINGS
@given(bits=st.lists(st.sampled_from(YAML_BITS), max_size=40))
def test_random_yaml_text(folder, onto, bits):
    clean_build_or_error(folder, onto, "".join(bits))


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_bytes(folder, onto, data):
    clean_build_or_error(folder, onto, data)


SITE_LINES = (DATA / "sites" / "gaoxinshequ.yaml").read_text(encoding="utf-8").splitlines()


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(SITE_LINES) - 1),
                                st.sampled_from(["drop", "dup", "indent", "dedent", "value"]),
                                st.sampled_from(WORDS + ["[]", "{}", "[a, b]", "-1", "1e400", "2024-02-30"])),
                      min_size=1, max_size=4))
def test_edited_site_file(folder, onto, edits):
    lines = list(SITE_LINES)
    for i, op, word in edits:
        i %= len(lines)
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][2:]
        elif ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + word
        if not lines:
            lines = [""]
    clean_build_or_error(folder, onto, "\n".join(lines) + "\n")


def test_the_unedited_site_file_builds(folder, onto):
    assert clean_build_or_error(folder, onto, "\n".join(SITE_LINES) + "\n") is None
