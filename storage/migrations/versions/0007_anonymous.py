"""participants.anonymous: shown as "a colleague from <city>, <department>" in exports

Revision ID: 0007_anonymous
Revises: 0006_membership
Create Date: 2026-12-03 08:10:00

``/profile anonymous on`` sets it: coordinators' exports (``/export``, ``udx-bot export``) then
name the person only by city and department.
"""

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision: str = "0007_anonymous"
down_revision: str | None = "0006_membership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a batch recreate on SQLite builds the table from reflection, which does not see
# AUTOINCREMENT (revision 0002): say it again, or ids could be reused once more
_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # recreated on SQLite (not ALTER TABLE ADD COLUMN), so the table reads like its definition;
    # PostgreSQL simply adds the column
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("participants", recreate=recreate, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_column("anonymous")
