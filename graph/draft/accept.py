"""Move the accepted entries of a reviewed draft folder into a curated data folder, in one checked step."""

from __future__ import annotations

from pathlib import Path

from ..errors import GovkgError
from ..model import SECTIONS as _SPACE
from ..writers import write_set
from .writer import dump_yaml

__all__ = ["move_accepted"]

_HEADER = ("# Reviewed with `govkg review` and moved here from {draft} by `govkg review --into`.\n"
           "# Only entries a curator accepted or edited were moved; each quotes its evidence from report '{source}'.\n")
#: Fields a ``use`` entry may carry, by section (as ``govkg.model`` allows).
_USE_KEEP = {"site": ("evidence", "note", "source", "status"),
             "mechanisms": ("evidence", "note", "source", "status", "led_by", "run_by", "role", "since", "parts",
                            "area_served")}


def move_accepted(draft_dir: str | Path, data_dir: str | Path) -> dict:
    """Copy the accepted entries of ``draft_dir`` into ``data_dir`` as new files, checked first.

    What goes where: the report's record to ``data_dir/sources/<id>.yaml``; the accepted areas
    to ``areas-<source id>.yaml``; each site file whose site was accepted to
    ``sites/<site id>.yaml`` (``sites/<site id>-<source id>.yaml`` when the site is already
    curated). Entries still ``status: draft`` stay behind. An entry whose id is already
    curated (the drafter linked it through the gazetteer) is not defined twice: an area or an
    organization is left out (the curated one is referred to), a site or a mechanism becomes
    ``use: <id>`` with its evidence. The report's text is not copied (its rights may forbid
    committing it): the check reads it from ``draft_dir/sources``; set ``GOVKG_SOURCES`` (or copy
    it) for later builds to check the evidence too.

    The result is compiled and validated as ``govkg build`` would build ``data_dir`` (drafts
    left out) before anything is written; the new files are written as one set. Nothing is
    ever replaced: a file that exists already stops the move, naming it.

    Returns
    -------
    dict
        ``{"files": [new files, relative to data_dir], "moved": n, "left": n, "linked": n}``.

    Raises
    ------
    GovkgError
        Nothing was written: the record still lacks its title, publisher or date, a target file
        exists, nothing is accepted, or the result would not build (``ReviewError``, with where).
    """
    from ..model import load_data
    from .decisions import DataFolder, folder_lock
    from .folder_check import check_folder
    from .review_page import source_gaps

    draft_dir, data_dir = Path(draft_dir).resolve(), Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise GovkgError(f"data folder not found: {data_dir}")
    if draft_dir == data_dir or data_dir in draft_dir.parents or draft_dir in data_dir.parents:
        raise GovkgError(f"{draft_dir} and {data_dir} must be two separate folders")
    with folder_lock(draft_dir):
        folder = DataFolder(draft_dir)
        sources = [p for p in folder.docs if p.parent == draft_dir / "sources"]
        if len(sources) != 1:
            raise GovkgError(f"{draft_dir}: expected the record of one report in sources/, found {len(sources)}")
        src_path = sources[0]
        record = folder.docs[src_path]
        sid = record.get("id")
        gaps = source_gaps(record)
        if gaps:
            raise GovkgError(f"{src_path.relative_to(draft_dir).as_posix()}: fill the report's {', '.join(gaps)} "
                             f"(govkg review {draft_dir}) before moving its entries; nothing was written")
        curated = {(e.space, e.id) for e in load_data(data_dir, include_drafts=True).entries if not e.is_use}
        texts: dict[Path, str] = {}
        header = _HEADER.format(draft=draft_dir.name, source=sid)
        counts = {"moved": 0, "left": 0, "linked": 0}
        for p, doc in sorted(folder.docs.items()):
            if p == src_path:
                continue
            out, site_linked = _moved(doc, curated, counts)
            if out is None:
                continue
            rel = p.relative_to(draft_dir)
            if rel.as_posix() == "areas.yaml":
                rel = Path(f"areas-{sid}.yaml")
            elif site_linked:
                rel = rel.with_name(f"{rel.stem}-{sid}.yaml")
            texts[data_dir / rel] = header + dump_yaml(out)
        if not counts["moved"]:
            raise GovkgError(f"{draft_dir}: no accepted entry to move (accept entries with govkg review first); "
                             f"nothing was written")
        texts[data_dir / "sources" / f"{sid}.yaml"] = header + dump_yaml(record)
        taken = [p for p in texts if p.exists() or p.is_symlink()]
        if taken:
            raise GovkgError(f"{', '.join(str(p) for p in taken)} exists already: not replacing a curated file "
                             f"(rename or remove it first); nothing was written")
        check_folder(data_dir, texts, extra_sources=[draft_dir / "sources"], include_drafts=False)
        write_set(texts)
    return {**counts, "files": sorted(p.relative_to(data_dir).as_posix() for p in texts)}


def _moved(doc: dict, curated: set, counts: dict) -> tuple[dict | None, bool]:
    """The accepted part of one draft file, linked entries referred to; (None, False) when nothing is left."""
    out = {k: v for k, v in doc.items() if k == "source"}
    site = doc.get("site")
    site_linked = False
    if isinstance(site, dict):
        if site.get("status", "accepted") != "accepted":  # facts of a site not accepted stay with it
            counts["left"] += 1 + sum(len(v) for k, v in doc.items() if isinstance(v, list))
            return None, False
        if "use" not in site and (_SPACE["site"], site.get("id")) in curated:
            out["site"] = {"use": site["id"], **{k: site[k] for k in _USE_KEEP["site"] if k in site}}
            site_linked = True
            counts["linked"] += 1
        else:
            out["site"] = site
        counts["moved"] += 1
    for section, items in doc.items():
        if section in ("source", "site") or not isinstance(items, list):
            continue
        kept = []
        for v in items:
            if not isinstance(v, dict) or v.get("status", "accepted") != "accepted":
                counts["left"] += 1
                continue
            if "use" not in v and (_SPACE.get(section), v.get("id")) in curated:
                counts["linked"] += 1
                if section in _USE_KEEP:
                    kept.append({"use": v["id"], **{k: v[k] for k in _USE_KEEP[section] if k in v}})
                continue
            kept.append(v)
            counts["moved"] += 1
        if kept:
            out[section] = kept
    return (out if set(out) - {"source"} else None), site_linked
