"""Stored enrolments: who must complete which course, derived from assignments

Revision ID: 5e1f0c2d9a7b
Revises: caa0a0e705eb
Create Date: 2026-11-22 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5e1f0c2d9a7b"
down_revision = "caa0a0e705eb"
branch_labels = None
depends_on = None

# The enrolment rules of app.completion.enrolments.resolved, as they stand in this revision.
FILL = sa.text(
    """
    INSERT INTO enrolments (user_id, course_id, due_date)
    SELECT user_id, course_id, MIN(due_date) FROM (
        SELECT a.user_id AS user_id, a.course_id AS course_id, a.due_date AS due_date
        FROM assignments a JOIN courses c ON c.id = a.course_id AND c.archived = :no
        WHERE a.user_id IS NOT NULL
        UNION ALL
        SELECT m.user_id, a.course_id, a.due_date
        FROM assignments a JOIN courses c ON c.id = a.course_id AND c.archived = :no
        JOIN cohort_members m ON m.cohort_id = a.cohort_id AND m.role = 'trainee'
        UNION ALL
        SELECT u.id, a.course_id, a.due_date
        FROM assignments a JOIN courses c ON c.id = a.course_id AND c.archived = :no
        JOIN users u ON u.department_id = a.department_id
    ) pairs
    GROUP BY user_id, course_id
    """
).bindparams(no=False)


def upgrade():
    op.create_table(
        "enrolments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_enrolments_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_enrolments_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "course_id", name=op.f("pk_enrolments")),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index("ix_enrolments_course_user", ["course_id", "user_id"], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolments_course_user")
    op.drop_table("enrolments")
