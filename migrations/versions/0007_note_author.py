"""Notes say who wrote them: a worker, the operator at the command line, or the person (an
answer through the relay, until now a note of the operator's with a "[from the person] "
prefix).

Revision ID: 0007_note_author
Revises: 0006_phototoken
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_note_author"
down_revision = "0006_phototoken"
branch_labels = None
depends_on = None

PREFIX = "[from the person] "
notes = sa.table(
    "followup_notes",
    sa.column("worker_id", sa.Integer),
    sa.column("author", sa.String),
    sa.column("text", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("followup_notes") as batch:
        batch.add_column(
            sa.Column("author", sa.String(length=8), server_default="worker", nullable=False)
        )
        batch.create_check_constraint(
            op.f("ck_followup_notes_author"), "author IN ('worker', 'office', 'person')"
        )
    relayed = sa.and_(notes.c.worker_id.is_(None), notes.c.text.startswith(PREFIX))
    op.execute(
        notes.update()
        .where(relayed)
        .values(author="person", text=sa.func.substr(notes.c.text, len(PREFIX) + 1))
    )
    office = sa.and_(notes.c.worker_id.is_(None), notes.c.author == "worker")
    op.execute(notes.update().where(office).values(author="office"))


def downgrade() -> None:
    op.execute(
        notes.update()
        .where(notes.c.author == "person")
        .values(text=sa.literal(PREFIX) + notes.c.text)
    )
    with op.batch_alter_table("followup_notes") as batch:
        batch.drop_constraint(op.f("ck_followup_notes_author"), type_="check")
        batch.drop_column("author")
