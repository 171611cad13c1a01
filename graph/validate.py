"""Validate a graph with pySHACL and the SPARQL quality rules in ``ontology/checks/``.

Long function ``_shape_tasks``: a branch per SHACL constraint translated to SPARQL, sharing nested helpers.
Long module: the three ways a graph is validated (pySHACL, the shapes as SPARQL on Oxigraph, and
an on-disk store checked a query per process) share the rules' jobs and one report (issue 17).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from .resources import checks, shapes_graph, warnings

__all__ = ["Violation", "ValidationReport", "validate", "run_checks", "run_shacl", "run_shacl_sparql",
           "validate_store", "SHACL_SPARQL_ABOVE"]


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


def _parallel(fn, items, threads: int | None = None):
    """``[fn(x) for x in items]``, on ``threads`` threads (default: as many as there are cores): Oxigraph
    releases Python's lock while it evaluates a query, so the rules run side by side."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    items = list(items)
    workers = min(len(items), threads or os.cpu_count() or 1)
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def _check_jobs(store, rules: dict[str, str]) -> list:
    """One job (a function returning violations) per quality rule, run on ``store``: the .rq
    text, or for a rule of ``govkg.pyrules.IN_PYTHON`` its Python version (same rows)."""
    from .pyrules import IN_PYTHON
    from .query import run_query

    def job(name, text):
        if name in IN_PYTHON:
            return lambda: [Violation(name, entity, message) for entity, message in IN_PYTHON[name](store)]
        return lambda: [Violation(name, d.get("entity", ""), d.get("message", "violation"))
                        for d in run_query(store, text).as_dicts()]

    return [job(name, text) for name, text in rules.items()]


def _run_jobs(jobs) -> list[Violation]:
    """Every job's violations, sorted; the jobs run side by side (``_parallel``) in the order
    given, so the longest should come first."""
    found = _parallel(lambda job: job(), jobs)
    return sorted((v for rows in found for v in rows), key=lambda v: (v.rule, v.focus, v.message))


def run_checks(graph: Graph | None, rules: dict[str, str] | None = None, *, store=None) -> list[Violation]:
    """Violations of the quality rules: every row a ``checks/<rule>-violation.rq`` returns.

    The rules run on Oxigraph's SPARQL engine (see ``govkg.query``), on ``store`` when given
    (an Oxigraph store holding ``graph``), else on a new one; several at once on several cores.
    A rule named in ``govkg.pyrules.IN_PYTHON`` runs in Python instead (same rows, faster).
    """
    from .query import to_store

    if store is None:
        if graph is None:
            raise TypeError("run_checks() needs a graph or a store holding it")
        store = to_store(graph)
    return _run_jobs(_check_jobs(store, rules if rules is not None else checks()))


def validate(graph: Graph | None = None, *, ntriples: bytes | None = None, store=None) -> ValidationReport:
    """Run the SHACL shapes and every quality rule over ``graph``.

    Parameters
    ----------
    graph : rdflib.Graph, optional
        The whole graph (ontology + data), e.g. from ``govkg.load_graph()``.
    ntriples : bytes, optional
        The graph serialized as N-Triples (the build has them), loaded into Oxigraph for the
        quality rules instead of serializing ``graph`` again. Enough on its own: ``graph`` is
        then parsed from it only when pySHACL needs it (small graphs).
    store : pyoxigraph.Store, optional
        An Oxigraph store already holding the graph (the build fills one while it compiles);
        the queries run on it. For graphs small enough for pySHACL (at most
        ``SHACL_SPARQL_ABOVE`` triples), pySHACL reads ``graph``, else ``ntriples``, else the
        store's dump.

    The quality rules run on Oxigraph. The SHACL shapes run in pySHACL for graphs up to
    ``SHACL_SPARQL_ABOVE`` triples and, above, as SPARQL on Oxigraph (``run_shacl_sparql``,
    same violations); then all queries share the cores, the longest (the rules that read the
    whole graph) first.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> from govkg import build_graph
    >>> validate(build_graph()).conforms
    True
    """
    rules, review = checks(), warnings()
    import pyoxigraph as ox

    from .query import to_store

    if graph is None and ntriples is None and store is None:
        raise TypeError("validate() needs a graph, its N-Triples or a store holding it")
    if store is not None:
        size = len(store)
    elif ntriples is not None:
        store = ox.Store()
        store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES)
        size = ntriples.count(b"\n")
    else:
        assert graph is not None  # checked above
        store = to_store(graph)
        size = len(graph)
    shacl_jobs = None
    if size > SHACL_SPARQL_ABOVE:
        try:
            shacl_jobs = _shacl_jobs(store)
        except NotImplementedError:  # a SHACL feature the translation does not cover
            shacl_jobs = None
    if shacl_jobs is None:
        if graph is None and ntriples is None:  # only a store: pySHACL reads its dump
            ntriples = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        if graph is None:
            graph = Graph().parse(data=ntriples, format="nt")
        shacl, shacl_jobs = run_shacl(graph), []
    else:
        shacl = []
    # one pool for everything: the whole-graph rules first, the shorter shape queries fill in
    rule_jobs = [(False, job) for job in _check_jobs(store, rules)] + \
                [(True, job) for job in _check_jobs(store, review)]
    found = _parallel(lambda item: (item[0], item[1]()), rule_jobs + [(False, job) for job in shacl_jobs])
    return _report(shacl, found, rules, review)


def _report(shacl: list[Violation], found, rules: dict, review: dict) -> ValidationReport:
    """The report of the SHACL violations ``shacl`` and ``found``: ``(is a warning, violations)`` per job."""
    key = lambda v: (v.rule, v.focus, v.message)  # noqa: E731
    report = ValidationReport(sorted(shacl + [v for w, rows in found if not w for v in rows], key=key),
                              warnings=sorted((v for w, rows in found if w for v in rows), key=key))
    report.rules_run = ["shacl:ontology/shapes.ttl", *(f"checks/{n}-violation.rq" for n in rules),
                        *(f"checks/{n}-warning.rq" for n in review)]
    return report


def _worker() -> None:
    """A validation worker process (``validate_store``): one job as JSON on stdin, its violations as JSON on stdout."""
    import json
    import sys

    import pyoxigraph as ox

    from .guard import die_with_parent
    from .resources import bind_prefixes

    die_with_parent()  # a build killed (Ctrl-C, out of memory) leaves no rule running on
    job = json.load(sys.stdin)
    store = ox.Store.read_only(job["store"])
    if "task" in job:
        t = job["task"]
        task = _Task(t["query"], [(f, r, URIRef(p) if p else "", m) for f, r, p, m in t["emits"]], t["precheck"],
                     t["failing"])
        found = _run_task(store, task, bind_prefixes(Graph()))
    else:
        found = _check_jobs(store, {job["rule"]: job["text"]})[0]()
    json.dump([v.__dict__ for v in found], sys.stdout)


def _apart(job: dict) -> list[Violation]:
    """The violations of ``job`` (see ``_worker``), found by a new Python process that imports the same ``govkg``."""
    import json
    import os
    import subprocess
    import sys

    from .errors import GovkgError

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", "from govkg.validate import _worker; _worker()"], env=env,
                          input=json.dumps(job, ensure_ascii=False).encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:  # killed (out of memory, a signal) or failed
        what = job.get("rule") or "a SHACL query"
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise GovkgError(f"validating the store {job['store']}: the process checking {what} failed: {err[0]}")
    return [Violation(**d) for d in json.loads(done.stdout)]


def validate_store(path, *, processes: int | None = None) -> tuple[int, ValidationReport]:
    """``(triples, ValidationReport)`` of the on-disk Oxigraph store at ``path``, each query in a process of its own.

    The same checks as ``validate(store=...)``, for stores too large to validate in the
    calling process: every quality rule and every SHACL query runs in a new Python process
    that opens the store read-only, so what a rule's evaluation leaves in the allocator is
    given back when its process ends, and the caller's memory is not added to. Measured on
    200,000 generated sites, the rules run side by side in one process grew it from 5.4 to
    8.8 GB though no single rule needs more than 2.7 GB in a process of its own (issue 17).
    Nobody may write to the store meanwhile. Graphs small enough for pySHACL
    (``SHACL_SPARQL_ABOVE``), or shapes the SPARQL translation does not cover, are validated
    in this process by ``validate``.

    The workers are plain ``python -c`` processes, not ``multiprocessing``'s: a spawned
    ``multiprocessing`` worker imports the caller's main script again, and a script that calls
    ``govkg.build()`` without an ``if __name__ == "__main__"`` guard would then build again (and
    wait forever for the build folder's lock); a forked one would copy a process whose other
    threads hold locks. A job and its violations travel as JSON.

    Parameters
    ----------
    path : str or pathlib.Path
        The store's folder (closed by every writer).
    processes : int, optional
        How many jobs run at once; default: the number of cores.

    Examples
    --------
    >>> import tempfile, pyoxigraph as ox
    >>> from govkg import build_graph
    >>> from govkg.build import ntriples
    >>> folder = tempfile.mkdtemp()
    >>> ox.Store(folder).bulk_load(ntriples(build_graph()), format=ox.RdfFormat.N_TRIPLES)
    >>> triples, report = validate_store(folder)
    >>> report.conforms
    True
    """
    import os

    import pyoxigraph as ox

    path = str(path)
    rules, review = checks(), warnings()
    store = ox.Store.read_only(path)
    size = len(store)
    tasks = None
    if size > SHACL_SPARQL_ABOVE:
        shapes = shapes_graph()
        try:
            tasks = _shape_tasks(shapes, _Classes(store, shapes))
        except NotImplementedError:  # a SHACL feature the translation does not cover
            tasks = None
    if tasks is None:
        return size, validate(store=store)
    del store
    tasks.sort(key=_task_order)
    jobs = [(False, {"store": path, "rule": n, "text": t}) for n, t in rules.items()]
    jobs += [(True, {"store": path, "rule": n, "text": t}) for n, t in review.items()]
    jobs += [(False, {"store": path, "task": {"query": t.query, "precheck": t.precheck, "failing": t.failing,
                                              "emits": [[f, r, str(p), m] for f, r, p, m in t.emits]}})
             for t in tasks]
    found = _parallel(lambda item: (item[0], _apart(item[1])), jobs, processes)
    return size, _report([], found, rules, review)


def _task_order(task: _Task) -> tuple[bool, bool]:
    """Order of the SHACL queries: one pass over many focus nodes (flags) first, then the scans of a path's values."""
    return task.precheck is not None or task.failing is not None, "?f0" not in task.query


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


def _shape_classes(shapes: Graph) -> set:
    """Every class the shapes test membership of (targets, sh:class, sh:or alternatives)."""
    return set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))


def _subclasses(store, classes) -> dict:
    """``{class: [the class and its subclasses, N-Triples]}`` in ``store`` (``rdfs:subClassOf*``),
    or ``None`` for a class with a blank node among them (tested through the path instead)."""
    import pyoxigraph as ox

    found: dict = {str(c): {_nt(c)} for c in classes}
    if classes:
        values = " ".join(_nt(c) for c in sorted(classes))
        for row in store.query(f"SELECT ?c ?t WHERE {{ VALUES ?c {{ {values} }} ?t {_SUBCLASS}* ?c }}"):
            sub = row["t"]
            if found[row["c"].value] is not None:
                found[row["c"].value] = None if isinstance(sub, ox.BlankNode) else found[row["c"].value] | {str(sub)}
    return {c: (sorted(s) if s is not None else None) for c, s in found.items()}


class _Classes:
    """Class membership as SPARQL, from the subclasses of each class in the store: a type lookup
    of the node instead of following ``rdf:type/rdfs:subClassOf*`` for every node."""

    def __init__(self, store, shapes: Graph):
        self.sub = _subclasses(store, _shape_classes(shapes))

    def member(self, var: str, cls) -> str:
        """A SPARQL expression true when ``var`` is an instance of ``cls``."""
        subs = self.sub[str(cls)]
        if subs is None:
            return f"EXISTS {{ {var} {_RDF_TYPE}/{_SUBCLASS}* {_nt(cls)} }}"
        # the class itself first (types are mostly stated): the other lookup only when it fails
        test = f"EXISTS {{ {var} {_RDF_TYPE} {_nt(cls)} }}"
        rest = [s for s in subs if s != _nt(cls)]
        if rest:
            test += f" || EXISTS {{ {var} {_RDF_TYPE} ?_t FILTER (?_t IN ({', '.join(rest)})) }}"
        return f"({test})"

    def instances(self, cls) -> tuple[str, bool]:
        """A pattern binding ``?focus`` to each instance of ``cls``, and whether it may repeat one."""
        subs = self.sub[str(cls)]
        if subs is None:
            return f"?focus {_RDF_TYPE}/{_SUBCLASS}* {_nt(cls)}", False
        if len(subs) == 1:
            return f"?focus {_RDF_TYPE} {subs[0]}", False
        return f"VALUES ?_ft {{ {' '.join(subs)} }} ?focus {_RDF_TYPE} ?_ft", True


def _alternative_test(shapes: Graph, alt, var: str, classes: _Classes) -> str:
    """A SPARQL expression true when ``var`` conforms to ``alt`` (a shape of one sh:class or sh:datatype, or a
    path with sh:minCount 1 or sh:hasValue)."""
    from rdflib import RDF

    preds = {p for p in shapes.predicates(alt, None) if p != RDF.type}
    if preds == {SH["class"]}:
        return classes.member(var, shapes.value(alt, SH["class"]))
    if preds == {SH.datatype}:
        return f"(isLiteral({var}) && DATATYPE({var}) = {_nt(shapes.value(alt, SH.datatype))})"
    path = shapes.value(alt, SH.path)
    if isinstance(path, URIRef) and preds == {SH.path, SH.minCount} and int(shapes.value(alt, SH.minCount)) == 1:
        return f"EXISTS {{ {var} {_nt(path)} [] }}"  # a draft site without 'within': [path minCount 1] or …
    if isinstance(path, URIRef) and preds == {SH.path, SH.hasValue}:
        return f"EXISTS {{ {var} {_nt(path)} {_nt(shapes.value(alt, SH.hasValue))} }}"
    raise NotImplementedError(f"sh:or alternative with {sorted(map(str, preds))}")


@dataclass
class _Task:
    """One SPARQL query of ``run_shacl_sparql``: each row (``?focus``) gives one violation of
    every ``(flag, rule, path, message)`` in ``emits`` whose flag variable is true (no flag:
    every row). ``precheck`` (``?n ?d``), when given, is run first: ``?n = ?d`` (no subject
    with two values) means the query has no row, and it is not run."""

    query: str
    emits: list = field(default_factory=list)
    precheck: str | None = None
    #: For a test that looks nodes up (sh:class): the values that fail it, each value tested
    #: once (a popular value is the object of thousands of triples); the query then runs for
    #: those values only, and not at all when there is none.
    failing: str | None = None


def _shape_tasks(shapes: Graph, classes: _Classes) -> list[_Task]:
    """The SHACL shapes as a few SPARQL queries (``_Task``), their rows the violations.

    Constraints on the focus nodes (min counts, hasValue, a node's sh:or) run as one query per
    node shape: one pass over its focus nodes, a flag per constraint. Constraints on values
    (class, datatype, length, ranges, in, sh:or, max counts) run over the triples of their path
    and test the focus node's shape only where a value fails: one query per constraint,
    shared by every node shape that uses it.
    """
    from rdflib import RDF
    from rdflib.collection import Collection

    def rule_of(shape):
        return f"shacl:{_short(shapes, shape)}" if isinstance(shape, URIRef) else "shacl"

    tasks: list[_Task] = []
    by_value: dict = {}  # (distinct, body, precheck) -> [(node membership, rule, path, message)]

    def on_values(member, rule, path, message, body, distinct=False, precheck=None, failing=None):
        by_value.setdefault((distinct, body, precheck, failing), []).append((member, rule, path, message))

    for node in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
        targets, members, repeats = [], [], False
        for target in shapes.objects(node, SH.targetClass):
            pattern, rep = classes.instances(target)
            targets.append(pattern)
            repeats |= rep
            members.append(classes.member("?focus", target))
        for prop in shapes.objects(node, SH.targetSubjectsOf):
            targets.append(f"?focus {_nt(prop)} []")
            repeats = True
            members.append(f"EXISTS {{ ?focus {_nt(prop)} [] }}")
        extra = {p for p in shapes.predicates(node, None)} - {RDF.type, SH.targetClass, SH.targetSubjectsOf,
                                                               SH.property, SH["or"], SH.message}
        if extra or not targets:
            raise NotImplementedError(f"node shape {node} uses {sorted(map(str, extra)) or 'no target'}")
        if len(targets) == 1 and not repeats:
            focus = targets[0]
        else:
            focus = "{ SELECT DISTINCT ?focus WHERE { " + " UNION ".join(f"{{ {t} }}" for t in targets) + " } }"
        member = " || ".join(members)
        on_focus = []  # (test true for a violating focus node, rule, path, message)
        node_msg = str(shapes.value(node, SH.message) or "")
        for alternatives in shapes.objects(node, SH["or"]):
            test = " || ".join(_alternative_test(shapes, a, "?focus", classes) for a in Collection(shapes, alternatives))
            on_focus.append((f"!({test})", rule_of(node), "", node_msg or "sh:or: conforms to none of the alternatives"))
        for ps in shapes.objects(node, SH.property):
            unknown = {p for p in shapes.predicates(ps, None) if p != RDF.type} - _SUPPORTED
            path = shapes.value(ps, SH.path)
            if unknown or not isinstance(path, URIRef):
                raise NotImplementedError(f"property shape {ps} uses {sorted(map(str, unknown)) or 'a complex path'}")
            rule, p = rule_of(ps), _nt(path)
            msg = str(shapes.value(ps, SH.message) or "")

            def counted(op, n, what, cond="?focus " + p + " ?v"):
                message = msg or f"{what} {n}"
                if op == "<" and n == 1:  # at least one: a lookup per focus node
                    on_focus.append((f"NOT EXISTS {{ {cond} }}", rule, path, message))
                elif op == ">" and n == 1:  # at most one: two different terms (sameTerm, not =)
                    other = cond.replace("?v", "?v2")
                    on_values(member, rule, path, message, f"{{ {cond} }} {{ {other} }} FILTER (!sameTerm(?v, ?v2))",
                              distinct=True,
                              precheck=f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?focus) AS ?d) WHERE {{ {cond} }}")
                elif op == ">" and n == 0:  # none at all
                    on_values(member, rule, path, message, cond, distinct=True)
                else:
                    tasks.append(_Task(f"SELECT ?focus WHERE {{ {focus} OPTIONAL {{ {cond} }} }} "
                                       f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) {op} {n})",
                                       [(None, rule, path, message)]))

            def each(default, test, lookup=False):  # one violation per value that fails ``test``
                # GROUP BY, not DISTINCT: Oxigraph would move the test into a DISTINCT, once per triple
                failing = (f"SELECT ?v WHERE {{ {{ SELECT ?v WHERE {{ ?_s {p} ?v }} GROUP BY ?v }} FILTER ({test}) }}"
                           if lookup else None)
                on_values(member, rule, path, msg or default, f"?focus {p} ?v FILTER ({test})", failing=failing)

            mn, mx = shapes.value(ps, SH.minCount), shapes.value(ps, SH.maxCount)
            if mn is not None and int(str(mn)) > 0:
                counted("<", int(str(mn)), "sh:minCount")
            if mx is not None:
                counted(">", int(str(mx)), "sh:maxCount")
            qvs = shapes.value(ps, SH.qualifiedValueShape)
            if qvs is not None:
                langs = shapes.value(qvs, SH.languageIn)
                if langs is None or set(shapes.predicates(qvs, None)) - {SH.languageIn, RDF.type}:
                    raise NotImplementedError(f"qualified value shape of {ps}")
                ok = " || ".join(f'LANGMATCHES(LANG(?v), "{str(x)}")' for x in Collection(shapes, langs))
                cond = f"?focus {p} ?v FILTER (isLiteral(?v) && ({ok}))"
                qmin, qmax = shapes.value(ps, SH.qualifiedMinCount), shapes.value(ps, SH.qualifiedMaxCount)
                if qmin is not None and int(str(qmin)) > 0:
                    counted("<", int(str(qmin)), "sh:qualifiedMinCount", cond)
                if qmax is not None:
                    counted(">", int(str(qmax)), "sh:qualifiedMaxCount", cond)
            if (c := shapes.value(ps, SH["class"])) is not None:
                each(f"sh:class {c}", "!" + classes.member("?v", c), lookup=True)
            if (d := shapes.value(ps, SH.datatype)) is not None:
                each(f"sh:datatype {d}", f"!isLiteral(?v) || DATATYPE(?v) != {_nt(d)}")
            if (n := shapes.value(ps, SH.minLength)) is not None:
                each(f"sh:minLength {n}", f"isBlank(?v) || STRLEN(STR(?v)) < {int(str(n))}")
            for bound, op in ((SH.minInclusive, ">="), (SH.maxInclusive, "<="), (SH.minExclusive, ">"),
                              (SH.maxExclusive, "<")):
                if (b := shapes.value(ps, bound)) is not None:  # not comparable counts as a violation
                    each(f"{bound.split('#')[-1]} {b}", f"!COALESCE(?v {op} {_nt(b)}, false)")
            if (v := shapes.value(ps, SH.hasValue)) is not None:
                on_focus.append((f"NOT EXISTS {{ ?focus {p} {_nt(v)} }}", rule, path, msg or f"sh:hasValue {v}"))
            if (lst := shapes.value(ps, SH["in"])) is not None:
                vals = ", ".join(_nt(x) for x in Collection(shapes, lst))
                each("sh:in", f"?v NOT IN ({vals})")
            for lst in shapes.objects(ps, SH["or"]):
                test = " || ".join(_alternative_test(shapes, a, "?v", classes) for a in Collection(shapes, lst))
                each("sh:or: conforms to none of the alternatives", f"!({test})", lookup="EXISTS" in test)
        if on_focus:
            flags = [f"?f{i}" for i in range(len(on_focus))]
            binds = " ".join(f"BIND ({test} AS {f})" for (test, *_), f in zip(on_focus, flags))
            tasks.append(_Task(f"SELECT ?focus {' '.join(flags)} WHERE {{ {focus} {binds} "
                               f"FILTER ({' || '.join(flags)}) }}",
                               [(f[1:], *rest) for f, (_, *rest) in zip(flags, on_focus)]))
    for (distinct, body, precheck, failing), uses in by_value.items():
        flags = [f"?in{i}" for i in range(len(uses))]
        binds = " ".join(f"BIND ({m} AS {f})" for (m, *_), f in zip(uses, flags))
        tasks.append(_Task(f"SELECT {'DISTINCT ' if distinct else ''}?focus {' '.join(flags)} WHERE {{ {body} "
                           f"{binds} FILTER ({' || '.join(flags)}) }}",
                           [(f[1:], *rest) for f, (_, *rest) in zip(flags, uses)], precheck, failing))
    return tasks


def _run_task(store, task: _Task, names: Graph) -> list[Violation]:
    if task.precheck is not None:
        row = next(iter(store.query(task.precheck)))
        if row["n"].value == row["d"].value:
            return []
    query = task.query
    if task.failing is not None:
        import pyoxigraph as ox

        values = [row["v"] for row in store.query(task.failing)]
        if not values:
            return []
        if not any(isinstance(v, ox.BlankNode) for v in values):  # a blank node cannot be named
            query = query.replace(" WHERE { ", f" WHERE {{ VALUES ?v {{ {' '.join(map(str, values))} }} ", 1)
    out = []
    for row in store.query(query):
        focus = row["focus"].value
        for flag, rule, path, message in task.emits:
            if flag is None or (row[flag] is not None and row[flag].value == "true"):
                out.append(Violation(rule, focus, message, _short(names, path) if path != "" else ""))
    return out


def _shacl_jobs(store, shapes: Graph | None = None) -> list:
    """The shapes' queries as jobs (functions returning violations), the largest pass first."""
    from .resources import bind_prefixes

    shapes = shapes if shapes is not None else shapes_graph()
    names = bind_prefixes(Graph())  # paths shown with our prefixes, as the built graph shows them
    tasks = _shape_tasks(shapes, _Classes(store, shapes))
    tasks.sort(key=_task_order)
    return [lambda task=task: _run_task(store, task, names) for task in tasks]


def run_shacl_sparql(store, shapes: Graph | None = None, *, scratch: bool = False) -> list[Violation]:
    """Violations of the SHACL shapes, checked by a few SPARQL queries on Oxigraph.

    The shapes (``ontology/shapes.ttl``) stay the source of truth: their constraints are
    translated as they are read. Only the SHACL features the shapes use are translated (targets
    by class or subject-of; IRI paths; min/max count, class, datatype, minLength, hasValue, in,
    min/max inclusive/exclusive,
    or of class/datatype, qualified counts of a languageIn shape); any other raises
    ``NotImplementedError``, and ``validate`` then falls back to pySHACL. Violations equal
    pySHACL's (rule, focus node, path) one for one; ``tests/test_validate_sparql.py`` checks it.

    Class membership (``rdf:type/rdfs:subClassOf*``) is a type lookup against the subclasses
    of each class, read from the store first. ``scratch`` is accepted for callers of the earlier
    version (which precomputed memberships into a scratch graph) and changes nothing: the store
    is never written to.
    """
    del scratch  # no scratch graph any more: the subclass lookup is as fast and costs nothing up front
    return _run_jobs(_shacl_jobs(store, shapes))
