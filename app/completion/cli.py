"""``flask reminders send``, ``flask completion recompute``/``enrolments``, ``flask certificates expire``/``remind``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Due-soon and overdue reminders, weekly overdue digests.")
completion_cli = AppGroup("completion", help="Course completion records.")
certificates_cli = AppGroup("certificates", help="Certificates of renewable courses: expiry and reminders.")


@reminders_cli.command("send")
def reminders_send() -> None:
    """Send the reminders owed today (in-app, and e-mail when SMTP is configured); safe to repeat."""
    from app.completion import reminders

    sent = reminders.send()
    click.echo(f"Reminders sent: {sent.notifications} in-app, {sent.emails} e-mail.")
    if sent.email_error:
        click.echo(f"E-mail failed: {sent.email_error}", err=True)


@reminders_cli.command("digest")
def reminders_digest() -> None:
    """Send this week's overdue digests to managers and HR (in-app, and e-mail when SMTP is set); once per week."""
    from app.completion import digests

    sent = digests.send_digests()
    click.echo(f"Digests sent: {sent.notifications} in-app, {sent.emails} e-mail.")
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


@certificates_cli.command("expire")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to expire for (default: today).")
def certificates_expire(today) -> None:
    """Expire the certificates due today or earlier and assign their courses again; safe to repeat (run daily)."""
    from app.completion import services

    day = today.date() if today else None
    click.echo(f"Certificates expired: {services.expire_certificates(day)}.")


@certificates_cli.command("remind")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to remind for (default: today).")
def certificates_remind(today) -> None:
    """Send the reminders of certificates about to expire (in-app, e-mail when SMTP is set); safe to repeat."""
    from app.completion.expiry import expiry_reminders

    sent = expiry_reminders(today.date() if today else None)
    click.echo(f"Expiry reminders sent: {sent.notifications} in-app, {sent.emails} e-mail.")
    if sent.email_error:
        click.echo(f"E-mail failed: {sent.email_error}", err=True)


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(reminders_cli)
    app.cli.add_command(completion_cli)
    app.cli.add_command(certificates_cli)
