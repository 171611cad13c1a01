"""The ``govkg draft`` and ``govkg review`` commands: draft a new report's data, review it in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_types import NonEmptyPath

__all__ = ["register"]


@click.command()
@click.argument("report", type=NonEmptyPath(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=NonEmptyPath(file_okay=False, path_type=Path),
              help="Folder to write the drafted data into (sources/, areas.yaml, sites/).")
@click.option("--source-id", help="Id of the report (default: the slug of the file name).")
@click.option("--title", help="The report's title (default: its first line).")
@click.option("--publisher", help="Publisher as '中文名/English name'.")
@click.option("--date", help="Publication date, YYYY-MM-DD.")
@click.option("--url", help="Where the report was published.")
@click.option("--copy-text/--no-copy-text", default=True, show_default=True,
              help="Copy the report's text into OUT/sources/ so that build and review check the evidence.")
@click.option("--no-gazetteer", is_flag=True, help="Do not link names to the curated data (--data).")
@click.option("--force", is_flag=True, help="Replace files an earlier draft wrote in OUT.")
@click.pass_context
def draft(ctx, report, out_dir, source_id, title, publisher, date, url, copy_text, no_gazetteer, force):
    """Draft the data of a new report: every site, area, organization, named mechanism and number,
    each with its sentence, as status: draft entries for a curator to review (govkg review OUT)."""
    from .draft import draft_report, gazetteer_from_data, write_draft

    gaz = None
    data_dir = ctx.obj["data_dir"]
    if not no_gazetteer and Path(data_dir).is_dir():
        from .errors import DataError, GovkgError

        try:
            gaz = gazetteer_from_data(data_dir)
        except DataError as exc:
            raise GovkgError(f"the curated data read for the gazetteer ({data_dir}; --no-gazetteer leaves it out) "
                             f"has problems: {exc}") from None
    d = draft_report(report, source_id=source_id, title=title, publisher=publisher, date=date, url=url, gazetteer=gaz)
    written = write_draft(d, out_dir, text_path=report if copy_text else None, force=force)
    for p in written:
        click.echo(f"wrote {p}")
    n = {s: sum(len(getattr(sd, s)) for sd in d.sites.values()) for s in ("organizations", "mechanisms", "outcomes")}
    click.echo(f"drafted {len(d.sites)} sites, {len(d.areas)} areas, {n['organizations']} organizations, "
               f"{n['mechanisms']} mechanisms, {n['outcomes']} outcomes; {len(d.skipped)} numbers left out "
               f"(dates, ordinals, phone numbers …)")
    open_ = [sd.site["zh"] for sd in d.sites.values() if not sd.site.get("within")]
    if open_:
        click.echo(f"note: the report does not state the places above {'、'.join(open_[:5])}"
                   f"{' …' if len(open_) > 5 else ''}: 'within' is left for the review (accepting a site needs it)")
    untyped = n["mechanisms"] and sum(1 for sd in d.sites.values() for m in sd.mechanisms if "zh" in m and not m.get("kinds"))
    if untyped:
        click.echo(f"note: {untyped} mechanisms are left untyped (the report's words name no kind): choose their kinds in the review")
    if not copy_text:
        click.echo(f"note: set GOVKG_SOURCES={report.resolve().parent} so that build and review find the text")
    click.echo(f"next: govkg review {out_dir} --serve")


@click.command()
@click.argument("data_dir", type=NonEmptyPath(file_okay=False, path_type=Path))
@click.option("-o", "--out", type=NonEmptyPath(dir_okay=False, path_type=Path),
              help="Where to write the page (default: DATA_DIR/review.html).")
@click.option("--open", "open_", is_flag=True, help="Open the page in the web browser.")
@click.option("--serve", is_flag=True, help="Serve the page on 127.0.0.1 and save decisions into the YAML (Ctrl-C stops).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port for --serve (0: a free one).")
@click.option("--apply", "apply_file", type=NonEmptyPath(dir_okay=False, exists=True, path_type=Path),
              help="Apply a decisions.json exported from the page, then stop.")
@click.option("--text", "text_path", type=NonEmptyPath(dir_okay=False, path_type=Path),
              help="The report's text (default: the source's file in DATA_DIR/sources/ or $GOVKG_SOURCES).")
@click.option("--into", "into", type=NonEmptyPath(file_okay=False, exists=True, path_type=Path),
              help="After --apply (if given): move the accepted entries into this curated data folder, as new "
                   "files checked by a build first; never replaces a file.")
def review(data_dir, out, open_, serve, port, apply_file, text_path, into):
    """Review a drafted data folder: the report with every drafted fact highlighted, accept / edit / reject.

    \b
    govkg review DIR                  write DIR/review.html (decisions exported as decisions.json)
    govkg review DIR --apply FILE     apply exported decisions to the YAML
    govkg review DIR --into data/     move the accepted entries into data/ (with --apply: after it)
    govkg review DIR --serve --open   a loopback server: decisions saved straight into the YAML
    """
    import json
    import webbrowser

    from .draft.review import ReviewServer, apply_decisions, write_review
    from .errors import GovkgError

    if apply_file is not None:
        from .cli_types import read_user_file

        text = read_user_file(apply_file, "the decisions")
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise GovkgError(f"{apply_file}: not a decisions JSON file ({exc})") from None
        except RecursionError:
            raise GovkgError(f"{apply_file}: not a decisions JSON file (nested too deep)") from None
        r = apply_decisions(data_dir, body)
        click.echo(f"{r['accepted']} accepted, {r['edited']} edited, {r['rejected']} rejected; "
                   f"changed {', '.join(r['files']) or 'nothing'}")
    if into is not None:
        from .draft.accept import move_accepted

        r = move_accepted(data_dir, into)
        for f in r["files"]:
            click.echo(f"wrote {into / f}")
        click.echo(f"moved {r['moved']} accepted entries into {into} ({r['linked']} linked to curated entries, "
                   f"{r['left']} not accepted left in {data_dir}); the report's text stays in {data_dir / 'sources'}: "
                   f"copy it beside the record or set GOVKG_SOURCES for builds to check the evidence")
    if apply_file is not None or into is not None:
        return
    if serve:
        import shutil
        import tempfile

        server = ReviewServer(data_dir, port=port, text_path=text_path)
        url = server.start()
        # the address with the token goes into a file only this user can read (a folder made
        # mode 0700), never onto the terminal or a browser's command line (both can be seen by others)
        private = Path(tempfile.mkdtemp(prefix="govkg-review-"))
        try:
            from .draft.review import opener_page
            from .writers import write_atomic

            opener = write_atomic(private / "open.html", opener_page(server.page_url))
            opener.chmod(0o600)
            click.echo(f"reviewing {data_dir} at {url} (Ctrl-C stops)")
            click.echo(f"open {opener.resolve().as_uri()} (only you can read it: it holds the page's token)")
            if open_:
                webbrowser.open(opener.resolve().as_uri())
            server.thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            shutil.rmtree(private, ignore_errors=True)
        return
    path = write_review(data_dir, out or Path(data_dir) / "review.html", text_path=text_path)
    click.echo(f"wrote {path}")
    if open_:
        webbrowser.open(path.resolve().as_uri())


def register(group: click.Group) -> None:
    """Add the commands of this module to the ``govkg`` group."""
    group.add_command(draft)
    group.add_command(review)
