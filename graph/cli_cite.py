"""The ``govkg cite`` command: a citation of a node or a report as text, BibTeX or CSL-JSON."""

from __future__ import annotations

import json

import click

__all__ = ["register"]


@click.command()
@click.argument("name", metavar="NODE|SOURCE")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "bibtex", "csl-json"]), default="text",
              show_default=True, help="text to read; bibtex; csl-json (Citation Style Language items).")
@click.option("--lang", type=click.Choice(["auto", "zh", "en"]), default="auto", show_default=True,
              help="Language of the text format; auto: the language NODE is written in.")
@click.pass_context
def cite(ctx, name, fmt, lang):
    """How to cite NODE (a site, mechanism, outcome … by IRI, id such as site/gaoxinshequ, or zh/en
    label) or SOURCE (a report): its stable IRI, the sentences that are its evidence with their
    report, and the report's date as stated and in ISO 8601.

    \b
    govkg cite 高新社区
    govkg cite "“椰智荟”议事堂" --format bibtex
    govkg cite source/haikou-jicengzhili-shifandian-2024 --format csl-json
    """
    from .analysis.matching import text_lang
    from .cite import as_bibtex, as_csl_json, as_text, citation
    from .cli_common import opened_from

    c = citation(opened_from(ctx, prefetch=False), name)
    if fmt == "bibtex":
        click.echo(as_bibtex(c), nl=False)
    elif fmt == "csl-json":
        click.echo(json.dumps(as_csl_json(c), ensure_ascii=False, indent=2))
    else:
        click.echo(as_text(c, text_lang(name, "en") if lang == "auto" else lang))


def register(cli) -> None:
    """Add ``cite`` to the ``govkg`` group ``cli``."""
    cli.add_command(cite)
