"""Visual encoding of the view graph: colour, shape and bilingual name of every node class."""

from __future__ import annotations

__all__ = ["CLASSES", "SHARED_COLOR", "style_of", "class_names"]

#: Node classes in legend order: class -> colour, vis-network shape, zh and en name (singular and plural).
CLASSES: dict[str, dict[str, str]] = {
    "urban-site": {"color": "#e15759", "shape": "dot", "zh": "城市社区示范点", "en": "urban site",
                   "zh_pl": "城市社区示范点", "en_pl": "urban sites"},
    "rural-site": {"color": "#59a14f", "shape": "square", "zh": "农村示范点", "en": "rural site",
                   "zh_pl": "农村示范点", "en_pl": "rural sites"},
    "mechanism": {"color": "#4e79a7", "shape": "diamond", "zh": "治理机制", "en": "mechanism",
                  "zh_pl": "治理机制", "en_pl": "mechanisms"},
    "kind": {"color": "#b07aa1", "shape": "triangle", "zh": "机制类型", "en": "mechanism kind",
             "zh_pl": "机制类型", "en_pl": "mechanism kinds"},
    "organization": {"color": "#76b7b2", "shape": "hexagon", "zh": "组织", "en": "organization",
                     "zh_pl": "组织", "en_pl": "organizations"},
    "outcome": {"color": "#edc948", "shape": "star", "zh": "成效数据", "en": "outcome",
                "zh_pl": "成效数据", "en_pl": "outcomes"},
    "area": {"color": "#9c755f", "shape": "triangleDown", "zh": "行政区域", "en": "area",
             "zh_pl": "行政区域", "en_pl": "areas"},
    "event": {"color": "#ff9da7", "shape": "star", "zh": "事件", "en": "event",
              "zh_pl": "事件", "en_pl": "events"},
    "response": {"color": "#bab0ac", "shape": "dot", "zh": "事件应对", "en": "event response",
                 "zh_pl": "事件应对", "en_pl": "event responses"},
}

#: Colour of a mechanism used at two or more sites.
SHARED_COLOR = "#f28e2b"


def style_of(cls: str, *, shared: bool = False) -> dict[str, str]:
    """The colour and shape of a node of class ``cls`` (a new dict).

    Parameters
    ----------
    cls : str
        One of ``CLASSES``.
    shared : bool
        A mechanism used at two or more sites (drawn in ``SHARED_COLOR``).

    Examples
    --------
    >>> style_of("mechanism", shared=True)
    {'color': '#f28e2b', 'shape': 'diamond'}
    """
    s = CLASSES[cls]
    return {"color": SHARED_COLOR if shared and cls == "mechanism" else s["color"], "shape": s["shape"]}


def class_names(cls: str) -> dict[str, str]:
    """The zh and en name of a node class.

    Examples
    --------
    >>> class_names("kind")["en"]
    'mechanism kind'
    """
    return {"zh": CLASSES[cls]["zh"], "en": CLASSES[cls]["en"]}
