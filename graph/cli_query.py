"""CLI commands over the graph: validate, query, export, shared, similar."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_types import NonEmptyPath

__all__ = ["register"]

from .exports import FORMATS as _NETWORK_FORMATS, RDF_FORMATS

from .query import FORMATS as _QUERY_FORMATS

_RDF_FORMATS = tuple(RDF_FORMATS)


def _parse_binding(text: str):
    """``name=value``: the value is read by ``govkg.query.binding_terms`` (``<iri>``, ``text@zh``, plain text)."""
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r}", param_hint="--bind")
    if not name.replace("_", "a").isalnum():
        raise click.BadParameter(f"{name!r} is not a SPARQL variable name (letters, digits, '_')", param_hint="--bind")
    return name, value.strip()


def register(cli: click.Group) -> None:
    """Add the commands of this module to the ``govkg`` group."""
    from .cli_common import echo_json, graph_from, opened_from
    from .cli_types import finite_seconds

    @cli.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.pass_context
    def validate(ctx, as_json):
        """Check the graph against the SHACL shapes and the quality rules (ontology/checks/).

        Exit status 1 when there is any violation.
        """
        from .store import open_fresh
        from .validate import validate as run_validate

        opened = open_fresh(ctx.obj["data_dir"], ctx.obj["build_dir"])  # the build's store, else compiled in memory
        report = run_validate(store=opened.store) if opened is not None else run_validate(graph_from(ctx))
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
    @click.option("-f", "--format", "fmt", type=click.Choice(_QUERY_FORMATS), default="table", show_default=True,
                  help="table for people; the others (SPARQL 1.1 results json, xml, csv, tsv; for CONSTRUCT turtle, nt, "
                       "json-ld, xml) are written as the endpoint writes them, streamed.")
    @click.option("--timeout", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
                  callback=finite_seconds,
                  help="Stop the query after this long (0: no limit). Ctrl-C stops it at once.")
    @click.option("--max-rows", type=click.IntRange(min=0), metavar="N",
                  help="Print at most N rows (or triples); a note on stderr says when more were there.")
    @click.option("--bind", "binds", multiple=True, metavar="NAME=VALUE",
                  help="Bind a projected variable to a value: <iri>, text@zh, text@en or plain text.")
    @click.option("--full", is_flag=True, help="Do not shorten long table cells.")
    @click.option("--excel-safe", is_flag=True, help="csv: prefix ' to a cell starting with =, +, -, @, tab or CR "
                  "(a formula in spreadsheets). Without it, CSV is exact SPARQL 1.1 CSV results.")
    @click.pass_context
    def query(ctx, query, example, list_examples, fmt, binds, full, timeout, max_rows, excel_safe):
        """Run a read-only SPARQL query: QUERY is the text, a .rq file, or - for stdin.

        Our prefixes (gk:, kind:, unit:, site:, mech:, schema:, org:, prov:, skos:, rdfs: …)
        are predeclared. SERVICE (a request to another endpoint) is refused. The query runs in a
        child process that is killed at the deadline or on Ctrl-C.

        \b
        govkg query 'SELECT ?s WHERE { ?s a gk:DemonstrationSite }'
        govkg query --example numbers-with-evidence --format csv
        govkg query --timeout 5 --max-rows 1000 -f tsv 'SELECT * WHERE { ?s ?p ?o }'
        """
        from .build import load_store
        from .query import format_table, run_query, stream_query
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
            limit = 16 << 20
            raw = stdin.read(limit + 1)  # bounded: `govkg query - < /dev/zero` must end
            if len(raw) > limit:
                raise click.BadParameter(f"standard input holds more than {limit:,} bytes: not a query", param_hint="QUERY")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise click.BadParameter(f"standard input is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                         param_hint="QUERY") from None
        elif query.endswith(".rq") or (len(query) < 4096 and "{" not in query and Path(query).is_file()):
            from .cli_types import read_user_file
            from .errors import GovkgError

            try:
                text = read_user_file(query, "the query")
            except GovkgError as exc:
                raise click.BadParameter(str(exc), param_hint="QUERY") from None
        else:
            text = query
        if excel_safe and fmt != "csv":
            raise click.UsageError("--excel-safe is for -f csv (TSV writes literals in quotes: no cell starts a formula)")
        bindings = dict(_parse_binding(b) for b in binds)
        store = load_store(ctx.obj["data_dir"], ctx.obj["build_dir"])
        limit = timeout or None
        if fmt != "table":
            out = click.get_binary_stream("stdout")
            last = [b"\n"]

            def write(chunk: bytes) -> None:
                out.write(chunk)
                out.flush()
                last[0] = chunk[-1:] or last[0]

            written = stream_query(store, text, fmt, write, bindings=bindings, timeout=limit, max_rows=max_rows,
                                   excel_safe=excel_safe)
            if last[0] != b"\n":  # JSON and XML end without a line break: the shell's prompt on a line of its own
                write(b"\n")
            truncated, n = written.truncated, written.rows
        else:
            result = run_query(store, text, bindings=bindings, timeout=limit, max_rows=max_rows, isolated=True)
            click.echo(format_table(result, max_width=None if full else 60))
            truncated, n = result.truncated, max_rows
        if truncated:
            click.echo(f"note: the answer was cut at {n} rows (--max-rows {max_rows}); more rows matched", err=True)

    @cli.command()
    @click.option("-f", "--format", "fmt", type=click.Choice(_RDF_FORMATS + _NETWORK_FORMATS), default="turtle",
                  show_default=True, help="RDF (turtle, json-ld, nt, trig) or network/table formats.")
    @click.option("-o", "--output", type=NonEmptyPath(dir_okay=False, path_type=Path),
                  help="Output file (written atomically); RDF formats print to stdout without it.")
    @click.option("--bom/--no-bom", default=True, show_default=True,
                  help="csv, qca: start each CSV file with a UTF-8 byte-order mark (Excel on Windows needs it).")
    @click.pass_context
    def export(ctx, fmt, output, bom):
        """Export the whole graph (ontology + data).

        \b
        govkg export --format json-ld -o govkg.jsonld
        govkg export --format graphml -o govkg.graphml
        """
        from .writers import write_atomic

        if fmt in _RDF_FORMATS:
            # straight from the build's sorted N-Triples (as written, see docs/architecture.md), by
            # pyoxigraph's streaming parser and serializers: no rdflib graph, no store
            from .build import dump_ntriples
            from .ntriples import turtle_from_ntriples
            from .exports import serialize_ntriples

            data = dump_ntriples(ctx.obj["data_dir"], ctx.obj["build_dir"])
            data = turtle_from_ntriples(data) if fmt == "turtle" else data if fmt == "nt" else serialize_ntriples(data, fmt)
            if output is None:
                click.echo(data.decode("utf-8"), nl=False)
            else:
                click.echo(f"wrote {write_atomic(output, data)}")
            return
        if output is None:
            raise click.UsageError(f"--format {fmt} writes files: give -o FILE")
        from .exports import export as export_network

        for p in export_network(opened_from(ctx), fmt, output, bom=bom):
            click.echo(f"wrote {p}")

    from .analysis.similarity import BY, FORMULA, WEIGHTS

    @cli.command()
    @click.argument("name", required=False)
    @click.option("--kind", is_flag=True, help="Match NAME against mechanism kinds only.")
    @click.option("--min-sites", type=click.IntRange(min=1), help="Keep entries used at this many sites or more "
                  "(default 2; 1 when NAME is given).")
    @click.option("--top", type=click.IntRange(min=1), help=f"Show the N mechanisms and the N kinds used at the "
                  f"most sites (default {SHARED_TOP} without NAME, all with NAME).")
    @click.option("--all", "show_all", is_flag=True, help=f"Show every entry and every site of each (by default an "
                  f"entry lists its first {SHARED_SITES} sites and says how many more there are).")
    @click.option("--json", "as_json", is_flag=True, help='Print {"mechanisms": [...], "kinds": [...], "total": '
                  '{...}} with the evidence of each site–mechanism link shown.')
    @click.option("--lang", type=click.Choice(["auto", "zh", "en"]), default="auto", show_default=True,
                  help="Language of the answer; auto: the language NAME is written in (zh without NAME).")
    @click.pass_context
    def shared(ctx, name, kind, min_sites, top, show_all, as_json, lang):
        """Mechanisms and kinds used at two or more sites, or the ones matching NAME.

        NAME is matched against the zh and en labels of mechanisms (every exact, prefix and
        substring hit, in that order; quotes and case ignored) and by meaning against kinds:
        their zh/en labels, alternative labels (keywords such as mediation, 调解, grid,
        volunteer) and definitions, with the narrower kinds of a kind whose name matched. A
        kind's sites include those of its narrower kinds. Each site of a named mechanism is
        shown with the sentence that puts the mechanism there and its source.

        \b
        govkg shared                      named mechanisms and kinds shared by sites
        govkg shared 椰智荟               the sites running the Yezhihui hall
        govkg shared mediation --kind     sites with a mediation kind
        govkg shared --all                every shared mechanism and kind, every site

        Without NAME the 50 mechanisms and the 50 kinds used at the most sites are shown, each with at
        most 20 of its sites (a national graph shares thousands); the last line says how many
        there are in all.
        """
        from .analysis.matching import text_lang
        from .shared import shared_mechanisms

        if show_all and top is not None:
            raise click.UsageError("--top and --all cannot be used together")
        if top is None and not show_all and name is None:
            top = SHARED_TOP
        result = shared_mechanisms(opened_from(ctx), name, kind=kind, min_sites=min_sites, top=top,
                                   site_limit=None if show_all else SHARED_SITES)
        if as_json:
            echo_json(result)
            return
        click.echo(shared_text(result, text_lang(name) if lang == "auto" else lang))

    @cli.command(help=f"""The other sites ranked by similarity to SITE, with what they share.

        SITE is an id or a zh/en label, e.g. 高新社区 or "Gaoxin Community".

        {FORMULA["en"]}

        Ties are marked "=". Each shared named mechanism is shown with the sentence that puts
        it at each site.""")
    @click.argument("site")
    @click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
                  help="Show the N most similar sites.")
    @click.option("--by", type=click.Choice(BY), default="kinds", show_default=True,
                  help="Features compared: kinds with their broader kinds, or named mechanisms.")
    @click.option("--weight", type=click.Choice(WEIGHTS), default="idf", show_default=True,
                  help="idf: a rare shared feature counts more; none: plain Jaccard.")
    @click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON, with the evidence of each shared mechanism.")
    @click.option("--lang", type=click.Choice(["auto", "zh", "en"]), default="auto", show_default=True,
                  help="Language of the answer; auto: the language SITE is written in.")
    @click.pass_context
    def similar(ctx, site, top, by, weight, as_json, lang):
        from .analysis.matching import text_lang
        from .shared import similar_sites

        result = similar_sites(opened_from(ctx), site, top=top, by=by, weight=weight)
        if as_json:
            echo_json(result)
            return
        click.echo(similar_text(result, text_lang(site) if lang == "auto" else lang))


def _name(e: dict, lang: str) -> str:
    from .analysis.labels import pick

    return pick(e.get("label", {}), lang, "?")


def _evidence_lines(evidence: list, lang: str, indent: str) -> list[str]:
    out = []
    for ev in evidence:
        src = ev.get("source") or {}
        from .cite import stated_date

        date = stated_date(src, lang) if src.get("date") or src.get("date_earliest") else ""
        where = ", ".join(x for x in (_name(src, lang) if src else "", date, src.get("url") or "") if x)
        out.append(f"{indent}“{' '.join(ev['text'].split())}”" + (f" — {where}" if where else ""))
    return out


#: How a kind matched a search, as shown beside it (only when not by its name or keywords).
_WHY = {"word": ("(名称中的词)", " (a word of its name)"), "definition": ("(释义中提到)", " (named in its definition)"),
        "narrower": ("(下位类型)", " (a narrower kind)")}


#: ``govkg shared`` without NAME: how many entries of each section are shown (``--top``).
SHARED_TOP = 50
#: ``govkg shared``: how many sites an entry lists unless ``--all``.
SHARED_SITES = 20


def shared_text(result: dict, lang: str = "zh") -> str:
    """The ``govkg shared`` answer as text: labels only (no IRI), each link with its evidence."""
    sep = "、" if lang == "zh" else ", "
    titles = {"mechanisms": ("具体机制", "Named mechanisms"), "kinds": ("机制类型", "Kinds")}
    out = []
    total = result.get("total") or {}
    for key in ("mechanisms", "kinds"):
        entries = result[key]
        n, t = len(entries), total.get(key, len(entries))
        shown = str(n) if t == n else (f"显示 {n} 个,共 {t} 个" if lang == "zh" else f"{n} of {t:,}")
        out.append(f"{titles[key][lang == 'en']} ({shown}):")
        if not entries:
            out.append("  无" if lang == "zh" else "  none")
        for e in entries:
            n = e["site_count"]
            count = f"{n} 个示范点" if lang == "zh" else f"{n} site{'s' if n != 1 else ''}"
            why = _WHY.get(e.get("match"), ("", ""))[lang == "en"]
            more = e.get("sites_omitted", 0)
            more = (f"{sep}等另外 {more} 个" if lang == "zh" else f"{sep}and {more} more") if more else ""
            out.append(f"  {_name(e, lang)}{why} — {count}: {sep.join(_name(s, lang) + _mark(s, lang) for s in e['sites'])}{more}")
            for s in e["sites"]:
                if s.get("evidence"):
                    out.append(f"      {_name(s, lang)}:")
                    out += _evidence_lines(s["evidence"], lang, "        ")
    if any(total.get(key, len(result[key])) > len(result[key]) for key in ("mechanisms", "kinds")) or \
            any(e.get("sites_omitted") for key in ("mechanisms", "kinds") for e in result[key]):
        out.append("(--top N 或 --all 显示更多)" if lang == "zh" else "(--top N or --all shows more)")
    if any(s.get("inferred") for key in ("mechanisms", "kinds") for e in result[key] for s in e["sites"]):
        out.append("(推断):该示范点仅经整理者的推断与之相联(推断的使用、机制或类型)。" if lang == "zh" else
                   "(inferred): the site is linked only through the curators' inferences (an inferred use, mechanism or kind).")
    return "\n".join(out)


def _mark(site: dict, lang: str) -> str:
    return ("(推断)" if lang == "zh" else " (inferred)") if site.get("inferred") else ""


def similar_text(result: dict, lang: str = "zh") -> str:
    """The ``govkg similar`` answer as text: rank ("=" for a tie), similarity, shared features and their evidence."""
    sep = "、" if lang == "zh" else ", "
    me = result["site"]
    idf = result["weight"] == "idf"
    if lang == "zh":
        by = "机制类型(含上位类型)" if result["by"] == "kinds" else "具体机制"
        how = "加权 Jaccard,权重:IDF(越少见的特征权重越大)" if idf else "Jaccard,各特征权重相同"
        head = f"与{_name(me, 'zh')}最相似的示范点({how};特征:{by}):"
    else:
        how = "weighted Jaccard, IDF weights (rarer features count more)" if idf else "Jaccard, every feature counts 1"
        head = f"Sites most like {_name(me, 'en')} ({how}; features: {result['by']}):"
    out = [head]
    prev, rank = None, 0
    for i, s in enumerate(result["similar"], 1):
        if s["similarity"] != prev:
            rank, prev = i, s["similarity"]
        mark = "=" if s.get("tied") else "."
        shared_word = "共有" if lang == "zh" else "shared"
        out.append(f"{rank:2}{mark} {_name(s, lang)}  {s['similarity']:.3f}  {shared_word} {s['shared_count']}")
        if s["shared"]["mechanisms"]:
            out.append(("    具体机制: " if lang == "zh" else "    mechanisms: ")
                       + sep.join(_name(m, lang) for m in s["shared"]["mechanisms"]))
            for m in s["shared"]["mechanisms"]:
                for site_iri, ev in m["evidence"].items():
                    who = me if site_iri == me["iri"] else s
                    out.append(f"      {_name(m, lang)} @ {_name(who, lang)}:")
                    out += _evidence_lines(ev, lang, "        ")
        if s["shared"]["kinds"]:
            out.append(("    机制类型: " if lang == "zh" else "    kinds: ") + sep.join(_name(k, lang) for k in s["shared"]["kinds"]))
    return "\n".join(out)
