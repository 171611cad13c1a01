"""The ``analyze``, ``suggest`` and ``report`` commands, and the network export formats for ``govkg export``."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register", "export_formats", "export"]


def export_formats() -> tuple:
    """The formats ``govkg export`` routes to ``export`` (``graphml``, ``gexf``, ``csv``, ``qca``)."""
    from .exports import FORMATS

    return FORMATS


def export(graph, fmt: str, path) -> list[Path]:
    """Write ``graph`` as ``fmt`` (see ``govkg.exports.export``); returns the files written."""
    from .exports import export as run

    return run(graph, fmt, path)


def register(cli: click.Group) -> None:
    """Add ``analyze``, ``suggest`` and ``report`` to the ``govkg`` command group."""
    from .cli import echo_json, graph_from

    @cli.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the text output.")
    @click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Entries per table.")
    @click.pass_context
    def analyze(ctx, as_json, lang, top):
        """Shared mechanisms and kinds, site similarity, centrality, communities, co-occurring kinds, suggestions."""
        from .analysis import analyze as run

        res = run(graph_from(ctx), top=top)
        if as_json:
            echo_json(res)
        else:
            from .report import summary_text

            click.echo(summary_text(res, lang=lang))

    @cli.command()
    @click.argument("site")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.option("--neighbors", type=click.IntRange(min=1), default=3, show_default=True,
                  help="Number of most similar sites that vote.")
    @click.pass_context
    def suggest(ctx, site, as_json, lang, neighbors):
        """Kinds of mechanism SITE's most similar sites use and SITE lacks (id or zh/en name)."""
        from .analysis import suggest as run

        res = run(graph_from(ctx), site, neighbors=neighbors)
        if as_json:
            echo_json(res)
        else:
            from .report import suggestions_text

            click.echo(suggestions_text(res, lang=lang))

    @cli.command()
    @click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="report.html (self-contained) or report.md (figure written beside it).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.pass_context
    def report(ctx, out, lang):
        """Write a readable report (HTML or Markdown, by the file suffix), atomically."""
        from .report import write_report

        for p in write_report(graph_from(ctx), out, lang=lang):
            click.echo(f"wrote {p}")
