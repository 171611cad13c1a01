"""Load and check a data folder's YAML files into ``Entry``/``Source``/``Dataset`` (``govkg.fields``), with
file, line and field in every error; the files are read by ``govkg.yamlread``, each value checked by
``govkg.values``."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from .args import as_path
from .errors import DataError, Problem
# the module's own short names for the format's tables (read from the schema by govkg.fields)
from .fields import ALLOWED as _ALLOWED, COMMON_KINDS as _COMMON_KINDS, DRAFT_KINDS as _DRAFT_KINDS
from .fields import DRAFT_MAY_LEAVE as _DRAFT_MAY_LEAVE, FIELDS as _FIELDS, LIST_FIELDS as _LIST_FIELDS
from .fields import REQUIRED as _REQUIRED, SITE_FACTS as _SITE_FACTS, SOURCE_FIELDS as _SOURCE_FIELDS
from .fields import SOURCE_KINDS as _SOURCE_KINDS, SOURCE_REQUIRED as _SOURCE_REQUIRED, USE_FIELDS as _USE_FIELDS
from .fields import SECTIONS, Dataset, Entry, Source
from .slug import is_slug, slugify
from .values import DIGIT as _DIGIT, check_value as _check_value, control_problems as _control_problems
from .values import is_number as _is_number, source_value_problems as _source_value_problems
from .values import unquoted_hint as _unquoted_hint, visible as _visible
from .yamlread import MAX_DEPTH, MAX_FILE_BYTES  # noqa: F401 - the limits, named here too
from .yamlread import entry_line as _entry_line, line_of as _line, plain as _plain, read_yaml as _read_yaml

__all__ = ["SECTIONS", "Dataset", "Entry", "Source", "load_data", "load_file", "load_source"]



def _section_problems(section: str, values: dict, lines: dict, line: int, shown: str) -> list[Problem]:
    """The rules of one section beyond the kinds of its values (an outcome's range and change, a claim's
    id, a redirect's ends), and a number written in a note."""
    out: list[Problem] = []
    if isinstance(values.get("note"), str) and _DIGIT.search(values["note"]):
        out.append(Problem(shown, lines["note"], "note", "a note holds a number: a number the report states goes into an outcome "
                           "(with its evidence), not into a note; write counts in words if the note must mention one"))
    if section == "outcomes" and "use" not in values:
        if "id" not in values:
            out.append(Problem(shown, line, "id", "outcomes need an explicit 'id' (e.g. '<site>-<what>')"))
        if (values.get("comparator") == "range") != ("value_max" in values):
            field = "value_max" if "value_max" in values else "comparator"
            out.append(Problem(shown, lines.get(field, line), field,
                               "a range (2米—4米) is 'comparator: range' with the upper end in 'value_max'; "
                               "give both or neither"))
        elif "value_max" in values and _is_number(values["value_max"]) and _is_number(values.get("value")) \
                and not values["value_max"] > values["value"]:
            out.append(Problem(shown, lines["value_max"], "value_max", "'value_max' (the upper end of the range) "
                               "must be larger than 'value' (its lower end)"))
        if values.get("measure") == "change" and "direction" not in values:
            out.append(Problem(shown, lines["measure"], "direction",
                               "a 'measure: change' outcome needs 'direction: increase', 'decrease' or 'no-change' "
                               "(schema v2: a fall is a positive number with 'direction: decrease')"))
    if section == "claims" and "id" not in values:
        out.append(Problem(shown, line, "id", "claims need an explicit 'id' (e.g. '<site>-<what>')"))
    if section == "redirects":
        for name in ("from", "to"):
            v = values.get(name)
            if isinstance(v, str) and not (v.count("/") >= 1 and all(is_slug(seg) for seg in v.split("/"))):
                out.append(Problem(shown, lines[name], name, f"expected '<kind>/<id>' made of slugs "
                                                             f"(e.g. 'mechanism/wenshan-huzhuyanglao'), got {v!r}"))
    return out


def _label_evidence_problems(section: str, values: dict, lines: dict, line: int, shown: str) -> list[Problem]:
    """An entry's labels are texts one can see, and (but for a redirect) it quotes its evidence."""
    out: list[Problem] = []
    for name in ("zh", "en"):
        if name in values and (not isinstance(values[name], str) or not _visible(values[name])):
            out.append(Problem(shown, lines[name], name, "expected a non-empty text" + _unquoted_hint(values[name])))
    ev = values.get("evidence")
    if section == "redirects":
        pass
    elif ev is None or ev == "" or ev == []:
        out.append(Problem(shown, lines.get("evidence", line), "evidence", "missing evidence sentence (quote the source verbatim)"))
    elif not (isinstance(ev, str) or (isinstance(ev, list) and all(isinstance(s, str) and s.strip() for s in ev))):
        out.append(Problem(shown, lines["evidence"], "evidence", "expected a sentence or a list of sentences"))
    return out


def _entry(section: str, raw, index: int | None, shown: str, file_source, site_id, problems,
           near: int = 0) -> Entry | None:
    line = _entry_line(raw) or near
    where = f"{section}[{index}]" if index is not None else section
    if not hasattr(raw, "items"):
        problems.append(Problem(shown, line or None, where, "expected a mapping of fields"))
        return None
    lines = {str(k): _line(raw, k) for k in raw}
    values = {str(k): _plain(v) for k, v in raw.items()}
    fields = {**_COMMON_KINDS, **_FIELDS[section]}
    if values.get("status") == "draft":
        # a report that names no community or village: its facts are drafted at the area it
        # names (a district, a town) for the reviewer to move; accepting needs a site type
        fields.update(_DRAFT_KINDS.get(section, {}))
    allowed = _ALLOWED[section]
    bad = False
    for name in values:
        if name not in allowed:
            problems.append(Problem(shown, lines[name], name, f"unknown field in {section} (allowed: {', '.join(sorted(allowed))})"))
            bad = True
    if "use" in values:
        if section not in _USE_FIELDS:
            problems.append(Problem(shown, lines["use"], "use", "'use' is only for mechanisms and the site"))
            return None
        extra = sorted(set(values) - _USE_FIELDS[section])
        if extra:
            problems.append(Problem(shown, lines[extra[0]], extra[0], f"a 'use' entry takes only {', '.join(sorted(_USE_FIELDS[section]))} (labels, kinds and organizations stay where it is defined)"))
            return None
        required: tuple = ("use",)
    else:
        required = _REQUIRED[section]
        if values.get("status") == "draft":  # left for the reviewer when the report does not state it
            required = tuple(r for r in required if r not in _DRAFT_MAY_LEAVE.get(section, ()))
    for name in required:
        if name not in values or values[name] in (None, ""):
            problems.append(Problem(shown, line, name, f"missing required field '{name}' in {where}"))
            bad = True
    text_problems = _label_evidence_problems(section, values, lines, line, shown)
    if text_problems:
        problems.extend(text_problems)
        bad = True
    for name, kind in fields.items():
        if name in values:
            msg = _check_value(kind, name, values[name], where)
            if msg:
                problems.append(Problem(shown, lines[name], name, msg))
                bad = True
    section_problems = _section_problems(section, values, lines, line, shown)
    if section_problems:
        problems.extend(section_problems)
        bad = True
    if "id" in values and not (isinstance(values["id"], str) and is_slug(values["id"])):
        problems.append(Problem(shown, lines["id"], "id", f"not a slug (lower-case a-z, 0-9, '-'): {values['id']!r}"))
        bad = True
    if section == "redirects":
        if isinstance(values.get("to"), str) and values.get("to") == values.get("from"):
            problems.append(Problem(shown, lines["to"], "to", f"'{values['to']}' is redirected to itself"))
            bad = True
    control = _control_problems(values, lines, shown)
    if control:
        problems.extend(control)
        bad = True
    if bad:
        return None
    for name in _LIST_FIELDS:
        if isinstance(values.get(name), str):
            values[name] = [values[name]]
    if section == "redirects":
        ident = str(values["from"])
    else:
        ident = values.get("use") or values.get("id") or slugify(values["zh"])
    if not ident:
        problems.append(Problem(shown, lines.get("zh", line), "zh", "cannot make an id from this label; give an 'id'"))
        return None
    return Entry(section, ident, values, shown, line, lines, site=site_id, source=values.get("source") or file_source)


def load_file(path: str | Path, *, root: str | Path | None = None) -> list[Entry]:
    """Load one data file and check its fields.

    Parameters
    ----------
    path : str or Path
        A YAML data file (see ``data/README.md``).
    root : str or Path, optional
        Paths in errors are shown relative to this folder.

    Returns
    -------
    list of Entry

    Raises
    ------
    DataError
        Listing every problem with its file, line and field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_text("source: s\\nareas:\\n  - zh: 海口市\\n    en: Haikou\\n    type: metropolis\\n    evidence: x\\n", encoding="utf-8")
    >>> try:
    ...     load_file(p, root=p.parent)
    ... except DataError as e:
    ...     print(e.problems[0])
    x.yaml:5: field 'type': 'metropolis' is not one of: city, district, development-zone, subdistrict, town, community, village, village-committee, natural-village
    """
    path = as_path(path, "path")
    shown = shown_path(path, root)
    doc = _read_yaml(path, shown)
    if doc is None:
        return []
    if not hasattr(doc, "items"):
        raise DataError.single(shown, 1, None, "expected a mapping at the top level (keys: source, site, areas, …)")
    problems: list[Problem] = []
    for key in doc:
        if key not in SECTIONS and key != "source":
            problems.append(Problem(shown, _line(doc, key), str(key), f"unknown section (allowed: source, {', '.join(SECTIONS)})"))
    file_source = doc.get("source")
    if file_source is not None and not (isinstance(file_source, str) and is_slug(file_source)):
        problems.append(Problem(shown, _line(doc, "source"), "source", f"expected a source id, got {file_source!r}"))
        file_source = None
    site_id = None
    entries: list[Entry] = []
    if "site" in doc:
        e = _entry("site", doc["site"], None, shown, file_source, None, problems)
        if e is not None:
            site_id = e.id
            entries.append(Entry(e.section, e.id, e.values, e.file, e.line, e.lines, site=e.id, source=e.source))
    for section in SECTIONS:
        if section == "site" or section not in doc:
            continue
        items = doc[section]
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(Problem(shown, _line(doc, section), section, "expected a list of entries (each starting with '- ')"))
            continue
        for i, raw in enumerate(items):
            e = _entry(section, raw, i, shown, file_source, site_id, problems, near=_entry_line(items))
            if e is not None:
                entries.append(e)
    # a 'site:' section with mistakes has its own problems: its facts are not also called siteless
    needs_site = [e for e in entries if e.section in _SITE_FACTS and site_id is None and "site" not in doc]
    for e in needs_site:
        problems.append(e.problem(None, f"{e.section} belong to a site file (one with a 'site:' section, "
                                        f"or 'site: {{use: <site id>, evidence: …}}' for a site defined in another file)"))
    if (file_source is None and any(e.evidence and e.source is None for e in entries)
            and "source" not in {p.field for p in problems}):
        problems.append(Problem(shown, 1, "source", "missing 'source': the id of the report the evidence quotes"))
    if problems:
        raise DataError(problems)
    return entries


def load_source(path: str | Path, *, root: str | Path | None = None) -> Source:
    """Load the metadata of one report from ``data/sources/<id>.yaml``.

    Raises
    ------
    DataError
        When a field is missing, unknown or malformed.
    """
    path = Path(path)
    shown = shown_path(path, root)
    doc = _read_yaml(path, shown)
    if not hasattr(doc, "items"):
        raise DataError.single(shown, 1, None, "expected a mapping of fields")
    problems = []
    values = {str(k): _plain(v) for k, v in doc.items()}
    lines = {str(k): _line(doc, k) for k in doc}
    for name in values:
        if name not in _SOURCE_FIELDS:
            problems.append(Problem(shown, lines[name], name, f"unknown field (allowed: {', '.join(sorted(_SOURCE_FIELDS))})"))
    for name in _SOURCE_REQUIRED:
        if not values.get(name):
            problems.append(Problem(shown, 1, name, f"missing required field '{name}'"))
    if values.get("id") and not is_slug(str(values["id"])):
        problems.append(Problem(shown, lines["id"], "id", f"not a slug: {values['id']!r}"))
    for name in _kinds("agent"):
        v = values.get(name)
        if v is not None and not (isinstance(v, dict) and v.get("zh") and v.get("en")):
            problems.append(Problem(shown, lines[name], name, "expected a mapping with 'zh' and 'en' (and optionally 'id')"))
    for name in _kinds("date"):
        if name in values and (not isinstance(values[name], _dt.date) or isinstance(values[name], _dt.datetime)):
            problems.append(Problem(shown, lines[name], name, f"expected an ISO date (YYYY-MM-DD), got {values[name]!r}"))
    if "date" in values and "date_earliest" in values:
        problems.append(Problem(shown, lines["date_earliest"], "date_earliest", "give 'date' when the date is known, 'date_earliest' only when it is not"))
    for name in _kinds("titles"):
        v = values.get(name)
        if v is not None and not (isinstance(v, dict) and v and all(isinstance(t, str) and t.strip() for t in v.values())):
            problems.append(Problem(shown, lines[name], name, "expected a mapping of language code to title, e.g. {zh: …}"))
    problems += _source_value_problems(values, lines, shown)
    problems += _control_problems(values, lines, shown)
    if problems:
        raise DataError(problems)
    return Source(str(values["id"]), values, shown, 1, lines)


def _kinds(kind: str) -> list[str]:
    """The fields of a report's record that take values of ``kind``."""
    return [name for name, k in _SOURCE_KINDS.items() if k == kind]


def _no_data_files(data_dir: Path, empty: bool) -> None:
    """``DataError`` when ``data_dir`` is the folder above a data folder or holds no data file (else nothing)."""
    below = next((d for d in (data_dir / "data", *sorted(data_dir.glob("*/data"))) if (d / "sources").is_dir()), None)
    if below is not None:
        raise DataError.single(str(data_dir), None, None, f"this looks like the folder above a data folder ({below} "
                                                          f"holds sources/): use --data {below}")
    if empty:
        raise DataError.single(str(data_dir), None, None, "no data files (*.yaml) found in this folder: a data folder "
                                                          "holds sources/*.yaml and the files of its sites (see data/README.md)")


def load_data(data_dir: str | Path, *, include_drafts: bool = False, file_loader=None) -> Dataset:
    """Load every data file under ``data_dir`` and check ids are unique within their space.

    ``data_dir/sources/*.yaml`` are reports; every other ``*.yaml`` below ``data_dir`` is a
    data file. All problems of all files are collected before raising.

    Parameters
    ----------
    data_dir : str or Path
        The data folder.
    include_drafts : bool, default False
        Keep entries marked ``status: draft``; by default they are left out (their ids are
        listed in ``Dataset.drafts``, so that a reference to one can say so).
    file_loader : callable, optional
        ``file_loader(path, root, is_source)`` replaces ``load_source``/``load_file`` for one
        file (the build's per-file cache); the checks across files always run.

    Raises
    ------
    DataError
        Listing every problem with its file, line and field.
    """
    data_dir = as_path(data_dir, "data_dir")
    if not data_dir.is_dir():
        raise DataError.single(str(data_dir), None, None, "data folder not found")
    root = data_dir.parent
    problems: list[Problem] = []
    sources: list[Source] = []
    entries: list[Entry] = []
    # one walk: the data files, and files named .yml/.YAML that would otherwise be silently left out
    found = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in (".yaml", ".yml"))
    files = [p for p in found if p.suffix == ".yaml" and p.is_file()]
    if not found or not (data_dir / "sources").is_dir():
        _no_data_files(data_dir, empty=not found)
    for p in found:
        if p.suffix != ".yaml" and p.is_file():
            problems.append(Problem(shown_path(p, root), None, None,
                                    f"data files end in .yaml: rename it to {p.stem}.yaml (as it is, it is not read)"))
    kinds = [(p, p.parent.name == "sources" and p.parent.parent == data_dir) for p in files]
    if file_loader is None:
        file_loader = _Preloaded()
    if hasattr(file_loader, "prefetch"):
        file_loader.prefetch(kinds, root)
    for p, is_source in kinds:
        try:
            loaded = file_loader(p, root, is_source)
            if is_source:
                sources.append(loaded)
            else:
                entries.extend(loaded)
        except DataError as exc:
            problems.extend(exc.problems)
    drafts = frozenset((e.space, e.id) for e in entries if e.is_draft and not e.is_use)
    if not include_drafts:
        entries = [e for e in entries if not e.is_draft]
    seen: dict[tuple[str, str], Entry] = {}
    for e in entries:
        if e.is_use:
            continue
        key = (e.space, e.id)
        if key in seen:
            first = seen[key]
            problems.append(e.problem("id" if "id" in e.lines else "zh",
                                      f"duplicate id '{e.id}' ({e.space}); first defined at {first.file}:{first.line}"))
        else:
            seen[key] = e
    src_seen: dict[str, Source] = {}
    for s in sources:
        if s.id in src_seen:
            problems.append(Problem(s.file, s.lines.get("id", 1), "id", f"duplicate source id '{s.id}'; first at {src_seen[s.id].file}"))
        src_seen[s.id] = s
    if problems:
        raise DataError(problems)
    return Dataset(tuple(entries), tuple(sources), tuple(shown_path(p, root) for p in files),
                   frozenset() if include_drafts else drafts)


def shown_path(path: Path | str, root: Path | str | None) -> str:
    """How a data file is named in errors and parts: relative to ``root`` (the data folder's parent) when
    it lies below it, else as given. Internal, shared with ``govkg.incremental`` (not in ``__all__``).

    Examples
    --------
    >>> shown_path("/p/data/sites/a.yaml", "/p")
    'data/sites/a.yaml'
    >>> shown_path("/q/a.yaml", "/p")
    '/q/a.yaml'
    """
    if root is not None:
        head = str(root if isinstance(root, Path) else Path(root)).rstrip(os.sep) + os.sep
        text = str(path if isinstance(path, Path) else Path(path))  # normalized ("a//b", "a/./b")
        if text.startswith(head) and head != os.sep and f"{os.sep}..{os.sep}" not in text[len(head) - 1:] \
                and not text.endswith(f"{os.sep}.."):  # found under ``root`` (the usual case): a slice, no pathlib
            return text[len(head):]
        path, root = Path(path), Path(root)
        if not (path.is_absolute() ^ root.is_absolute()) and root.parts and path.parts[: len(root.parts)] == root.parts \
                and ".." not in path.parts:
            return str(path.relative_to(root))  # found under ``root`` (the usual case): no system call
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


#: Data folders with at least this many files are parsed by several processes (one per core).
PARALLEL_FILES = 500


def _load_one(path: Path, root, is_source: bool):
    return load_source(path, root=root) if is_source else load_file(path, root=root)


def _load_chunk(chunk):
    """Parse ``[(path, root, is_source)]`` in a worker: each result, or the problems of a file."""
    out = []
    for path, root, is_source in chunk:
        try:
            out.append((True, _load_one(path, root, is_source)))
        except DataError as exc:  # an exception's own pickling would lose its problems
            out.append((False, exc.problems))
    return out


def load_files(kinds, root) -> dict:
    """Parse files: ``{path: entries, or a Source, or the DataError of that file}``.

    ``kinds`` lists ``(path, is_source)``. From ``PARALLEL_FILES`` files on, and when this
    process runs no other thread (forking a threaded process is unsafe), the files are parsed
    by one forked process per core, in order-preserving chunks.
    """
    import os

    items = [(p, root, is_source) for p, is_source in kinds]
    cores = os.cpu_count() or 1
    if len(items) < PARALLEL_FILES or cores < 2 or not can_fork():
        return {p: _result(*_load_chunk([(p, r, s)])[0]) for p, r, s in items}
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = max(50, len(items) // (cores * 8))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    try:
        with ProcessPoolExecutor(cores, mp_context=mp.get_context("fork")) as pool:
            done = [r for part in pool.map(_load_chunk, chunks) for r in part]
    except (BrokenProcessPool, OSError):  # a worker killed (out of memory) or no fork: parse here instead
        done = [r for chunk in chunks for r in _load_chunk(chunk)]
    return {item[0]: _result(*r) for item, r in zip(items, done)}


def can_fork() -> bool:
    """Whether forking is safe here: a POSIX system and no other thread in this process (a
    thread holding a lock at the fork would leave it locked in the child for ever).

    Internal, shared with ``govkg.partindex`` (its forked compile), so not in ``__all__``.

    Examples
    --------
    >>> can_fork() in (True, False)
    True
    """
    import os
    import threading

    return os.name == "posix" and threading.active_count() == 1


def _result(ok: bool, value):
    return value if ok else DataError(value)


class _Preloaded:
    """The default file loader of ``load_data``: every file parsed up front by ``load_files``."""

    def prefetch(self, kinds, root) -> None:
        self.results = load_files(kinds, root)

    def __call__(self, path, root, is_source):
        r = self.results[path]
        if isinstance(r, DataError):
            raise r
        return r
