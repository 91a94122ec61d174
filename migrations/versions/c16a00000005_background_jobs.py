"""Background jobs: the jobs table (state, progress, result, idempotency key) and the undo journal of their chunks

Revision ID: c16a00000005
Revises: c15d00000004
Create Date: 2026-11-30 04:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c16a00000005"
down_revision = "c15d00000004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("result_path", sa.String(length=255), nullable=True),
        sa.Column("result_name", sa.String(length=120), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("audience_role", sa.String(length=20), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["users.id"], name=op.f("fk_jobs_started_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_state"), ["state"], unique=False)
        batch_op.create_index("ix_jobs_started_by_created", ["started_by_id", "created_at"], unique=False)
    op.create_table(
        "job_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("pk", sa.JSON(), nullable=False),
        sa.Column("prior", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_journal_job_id_jobs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_journal")),
    )
    with op.batch_alter_table("job_journal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_journal_job_id"), ["job_id"], unique=False)


def downgrade():
    with op.batch_alter_table("job_journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_journal_job_id"))
    op.drop_table("job_journal")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_started_by_created")
        batch_op.drop_index(batch_op.f("ix_jobs_state"))
    op.drop_table("jobs")
