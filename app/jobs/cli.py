"""`flask jobs worker`: the Huey consumer with the app's workers; `flask jobs recover`, `flask jobs run-schedule`."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs (Huey): run a worker, look for stalled jobs.")


def _watch(app: Flask, stop: threading.Event) -> None:
    """Every half stale period: queue again the jobs whose worker went silent (killed, or its host gone)."""
    from app.core import jobs

    period = max(1.0, int(app.config.get("JOBS_STALE_SECONDS", 120)) / 2)
    while not stop.wait(period):
        try:
            with app.app_context():
                jobs.recover()
        except Exception:  # the database restarting must not stop the worker
            logging.getLogger(__name__).exception("job recovery failed")


@jobs_cli.command("worker")
@click.option("--workers", "-w", type=int, default=None, help="Worker threads (default: JOBS_WORKERS).")
@click.option("--no-periodic", is_flag=True, help="Do not run the schedule (reminders) on this worker.")
def worker(workers: int | None, no_periodic: bool) -> None:
    """Run a worker: the Huey consumer (threads) plus the watch for stalled jobs; stop with Ctrl-C or SIGTERM."""
    from huey.consumer import Consumer

    from app.core import jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.config["JOBS_IMMEDIATE"] = False
    huey = jobs.configure(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    threading.Thread(target=_watch, args=(app, stop), daemon=True, name="jobs-watch").start()
    consumer = Consumer(
        huey,
        workers=workers or int(app.config.get("JOBS_WORKERS", 2)),
        worker_type="thread",
        periodic=not no_periodic,
        max_delay=1.0,
    )
    try:
        consumer.run()
    finally:
        stop.set()


@jobs_cli.command("recover")
def recover() -> None:
    """Queue again the jobs whose worker went silent for JOBS_STALE_SECONDS."""
    from app.core import jobs

    click.echo(f"Queued again: {jobs.recover()}")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(jobs_cli)
