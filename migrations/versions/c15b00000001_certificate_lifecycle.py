"""Certificate lifecycle: revocation, expiry and history, whole-course waivers, expiry reminders, renew_every

Revision ID: c15b00000001
Revises: c15a00000002
Create Date: 2026-11-30 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c15b00000001"
down_revision = "c15a00000002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("renew_every_months", sa.Integer(), nullable=True))
    with op.batch_alter_table("course_completions") as batch:
        batch.add_column(sa.Column("cycle_started_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("certificates") as batch:
        batch.drop_constraint("uq_certificates_user_id", type_="unique")
        batch.add_column(sa.Column("employee_no", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("minutes", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("waived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("expires_at", sa.Date(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default="valid"))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_certificates_revoked_by_id_users", "users", ["revoked_by_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_certificates_user_course", ["user_id", "course_id"], unique=False)
        batch.create_index("ix_certificates_status_issued", ["status", "issued_at"], unique=False)
    # Existing certificates were issued for completions: they stay valid, and what they state is filled in.
    op.execute(
        "UPDATE certificates SET employee_no = (SELECT users.employee_no FROM users WHERE users.id = certificates.user_id)"
    )
    op.execute(
        "UPDATE certificates SET minutes = COALESCE((SELECT SUM(modules.minutes) FROM modules"
        " WHERE modules.course_id = certificates.course_id AND modules.archived = false), 0)"
    )
    op.create_index(
        "uq_certificates_one_valid",
        "certificates",
        ["user_id", "course_id"],
        unique=True,
        sqlite_where=sa.text("status = 'valid'"),
        postgresql_where=sa.text("status = 'valid'"),
    )
    op.create_table(
        "course_waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("evidence_name", sa.String(length=64), nullable=True),
        sa.Column("evidence_mime", sa.String(length=40), nullable=True),
        sa.Column("evidence_filename", sa.String(length=200), nullable=True),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_course_waivers_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name=op.f("fk_course_waivers_course_id_courses")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_course_waivers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_waivers")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_course_waivers_user_id")),
    )
    with op.batch_alter_table("course_waivers") as batch:
        batch.create_index(batch.f("ix_course_waivers_course_id"), ["course_id"], unique=False)
        batch.create_index(batch.f("ix_course_waivers_user_id"), ["user_id"], unique=False)
    op.create_table(
        "certificate_reminder_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_certificate_reminder_logs_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_certificate_reminder_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_reminder_logs")),
        sa.UniqueConstraint(
            "user_id", "course_id", "window_days", "expires_on", name=op.f("uq_certificate_reminder_logs_user_id")
        ),
    )
    with op.batch_alter_table("certificate_reminder_logs") as batch:
        batch.create_index(batch.f("ix_certificate_reminder_logs_course_id"), ["course_id"], unique=False)
        batch.create_index(batch.f("ix_certificate_reminder_logs_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("certificate_reminder_logs")
    op.drop_table("course_waivers")
    op.drop_index("uq_certificates_one_valid", table_name="certificates")
    # History rows (revoked or expired) would break the one-certificate-per-course rule: keep the latest.
    op.execute(
        "DELETE FROM certificates WHERE id NOT IN (SELECT MAX(id) FROM certificates GROUP BY user_id, course_id)"
    )
    with op.batch_alter_table("certificates") as batch:
        batch.drop_index("ix_certificates_status_issued")
        batch.drop_index("ix_certificates_user_course")
        batch.drop_constraint("fk_certificates_revoked_by_id_users", type_="foreignkey")
        for column in (
            "revoked_by_id",
            "revoked_reason",
            "revoked_at",
            "status",
            "expires_at",
            "waived",
            "minutes",
            "employee_no",
        ):
            batch.drop_column(column)
        batch.create_unique_constraint("uq_certificates_user_id", ["user_id", "course_id"])
    with op.batch_alter_table("course_completions") as batch:
        batch.drop_column("cycle_started_at")
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("renew_every_months")
