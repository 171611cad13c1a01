"""The data format is declared once (the schema ``ontology/govkg-data.schema.json``, read by ``govkg.fields``);
the compiler's table of how each field becomes triples (``govkg.compile._EMIT``), read from the schema's
``x-govkg-rdf``, names only declared fields, each with the kind the format declares (issue 22)."""

from __future__ import annotations

from govkg.compile import _EMIT, _USE_EMIT
from govkg.fields import FIELDS, USE_FIELDS

#: How the compiler writes a text field (a literal in one language) and the format's kind for it.
_TEXT_IN = {"zh": "str", "en": "str"}


def _disagreements(emit: dict, declared: dict, where: str) -> list[str]:
    out = []
    for name, (_predicate, how, *_inverse) in emit.items():
        kind = declared.get(name)
        if kind is None:
            out.append(f"{where}.{name}: compiled but not declared in govkg.fields")
        elif _TEXT_IN.get(how, how) != kind:
            out.append(f"{where}.{name}: compiled as {how!r}, declared as {kind!r}")
    return out


def test_every_compiled_field_is_declared_with_its_kind():
    found = [d for section, table in _EMIT.items() for d in _disagreements(table, FIELDS[section], section)]
    found += _disagreements(_USE_EMIT, FIELDS["mechanisms"], "mechanisms(use)")
    assert not found, "\n".join(found)
    assert set(_USE_EMIT) <= USE_FIELDS["mechanisms"]


def test_a_disagreement_is_found():
    assert _disagreements({"x": (None, "ref:org")}, {"x": "refs:org"}, "s") == [
        "s.x: compiled as 'ref:org', declared as 'refs:org'"]
    assert _disagreements({"y": (None, "zh")}, {}, "s") == ["s.y: compiled but not declared in govkg.fields"]
