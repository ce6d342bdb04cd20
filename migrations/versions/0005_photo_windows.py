"""The photo rate limit shared by every bot process.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photo_windows",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_photo_windows")),
    )


def downgrade():
    op.drop_table("photo_windows")
