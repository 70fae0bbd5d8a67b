"""Meetings: working hours (participants.work_start/work_end) and pauses (paused_until), the
chosen slot of an accepted introduction (meetings) and the answers to "Did you meet?"
(meeting_answers), and the notes written about what came of it (meeting_notes)

Revision ID: 0010_meetings
Revises: 0007_anonymous
Create Date: 2026-12-03 08:40:00

``/profile hours 08:00-16:00`` sets the working hours the slot finder (udx_bot/meeting_slots.py)
uses, ``/profile pause 4w`` the pause; "Find a time" / ``/meet <n>`` stores the slot chosen; the
follow-up stores each answer.
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op


revision: str = "0010_meetings"
down_revision: str | None = "0008_city_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a batch recreate on SQLite builds the table from reflection, which does not see
# AUTOINCREMENT (revision 0002): say it again, or ids could be reused once more
_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("participants", recreate=recreate, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(sa.Column("work_start", sa.Integer()))
        batch_op.add_column(sa.Column("work_end", sa.Integer()))
        batch_op.add_column(sa.Column("paused_until", sa.DateTime(timezone=True)))
    op.create_table(
        "meetings",
        sa.Column(
            "introduction_id",
            sa.Integer(),
            sa.ForeignKey("introductions.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_by", sa.Integer(), sa.ForeignKey("participants.id", ondelete="SET NULL")),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "meeting_answers",
        sa.Column(
            "introduction_id",
            sa.Integer(),
            sa.ForeignKey("introductions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("introduction_id", "participant_id", "round"),
        sa.CheckConstraint("outcome in ('met', 'not_yet', 'not_fit')", name="outcome"),
    )
    op.create_index("ix_meeting_answers_participant", "meeting_answers", ["participant_id"])
    op.create_table(
        "meeting_notes",
        sa.Column(
            "introduction_id",
            sa.Integer(),
            sa.ForeignKey("introductions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "note_id", sa.Integer(), sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("introduction_id", "note_id"),
    )
    op.create_index("ix_meeting_notes_note", "meeting_notes", ["note_id"])
    op.create_index("ix_meeting_notes_participant", "meeting_notes", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_notes_participant", "meeting_notes")
    op.drop_index("ix_meeting_notes_note", "meeting_notes")
    op.drop_table("meeting_notes")
    op.drop_index("ix_meeting_answers_participant", "meeting_answers")
    op.drop_table("meeting_answers")
    op.drop_table("meetings")
    with op.batch_alter_table("participants", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("work_end")
        batch_op.drop_column("work_start")
