"""Consistent database backups: SQLite through its online backup API, PostgreSQL through pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL (refusing in-memory databases)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


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
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", plain], check=True)  # noqa: S603,S607
        return target
    raise ValueError(f"backups are not supported for {parsed.get_backend_name()}")


def restore(url: str, source: Path) -> None:
    """Replace the database with a backup (stop the app first)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        check = sqlite3.connect(source)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValueError(f"{source} is not a healthy SQLite database")
        finally:
            check.close()
        shutil.copyfile(source, sqlite_path(url))
        return
    if parsed.get_backend_name() == "postgresql":
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(  # noqa: S603
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={plain}", str(source)],  # noqa: S607
            check=True,
        )
        return
    raise ValueError(f"restore is not supported for {parsed.get_backend_name()}")
