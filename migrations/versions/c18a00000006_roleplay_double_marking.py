"""Role-play double marking (blind marks, moderation), calibration anchors, credited live partners

Revision ID: c18a00000006
Revises: c16a00000005
Create Date: 2026-11-30 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c18a00000006"
down_revision = "c16a00000005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roleplay_submissions") as batch:
        batch.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("double_mark", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key(
            batch.f("fk_roleplay_submissions_partner_id_users"), "users", ["partner_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "roleplay_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("grader_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=12), nullable=True),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("overall", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["roleplay_submissions.id"],
            name=op.f("fk_roleplay_marks_submission_id_roleplay_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grader_id"], ["users.id"], name=op.f("fk_roleplay_marks_grader_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roleplay_marks")),
        sa.UniqueConstraint("submission_id", "grader_id", name=op.f("uq_roleplay_marks_submission_id")),
    )
    op.create_index(op.f("ix_roleplay_marks_submission_id"), "roleplay_marks", ["submission_id"], unique=False)
    op.create_table(
        "roleplay_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["roleplay_submissions.id"],
            name=op.f("fk_roleplay_anchors_submission_id_roleplay_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_versions.id"],
            name=op.f("fk_roleplay_anchors_rubric_version_id_rubric_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_roleplay_anchors_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roleplay_anchors")),
    )
    op.create_index(op.f("ix_roleplay_anchors_submission_id"), "roleplay_anchors", ["submission_id"], unique=True)
    op.create_table(
        "roleplay_calibration_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("grader_id", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["roleplay_anchors.id"],
            name=op.f("fk_roleplay_calibration_marks_anchor_id_roleplay_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grader_id"], ["users.id"], name=op.f("fk_roleplay_calibration_marks_grader_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roleplay_calibration_marks")),
    )
    op.create_index(
        op.f("ix_roleplay_calibration_marks_anchor_id"), "roleplay_calibration_marks", ["anchor_id"], unique=False
    )
    op.create_index(
        op.f("ix_roleplay_calibration_marks_grader_id"), "roleplay_calibration_marks", ["grader_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_roleplay_calibration_marks_grader_id"), table_name="roleplay_calibration_marks")
    op.drop_index(op.f("ix_roleplay_calibration_marks_anchor_id"), table_name="roleplay_calibration_marks")
    op.drop_table("roleplay_calibration_marks")
    op.drop_index(op.f("ix_roleplay_anchors_submission_id"), table_name="roleplay_anchors")
    op.drop_table("roleplay_anchors")
    op.drop_index(op.f("ix_roleplay_marks_submission_id"), table_name="roleplay_marks")
    op.drop_table("roleplay_marks")
    with op.batch_alter_table("roleplay_submissions") as batch:
        batch.drop_constraint(batch.f("fk_roleplay_submissions_partner_id_users"), type_="foreignkey")
        batch.drop_column("double_mark")
        batch.drop_column("partner_id")
