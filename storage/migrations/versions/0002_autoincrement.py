"""ids are never reused: AUTOINCREMENT on SQLite

SQLite hands out max(id) + 1, so deleting the newest note, announcement, introduction or person
gave the next one the same number: a quoted "#19" changed meaning, a stale button pointed at
someone else, and an outbox key like ``intro:5:request`` already existed for the new row.
AUTOINCREMENT never hands a number out twice. PostgreSQL's sequences already never do, so this
revision changes nothing there.

SQLite cannot alter a table into AUTOINCREMENT: each table is recreated (batch mode: copy, drop,
rename) with its rows, indexes and constraints. storage.migrate runs migrations with foreign keys
off on SQLite, so dropping the old table cascades nowhere, and checks them before committing.
Dropping ``notes`` drops its full-text triggers; they are made again (the FTS5 index itself
keeps its content: the ids do not change).

Revision ID: 0002_autoincrement
Revises: 0001
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0002_autoincrement'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every table with a surrogate id (storage.tables marks the same ones)
TABLES = ('cities', 'participants', 'identities', 'notes', 'introductions', 'announcements',
          'outbox')

FTS_TRIGGERS = (
    "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN "
    "INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "END",
    "CREATE TRIGGER notes_fts_update AFTER UPDATE OF search_text ON notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass
    for statement in FTS_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
