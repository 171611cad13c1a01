"""Structural checks of a loaded dataset: containment and part-of cycles, self-membership, duplicate labels."""

from __future__ import annotations

from .errors import DataError, Problem
from .model import Dataset, Entry

__all__ = ["structure_problems", "check_structure", "duplicate_label_warnings"]

#: (sections, field, what the link means) of the links that must not form a cycle.
_CHAINS = (
    (("site", "areas"), "within", "within"),
    (("organizations",), "part_of", "part of"),
)


def _where(e: Entry, name: str) -> str:
    return f"{e.file}:{e.line_of(name)}"


def _cycles(entries: dict[str, Entry], name: str) -> list[list[str]]:
    """Each cycle of the links ``entry.values[name]`` once, as the ids along it (no recursion)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []
    for start in sorted(entries):
        path: list[str] = []
        node: str | None = start
        while node in entries and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = entries[node].values.get(name)
        if node in entries and state.get(node) == 1:
            cycles.append(path[path.index(node):])
        for n in path:
            state[n] = 2
    return cycles


def structure_problems(dataset: Dataset) -> list[Problem]:
    """Links that make no sense as a structure, each with file, line and field.

    - a place ``within`` itself, or a chain of ``within`` that comes back (a city within its
      own district);
    - an organization ``part_of`` itself, or a ``part_of`` cycle;
    - an organization among its own ``members``.

    Examples
    --------
    >>> from govkg.model import Dataset, Entry
    >>> a = Entry("areas", "a", {"within": "b"}, "data/areas.yaml", 3, {"within": 4})
    >>> b = Entry("areas", "b", {"within": "a"}, "data/areas.yaml", 8, {"within": 9})
    >>> print(structure_problems(Dataset((a, b), ()))[0])
    data/areas.yaml:4: field 'within': containment cycle: 'a' (data/areas.yaml:4) is within 'b' (data/areas.yaml:9), which is within 'a'
    """
    problems: list[Problem] = []
    for sections, name, verb in _CHAINS:
        entries = {e.id: e for e in dataset.entries if e.section in sections and not e.is_use}
        kind = "containment" if name == "within" else "part-of"
        for cycle in _cycles(entries, name):
            first = entries[cycle[0]]
            if len(cycle) == 1:
                problems.append(first.problem(name, f"'{first.id}' is {verb} itself"))
                continue
            steps = [f"'{cycle[0]}' ({_where(first, name)}) is {verb} '{cycle[1]}' ({_where(entries[cycle[1]], name)})"]
            steps += [f"which is {verb} '{cycle[(i + 1) % len(cycle)]}'"
                      + ("" if i + 1 == len(cycle) else f" ({_where(entries[cycle[i + 1]], name)})")
                      for i in range(1, len(cycle))]
            problems.append(first.problem(name, f"{kind} cycle: {', '.join(steps)}"))
    for e in dataset.entries:
        if e.section == "organizations" and not e.is_use and e.id in (e.values.get("members") or []):
            problems.append(e.problem("members", f"'{e.id}' is listed among its own members"))
    for e in dataset.entries:
        if e.section == "outcomes" and not e.is_use and e.values.get("same_measure_as") == e.id:
            problems.append(e.problem("same_measure_as", f"'{e.id}' names itself: same_measure_as is the same "
                                                         "measure stated by another outcome"))
    problems += _parts_cycles([e for e in dataset.entries if e.section == "mechanisms" and not e.is_use])
    return problems


def _parts_cycles(mechanisms: list[Entry]) -> list[Problem]:
    """A mechanism among its own ``parts``, or ``parts`` that come back round (A has part B, B has part A)."""
    import networkx as nx

    by_id = {e.id: e for e in mechanisms}
    g: nx.DiGraph = nx.DiGraph()
    for e in mechanisms:
        parts = e.values.get("parts") or []
        for p in parts if isinstance(parts, list) else [parts]:
            if isinstance(p, str) and p in by_id:
                g.add_edge(e.id, p)
    out = []
    for scc in sorted(nx.strongly_connected_components(g), key=min):
        first = by_id[min(scc)]
        if len(scc) == 1:
            if g.has_edge(first.id, first.id):
                out.append(first.problem("parts", f"'{first.id}' is listed among its own parts"))
            continue
        cycle = [u for u, _v in nx.find_cycle(g.subgraph(scc), source=first.id)]
        steps = ", ".join(f"'{u}' ({_where(by_id[u], 'parts')}) has part '{cycle[(i + 1) % len(cycle)]}'"
                          for i, u in enumerate(cycle))
        out.append(first.problem("parts", f"part-of cycle: {steps}"))
    return out


def check_structure(dataset: Dataset) -> None:
    """Raise ``DataError`` listing every ``structure_problems`` of ``dataset``."""
    problems = structure_problems(dataset)
    if problems:
        raise DataError(problems)


#: The sections whose entries must not share a label, each with the plural a warning names them by
#: (``duplicate_label_warnings``; ``govkg.incremental`` warns the same way for the files it rebuilds).
DUPLICATE_LABEL_SECTIONS = {"site": "sites", "areas": "areas", "organizations": "organizations",
                            "mechanisms": "mechanisms", "events": "events"}


def duplicate_label_warnings(dataset: Dataset) -> list[str]:
    """Warnings for two entries of one kind (two sites, two areas …) with the same zh or en label,
    naming both files and lines: names given on the command line could not tell them apart.

    Examples
    --------
    >>> from govkg.model import Dataset, Entry
    >>> a = Entry("site", "gaoxin", {"zh": "高新社区", "en": "Gaoxin"}, "data/sites/a.yaml", 2, {"zh": 3})
    >>> b = Entry("site", "gaoxin-2", {"zh": "高新社区", "en": "Gaoxin 2"}, "data/sites/b.yaml", 2, {"zh": 3})
    >>> duplicate_label_warnings(Dataset((a, b), ()))
    ["two sites have the zh label '高新社区': 'gaoxin' (data/sites/a.yaml:3) and 'gaoxin-2' (data/sites/b.yaml:3)"]
    """
    out = []
    for section, what in DUPLICATE_LABEL_SECTIONS.items():
        for lang in ("zh", "en"):
            seen: dict[str, Entry] = {}
            for e in dataset.entries:
                if e.section != section or e.is_use:
                    continue
                label = e.values.get(lang)
                if not isinstance(label, str):
                    continue
                key = " ".join(label.split()).casefold()
                first = seen.setdefault(key, e)
                if first is not e:
                    out.append(f"two {what} have the {lang} label '{label}': '{first.id}' ({_where(first, lang)}) "
                               f"and '{e.id}' ({_where(e, lang)})")
    return out
