"""Read the ontology, SHACL shapes, quality checks and example queries shipped in ``govkg.ontology``."""

from __future__ import annotations

from importlib.resources import files

from rdflib import Graph

from .errors import GovkgError
from .namespace import PREFIXES

__all__ = ["ONTOLOGY_FILES", "ontology_graph", "shapes_graph", "checks", "warnings", "example_queries", "example_query", "bind_prefixes"]

#: The Turtle files that make up the ontology (terms, mechanism kinds, units).
ONTOLOGY_FILES = ("govkg.ttl", "mechanism-kinds.ttl", "units.ttl")


def _resource(name: str):
    return files("govkg.ontology").joinpath(name)


def bind_prefixes(graph: Graph) -> Graph:
    """Bind our prefixes on ``graph`` (for readable serializations) and return it."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def ontology_graph() -> Graph:
    """A new graph holding the ontology: terms, mechanism kinds and units.

    Examples
    --------
    >>> from govkg.namespace import GK
    >>> from rdflib import RDFS, Literal
    >>> g = ontology_graph()
    >>> Literal("mechanism kind", lang="en") in set(g.objects(GK.MechanismKind, RDFS.label))
    True
    """
    g = bind_prefixes(Graph())
    for name in ONTOLOGY_FILES:
        g.parse(data=_resource(name).read_text(encoding="utf-8"), format="turtle", publicID=None)
    return g


def shapes_graph() -> Graph:
    """A new graph holding the SHACL shapes (``ontology/shapes.ttl``)."""
    return Graph().parse(data=_resource("shapes.ttl").read_text(encoding="utf-8"), format="turtle")


def _rq_files(folder: str) -> dict[str, str]:
    d = _resource(folder)
    return {p.name[: -len(".rq")]: p.read_text(encoding="utf-8") for p in sorted(d.iterdir(), key=lambda p: p.name) if p.name.endswith(".rq")}


def checks() -> dict[str, str]:
    """Quality rules ``ontology/checks/<rule>-violation.rq`` by rule name; any row returned is a violation."""
    return {name[: -len("-violation")]: text for name, text in _rq_files("checks").items() if name.endswith("-violation")}


def warnings() -> dict[str, str]:
    """Review rules ``ontology/checks/<rule>-warning.rq`` by rule name; rows are listed, never a failure."""
    return {name[: -len("-warning")]: text for name, text in _rq_files("checks").items() if name.endswith("-warning")}


def example_queries() -> dict[str, str]:
    """Example SPARQL queries shipped in ``ontology/queries/``, by name.

    Examples
    --------
    >>> "numbers-with-evidence" in example_queries()
    True
    """
    return _rq_files("queries")


def example_query(name: str) -> str:
    """The text of example query ``name``; raises ``GovkgError`` listing the names when unknown."""
    qs = example_queries()
    if name not in qs:
        raise GovkgError(f"No example query {name!r}. Examples: {', '.join(qs)}")
    return qs[name]
