"""Consistent database backups: SQLite through its online backup API, PostgreSQL through pg_dump."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL (refusing in-memory databases)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment passing it (not visible in ``ps``)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    bare = URL.create("postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query)
    return bare.render_as_string(hide_password=False), env


def backup(url: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (a file), even while it is in use."""
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = sqlite3.connect(sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        plain, env = _libpq(url)
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", plain], check=True, env=env)  # noqa: S603,S607
        return target
    raise ValueError(f"backups are not supported for {parsed.get_backend_name()}")


def restore(url: str, source: Path) -> None:
    """Replace the database with a backup (stop the app first)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        check = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValueError(f"{source} is not a healthy SQLite database")
            live = sqlite3.connect(sqlite_path(url))
            try:
                check.backup(live)  # page by page under SQLite's locks, journal and WAL included
            finally:
                live.close()
        finally:
            check.close()
        return
    if parsed.get_backend_name() == "postgresql":
        plain, env = _libpq(url)
        subprocess.run(  # noqa: S603
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={plain}", str(source)],  # noqa: S607
            check=True,
            env=env,
        )
        return
    raise ValueError(f"restore is not supported for {parsed.get_backend_name()}")
