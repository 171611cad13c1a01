"""The ``govkg`` command line: each command parses its arguments, calls one library function, prints."""

from __future__ import annotations

import sys
from pathlib import Path

import click

# the command modules' helpers (graph_from, opened_from, echo_json) live in govkg.cli_common, which the
# command modules import: named here too for code written against this module before it was split
from .cli_common import echo_json, graph_from, opened_from  # noqa: F401
from .cli_types import NonEmptyPath, finite_seconds  # noqa: F401
from .errors import GovkgError

__all__ = ["main", "cli"]


class _Group(click.Group):
    """Turns every ``GovkgError`` into a clean message and exit code 1 (no traceback).

    An ``OSError`` that reaches the command line (a file the user named that cannot be read
    or written) is shown the same way, with its path and reason.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GovkgError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except BrokenPipeError:  # e.g. `govkg shared | head`: the reader has gone, nothing to say
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            ctx.exit(1)
        except UnicodeDecodeError as exc:  # a text file that is not UTF-8 where no reader said which one
            click.echo(f"Error: a file read is not UTF-8 text ({exc.reason} at byte {exc.start}): data files, queries "
                       f"and source texts ($GOVKG_SOURCES, data/sources/) must be UTF-8", err=True)
            ctx.exit(1)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="govkg")
@click.option("--data", "data_dir", type=NonEmptyPath(file_okay=False, path_type=Path), envvar="GOVKG_DATA",
              help="Data folder (default: ./data if present, else the bundled data).")
@click.option("--build-dir", type=NonEmptyPath(file_okay=False, path_type=Path),
              help="Build folder (default: build/ beside the data folder; ./build for the bundled data of an installed package).")
@click.pass_context
def cli(ctx, data_dir, build_dir):
    """govkg: a bilingual knowledge graph of grassroots-governance mechanisms.

    \b
    govkg build                      compile ontology + data into build/
    govkg validate                   SHACL shapes and quality rules
    govkg query 'SELECT …'           SPARQL with our prefixes predeclared
    govkg shared --json              mechanisms used at two or more sites
    govkg similar 高新社区            sites ranked by mechanisms shared
    govkg analyze / suggest / report network analysis and a readable report
    govkg viz / figure               who shares what (site × kind matrix), networks, static figure
    govkg cite 高新社区 -f bibtex      a citation: IRI, evidence sentences, report, date (text, BibTeX, CSL-JSON)
    govkg export --format FORMAT     turtle json-ld nt trig graphml gexf csv qca
    govkg outcomes --site 高新社区     one tidy row per number or claim, with its sentence
    govkg serve / publish            SPARQL endpoint and query page; load into a triple store
    govkg draft / review             draft a new report's data; accept, edit or reject it
    govkg slug 高新社区               the pinyin slug (IRI id) of a label
    """
    import logging

    from .build import default_data_dir
    from .paths import default_build_dir

    # rdflib logs a traceback when a literal is ill-typed ("x"^^xsd:integer, from a query or a
    # store): the value is kept as text, and a user must not see a Python stack for it
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)

    data_dir = data_dir or default_data_dir()
    ctx.obj = {"data_dir": data_dir, "build_dir": build_dir or default_build_dir(data_dir, command=True)}


@cli.command()
@click.option("-o", "--out", "out_dir", type=NonEmptyPath(file_okay=False, path_type=Path),
              help="Output folder (default: the build folder).")
@click.option("--include-drafts", is_flag=True, help="Also compile entries marked 'status: draft'.")
@click.option("--dumps/--no-dumps", default=None,
              help="Write the single-file dumps govkg.ttl and govkg.nt (default: for graphs of up to 1,000,000 triples).")
@click.option("--full", is_flag=True, help="Recompile every file, even when only a few changed.")
@click.pass_context
def build(ctx, out_dir, include_drafts, dumps, full):
    """Compile the ontology and data into the build folder (atomically): the on-disk store
    (store-<generation>/) and site index the read commands open, parts.sqlite, and govkg.ttl and
    govkg.nt for graphs of up to a million triples.

    The data is validated first; any problem is listed with file, line and field, and the
    previous build is left untouched. When only some data files changed since the last build
    without dumps, only they (and the files that refer to them) are recompiled and checked.
    """
    from .build import DISK_VALIDATION_FILES
    from .build import build as run_build

    if _ARGV is not None:
        import os

        from .heap import malloc_restart
        from .manifest import input_count

        restart = malloc_restart(_ARGV) if input_count(ctx.obj["data_dir"]) > DISK_VALIDATION_FILES else None
        if restart is not None:  # a national build: the memory its parse frees goes back to the system
            sys.stdout.flush()
            sys.stderr.flush()
            os.execve(restart[0][0], restart[0], restart[1])
    report = run_build(ctx.obj["data_dir"], out_dir or ctx.obj["build_dir"], include_drafts=include_drafts,
                       dumps=dumps, incremental=not full)
    for p in report.outputs:
        click.echo(f"wrote {p}")
    if report.incremental:
        click.echo(f"incremental rebuild: {len(report.parsed)} changed file(s) recompiled and checked")
    elif report.full_because and report.full_because != "no previous build":
        click.echo(f"full build: {report.full_because}")
    from .counts import build_counts, counts_text

    counted = build_counts(out_dir or ctx.obj["build_dir"])  # the one definition of each count (counts.rq)
    parts = counts_text(counted) if counted is not None else \
        ", ".join(f"{n} {'sites' if k == 'site' else k}" for k, n in sorted(report.entries.items()))
    if not any(report.entries.values()) and not include_drafts:
        parts = _drafts_left_out(ctx.obj["data_dir"]) or "no entries"
    click.echo(f"{report.triples} triples ({parts})")
    click.echo(f"{report.evidence_checked} evidence sentences checked verbatim against their source")
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    for s in report.evidence_unchecked:
        click.echo(f"warning: source text of '{s}' not found; its evidence was not checked "
                   f"(set GOVKG_SOURCES to the folder holding it)", err=True)


def _drafts_left_out(data_dir) -> str:
    """What a build without entries left out: its drafts (``""`` if there are none)."""
    from .model import load_data

    n = len(load_data(data_dir).drafts)
    if not n:
        return ""
    return (f"no entries: all {n:,} entries are drafts (status: draft) and were left out; review them "
            f"(govkg review {data_dir}) or build with --include-drafts")


@cli.command()
@click.argument("text", nargs=-1, required=True)
def slug(text):
    """Print the pinyin slug (IRI id) of a label, e.g. govkg slug 高新社区 → gaoxinshequ."""
    from .slug import slugify

    label = " ".join(text)
    result = slugify(label)
    if not result:
        shown = label if len(label) <= 80 else label[:80] + "…"
        raise GovkgError(f"no slug for {shown!r}: it has no Chinese characters, letters or digits")
    click.echo(result)


def _register_commands() -> None:
    """Commands that live in their own modules add themselves to the group."""
    from . import cli_analysis, cli_cite, cli_draft, cli_query, cli_serve
    from govkg.visualize import cli as cli_visualize

    for module in (cli_query, cli_analysis, cli_serve, cli_visualize, cli_draft, cli_cite):
        module.register(cli)


_register_commands()


#: The interpreter's arguments (``sys.orig_argv[1:]``) when ``main`` runs the process's own command line
#: (None: called otherwise, e.g. by click's test runner): a command may then start itself again
#: (``heap.malloc_restart``).
_ARGV: list[str] | None = None


def main(argv=None) -> None:
    """Entry point of the ``govkg`` console script."""
    global _ARGV
    _ARGV = list(sys.orig_argv[1:]) if argv is None else None
    cli.main(args=argv, prog_name="govkg")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
