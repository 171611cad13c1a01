"""What the command modules share: the graph or opened build a command reads, and JSON output.

``govkg.cli`` imports the command modules to register them; they import these helpers from
here, never from ``govkg.cli``, so that the command line has no import cycle."""

from __future__ import annotations

import json

import click

__all__ = ["graph_from", "opened_from", "echo_json"]


def graph_from(ctx):
    """The graph for a command: the fresh prebuilt build, else compiled in memory."""
    from .build import load_graph

    return load_graph(ctx.obj["data_dir"], ctx.obj["build_dir"])


def opened_from(ctx, *, prefetch: bool = True):
    """The fresh build's store and site index opened read-only (``govkg.open``), else the graph
    compiled in memory (no fresh build with a store). ``prefetch``: read the site index while the
    build's freshness is checked (for the commands that read it)."""
    from .store import open_fresh

    opened = open_fresh(ctx.obj["data_dir"], ctx.obj["build_dir"], prefetch=prefetch)
    return opened if opened is not None else graph_from(ctx)


def echo_json(obj) -> None:
    """Print ``obj`` as indented UTF-8 JSON (CJK kept readable).

    Examples
    --------
    >>> echo_json({"site": "高新社区"})
    {
      "site": "高新社区"
    }
    """
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))
