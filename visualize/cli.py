"""The ``govkg viz`` and ``govkg figure`` commands (registered on the ``govkg`` group by ``register``)."""

from __future__ import annotations

from pathlib import Path

import click

from govkg.cli_types import NonEmptyPath

__all__ = ["register"]


@click.command()
@click.option("-o", "--out", "out", type=NonEmptyPath(dir_okay=False, path_type=Path),
              help="HTML file to write (default: <build folder>/govkg-<view>.html).")
@click.option("--view", type=click.Choice(["matrix", "full", "mechanisms", "similarity"]),
              help="What to show: matrix, the site × kind matrix (who shares what; the default), or a network "
                   "(mechanisms, the default with --focus; full; similarity).")
@click.option("--focus", metavar="NAME", help="Keep the neighbourhood of this site, mechanism or kind (zh/en label or id).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Hops kept around --focus.")
@click.option("--top-k", "top_k", type=click.IntRange(min=1), default=3, show_default=True,
              help="Similarity view: the links drawn for each site (to its k most similar sites).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Initial label language.")
@click.option("--open", "open_", is_flag=True, help="Open the page in the web browser.")
@click.pass_context
def viz(ctx, out, view, focus, depth, top_k, lang, open_):
    """Write the interactive graph as ONE self-contained HTML file (works offline, from file://).

    \b
    govkg viz                               site × kind matrix: who shares what (click a cell for evidence)
    govkg viz --view mechanisms             network of sites, mechanisms and shared kinds
    govkg viz --view full -o graph.html     everything: areas, organizations, outcomes, events
    govkg viz --view similarity --top-k 2   each site linked to its 2 most similar sites
    govkg viz --focus 椰智荟 --depth 2       one mechanism and its neighbourhood

    The matrix lists every kind used at two or more sites (a switch shows all), grouped by
    top kind, against the sites grouped by district; a cell counts the site's mechanisms of
    that kind or a narrower one. In the networks, at fit-to-window only sites, shared
    mechanisms and (full view) class groups are labelled; zoom in or hover for the others. The
    full view starts collapsed: click a class to expand it.
    """
    from govkg.cli_common import opened_from

    from .html import default_viz_path, write_viz

    if view is None:
        view = "mechanisms" if focus is not None else "matrix"
    path = out if out is not None else default_viz_path(ctx.obj["build_dir"], view)
    if view == "matrix":
        from .matrix import write_matrix

        if focus is not None:
            raise click.UsageError("--focus applies to the network views (--view mechanisms, full or similarity)")
        written, n_kinds, n_sites = write_matrix(opened_from(ctx), path, lang=lang)
        click.echo(f"wrote {written} ({n_kinds} kinds × {n_sites} sites)")
        if open_:
            import webbrowser

            webbrowser.open(written.resolve().as_uri())
        return
    result = write_viz(opened_from(ctx), path, view=view, focus=focus, depth=depth, lang=lang, top_k=top_k)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"wrote {result.path} ({result.nodes} nodes, {result.edges} edges)")
    if open_:
        import webbrowser

        webbrowser.open(result.path.resolve().as_uri())


@click.command()
@click.option("-o", "--out", "out", type=NonEmptyPath(dir_okay=False, path_type=Path), required=True,
              help="Figure file: .png or .svg.")
@click.option("--dpi", type=click.IntRange(min=50, max=600), default=200, show_default=True, help="Resolution of a PNG.")
@click.pass_context
def figure(ctx, out, dpi):
    """Write a static figure: the site × mechanism-kind matrix (sites grouped by district, kinds by
    broader kind) beside a bar chart of how many sites use each kind."""
    from govkg.cli_common import opened_from

    from .figures import write_figure

    path = write_figure(opened_from(ctx), out, dpi=dpi)
    click.echo(f"wrote {path}")


def register(cli) -> None:
    """Add the ``viz`` and ``figure`` commands to the ``govkg`` group ``cli``."""
    cli.add_command(viz)
    cli.add_command(figure)
