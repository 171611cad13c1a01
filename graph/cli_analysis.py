"""The ``analyze``, ``suggest``, ``outcomes`` and ``report`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .analysis.outcomes import COLUMNS as _OUTCOME_COLUMNS
from .cli_types import NonEmptyPath

__all__ = ["register", "outcome_records", "RECORD_COLUMNS"]

#: The columns of ``govkg outcomes --format csv/json``: the outcome's, then the report's date as
#: stated and in ISO 8601, and the outcome's stable IRI (to cite it or join it back to the graph).
RECORD_COLUMNS = (*_OUTCOME_COLUMNS, "source_date", "source_date_iso", "iri")


def outcome_records(rows: list[dict], lang: str = "en") -> list[dict]:
    """Outcome rows (``govkg.analysis.outcomes``) as flat records, one per outcome, keys ``RECORD_COLUMNS``.

    Labels in ``lang`` (the other language when missing); ``id`` is the outcome's id
    (``outcome/…`` or ``claim/…``); ``measure`` says what is measured and ``measure_type``
    whether it is a level or a change (empty for a claim); ``subject`` is what the number is
    about when not the site itself; ``inferred`` the curators' reason when the outcome is an
    inference; ``kind`` joins several kinds with ``; ``; ``evidence`` joins the sentences with
    `` / ``; ``source`` is the report's title with its URL when known, ``source_date`` its date
    as stated ("published on or after …") and ``source_date_iso`` in ISO 8601
    (``2024-11-02/..``: on or after); ``iri`` is the outcome's stable IRI. Values stay numbers.
    """
    from .cite import iso_date, stated_date
    from .analysis.labels import pick

    def lab(d):
        return "" if not d else pick(d.get("label", {}), lang)

    out = []
    for o in rows:
        src = o.get("source") or {}
        source = "; ".join(x for x in (lab(src), src.get("url") or "") if x)
        unit = o.get("unit") or {}
        rec = {
            "id": o["id"], "site": lab(o["site"]), "mechanism": lab(o["mechanism"]),
            "kind": "; ".join(lab(k) for k in o["kind"]), "measure": pick(o["label"], lang),
            "measure_type": lab(o["measure"]), "subject": lab(o["subject"]), "direction": lab(o["direction"]),
            "value": o["value"], "comparator": lab(o["comparator"]),
            "unit": pick(unit.get("label", {}), lang) or unit.get("text", ""),
            "value_base": o["value_base"], "base_unit": lab(o["base_unit"]),
            "period": pick(o["period"], lang) if o.get("period") else "", "inferred": o.get("inferred") or "",
            "evidence": " / ".join(e["text"] for e in o["evidence"]), "source": source,
            "source_date": stated_date(src, lang) if src else "", "source_date_iso": iso_date(src) if src else "",
            "iri": o["iri"],
        }
        out.append({k: rec[k] for k in RECORD_COLUMNS})
    return out


def register(cli: click.Group) -> None:
    """Add ``analyze``, ``suggest``, ``outcomes`` and ``report`` to the ``govkg`` command group."""
    from .analysis.similarity import BY, FORMULA, WEIGHTS
    from .cli_common import echo_json, opened_from

    by_opt = click.option("--by", type=click.Choice(BY), default="kinds", show_default=True,
                          help="Features the similarity compares: kinds with their broader kinds, or named mechanisms.")
    weight_opt = click.option("--weight", type=click.Choice(WEIGHTS), default="idf", show_default=True,
                              help="idf: a rare shared feature counts more; none: plain Jaccard.")

    @cli.command(help=f"""Shared mechanisms and kinds, site similarity, centrality, groups of sites,
        kinds found together, and what sites like each one also use — each statistic with what it
        measures and when it means nothing (8 sites: communities are not shown).

        {FORMULA["en"]}""")
    @click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the text output.")
    @click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Entries per table (ties kept).")
    @by_opt
    @weight_opt
    @click.pass_context
    def analyze(ctx, as_json, lang, top, by, weight):
        from .analysis import analyze as run

        res = run(opened_from(ctx), top=top, by=by, weight=weight)
        if as_json:
            echo_json(res)
        else:
            from .report import summary_text

            click.echo(summary_text(res, lang=lang))

    @cli.command(help=f"""Sites like SITE also use …: kinds of mechanism that SITE's most similar sites
        use and SITE does not, each score explained in words. A description of peers, not advice.

        SITE is an id or a zh/en name. The score of a kind is the summed similarity of the
        neighbours using it over the summed similarity of all the neighbours (1.0: all use it).

        {FORMULA["en"]}""")
    @click.argument("site")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.option("--lang", type=click.Choice(["auto", "zh", "en"]), default="auto", show_default=True,
                  help="Language of the answer; auto: the language SITE is written in.")
    @click.option("--neighbors", type=click.IntRange(min=1), default=3, show_default=True,
                  help="Number of most similar sites that vote.")
    @by_opt
    @weight_opt
    @click.pass_context
    def suggest(ctx, site, as_json, lang, neighbors, by, weight):
        from .analysis import suggest as run
        from .analysis.matching import text_lang

        res = run(opened_from(ctx), site, neighbors=neighbors, by=by, weight=weight)
        if as_json:
            echo_json(res)
        else:
            from .report import suggestions_text

            click.echo(suggestions_text(res, lang=text_lang(site) if lang == "auto" else lang))

    @cli.command()
    @click.option("--site", help="Only this site (id or zh/en name).")
    @click.option("--mechanism", help="Only outcomes credited to mechanisms matching this name.")
    @click.option("--kind", help="Only outcomes credited to mechanisms of kinds matching this name by meaning (zh/en labels, keywords, definitions), or of their narrower kinds.")
    @click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
                  help="table: aligned columns; csv: one row per outcome (cells starting with =, +, -, @ get a leading '); json: a list of objects.")
    @click.option("--lang", type=click.Choice(["auto", "zh", "en"]), default="auto", show_default=True,
                  help="Language of the labels; auto: the language of the names given (zh without any).")
    @click.option("--bom/--no-bom", default=False, show_default=True,
                  help="Start CSV with a UTF-8 byte-order mark (for Excel on Windows).")
    @click.option("-o", "--output", type=NonEmptyPath(dir_okay=False, path_type=Path),
                  help="Write to this file (atomically) instead of printing.")
    @click.pass_context
    def outcomes(ctx, site, mechanism, kind, fmt, lang, bom, output):
        """One tidy row per outcome: id, site, mechanism, kind, measure (what is measured) and
        measure type (level or change), subject, direction, value, comparator, unit, value in
        base unit, period, the reason when inferred, evidence, source. The table shows site,
        subject, measure, measure type, direction, value, comparator, unit, mechanism, inferred
        (yes or empty) and evidence; csv and json also the id.

        \b
        govkg outcomes --site 高新社区
        govkg outcomes --mechanism 椰智荟 --format json
        govkg outcomes --kind mediation --format csv -o outcomes.csv
        """
        from .analysis.matching import text_lang
        from .analysis.outcomes import outcomes as run
        from .exports import csv_text

        if lang == "auto":
            lang = text_lang(" ".join(x for x in (site, mechanism, kind) if x))
        recs = outcome_records(run(opened_from(ctx), site=site, mechanism=mechanism, kind=kind), lang)
        if fmt == "json":
            text = json.dumps(recs, ensure_ascii=False, indent=2) + "\n"
        elif fmt == "csv":
            text = csv_text([[r[c] if r[c] is not None else "" for c in RECORD_COLUMNS] for r in recs],
                            list(RECORD_COLUMNS), bom=bom)
        else:
            from .query import QueryResult, format_table
            from rdflib import Literal

            # no id in the table: text for readers shows labels only (the id is in csv and json)
            cols = ("site", "subject", "measure", "measure_type", "direction", "value", "comparator", "unit",
                    "mechanism", "inferred", "evidence")
            shown = [dict(r, inferred="yes" if r["inferred"] else "") for r in recs]  # the reason: csv and json
            rows = tuple(tuple(Literal("" if r[c] is None else str(r[c])) for c in cols) for r in shown)
            text = format_table(QueryResult("select", cols, rows)) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            from .writers import write_atomic

            click.echo(f"wrote {write_atomic(output, text)}")

    @cli.command()
    @click.option("-o", "--out", "out", required=True, type=NonEmptyPath(dir_okay=False, path_type=Path),
                  help="report.html (self-contained) or report.md (figure written beside it).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                  help="Language of the report.")
    @by_opt
    @weight_opt
    @click.pass_context
    def report(ctx, out, lang, by, weight):
        """Write a readable report (HTML or Markdown, by the file suffix), atomically."""
        from .report import write_report

        for p in write_report(opened_from(ctx), out, lang=lang, by=by, weight=weight):
            click.echo(f"wrote {p}")
