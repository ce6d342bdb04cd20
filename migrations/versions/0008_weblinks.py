"""The dashboard's one-time sign-in links and its sessions (only hashes of their tokens).

Revision ID: 0008_weblinks
Revises: 0007_note_author
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_weblinks"
down_revision = "0007_note_author"
branch_labels = None
depends_on = None

TABLES = ("web_links", "web_sessions")


def _table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *extra,
        sa.CheckConstraint("role IN ('health_worker', 'admin')", name=op.f(f"ck_{name}_role")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f(f"fk_{name}_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["health_workers.id"],
            name=op.f(f"fk_{name}_worker_id_health_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    )
    op.create_index(op.f(f"ix_{name}_expires_at"), name, ["expires_at"])


def upgrade() -> None:
    _table("web_links", sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    _table("web_sessions")


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_index(op.f(f"ix_{name}_expires_at"), table_name=name)
        op.drop_table(name)
