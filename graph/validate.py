"""Validate a graph with pySHACL and the SPARQL quality rules in ``ontology/checks/``."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from .resources import checks, shapes_graph, warnings

__all__ = ["Violation", "ValidationReport", "validate", "run_checks", "run_shacl", "run_shacl_sparql",
           "SHACL_SPARQL_ABOVE"]


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


def _parallel(fn, items):
    """``[fn(x) for x in items]``, on as many threads as there are cores: Oxigraph releases
    Python's lock while it evaluates a query, so the rules run side by side."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def run_checks(graph: Graph | None, rules: dict[str, str] | None = None, *, store=None) -> list[Violation]:
    """Violations of the quality rules: every row a ``checks/<rule>-violation.rq`` returns.

    The rules run on Oxigraph's SPARQL engine (see ``govkg.query``), on ``store`` when given
    (an Oxigraph store holding ``graph``), else on a new one; several at once on several cores.
    """
    from .query import run_query, to_store

    if store is None:
        store = to_store(graph)

    def one(item):
        name, text = item
        return [Violation(name, d.get("entity", ""), d.get("message", "violation"))
                for d in run_query(store, text).as_dicts()]

    found = _parallel(one, (rules if rules is not None else checks()).items())
    return sorted((v for rows in found for v in rows), key=lambda v: (v.rule, v.focus, v.message))


def validate(graph: Graph | None = None, *, ntriples: bytes | None = None) -> ValidationReport:
    """Run the SHACL shapes and every quality rule over ``graph``.

    Parameters
    ----------
    graph : rdflib.Graph, optional
        The whole graph (ontology + data), e.g. from ``govkg.load_graph()``.
    ntriples : bytes, optional
        The graph serialized as N-Triples (the build has them), loaded into Oxigraph for the
        quality rules instead of serializing ``graph`` again. Enough on its own: ``graph`` is
        then parsed from it only when pySHACL needs it (small graphs).

    The quality rules run on Oxigraph. The SHACL shapes run in pySHACL for graphs up to
    ``SHACL_SPARQL_ABOVE`` triples and, above, as SPARQL on Oxigraph (``run_shacl_sparql``,
    same violations).

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
    import pyoxigraph as ox

    from .query import to_store

    if graph is None and ntriples is None:
        raise TypeError("validate() needs a graph or its N-Triples")
    if ntriples is not None:
        store = ox.Store()
        store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES)
        size = ntriples.count(b"\n")
    else:
        store = to_store(graph)
        size = len(graph)
    shacl = None
    if size > SHACL_SPARQL_ABOVE:
        try:
            shacl = run_shacl_sparql(store, scratch=True)
        except NotImplementedError:  # a SHACL feature the translation does not cover
            shacl = None
    if shacl is None:
        if graph is None:
            graph = Graph().parse(data=ntriples, format="nt")
        shacl = run_shacl(graph)
    review = warnings()
    report = ValidationReport(shacl + run_checks(graph, rules, store=store),
                              warnings=run_checks(graph, review, store=store))
    report.rules_run = ["shacl:ontology/shapes.ttl", *(f"checks/{n}-violation.rq" for n in rules),
                        *(f"checks/{n}-warning.rq" for n in review)]
    return report


# --- the SHACL shapes as SPARQL on Oxigraph (for large graphs) ---------------------------

#: Graphs with more triples than this are checked against the shapes by ``run_shacl_sparql``
#: (pySHACL takes 165 s for 2,000 synthetic sites); smaller ones by pySHACL itself.
SHACL_SPARQL_ABOVE = 50_000

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
_SUPPORTED = {SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.minLength, SH.hasValue,
              SH["in"], SH["or"], SH.message, SH.qualifiedValueShape, SH.qualifiedMinCount,
              SH.qualifiedMaxCount, SH.name, SH.description, SH.minInclusive, SH.maxInclusive,
              SH.minExclusive, SH.maxExclusive}


def _nt(term) -> str:
    return term.n3()


#: The named graph and predicate of the class memberships ``run_shacl_sparql`` may precompute
#: (``?x _INSTANCE_OF ?class`` for every class the shapes name), in a store of its own.
_INSTANCES = "<urn:govkg:validation:instances>"
_INSTANCE_OF = "<urn:govkg:validation:instanceOf>"


def _is_instance(var: str, cls, instances: bool = False) -> str:
    if instances:
        return f"GRAPH {_INSTANCES} {{ {var} {_INSTANCE_OF} {_nt(cls)} }}"
    return f"{var} {_RDF_TYPE}/{_SUBCLASS}* {_nt(cls)}"


def _shape_classes(shapes: Graph) -> set:
    """Every class the shapes test membership of (targets, sh:class, sh:or alternatives)."""
    return set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))


def _alternative_test(shapes: Graph, alt, var: str, instances: bool = False) -> str:
    """A SPARQL expression true when ``var`` conforms to ``alt`` (a shape of one sh:class or sh:datatype)."""
    from rdflib import RDF

    preds = {p for p in shapes.predicates(alt, None) if p != RDF.type}
    if preds == {SH["class"]}:
        return f"EXISTS {{ {_is_instance(var, shapes.value(alt, SH['class']), instances)} }}"
    if preds == {SH.datatype}:
        return f"(isLiteral({var}) && DATATYPE({var}) = {_nt(shapes.value(alt, SH.datatype))})"
    raise NotImplementedError(f"sh:or alternative with {sorted(map(str, preds))}")


def _shape_queries(shapes: Graph, instances: bool = False):
    """Yield ``(rule, path, message, query)``: each query's rows (``?focus``) are the violations of one constraint."""
    from rdflib import RDF
    from rdflib.collection import Collection

    def rule_of(shape):
        return f"shacl:{_short(shapes, shape)}" if isinstance(shape, URIRef) else "shacl"

    for node in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = []
        for c in shapes.objects(node, SH.targetClass):
            targets.append(f"{{ {_is_instance('?focus', c, instances)} }}")
        for p in shapes.objects(node, SH.targetSubjectsOf):
            targets.append(f"{{ ?focus {_nt(p)} [] }}")
        extra = {p for p in shapes.predicates(node, None)} - {RDF.type, SH.targetClass, SH.targetSubjectsOf,
                                                               SH.property, SH["or"], SH.message}
        if extra or not targets:
            raise NotImplementedError(f"node shape {node} uses {sorted(map(str, extra)) or 'no target'}")
        focus = "{ SELECT DISTINCT ?focus WHERE { " + " UNION ".join(targets) + " } }"
        node_msg = str(shapes.value(node, SH.message) or "")
        for lst in shapes.objects(node, SH["or"]):
            test = " || ".join(_alternative_test(shapes, a, "?focus", instances) for a in Collection(shapes, lst))
            yield (rule_of(node), "", node_msg or "sh:or: conforms to none of the alternatives",
                   f"SELECT ?focus WHERE {{ {focus} FILTER (!({test})) }}")
        for ps in shapes.objects(node, SH.property):
            unknown = {p for p in shapes.predicates(ps, None) if p != RDF.type} - _SUPPORTED
            path = shapes.value(ps, SH.path)
            if unknown or not isinstance(path, URIRef):
                raise NotImplementedError(f"property shape {ps} uses {sorted(map(str, unknown)) or 'a complex path'}")
            rule, p = rule_of(ps), _nt(path)
            msg = str(shapes.value(ps, SH.message) or "")

            def q(default, body):
                return rule, path, msg or default, f"SELECT ?focus WHERE {{ {focus} {body} }}"

            def counted(op, n, what, cond="?focus " + p + " ?v"):
                # the common bounds without grouping (half the time on large graphs): "at least
                # one" is NOT EXISTS (MINUS measured 1.8x slower here), "at most one" is two
                # different terms (sameTerm, not =)
                if op == "<" and n == 1:
                    query = f"SELECT ?focus WHERE {{ {focus} FILTER NOT EXISTS {{ {cond} }} }}"
                elif op == ">" and n == 1:
                    other = cond.replace("?v", "?v2")
                    query = f"SELECT DISTINCT ?focus WHERE {{ {focus} {{ {cond} }} {{ {other} }} FILTER (!sameTerm(?v, ?v2)) }}"
                else:
                    query = (f"SELECT ?focus WHERE {{ {focus} OPTIONAL {{ {cond} }} }} "
                             f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) {op} {n})")
                return rule, path, msg or f"{what} {n}", query

            mn, mx = shapes.value(ps, SH.minCount), shapes.value(ps, SH.maxCount)
            if mn is not None and int(mn) > 0:
                yield counted("<", int(mn), "sh:minCount")
            if mx is not None:
                yield counted(">", int(mx), "sh:maxCount")
            qvs = shapes.value(ps, SH.qualifiedValueShape)
            if qvs is not None:
                langs = shapes.value(qvs, SH.languageIn)
                if langs is None or set(shapes.predicates(qvs, None)) - {SH.languageIn, RDF.type}:
                    raise NotImplementedError(f"qualified value shape of {ps}")
                ok = " || ".join(f'LANGMATCHES(LANG(?v), "{str(x)}")' for x in Collection(shapes, langs))
                cond = f"?focus {p} ?v FILTER (isLiteral(?v) && ({ok}))"
                qmin, qmax = shapes.value(ps, SH.qualifiedMinCount), shapes.value(ps, SH.qualifiedMaxCount)
                if qmin is not None and int(qmin) > 0:
                    yield counted("<", int(qmin), "sh:qualifiedMinCount", cond)
                if qmax is not None:
                    yield counted(">", int(qmax), "sh:qualifiedMaxCount", cond)
            each = f"?focus {p} ?v "
            if (c := shapes.value(ps, SH["class"])) is not None:
                yield q(f"sh:class {c}", each + f"FILTER NOT EXISTS {{ {_is_instance('?v', c, instances)} }}")
            if (d := shapes.value(ps, SH.datatype)) is not None:
                yield q(f"sh:datatype {d}", each + f"FILTER (!isLiteral(?v) || DATATYPE(?v) != {_nt(d)})")
            if (n := shapes.value(ps, SH.minLength)) is not None:
                yield q(f"sh:minLength {n}", each + f"FILTER (isBlank(?v) || STRLEN(STR(?v)) < {int(n)})")
            for bound, op in ((SH.minInclusive, ">="), (SH.maxInclusive, "<="), (SH.minExclusive, ">"),
                              (SH.maxExclusive, "<")):
                if (b := shapes.value(ps, bound)) is not None:  # not comparable counts as a violation
                    yield q(f"{bound.split('#')[-1]} {b}", each + f"FILTER (!COALESCE(?v {op} {_nt(b)}, false))")
            if (v := shapes.value(ps, SH.hasValue)) is not None:
                yield q(f"sh:hasValue {v}", f"FILTER NOT EXISTS {{ ?focus {p} {_nt(v)} }}")
            if (lst := shapes.value(ps, SH["in"])) is not None:
                vals = ", ".join(_nt(x) for x in Collection(shapes, lst))
                yield q("sh:in", each + f"FILTER (?v NOT IN ({vals}))")
            for lst in shapes.objects(ps, SH["or"]):
                test = " || ".join(_alternative_test(shapes, a, "?v", instances) for a in Collection(shapes, lst))
                yield q("sh:or: conforms to none of the alternatives", each + f"FILTER (!({test}))")


def run_shacl_sparql(store, shapes: Graph | None = None, *, scratch: bool = False) -> list[Violation]:
    """Violations of the SHACL shapes, each constraint checked by one SPARQL query on Oxigraph.

    The shapes (``ontology/shapes.ttl``) stay the source of truth: their constraints are
    translated as they are read. Only the SHACL features the shapes use are translated (targets
    by class or subject-of; IRI paths; min/max count, class, datatype, minLength, hasValue, in,
    min/max inclusive/exclusive,
    or of class/datatype, qualified counts of a languageIn shape); any other raises
    ``NotImplementedError``, and ``validate`` then falls back to pySHACL. Violations equal
    pySHACL's (rule, focus node, path) one for one; ``tests/test_validate_sparql.py`` checks it.

    With ``scratch`` (for a store made only for this check, as ``validate`` makes), the
    membership of every class the shapes name is computed once into a named graph of the
    store, instead of following ``rdf:type/rdfs:subClassOf*`` in every constraint (4× faster
    on 2,000 synthetic sites); the store is left without it afterwards.
    """
    from .resources import bind_prefixes

    shapes = shapes if shapes is not None else shapes_graph()
    names = bind_prefixes(Graph())  # paths shown with our prefixes, as the built graph shows them

    def one(item):
        rule, path, message, query = item
        shown = _short(names, path) if path != "" else ""
        return [Violation(rule, row["focus"].value, message, shown) for row in store.query(query)]

    if scratch:
        classes = " ".join(_nt(c) for c in sorted(_shape_classes(shapes)))
        store.update(f"INSERT {{ GRAPH {_INSTANCES} {{ ?x {_INSTANCE_OF} ?c }} }} WHERE {{ VALUES ?c {{ {classes} }} "
                     f"?x {_RDF_TYPE} ?t . ?t {_SUBCLASS}* ?c }}")
    try:
        found = _parallel(one, _shape_queries(shapes, scratch))
    finally:
        if scratch:
            store.update(f"DROP SILENT GRAPH {_INSTANCES}")
    return sorted((v for rows in found for v in rows), key=lambda v: (v.rule, v.focus, v.message))
