"""One photo token per Telegram update, however often it is delivered.

Revision ID: 0006_phototoken
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_phototoken"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photo_tokens",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_photo_tokens")),
    )
    op.create_index(op.f("ix_photo_tokens_taken_at"), "photo_tokens", ["taken_at"])


def downgrade():
    op.drop_index(op.f("ix_photo_tokens_taken_at"), table_name="photo_tokens")
    op.drop_table("photo_tokens")
