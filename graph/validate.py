"""Validate a graph with pySHACL and the SPARQL quality rules in ``ontology/checks/``."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from .resources import checks, shapes_graph, warnings

__all__ = ["Violation", "ValidationReport", "validate", "run_checks", "run_shacl"]


@dataclass(frozen=True)
class Violation:
    """One violation: which rule (a SHACL shape or a check file), which node, what is wrong."""

    rule: str
    focus: str
    message: str
    path: str = ""

    def __str__(self) -> str:
        path = f" [{self.path}]" if self.path else ""
        return f"{self.rule}: <{self.focus}>{path}: {self.message}"


@dataclass
class ValidationReport:
    """The outcome of ``validate``: ``conforms`` is true when there is no violation."""

    violations: list[Violation] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    #: Findings to review (``checks/<rule>-warning.rq``), e.g. conflicting values; never a failure.
    warnings: list[Violation] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        head = (f"conforms: {len(self.rules_run)} rules (SHACL shapes + quality checks), no violation"
                if self.conforms else f"{len(self.violations)} violation(s):")
        lines = [head, *(f"  {v}" for v in self.violations)]
        if self.warnings:
            lines += [f"{len(self.warnings)} warning(s) to review (not failures):", *(f"  {w}" for w in self.warnings)]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"conforms": self.conforms, "rules": self.rules_run,
                "violations": [v.__dict__ for v in self.violations],
                "warnings": [w.__dict__ for w in self.warnings]}


def _short(graph: Graph, term) -> str:
    if isinstance(term, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(term)
        except Exception:  # noqa: BLE001 - fall back to the full IRI
            return str(term)
    return str(term)


def run_shacl(graph: Graph) -> list[Violation]:
    """Violations of the SHACL shapes (``ontology/shapes.ttl``), checked by pySHACL."""
    from pyshacl import validate as shacl_validate

    conforms, results, _ = shacl_validate(graph, shacl_graph=shapes_graph(), inference="none",
                                          advanced=True, allow_warnings=False)
    if conforms:
        return []
    out = []
    for r in results.subjects(SH.focusNode, None):
        focus = results.value(r, SH.focusNode)
        msg = results.value(r, SH.resultMessage) or results.value(r, SH.sourceConstraintComponent)
        shape = results.value(r, SH.sourceShape)
        path = results.value(r, SH.resultPath)
        rule = f"shacl:{_short(results, shape)}" if isinstance(shape, URIRef) else "shacl"
        out.append(Violation(rule, str(focus), str(msg), _short(graph, path) if path is not None else ""))
    return sorted(out, key=lambda v: (v.rule, v.focus, v.message))


def run_checks(graph: Graph, rules: dict[str, str] | None = None) -> list[Violation]:
    """Violations of the quality rules: every row a ``checks/<rule>-violation.rq`` returns.

    The rules run on Oxigraph's SPARQL engine (see ``govkg.query``).
    """
    from .query import run_query, to_store

    store = to_store(graph)
    out = []
    for name, text in (rules if rules is not None else checks()).items():
        for d in run_query(store, text).as_dicts():
            out.append(Violation(name, d.get("entity", ""), d.get("message", "violation")))
    return sorted(out, key=lambda v: (v.rule, v.focus, v.message))


def validate(graph: Graph) -> ValidationReport:
    """Run the SHACL shapes and every quality rule over ``graph``.

    Parameters
    ----------
    graph : rdflib.Graph
        The whole graph (ontology + data), e.g. from ``govkg.load_graph()``.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> from govkg import build_graph
    >>> validate(build_graph()).conforms
    True
    """
    rules = checks()
    review = warnings()
    report = ValidationReport(run_shacl(graph) + run_checks(graph, rules), warnings=run_checks(graph, review))
    report.rules_run = ["shacl:ontology/shapes.ttl", *(f"checks/{n}-violation.rq" for n in rules),
                        *(f"checks/{n}-warning.rq" for n in review)]
    return report
