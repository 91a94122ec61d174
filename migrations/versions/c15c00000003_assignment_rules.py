"""Assignment rules (department and/or position → course, due N days after joining); assignments name their rule

Revision ID: c15c00000003
Revises: c15b00000001
Create Date: 2026-11-30 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c15c00000003"
down_revision = "c15b00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=80), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("department_id IS NOT NULL OR position IS NOT NULL", name=op.f("ck_assignment_rules_scope")),
        sa.CheckConstraint("due_days >= 0 AND due_days <= 3650", name=op.f("ck_assignment_rules_due_days")),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_assignment_rules_course_id_courses")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_assignment_rules_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_assignment_rules_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
    )
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_rules_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_rules_department_id"), ["department_id"], unique=False)

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_rule_id_assignment_rules"),
            "assignment_rules",
            ["rule_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ux_assignments_rule_user", ["rule_id", "user_id"], unique=True)


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ux_assignments_rule_user")
        batch_op.drop_constraint(batch_op.f("fk_assignments_rule_id_assignment_rules"), type_="foreignkey")
        batch_op.drop_column("rule_id")
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_rules_department_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_rules_course_id"))
    op.drop_table("assignment_rules")
