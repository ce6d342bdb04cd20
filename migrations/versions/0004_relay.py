"""The relay: a person's chat id encrypted under the relay key while a case is open, and when
their reminder went out.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("relay_chat", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("reminded_at")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("relay_chat")
