"""Quality rules that govkg runs in Python for speed: their ``ontology/checks/<rule>-violation.rq`` stays the definition."""

from __future__ import annotations

from .namespace import PREFIXES

__all__ = ["IN_PYTHON", "unstated_identity"]


def _head(*prefixes: str) -> str:
    """PREFIX lines for ``prefixes``, from ``govkg.namespace.PREFIXES`` (an IRI typed once)."""
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in prefixes)


_ID_HEAD = _head("rdfs", "prov", "org", "schema", "gk")
#: The zh names of the administrative areas (``?place a schema:AdministrativeArea ; rdfs:label ?name``).
_PLACE_NAMES = _ID_HEAD + """SELECT DISTINCT ?name WHERE {
  ?place a schema:AdministrativeArea ; rdfs:label ?name . FILTER (LANG(?name) = "zh")
}"""
#: The zh labels of the organizations the rule looks at: with evidence, neither inferred nor drafts.
_ORG_LABELS = _ID_HEAD + """SELECT DISTINCT ?entity ?label WHERE {
  ?entity a org:Organization ; rdfs:label ?label ; gk:evidence ?ev .
  FILTER (LANG(?label) = "zh")
  FILTER NOT EXISTS { ?entity gk:inferred true }
  FILTER NOT EXISTS { ?entity gk:curationStatus gk:Draft }
}"""
#: The evidence sentences of every organization.
_ORG_SENTENCES = _ID_HEAD + """SELECT ?entity ?sentence WHERE {
  ?entity a org:Organization ; gk:evidence/prov:value ?sentence .
}"""


def _str(term) -> str | None:
    """SPARQL's ``STR(term)`` for an Oxigraph term: ``None`` (an error) for a blank node."""
    import pyoxigraph as ox

    return None if isinstance(term, ox.BlankNode) else term.value


def _names_in(text: str, names: set[str], lengths: list[int]) -> list[str]:
    """Every name of ``names`` that occurs in ``text`` (overlapping and nested ones too), each once.

    Hand-written instead of a regex alternation, which finds only non-overlapping matches (a
    label naming 海口市美兰区 names both 海口市 and 美兰区, and 美兰 inside 美兰区), or
    pyahocorasick, a new dependency for no gain here: labels are short, so looking up each
    substring of each length a name has costs ``len(text) × len(lengths)`` set lookups.
    """
    found = {text[i:i + n] for n in lengths for i in range(len(text) - n + 1)} & names
    return sorted(found)


def unstated_identity(store) -> list[tuple[str, str]]:
    """``(entity, message)`` for every violation of ``checks/unstated-identity-violation.rq``.

    An organization whose zh label names an administrative area (its zh label) that none of
    its evidence sentences names, unless it is marked ``gk:inferred true`` or is a draft. The
    .rq text crosses every organization label with every area name (``CONTAINS``), which takes
    minutes on 2,000 sites; here three linear queries fetch the labels, names and sentences,
    and the names are looked up inside each label (``_names_in``). Same rows as the .rq text
    (``tests/test_pyrules.py`` runs both).

    Parameters
    ----------
    store : pyoxigraph.Store
        The graph (ontology + data).

    Returns
    -------
    list of (str, str)
        The organization's IRI and the rule's message, sorted, each pair once.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> org = ox.NamedNode("https://w3id.org/govkg/id/org/x")
    >>> ev, area = ox.BlankNode(), ox.NamedNode("https://w3id.org/govkg/id/area/meilanqu")
    >>> for s, p, o in [(area, "rdf:type", ox.NamedNode("https://schema.org/AdministrativeArea")),
    ...                 (area, "rdfs:label", ox.Literal("美兰区", language="zh")),
    ...                 (org, "rdf:type", ox.NamedNode(PREFIXES["org"] + "Organization")),
    ...                 (org, "rdfs:label", ox.Literal("美兰区江源村党支部", language="zh")),
    ...                 (org, "gk:evidence", ev), (ev, "prov:value", ox.Literal("江源村党支部带头。"))]:
    ...     prefix, _, local = p.partition(":")
    ...     store.add(ox.Quad(s, ox.NamedNode(PREFIXES[prefix] + local), o))
    >>> [message.split(",")[0] for _, message in unstated_identity(store)]
    ['the label names 美兰区']
    """
    names = {n for n in (_str(r["name"]) for r in store.query(_PLACE_NAMES)) if n is not None}
    if not names:
        return []
    lengths = sorted({len(n) for n in names})
    candidates = []  # (entity, label, names in the label)
    for row in store.query(_ORG_LABELS):
        label = row["label"].value
        if found := _names_in(label, names, lengths):
            candidates.append((row["entity"].value, label, found))
    if not candidates:
        return []
    sentences: dict[str, list[str]] = {}
    entities = {entity for entity, _, _ in candidates}
    for row in store.query(_ORG_SENTENCES):
        entity, sentence = row["entity"].value, _str(row["sentence"])
        if entity in entities and sentence is not None:
            sentences.setdefault(entity, []).append(sentence)
    out = set()
    for entity, label, found in candidates:
        said = sentences.get(entity, [])
        for name in found:
            if not any(name in s for s in said):
                out.add((entity, f"the label names {name}, which none of its evidence sentences names: an identity "
                                 f"the report does not state; mark it inferred: {label}"))
    return sorted(out)


#: Quality rules run in Python instead of their .rq text, by rule name: ``fn(store)`` returns
#: ``(entity, message)`` rows, as the .rq would (``govkg.validate`` runs them with the others).
IN_PYTHON = {"unstated-identity": unstated_identity}
