"""Sign-in throttles per (account, address) pair: failures in a row, next allowed time, last success

Revision ID: e4c8a1f07d52
Revises: b3f19c6e2d47
Create Date: 2026-12-01 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e4c8a1f07d52"
down_revision = "b3f19c6e2d47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("next_allowed_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("username", "address", name=op.f("uq_login_throttles_username")),
    )
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.create_index("ix_login_throttles_address", ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_throttles_next_allowed_at"), ["next_allowed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttles_next_allowed_at"))
        batch_op.drop_index("ix_login_throttles_address")
    op.drop_table("login_throttles")
