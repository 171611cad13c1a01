"""A data folder checked as it would be with some files changed: compiled and validated as ``govkg build``
does, in a private scratch copy, each problem located at its file, line and entry."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import DataError, ReviewError
from ..namespace import ID

__all__ = ["check_folder"]


def check_folder(data_dir: str | Path, texts: dict, *, extra_sources=(), include_drafts: bool = True,
                 shown_as: dict | None = None) -> None:
    """Compile and validate ``data_dir`` as it would be with ``texts`` (``{path: new text}``,
    paths inside ``data_dir``; new files allowed), as ``govkg build`` does: the loader
    (``govkg.model``), the compiler (``govkg.compile``) with the report texts of
    ``default_sources_dirs(data_dir)`` and ``extra_sources``, the SHACL shapes and quality rules.

    The data files are copied to a private scratch folder (mode 0700) with the new texts in
    place, since the loader reads files from a folder; nothing under ``data_dir`` is written.

    Raises
    ------
    ReviewError
        With every problem (file relative to ``data_dir``, line, field, and the entry it is in).
    """
    from ..build import build_graph, default_sources_dirs
    from ..errors import ValidationError
    from ..validate import validate

    data_dir = Path(data_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="govkg-review-") as tmp:
        copy = Path(tmp) / data_dir.name
        shutil.copytree(data_dir, copy, symlinks=True, ignore=lambda d, names: [
            n for n in names if not (n.endswith(".yaml") or (Path(d) / n).is_dir()) or n.startswith(".")])
        for p, t in texts.items():
            target = copy / Path(p).resolve().relative_to(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(t, encoding="utf-8")
        try:
            g = build_graph(copy, sources_dirs=[*default_sources_dirs(data_dir), *extra_sources],
                            include_drafts=include_drafts)
            report = validate(g)
            if not report.conforms:
                raise ValidationError(report)
        except DataError as exc:
            head = f"{data_dir.name}/"
            problems = []
            for pr in exc.problems:
                rel = pr.file[len(head):] if pr.file.startswith(head) else pr.file
                text = texts.get(data_dir / rel)
                where = _entry_at(text, pr.line) if text is not None else {}
                problems.append({"file": rel, "line": pr.line, "field": pr.field, "message": pr.message, **where})
            raise ReviewError("the decisions would leave the data invalid; nothing was written:\n"
                              + str(exc).replace(str(copy), str(data_dir)), problems) from None
        except ValidationError as exc:
            problems = []
            for v in exc.report.violations:
                space, _, ident = v.focus[len(str(ID)):].partition("/") if v.focus.startswith(str(ID)) else ("", "", "")
                section = _SECTION_OF_SPACE.get(space)
                file = next((Path(p).resolve().relative_to(data_dir).as_posix() for p, t in texts.items()
                             if section and _entry_line(t, section, ident)), None)
                problems.append({"file": file,
                                 "line": _entry_line(texts[data_dir / file], section, ident) if file and section else None,
                                 "field": v.path or None, "message": v.message, "rule": v.rule,
                                 **({"section": section, "id": ident} if section else {})})
            raise ReviewError("the decisions would leave the graph invalid; nothing was written:\n" + str(exc),
                              problems) from None


#: The section of the data files each IRI space of ``govkg.namespace`` comes from.
_SECTION_OF_SPACE = {"site": "site", "area": "areas", "org": "organizations", "mechanism": "mechanisms",
                     "outcome": "outcomes"}


def _entry_line(text: str, section: str, ident: str) -> int | None:
    """The line of the entry ``ident`` of ``section`` in a data file's ``text``; None when it is not there."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for key, node in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != section:
            continue
        items = [node] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        for item in items:
            if isinstance(item, yaml.MappingNode) and any(k.value in ("id", "use") and v.value == ident for k, v in item.value):
                return item.start_mark.line + 1
    return None


def _entry_at(text: str, line: int | None) -> dict:
    """``{"section", "id"}`` of the entry of a data file's ``text`` that spans ``line`` (a report's
    record is one entry of section ``source``); ``{}`` when no entry does."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    keys = {k.value: v for k, v in root.value}
    if "zh" in keys and "id" in keys and isinstance(keys["id"], yaml.ScalarNode):
        return {"section": "source", "id": keys["id"].value}
    if line is None:
        return {}
    for key, node in root.value:
        items = [node] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        for item in items:
            if isinstance(item, yaml.MappingNode) and item.start_mark.line + 1 <= line <= item.end_mark.line + 1:
                ident = next((v.value for k, v in item.value if k.value in ("id", "use")), None)
                return {"section": key.value, "id": ident}
    return {}
