"""outbox_subjects: the people a message names, so erasing one of them finds it

Revision ID: 0005_outbox_subjects
Revises: 0004_outbox_parts_claims
Create Date: 2026-12-03 08:00:00

A digest quotes other people's notes and names colleagues; until now erasure found such
digests by searching their text for the person's name and notes. ``outbox_subjects`` records
who a message names when it is queued; the text search stays for rows queued before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_subjects"
down_revision: str | None = "0004_outbox_parts_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_subjects",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_subjects_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_outbox_subjects_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "participant_id", name=op.f("pk_outbox_subjects")),
    )
    op.create_index(
        "ix_outbox_subjects_participant", "outbox_subjects", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_subjects_participant", table_name="outbox_subjects")
    op.drop_table("outbox_subjects")
