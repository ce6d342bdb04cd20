"""Screening log: subjects, screenings, follow-ups, workers, chats, updates.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_conversations")),
    )
    op.create_index(
        op.f("ix_conversations_updated_at"), "conversations", ["updated_at"], unique=False
    )

    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_processed_at"),
        "processed_updates",
        ["processed_at"],
        unique=False,
    )

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "health_workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('health_worker', 'admin')", name=op.f("ck_health_workers_role")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["health_workers.id"],
            name=op.f("fk_health_workers_granted_by_id_health_workers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_health_workers_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_workers")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_health_workers_pseudonym")),
    )
    op.create_index(op.f("ix_health_workers_team_id"), "health_workers", ["team_id"], unique=False)

    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("age_months", sa.Float(), nullable=True),
        sa.Column("age_group", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("pregnant", sa.Boolean(), nullable=False),
        sa.Column("trimester", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_opt_in", sa.Boolean(), nullable=False),
        sa.Column("research_opt_in", sa.Boolean(), nullable=False),
        sa.CheckConstraint("sex IN ('f', 'm')", name=op.f("ck_subjects_sex")),
        sa.CheckConstraint("age_months >= 0", name=op.f("ck_subjects_age_months")),
        sa.CheckConstraint("trimester IN (1, 2, 3)", name=op.f("ck_subjects_trimester")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_subjects_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_subjects_pseudonym")),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('health_worker', 'admin')", name=op.f("ck_invites_role")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["health_workers.id"],
            name=op.f("fk_invites_created_by_id_health_workers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_invites_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"],
            ["health_workers.id"],
            name=op.f("fk_invites_used_by_id_health_workers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hb_g_dl", sa.Float(), nullable=False),
        sa.Column("interval_low", sa.Float(), nullable=False),
        sa.Column("interval_high", sa.Float(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=False),
        sa.Column("risk_group", sa.String(length=32), nullable=False),
        sa.Column("threshold_g_dl", sa.Float(), nullable=False),
        sa.Column("moderate_below_g_dl", sa.Float(), nullable=False),
        sa.Column("severe_below_g_dl", sa.Float(), nullable=False),
        sa.Column("straddles_threshold", sa.Boolean(), nullable=False),
        sa.Column("group_assumed", sa.Boolean(), nullable=False),
        sa.Column("reliable", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("attention_lower_half", sa.Float(), nullable=False),
        sa.Column("image_source", sa.String(length=16), nullable=True),
        sa.Column("segmentation_area", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "risk IN ('none', 'mild', 'moderate', 'severe')", name=op.f("ck_screenings_risk")
        ),
        sa.CheckConstraint("interval_low <= interval_high", name=op.f("ck_screenings_interval")),
        sa.CheckConstraint(
            "segmentation_area >= 0 AND segmentation_area <= 1", name=op.f("ck_screenings_area")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_screenings_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index(op.f("ix_screenings_created_at"), "screenings", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_screenings_subject_id_created_at"),
        "screenings",
        ["subject_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_code", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("assigned_worker_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lab_hb_g_dl", sa.Float(), nullable=True),
        sa.Column("lab_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "reason IN ('severe', 'moderate', 'unreliable')", name=op.f("ck_followups_reason")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'contacted', 'resolved', 'declined')",
            name=op.f("ck_followups_status"),
        ),
        sa.CheckConstraint(
            "lab_hb_g_dl > 0 AND lab_hb_g_dl < 30", name=op.f("ck_followups_lab_hb")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_worker_id"],
            ["health_workers.id"],
            name=op.f("fk_followups_assigned_worker_id_health_workers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_followups_screening_id_screenings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_followups_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_followups_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.UniqueConstraint("case_code", name=op.f("uq_followups_case_code")),
        sa.UniqueConstraint("screening_id", name=op.f("uq_followups_screening_id")),
    )
    op.create_index(
        op.f("ix_followups_assigned_worker_id"), "followups", ["assigned_worker_id"], unique=False
    )
    op.create_index(
        op.f("ix_followups_status_opened_at"), "followups", ["status", "opened_at"], unique=False
    )
    op.create_index(
        op.f("ix_followups_subject_id_status"), "followups", ["subject_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_followups_team_id_status_opened_at"),
        "followups",
        ["team_id", "status", "opened_at"],
        unique=False,
    )

    op.create_table(
        "research_crops",
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name=op.f("fk_research_crops_screening_id_screenings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("screening_id", name=op.f("pk_research_crops")),
    )
    op.create_table(
        "followup_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_notes_followup_id_followups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["health_workers.id"],
            name=op.f("fk_followup_notes_worker_id_health_workers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_notes")),
    )
    op.create_index(
        op.f("ix_followup_notes_followup_id"), "followup_notes", ["followup_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_followup_notes_followup_id"), table_name="followup_notes")

    op.drop_table("followup_notes")
    op.drop_table("research_crops")
    op.drop_index(op.f("ix_followups_team_id_status_opened_at"), table_name="followups")
    op.drop_index(op.f("ix_followups_subject_id_status"), table_name="followups")
    op.drop_index(op.f("ix_followups_status_opened_at"), table_name="followups")
    op.drop_index(op.f("ix_followups_assigned_worker_id"), table_name="followups")

    op.drop_table("followups")
    op.drop_index(op.f("ix_screenings_subject_id_created_at"), table_name="screenings")
    op.drop_index(op.f("ix_screenings_created_at"), table_name="screenings")

    op.drop_table("screenings")
    op.drop_table("invites")
    op.drop_table("subjects")
    op.drop_index(op.f("ix_health_workers_team_id"), table_name="health_workers")

    op.drop_table("health_workers")
    op.drop_table("teams")
    op.drop_index(op.f("ix_processed_updates_processed_at"), table_name="processed_updates")

    op.drop_table("processed_updates")
    op.drop_index(op.f("ix_conversations_updated_at"), table_name="conversations")

    op.drop_table("conversations")
