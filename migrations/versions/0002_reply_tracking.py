"""Processed updates remember a photo's screening until its reply has been sent.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("screening_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_processed_updates_screening_id_screenings"),
            "screenings",
            ["screening_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_constraint(
            op.f("fk_processed_updates_screening_id_screenings"), type_="foreignkey"
        )
        batch.drop_column("answered_at")
        batch.drop_column("screening_id")
