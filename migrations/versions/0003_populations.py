"""Screenings say whose validation figures apply and whether the referral rule fired; a model
without Grad-CAM leaves the attention share empty; follow-ups open for referrals.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_REASONS = "reason IN ('severe', 'moderate', 'unreliable')"
NEW_REASONS = "reason IN ('severe', 'moderate', 'referred', 'unreliable')"


def upgrade():
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("population", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("refer", sa.Boolean(), nullable=True))
        batch.alter_column("attention_lower_half", existing_type=sa.Float(), nullable=True)
    with op.batch_alter_table("followups") as batch:
        batch.drop_constraint(op.f("ck_followups_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_followups_reason"), NEW_REASONS)


def downgrade():
    op.execute("DELETE FROM followups WHERE reason = 'referred'")
    with op.batch_alter_table("followups") as batch:
        batch.drop_constraint(op.f("ck_followups_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_followups_reason"), OLD_REASONS)
    op.execute("UPDATE screenings SET attention_lower_half = 0 WHERE attention_lower_half IS NULL")
    with op.batch_alter_table("screenings") as batch:
        batch.alter_column("attention_lower_half", existing_type=sa.Float(), nullable=False)
        batch.drop_column("refer")
        batch.drop_column("population")
