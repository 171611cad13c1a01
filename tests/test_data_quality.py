"""Curation rules of the bundled data that the build cannot check for a single entry: every
kind_basis quotes words of the entry's own evidence sentences, and the glosses in English
labels quote the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parent.parent / "data"
CJK = re.compile(r"[\u3400-\u9fff]{2,}")


def _entries():
    for path in sorted(DATA.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section, value in doc.items():
            for entry in value if isinstance(value, list) else []:
                if isinstance(entry, dict) and "kind_basis" in entry:
                    yield path.relative_to(DATA), entry


ENTRIES = list(_entries())


def test_there_are_kind_bases_to_check():
    assert len(ENTRIES) >= 20


@pytest.mark.parametrize("path, entry", ENTRIES, ids=[f"{p}:{e['id']}" for p, e in ENTRIES])
def test_kind_basis_quotes_the_entrys_evidence(path, entry):
    """A kind the report does not name is justified by the report's words *for this entry*:
    some Chinese run of at least two characters of the basis occurs in its evidence sentences."""
    evidence = entry.get("evidence", [])
    evidence = [evidence] if isinstance(evidence, str) else evidence
    for kind, basis in entry["kind_basis"].items():
        runs = CJK.findall(basis)
        assert any(r in s for r in runs for s in evidence), (
            f"{path} {entry['id']}: the basis of kind '{kind}' quotes none of the entry's evidence: {basis!r}")


def _inferred_kinds():
    for path in sorted(DATA.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for value in doc.values():
            for entry in value if isinstance(value, list) else []:
                if isinstance(entry, dict) and "kind_inferred" in entry:
                    yield path.relative_to(DATA), entry


INFERRED_KINDS = list(_inferred_kinds())


@pytest.mark.parametrize("path, entry", INFERRED_KINDS, ids=[f"{p}:{e['id']}" for p, e in INFERRED_KINDS])
def test_inferred_kind_names_the_words_it_rests_on(path, entry):
    """An inferred kind says what in the entry's own sentences it is read from (issue 21, K-3…K-5)."""
    evidence = entry.get("evidence", [])
    evidence = [evidence] if isinstance(evidence, str) else evidence
    assert INFERRED_KINDS
    for kind, reason in entry["kind_inferred"].items():
        assert kind in entry["kinds"]
        runs = CJK.findall(reason)
        assert any(r in s for r in runs for s in evidence), (
            f"{path} {entry['id']}: the reason of inferred kind '{kind}' quotes none of the entry's evidence: {reason!r}")
