"""Managers' departments; reminder log steps, manual reminders and weekly digests

Revision ID: c15d00000004
Revises: c15c00000003
Create Date: 2026-11-30 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c15d00000004"
down_revision = "c15c00000003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "manager_departments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_manager_departments_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_manager_departments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "department_id", name=op.f("pk_manager_departments")),
    )
    with op.batch_alter_table("manager_departments") as batch:
        batch.create_index(batch.f("ix_manager_departments_department_id"), ["department_id"], unique=False)

    # A reminder is now (person, course, kind, due date, step): the 7- and 1-day windows, the overdue
    # weeks and "remind now" are told apart by step; digests have no course.
    with op.batch_alter_table("reminder_logs") as batch:
        batch.add_column(sa.Column("step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("by_id", sa.Integer(), nullable=True))
        batch.alter_column("course_id", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint("uq_reminder_logs_user_id", type_="unique")
        batch.create_unique_constraint("uq_reminder_logs_step", ["user_id", "course_id", "kind", "due_date", "step"])
        batch.create_foreign_key(
            batch.f("fk_reminder_logs_by_id_users"), "users", ["by_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index(
        "uq_reminder_logs_digest",
        "reminder_logs",
        ["user_id", "kind", "due_date"],
        unique=True,
        sqlite_where=sa.text("course_id IS NULL"),
        postgresql_where=sa.text("course_id IS NULL"),
    )


def downgrade():
    op.drop_index("uq_reminder_logs_digest", table_name="reminder_logs")
    op.execute("DELETE FROM reminder_logs WHERE course_id IS NULL OR step <> 0")
    with op.batch_alter_table("reminder_logs") as batch:
        batch.drop_constraint(batch.f("fk_reminder_logs_by_id_users"), type_="foreignkey")
        batch.drop_constraint("uq_reminder_logs_step", type_="unique")
        batch.create_unique_constraint("uq_reminder_logs_user_id", ["user_id", "course_id", "kind", "due_date"])
        batch.alter_column("course_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("by_id")
        batch.drop_column("step")
    with op.batch_alter_table("manager_departments") as batch:
        batch.drop_index(batch.f("ix_manager_departments_department_id"))
    op.drop_table("manager_departments")
