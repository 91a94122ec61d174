"""Command-line interface: thin click commands over the services."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from app.assessments import cli as assessment_commands
from app.completion import cli as completion_commands
from app.jobs import cli as job_commands

content_cli = AppGroup("content", help="Validate and load courses/ and quizzes/.")
users_cli = AppGroup("users", help="Manage user accounts.")


def _content_root() -> Path:
    return Path(current_app.config["CONTENT_DIR"])


@content_cli.command("check")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content folder (default: CONTENT_DIR).",
)
def content_check(directory: Path | None) -> None:
    """List every problem in the content; exit 1 if any error."""
    from app.content.validate import check, errors_only

    root = directory or _content_root()
    content, problems = check(root)
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = errors_only(problems)
    if errors:
        click.echo(
            f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s): nothing can be loaded.", err=True
        )
        sys.exit(1)
    modules = sum(len(c.modules) for c in content.courses)
    cards = sum(len(c.cards) for c in content.courses)
    click.echo(
        f"OK: {len(content.courses)} courses, {modules} modules, {len(content.quizzes)} quizzes, "
        f"{cards} role-play cards, {len(content.rubrics)} rubrics; {len(problems)} warning(s)."
    )


def load_content_or_fail(root: Path) -> str:
    """Validate and load content; raise ClickException listing problems on any error."""
    from app.content.sync import sync
    from app.content.validate import check, errors_only

    content, problems = check(root)
    errors = errors_only(problems)
    if errors:
        raise click.ClickException("content has errors, nothing was loaded:\n" + "\n".join(str(p) for p in errors))
    return sync(content).summary()


@content_cli.command("load")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Content folder (default: CONTENT_DIR).",
)
def content_load(directory: Path | None) -> None:
    """Validate, then load content into the database in one transaction."""
    click.echo("Content loaded: " + load_content_or_fail(directory or _content_root()))


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["trainee", "instructor", "hr", "manager", "admin"]),
)
@click.option("--name", default=None, help="姓名")
@click.option("--department", default=None, help="部门 (a manager follows it)")
@click.option("--cohort", default=None, help="班组 (created if needed)")
@click.option("--email", default=None)
@click.option("--employee-no", default=None, help="工号")
def users_create(
    username: str,
    roles: tuple[str, ...],
    name: str | None,
    department: str | None,
    cohort: str | None,
    email: str | None,
    employee_no: str | None,
) -> None:
    """Create a user; the password is read from standard input when it is not a terminal."""
    from app.accounts import services
    from app.extensions import db

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = services.create_user(
            username,
            name or username,
            password,
            roles,
            department=department,
            email=email,
            employee_no=employee_no,
            must_change_password=True,  # chosen by whoever ran the command: the person sets their own at first sign-in
            commit=False,
        )
        db.session.flush()
        if cohort:
            group = services.get_or_create_cohort(cohort)
            for role in ("instructor", "trainee"):
                if role in roles:
                    services.add_member(group, user, role, commit=False)
                    break
        db.session.commit()
        if "manager" in roles and user.department_id:
            from app.accounts import managers

            managers.set_departments(user, [user.department_id], actor=None)
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.username} ({', '.join(sorted(user.roles))}).")


@click.command("demo")
@click.option(
    "--size",
    type=click.Choice(["S", "M", "L", "XL"], case_sensitive=False),
    default=None,
    help="Also generate a data set of 100 / 1,000 / 10,000 / 50,000 trainees with their history.",
)
def demo(size: str | None) -> None:
    """Create or upgrade the database, load content, create demo accounts and the demo cohort."""
    from app import demo as demo_data
    from app.accounts.services import AccountError
    from app.demo_data import DemoDataError, generate_size

    upgrade()
    summary = load_content_or_fail(_content_root())
    click.echo("Content: " + summary)
    try:
        accounts = demo_data.ensure_demo()
    except AccountError as error:  # the published demo passwords are refused outside development and testing
        raise click.ClickException(f"{error} (APP_ENV=development)") from error
    click.echo("\nDemo accounts (username / password):")
    for username, password, roles in accounts:
        click.echo(f"  {username:<12} {password:<16} {roles}")
    if size:
        click.echo(f"\nGenerating data set {size.upper()} …")
        try:
            click.echo(generate_size(size).summary())
        except DemoDataError as error:
            raise click.ClickException(str(error)) from error
    host, port = server_address()
    click.echo(f"\nStart the server:  .venv/bin/flask --app wsgi run --host {host} --port {port}")
    click.echo(f"then open {server_url(host, port)}   (another port: PORT=8080 bash scripts/start.sh)")


def server_address() -> tuple[str, str]:
    """The development server's host and port: HOST and PORT (scripts/start.sh), else Flask's FLASK_RUN_*, else 127.0.0.1:5000."""
    host = os.environ.get("HOST") or os.environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or os.environ.get("FLASK_RUN_PORT") or "5000"
    return host, port


def server_url(host: str, port: str) -> str:
    """The address to open in a browser for a server listening on host:port (all interfaces: this machine)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104  (a comparison, not a binding)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


backup_cli = AppGroup("backup", help="Back up and restore the database.")


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(target: Path) -> None:
    """Write a consistent backup of the database to TARGET."""
    from app.core.backup import backup

    backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    click.echo(f"Backup written to {target}")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE (stop the web server first)."""
    from app.core.backup import restore
    from app.extensions import db

    if not yes:
        click.confirm("This replaces every record in the database. Continue?", abort=True)
    db.engine.dispose()
    restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    click.echo(f"Restored from {source}")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(backup_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo)
    completion_commands.init_app(app)
    job_commands.init_app(app)
    assessment_commands.init_app(app)
