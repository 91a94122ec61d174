"""Row locks on people: make writes that concern the same person happen one transaction at a time."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from app.accounts.models import User


def lock_people(executor: Session | scoped_session | Connection, user_ids: Iterable[int]) -> None:
    """Hold a lock on these people's rows until the transaction ends; a second locker waits for it.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` in id order (two lockers cannot deadlock), the weakest
    lock that excludes another locker and leaves alone the key-share locks that inserts referencing a
    person take. SQLite has no row locks: a no-op UPDATE takes its database write lock instead.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    if bind.dialect.name == "postgresql":
        executor.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update(key_share=True))
        return
    executor.execute(
        update(User)
        .where(User.id.in_(ids))
        .values(session_version=User.session_version)
        .execution_options(synchronize_session=False)
    )
