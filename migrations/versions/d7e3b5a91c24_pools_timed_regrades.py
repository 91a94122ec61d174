"""Quiz review policy and time limit, attempt deadlines, regrade records

Revision ID: d7e3b5a91c24
Revises: e4c8a1f07d52
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d7e3b5a91c24"
down_revision = "e4c8a1f07d52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quizzes") as batch:
        batch.add_column(sa.Column("review", sa.String(length=20), nullable=False, server_default="immediate"))
        batch.add_column(sa.Column("time_limit_minutes", sa.Integer(), nullable=True))
    # Knowledge checks default to "after-pass" (docs/content-spec.md); the next content load sets each quiz.
    op.execute("UPDATE quizzes SET review = 'after-pass' WHERE kind = 'knowledge'")
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("deadline_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("auto_submitted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "attempt_regrades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("from_version_id", sa.Integer(), nullable=False),
        sa.Column("to_version_id", sa.Integer(), nullable=False),
        sa.Column("old_score", sa.Integer(), nullable=True),
        sa.Column("old_max_score", sa.Integer(), nullable=True),
        sa.Column("old_percent", sa.Integer(), nullable=True),
        sa.Column("old_passed", sa.Boolean(), nullable=True),
        sa.Column("old_band_key", sa.String(length=80), nullable=True),
        sa.Column("new_score", sa.Integer(), nullable=True),
        sa.Column("new_max_score", sa.Integer(), nullable=True),
        sa.Column("new_percent", sa.Integer(), nullable=True),
        sa.Column("new_passed", sa.Boolean(), nullable=True),
        sa.Column("new_band_key", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_attempt_regrades_attempt_id_attempts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_attempt_regrades_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["from_version_id"], ["quiz_versions.id"], name=op.f("fk_attempt_regrades_from_version_id_quiz_versions")
        ),
        sa.ForeignKeyConstraint(
            ["to_version_id"], ["quiz_versions.id"], name=op.f("fk_attempt_regrades_to_version_id_quiz_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_regrades")),
    )
    op.create_index(op.f("ix_attempt_regrades_attempt_id"), "attempt_regrades", ["attempt_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_attempt_regrades_attempt_id"), table_name="attempt_regrades")
    op.drop_table("attempt_regrades")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("auto_submitted")
        batch.drop_column("deadline_at")
    with op.batch_alter_table("quizzes") as batch:
        batch.drop_column("time_limit_minutes")
        batch.drop_column("review")
