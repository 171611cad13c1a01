"""CLI commands that put the graph on the web: serve (a SPARQL endpoint and query page) and publish (into another triple store)."""

from __future__ import annotations

import os

import click

__all__ = ["register"]


def register(cli: click.Group) -> None:
    """Add ``serve`` and ``publish`` to the ``govkg`` group."""

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on; anything but loopback makes the endpoint public.")
    @click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True,
                  help="TCP port (0: any free port; the address is printed).")
    @click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
                  metavar="SECONDS", help="Deadline per query: the worker is then killed and the client gets 503.")
    @click.option("--max-rows", type=click.IntRange(min=0), default=100_000, show_default=True, metavar="N",
                  help="Cut larger results (header X-Govkg-Truncated says so).")
    @click.option("--workers", type=click.IntRange(min=1), default=lambda: max(2, os.cpu_count() or 2),
                  show_default="number of CPUs, at least 2", help="Worker processes (queries run in parallel).")
    @click.option("--memory", "memory_mb", type=click.IntRange(min=0), default=2048, show_default=True, metavar="MIB",
                  help="Memory cap per worker beyond the shared graph (0: none).")
    @click.option("--verbose", is_flag=True, help="Log every request to stderr.")
    @click.pass_context
    def serve(ctx, host, port, timeout, max_rows, workers, memory_mb, verbose):
        """Serve the graph: a read-only SPARQL 1.1 endpoint at /sparql and a query page at /.

        \b
        govkg serve                                 http://127.0.0.1:7878/
        govkg serve --port 8000 --timeout 10 --max-rows 10000

        Clients: any SPARQL 1.1 Protocol client (SPARQLWrapper, rdflib's SPARQLStore, YASGUI).
        Updates get 403 and SERVICE is refused; a query past its deadline is stopped for real.
        """
        from .serve import Settings, is_loopback, make_server, serve as run_server

        settings = Settings(timeout=timeout, max_rows=max_rows, workers=workers,
                            memory=memory_mb << 20 if memory_mb else None)
        if not is_loopback(host):
            click.echo(f"warning: listening on {host}: the endpoint and the query page are PUBLIC to anyone who "
                       f"can reach this machine (read-only, {timeout:g} s and {max_rows:,} rows per query)", err=True)
        server = make_server(host=host, port=port, settings=settings, data_dir=ctx.obj["data_dir"],
                             build_dir=ctx.obj["build_dir"])
        server.verbose = verbose
        click.echo(f"govkg: {server.triples:,} triples, {workers} workers; query page {server.url} ; "
                   f"SPARQL endpoint {server.url}sparql (Ctrl-C stops)", )
        run_server(server, echo=click.echo)
