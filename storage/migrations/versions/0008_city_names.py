"""city_names: "Durham County" is the UK's County Durham

Revision ID: 0008_city_names
Revises: 0006_membership
Create Date: 2026-12-03 09:00:00

The shipped network called Tübingen's partner "Durham County"; the county is "County Durham"
(its council "Durham County Council"). The city keeps its id, so profiles, notes and
partnerships stay with it, and re-importing the corrected cities.csv updates the row instead of
adding a second one (cities are matched by slug). "#DurhamCounty" keeps working: the reference
data knows it as an alias (udx_bot/data/city_names.json). Other languages' names and the US
states are reference data, not columns: nothing else changes in the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_city_names"
down_revision: str | None = "0007_anonymous"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_cities = sa.table(
    "cities", sa.column("name", sa.String), sa.column("slug", sa.String), sa.column("country")
)


def _rename(old: tuple[str, str], new: tuple[str, str]) -> None:
    bind = op.get_bind()
    taken = bind.execute(sa.select(_cities.c.slug).where(_cities.c.slug == new[1])).first()
    if taken is None:  # an operator who already imported the new name keeps both rows as they are
        bind.execute(
            _cities.update()
            .where(_cities.c.slug == old[1], _cities.c.country == "GB")
            .values(name=new[0], slug=new[1])
        )


def upgrade() -> None:
    _rename(("Durham County", "durhamcounty"), ("County Durham", "countydurham"))


def downgrade() -> None:
    _rename(("County Durham", "countydurham"), ("Durham County", "durhamcounty"))
