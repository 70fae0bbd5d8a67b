"""membership: members and strangers, invitations, membership requests

Revision ID: 0006_membership
Revises: 0005_outbox_subjects
Create Date: 2026-12-03 08:00:00

* ``participants.member_since`` (None: a stranger) and ``participants.removed_at``; everyone
  already registered (or holding a role, or a demo profile) becomes a member now, so nobody is
  locked out by the upgrade;
* ``invitations``: codes (stored as their SHA-256) that admit a number of people until they
  expire, optionally presetting the city;
* ``membership_requests``: UDX_REGISTRATION=approval, a stranger's request and its outcome.
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0006_membership"
down_revision: str | None = "0005_outbox_subjects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEEP = {"sqlite_autoincrement": True}  # a batch recreate does not see AUTOINCREMENT (0002)


def upgrade() -> None:
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("participants", recreate=recreate, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(sa.Column("member_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    participants = sa.table(
        "participants",
        sa.column("member_since", sa.DateTime(timezone=True)),
        sa.column("registered_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("role", sa.String()),
        sa.column("is_demo", sa.Boolean()),
    )
    op.execute(
        participants.update()
        .where(
            sa.or_(
                participants.c.registered_at.is_not(None),
                participants.c.role != "participant",
                participants.c.is_demo,
            )
        )
        .values(
            member_since=sa.func.coalesce(participants.c.registered_at, participants.c.created_at)
        )
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("used <= uses", name=op.f("ck_invitations_used")),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name=op.f("fk_invitations_city_id_cities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["participants.id"],
            name=op.f("fk_invitations_created_by_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invitations_code_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "membership_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'approved', 'declined')",
            name=op.f("ck_membership_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_membership_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name=op.f("fk_membership_requests_city_id_cities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["participants.id"],
            name=op.f("fk_membership_requests_decided_by_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_requests")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_membership_requests_open",
        "membership_requests",
        ["participant_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_membership_requests_open", table_name="membership_requests")
    op.drop_table("membership_requests")
    op.drop_table("invitations")
    with op.batch_alter_table("participants", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("member_since")
