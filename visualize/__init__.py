"""Interactive HTML graph (pyvis, one self-contained file) and static figures of the govkg graph."""

__all__ = ["views", "html", "figures", "style"]
