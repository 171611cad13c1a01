"""Names already curated (organizations, places, mechanisms), so that a new report links to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .quotes import strip_quotes

__all__ = ["Known", "Gazetteer", "gazetteer_from_data"]


@dataclass(frozen=True)
class Known:
    """An entry of the curated data: its id, labels, type or kinds, and where it is defined."""

    id: str
    zh: str
    en: str
    type: str | None
    kinds: tuple[str, ...]
    where: str
    #: For a place: the label (zh) of the place it is within, when the data says.
    within: str | None = None


@dataclass(frozen=True)
class Gazetteer:
    """Curated names by space (``org``, ``place``, ``mechanism``), keyed by the name without quotes."""

    org: dict[str, Known] = field(default_factory=dict)
    place: dict[str, Known] = field(default_factory=dict)
    mechanism: dict[str, Known] = field(default_factory=dict)

    def find(self, space: str, name: str) -> Known | None:
        """The curated entry named ``name`` (quotes ignored), or None."""
        return getattr(self, space).get(strip_quotes(name))

    def __len__(self) -> int:
        return len(self.org) + len(self.place) + len(self.mechanism)


def gazetteer_from_data(data_dir: str | Path | None, *, exclude_sources=()) -> Gazetteer:
    """A gazetteer of the curated data in ``data_dir`` (None gives an empty one).

    Parameters
    ----------
    data_dir : path or None
        A data folder (``govkg.model.load_data``).
    exclude_sources : iterable of str
        Source ids whose entries are left out (a benchmark measures a report against its
        own curated data without letting the drafter see it).

    Examples
    --------
    >>> gazetteer_from_data(None).find("org", "柳树村果蔬协会") is None
    True
    """
    g = Gazetteer()
    if data_dir is None:
        return g
    from ..model import load_data

    excluded = set(exclude_sources)
    entries = load_data(data_dir).entries
    place_zh = {e.id: e.values["zh"] for e in entries if e.space == "place" and not e.is_use}
    for e in entries:
        if e.is_use or e.source in excluded or e.space not in ("org", "place", "mechanism"):
            continue
        v = e.values
        known = Known(e.id, v["zh"], v["en"], v.get("type"), tuple(v.get("kinds", ())), f"{e.file}:{e.line}",
                      place_zh.get(v.get("within", "")) if e.space == "place" else None)
        getattr(g, e.space).setdefault(strip_quotes(v["zh"]), known)
    return g
