"""CLI commands that put the graph on the web: serve (a SPARQL endpoint and query page) and publish (into another triple store)."""

from __future__ import annotations

import os

import click

__all__ = ["register"]


def register(cli: click.Group) -> None:
    """Add ``serve`` and ``publish`` to the ``govkg`` group."""
    from .cli_types import finite_seconds

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on; anything but loopback makes the endpoint public.")
    @click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True,
                  help="TCP port (0: any free port; the address is printed).")
    @click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
                  callback=finite_seconds,
                  metavar="SECONDS", help="Deadline per query: the worker is then killed and the client gets 503.")
    @click.option("--max-rows", type=click.IntRange(min=0), default=100_000, show_default=True, metavar="N",
                  help="Cut larger results (header X-Govkg-Truncated says so).")
    @click.option("--workers", type=click.IntRange(1, 128), default=lambda: max(2, os.cpu_count() or 2),
                  show_default="number of CPUs, at least 2", help="Worker processes (queries run in parallel).")
    @click.option("--memory", "memory_mb", type=click.IntRange(0, 1 << 20), default=2048, show_default=True, metavar="MIB",
                  help="Memory cap per worker beyond the shared graph (0: none).")
    @click.option("--verbose", is_flag=True, help="Log every request to stderr.")
    @click.option("--cors/--no-cors", default=True, show_default=True,
                  help="Let other sites' web pages query /sparql (Access-Control-Allow-Origin: *, no credentials); "
                       "the pages and /health never.")
    @click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
                  help="Answer to this Host name too (on loopback only localhost, 127.0.0.1 and [::1] are answered: "
                       "DNS rebinding); repeatable.")
    @click.pass_context
    def serve(ctx, host, port, timeout, max_rows, workers, memory_mb, verbose, cors, allow_hosts):
        """Serve the graph: a read-only SPARQL 1.1 endpoint at /sparql and a query page at /.

        \b
        govkg serve                                 http://127.0.0.1:7878/
        govkg serve --port 8000 --timeout 10 --max-rows 10000

        Clients: any SPARQL 1.1 Protocol client (SPARQLWrapper, rdflib's SPARQLStore, YASGUI).
        Updates get 403 and SERVICE is refused; a query past its deadline is stopped for real.
        """
        from .serve import Settings, is_loopback, make_server, serve as run_server

        if not host.strip():
            raise click.BadParameter("empty: it would listen on every interface; write 0.0.0.0 if you mean that",
                                     param_hint="'--host'")
        if any(ord(c) < 33 or c == "\x7f" for c in host):
            raise click.BadParameter(f"{host!r} is not a host name or address (it holds a space or control character)",
                                     param_hint="'--host'")

        settings = Settings(timeout=timeout, max_rows=max_rows, workers=workers,
                            memory=memory_mb << 20 if memory_mb else None, verbose=verbose, cors=cors,
                            allow_hosts=allow_hosts)
        if not is_loopback(host):
            click.echo(f"warning: listening on {host}: the endpoint and the query page are PUBLIC to anyone who "
                       f"can reach this machine (read-only, {timeout:g} s and {max_rows:,} rows per query)", err=True)
        server = make_server(host=host, port=port, settings=settings, data_dir=ctx.obj["data_dir"],
                             build_dir=ctx.obj["build_dir"])
        click.echo(f"govkg: {server.triples:,} triples, {workers} workers; query page {server.url} ; "
                   f"SPARQL endpoint {server.url}sparql (Ctrl-C stops)", )
        run_server(server, echo=click.echo)

    @cli.command()
    @click.argument("url")
    @click.option("--graph", "graph_iri", metavar="IRI", default=None,
                  help="The named graph to replace (default: https://w3id.org/govkg/graph).")
    @click.option("--method", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
                  help="gsp: one Graph Store Protocol PUT; update: DROP SILENT GRAPH + INSERT DATA in chunks.")
    @click.option("--query-url", metavar="URL", help="The store's SPARQL query endpoint for the check (default: URL).")
    @click.option("--user", metavar="NAME", help="User name for HTTP authentication.")
    @click.option("--password-env", metavar="VAR", help="Name of the environment variable holding the password "
                  "(never on the command line).")
    @click.option("--chunk", type=click.IntRange(min=1), default=1000, show_default=True,
                  help="Triples per INSERT DATA request (--method update).")
    @click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=1e6), default=600, show_default=True,
                  metavar="SECONDS", help="Deadline for the whole publication (all requests and answers).")
    @click.option("--follow-redirects", is_flag=True, help="Follow a 307/308 redirect to another host or port "
                  "(without credentials); by default only redirects within the store's origin are followed.")
    @click.pass_context
    def publish(ctx, url, graph_iri, method, query_url, user, password_env, chunk, timeout, follow_redirects):
        """Replace one named graph in an existing triple store with the graph, then check the count there.

        \b
        govkg publish http://localhost:7878/store --query-url http://localhost:7878/query
        govkg publish http://host:8890/sparql-graph-crud-auth --query-url http://host:8890/sparql \\
              --user dba --password-env VIRTUOSO_PASSWORD
        govkg publish http://host:9999/blazegraph/sparql --method update

        Publishing twice leaves the same count. Exit status 1 if the store refuses or counts differently.
        """
        from .cli_common import graph_from
        from .errors import GovkgError
        from .publish import DEFAULT_GRAPH, publish as run_publish

        password = None
        if password_env:
            if user is None:
                raise click.UsageError("--password-env needs --user")
            if password_env not in os.environ:
                raise GovkgError(f"environment variable {password_env} is not set (it should hold the password)")
            password = os.environ[password_env]
        res = run_publish(graph_from(ctx), url, graph_iri=DEFAULT_GRAPH if graph_iri is None else graph_iri, method=method,
                          query_url=query_url, user=user, password=password, chunk=chunk, timeout=timeout,
                          follow_redirects=follow_redirects)
        click.echo(f"published {res.sent:,} triples into <{res.graph}> at {res.url} ({res.method}, "
                   f"{res.requests} requests); the store counts {res.counted:,}")
