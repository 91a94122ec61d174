"""``flask reminders send``, ``flask completion recompute`` and ``flask completion enrolments``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Due-soon and overdue reminders.")
completion_cli = AppGroup("completion", help="Course completion records.")


@reminders_cli.command("send")
def reminders_send() -> None:
    """Send the reminders owed today (in-app, and e-mail when SMTP is configured); safe to repeat."""
    from app.completion import reminders

    sent = reminders.send()
    click.echo(f"Reminders sent: {sent.notifications} in-app, {sent.emails} e-mail.")
    if sent.email_error:
        click.echo(f"E-mail failed: {sent.email_error}", err=True)


@completion_cli.command("recompute")
def completion_recompute() -> None:
    """Recompute every completion record (run after a content load that changed completion rules)."""
    from app.completion import services

    click.echo(f"Recomputed completion for {services.recompute_all()} person(s).")


@completion_cli.command("enrolments")
def completion_enrolments() -> None:
    """Rebuild the stored enrolments from the assignments (after changing them with SQL by hand)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.learning import enrolments
    from app.learning.models import Enrolment

    enrolments.refresh(db.session)
    db.session.commit()
    click.echo(f"Enrolments rebuilt: {db.session.scalar(select(func.count()).select_from(Enrolment))} row(s).")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(reminders_cli)
    app.cli.add_command(completion_cli)
