"""outbox status 'uncertain'; announcement numbers given when sent or scheduled

Revision ID: 0003_uncertain_numbers
Revises: 0002_autoincrement
Create Date: 2026-12-02 07:00:00

* ``outbox.status`` may be ``uncertain``: the platform probably accepted the message but its
  answer could not be read, so it is not sent again (see storage/outbox.py);
* ``announcements.number``: the number people see (``/announce status``, ``/announce cancel
  <n>``), given when an announcement is sent or scheduled, so a cancelled preview takes none.
  Announcements sent or scheduled before get numbers in the order they were made (before this
  revision only a preview could be cancelled, so cancelled ones get none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_uncertain_numbers"
down_revision: str | None = "0002_autoincrement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTBOX_OLD = "status in ('pending', 'sent', 'failed')"
_OUTBOX_NEW = "status in ('pending', 'sent', 'failed', 'uncertain')"
_NUMBERED = "('scheduled', 'sending', 'sent')"
# a batch recreate on SQLite builds the table from reflection, which does not see
# AUTOINCREMENT (revision 0002): say it again, or ids could be reused once more
_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("outbox", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_status"), _OUTBOX_NEW)
    with op.batch_alter_table("announcements", table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_announcements_number"), ["number"])
    announcements = sa.table(
        "announcements", sa.column("id", sa.Integer), sa.column("number", sa.Integer)
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(f"SELECT id FROM announcements WHERE status IN {_NUMBERED} ORDER BY id")
    )
    for number, (announcement_id,) in enumerate(list(rows), start=1):
        conn.execute(
            announcements.update()
            .where(announcements.c.id == announcement_id)
            .values(number=number)
        )


def downgrade() -> None:
    with op.batch_alter_table("announcements", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_constraint(op.f("uq_announcements_number"), type_="unique")
        batch_op.drop_column("number")
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'uncertain'")
    with op.batch_alter_table("outbox", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_status"), _OUTBOX_OLD)
