"""CLI commands over the graph: validate, query, export, shared, similar."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["register"]

from .exports import FORMATS as _NETWORK_FORMATS, RDF_FORMATS

_RDF_FORMATS = tuple(RDF_FORMATS)


def _parse_binding(text: str):
    """``name=value``: ``<iri>`` binds an IRI, ``text@zh`` a language-tagged literal, else a plain literal."""
    from rdflib import Literal, URIRef

    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r}", param_hint="--bind")
    if not name.replace("_", "a").isalnum():
        raise click.BadParameter(f"{name!r} is not a SPARQL variable name (letters, digits, '_')", param_hint="--bind")
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        import pyoxigraph as ox

        try:
            ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise click.BadParameter(f"{value} is not an IRI: {exc}", param_hint="--bind") from None
        return name, URIRef(value[1:-1])
    head, at, lang = value.rpartition("@")
    if at and lang in ("zh", "en"):
        return name, Literal(head, lang=lang)
    return name, Literal(value)


def register(cli: click.Group) -> None:
    """Add the commands of this module to the ``govkg`` group."""
    from .cli import echo_json, graph_from

    @cli.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.pass_context
    def validate(ctx, as_json):
        """Check the graph against the SHACL shapes and the quality rules (ontology/checks/).

        Exit status 1 when there is any violation.
        """
        from .validate import validate as run_validate

        report = run_validate(graph_from(ctx))
        if as_json:
            echo_json(report.as_dict())
        else:
            click.echo(str(report))
        if not report.conforms:
            ctx.exit(1)

    @cli.command()
    @click.argument("query", required=False)
    @click.option("--example", metavar="NAME", help="Run a shipped example query (see --examples).")
    @click.option("--examples", "list_examples", is_flag=True, help="List the shipped example queries.")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                  show_default=True, help="json = SPARQL 1.1 Query Results JSON.")
    @click.option("--bind", "binds", multiple=True, metavar="NAME=VALUE",
                  help="Bind a projected variable to a value: <iri>, text@zh, text@en or plain text.")
    @click.option("--full", is_flag=True, help="Do not shorten long table cells.")
    @click.pass_context
    def query(ctx, query, example, list_examples, fmt, binds, full):
        """Run a read-only SPARQL query: QUERY is the text, a .rq file, or - for stdin.

        Our prefixes (gk:, kind:, unit:, site:, mech:, schema:, org:, prov:, skos:, rdfs: …)
        are predeclared.

        \b
        govkg query 'SELECT ?s WHERE { ?s a gk:DemonstrationSite }'
        govkg query --example numbers-with-evidence --format csv
        """
        from .build import load_store
        from .query import format_csv, format_json, format_table, run_query
        from .resources import example_queries, example_query

        if list_examples:
            for name, text in example_queries().items():
                first = next((ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")), "")
                click.echo(f"{name:24} {first}")
            return
        if example:
            text = example_query(example)
        elif query is None:
            raise click.UsageError("give a QUERY (text, file or -) or --example NAME")
        elif query == "-":
            stdin = click.get_binary_stream("stdin")
            try:
                text = stdin.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise click.BadParameter(f"standard input is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                         param_hint="QUERY") from None
        elif query.endswith(".rq") or (len(query) < 4096 and "{" not in query and Path(query).is_file()):
            try:
                text = Path(query).read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise click.BadParameter(f"{query} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                         param_hint="QUERY") from None
            except OSError as exc:
                raise click.BadParameter(f"cannot read {query}: {exc.strerror or exc}", param_hint="QUERY") from None
        else:
            text = query
        bindings = dict(_parse_binding(b) for b in binds)
        store = load_store(ctx.obj["data_dir"], ctx.obj["build_dir"])
        result = run_query(store, text, bindings=bindings)
        if fmt == "csv":
            click.echo(format_csv(result), nl=False)
        elif fmt == "json":
            click.echo(format_json(result))
        else:
            click.echo(format_table(result, max_width=None if full else 60))

    @cli.command()
    @click.option("-f", "--format", "fmt", type=click.Choice(_RDF_FORMATS + _NETWORK_FORMATS), default="turtle",
                  show_default=True, help="RDF (turtle, json-ld, nt, trig) or network/table formats.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Output file (written atomically); RDF formats print to stdout without it.")
    @click.pass_context
    def export(ctx, fmt, output):
        """Export the whole graph (ontology + data).

        \b
        govkg export --format json-ld -o govkg.jsonld
        govkg export --format graphml -o govkg.graphml
        """
        from .exports import serialize
        from .writers import write_atomic

        graph = graph_from(ctx)
        if fmt in _RDF_FORMATS:
            data = serialize(graph, fmt)
            if output is None:
                click.echo(data.decode("utf-8"), nl=False)
            else:
                click.echo(f"wrote {write_atomic(output, data)}")
            return
        if output is None:
            raise click.UsageError(f"--format {fmt} writes files: give -o FILE")
        from .exports import export as export_network

        for p in export_network(graph, fmt, output):
            click.echo(f"wrote {p}")

    @cli.command()
    @click.argument("name", required=False)
    @click.option("--kind", is_flag=True, help="Match NAME against mechanism kinds only.")
    @click.option("--min-sites", type=click.IntRange(min=1), help="Keep entries used at this many sites or more "
                  "(default 2; 1 when NAME is given).")
    @click.option("--json", "as_json", is_flag=True, help='Print {"mechanisms": [...], "kinds": [...]}.')
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.pass_context
    def shared(ctx, name, kind, min_sites, as_json, lang):
        """Mechanisms and kinds used at two or more sites, or the sites using NAME.

        NAME is matched against the zh and en labels (exact, then prefix, then substring).

        \b
        govkg shared                      named mechanisms and kinds shared by sites
        govkg shared 椰智荟               the sites running the Yezhihui hall
        govkg shared mediation --kind     sites with a mediation kind
        """
        from .shared import shared_mechanisms

        result = shared_mechanisms(graph_from(ctx), name, kind=kind, min_sites=min_sites)
        if as_json:
            echo_json(result)
            return
        for title, key in (("Named mechanisms", "mechanisms"), ("Kinds", "kinds")):
            entries = result[key]
            click.echo(f"{title} ({len(entries)}):")
            if not entries:
                click.echo("  none")
            for e in entries:
                sites = "、".join(s["label"][lang] for s in e["sites"]) if lang == "zh" else ", ".join(
                    s["label"][lang] for s in e["sites"])
                click.echo(f"  {e['label'][lang]} — {e['site_count']} sites: {sites}")

    @cli.command()
    @click.argument("site")
    @click.option("--top", type=click.IntRange(min=1), help="Show only the N most similar sites.")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.pass_context
    def similar(ctx, site, top, as_json, lang):
        """The other sites ranked by mechanisms shared with SITE (Jaccard over kinds and instances).

        SITE is an id or a zh/en label, e.g. 高新社区 or "Gaoxin Community".
        """
        from .shared import similar_sites

        result = similar_sites(graph_from(ctx), site, top=top)
        if as_json:
            echo_json(result)
            return
        click.echo(f"Sites most like {result['site']['label'][lang]}:")
        sep = "、" if lang == "zh" else ", "
        for i, s in enumerate(result["similar"], 1):
            shared_m = sep.join(m["label"][lang] for m in s["shared"]["mechanisms"])
            kinds = sep.join(k["label"][lang] for k in s["shared"]["kinds"])
            click.echo(f"{i:2}. {s['label'][lang]}  jaccard={s['jaccard']:.3f}  shared={s['shared_count']}")
            if shared_m:
                click.echo(f"    mechanisms: {shared_m}")
            if kinds:
                click.echo(f"    kinds: {kinds}")
