"""``metalwire serve`` and ``metalwire demo``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from metalwire.cli.context import console, engine, settings

if TYPE_CHECKING:
    import uvicorn

APP = "metalwire.web.app:create_app"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's name, read in each worker


@contextmanager
def metrics_directory(workers: int) -> Iterator[Path | None]:
    """With several workers, a fresh folder for prometheus_client's multiprocess files, named
    in PROMETHEUS_MULTIPROC_DIR before uvicorn starts them (they inherit the environment and
    read it when prometheus_client is first imported), so that a scrape of any worker counts
    them all. Fresh, because counts left by an earlier run would be added to this one's; removed
    when the server stops. One worker keeps its counts in memory."""
    if workers < 2:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="metalwire-metrics-"))
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(folder, ignore_errors=True)


def serve_workers(config: uvicorn.Config) -> None:
    """uvicorn's supervisor with a listening socket of each worker's own (web/listener.py)."""
    from uvicorn.supervisors.multiprocess import Multiprocess

    from metalwire.web.listener import WorkerListener

    listener = WorkerListener(config.host, config.port, config.backlog)
    try:
        listener.check()
    except OSError as exc:
        console.print(f"[red]cannot listen on {config.host}:{config.port}: {exc}[/red]")
        raise typer.Exit(1) from exc
    # Multiprocess passes its "sockets" to each worker it spawns, where the listener opens.
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[cast(socket.socket, listener)]).run()


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (METALWIRE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (METALWIRE_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the site and the API."""
    import uvicorn

    from metalwire.db.migrate import refresh_planner_statistics
    from metalwire.logs import logging_config
    from metalwire.web.listener import spreads_connections

    config = settings()
    database = engine()  # refuses an unreachable or un-migrated database
    refresh_planner_statistics(database)  # the data may have grown since the last start
    database.dispose()
    console.print(f"metalwire on http://{host or config.host}:{port or config.port}")
    options: dict[str, Any] = {
        "factory": True,
        "host": host or config.host,
        "port": port or config.port,
        "workers": workers,
        "log_level": "info",
        "log_config": logging_config(config.log_format, config.access_log),
        "access_log": False,  # metalwire.access logs each request, with its id
        # SIGTERM: running requests get this long to finish, then the worker stops
        "timeout_graceful_shutdown": max(1, round(config.shutdown_timeout)),
        # Pollers come back every few seconds: a connection closed just as a client
        # reuses it is a failed request on its side (uvicorn's default is 5 s).
        "timeout_keep_alive": max(1, round(config.keep_alive_timeout)),
    }
    with metrics_directory(workers):
        if workers > 1 and spreads_connections():
            serve_workers(uvicorn.Config(APP, **options))
        else:
            uvicorn.run(APP, **options)


def demo(
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed builds the same market")
    ] = 7,
    days: Annotated[
        int, typer.Option(min=0, help="Days of price history to build, up to today")
    ] = 730,
) -> None:
    """Build the deterministic demo market into the configured database."""
    from rich.progress import MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

    from metalwire.cli.context import unit_of_work
    from metalwire.demo.build import build_demo

    # Say what is coming before it comes: the default is two years of every series.
    console.print(
        f"building the demo market: {days} days of prices for every demo series, the "
        "surveys, markets, indices and reports (730 days: about 170 MB in SQLite and 1-2 "
        "minutes on 2 cores; --days 90: about 35 MB in under half a minute)"
    )
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        with unit_of_work() as session:
            summary = build_demo(session, days=days, seed=seed, progress=advance)
    from metalwire.db.migrate import reclaim_dead_rows

    reclaim_dead_rows(engine())
    for line in summary:
        console.print(line)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(demo)
