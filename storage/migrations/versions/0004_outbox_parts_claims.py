"""outbox: delivered parts per message, and the worker holding a claim

Revision ID: 0004_outbox_parts_claims
Revises: 0003_uncertain_numbers
Create Date: 2026-12-02 19:00:00

* ``outbox.parts_sent``: how many of a message's platform messages (a long text takes several
  on Telegram) were delivered, so a retry goes on with the next part and never repeats one;
* ``outbox.claimed_by``: the identity of the worker whose lease a pending row is under
  (``UDX_WORKER_NAME``), so a restarted worker takes its predecessor's claims over at once.
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_parts_claims"
down_revision: str | None = "0003_uncertain_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a batch recreate on SQLite builds the table from reflection, which does not see
# AUTOINCREMENT (revision 0002): say it again, or ids could be reused once more
_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # recreated on SQLite (not ALTER TABLE ADD COLUMN), so the table reads like its definition;
    # PostgreSQL simply adds the columns
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("outbox", recreate=recreate, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("parts_sent")
