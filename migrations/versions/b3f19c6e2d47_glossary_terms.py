"""Glossary terms (courses/glossary.yaml)

Revision ID: b3f19c6e2d47
Revises: 7a2d4c91e0b3
Create Date: 2026-11-30 02:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3f19c6e2d47"
down_revision = "7a2d4c91e0b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("term", sa.String(length=80), nullable=False),
        sa.Column("definition_html", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
        sa.UniqueConstraint("slug", name=op.f("uq_glossary_terms_slug")),
    )


def downgrade():
    op.drop_table("glossary_terms")
