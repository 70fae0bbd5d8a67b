"""note_translations: notes machine-translated into the other language; participants.translate

Revision ID: 0011_note_translations
Revises: 0010_meetings
Create Date: 2026-12-03 08:40:00

A note's translation is kept with it (keyed by a hash of the text and the backend) and erased
with it; ``/profile translate off`` sets participants.translate to false.
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0011_note_translations"
down_revision: str | None = "0010_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "note_translations",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("source_language", sa.String(length=2), nullable=False),
        sa.Column("target_language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_note_translations_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_note_translations")),
    )
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("participants", recreate=recreate, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(
            sa.Column("translate", sa.Boolean(), nullable=False, server_default=sa.text("true"))
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_column("translate")
    op.drop_table("note_translations")
