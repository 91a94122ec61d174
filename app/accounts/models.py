"""Account models: users, roles, departments, cohorts, sign-in sessions, login failures and throttles."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.time import utcnow
from app.extensions import db

ROLES = ("trainee", "instructor", "hr", "manager", "admin")
MEMBER_ROLES = ("trainee", "instructor")
STAFF_ROLES = (
    "instructor",
    "hr",
    "admin",
)  # may open every course, quiz and card (trainees: what they are enrolled in)


class Department(db.Model):
    """A department (部门) of the company."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManagerDepartment(db.Model):
    """A department a manager (经理) follows: they see its people's reports and get its overdue digest."""

    __tablename__ = "manager_departments"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    """A person who signs in; holds one or more roles."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    employee_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    position: Mapped[str | None] = mapped_column(String(80))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when someone else chose or generated the password (admin, HR, import, CLI): the first sign-in must change it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    @property
    def roles(self) -> set[str]:
        """The names of the roles this user holds."""
        return {r.role for r in self.role_rows}

    def has_role(self, *names: str) -> bool:
        """Whether the user holds any of the given roles."""
        return bool(self.roles.intersection(names))

    def set_password(self, password: str, *, generated: bool = False) -> None:
        """Hash and store a new password (``generated``: a random one made by the platform, hashed quickly)."""
        key = "GENERATED_PASSWORD_HASH_METHOD" if generated else "PASSWORD_HASH_METHOD"
        self.password_hash = generate_password_hash(password, method=current_app.config[key])

    @property
    def has_generated_password_hash(self) -> bool:
        """Whether the stored hash is a generated password's quick one (to be replaced at sign-in)."""
        quick = current_app.config["GENERATED_PASSWORD_HASH_METHOD"]
        return quick != current_app.config["PASSWORD_HASH_METHOD"] and self.password_hash.startswith(quick + "$")

    def check_password(self, password: str) -> bool:
        """Check a password against the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        """Deactivated users cannot sign in."""
        return self.active

    def get_id(self) -> str:
        """Session id: user id plus session version, so bumping the version ends sessions."""
        return f"{self.id}:{self.session_version}"


class Cohort(db.Model):
    """A class or team (班组): trainees plus the instructors who teach them."""

    __tablename__ = "cohorts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[CohortMember]] = relationship(back_populates="cohort", cascade="all, delete-orphan")


class CohortMember(db.Model):
    """Membership of a user in a cohort, as trainee or instructor."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """A failed sign-in, kept to throttle guessing per account and per address."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_created", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(db.Model):
    """Sign-in state of one (account, address) pair: its run of failures, when it may try again, its last success."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("username", "address"), Index("ix_login_throttles_address", "address"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)  # failures in a row, reset by a success or a quiet window
    last_failure_at: Mapped[datetime | None]
    next_allowed_at: Mapped[datetime | None] = mapped_column(index=True)  # no attempt from the pair before this
    last_success_at: Mapped[datetime | None]  # a recent success makes the address "known" for the account


class UserSession(db.Model):
    """One signed-in browser session; its id (hashed here) travels in the signed session cookie."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the secret in the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))


class Invitation(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """A single-use link that lets a person choose their own password (its token stored hashed)."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token in the link
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]  # a newer invitation replaced it

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class CredentialSheet(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """The one-time passwords or invitation links of an import, kept encrypted until their one download."""

    __tablename__ = "credential_sheets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random; part of the download URL
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    downloaded_at: Mapped[datetime | None]
    people: Mapped[int] = mapped_column(default=0)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # the encrypted XLSX; emptied by the download
