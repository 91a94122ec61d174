"""``flask quizzes expire``: submit timed attempts whose deadline has passed."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

quizzes_cli = AppGroup("quizzes", help="Quizzes and attempts.")


@quizzes_cli.command("expire")
def quizzes_expire() -> None:
    """Submit every open attempt past its deadline with its saved answers; safe to run repeatedly (cron)."""
    from app.assessments import services

    click.echo(f"Attempts submitted at their deadline: {services.expire_due()}.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(quizzes_cli)
