"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:44:36.421579
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cities')),
    sa.UniqueConstraint('slug', name=op.f('uq_cities_slug'))
    )
    op.create_table('processed_updates',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('update_key', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'update_key', name=op.f('pk_processed_updates'))
    )
    op.create_table('participants',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=16), server_default='participant', nullable=False),
    sa.Column('digest_weekday', sa.Integer(), server_default='0', nullable=False),
    sa.Column('digest_minute', sa.Integer(), server_default='480', nullable=False),
    sa.Column('digest_enabled', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('deliver_platform', sa.String(length=16), nullable=True),
    sa.Column('is_demo', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_active_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role in ('participant', 'coordinator', 'admin')", name=op.f('ck_participants_role')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_participants_city_id_cities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index('ix_participants_city', ['city_id'], unique=False)
        batch_op.create_index('ix_participants_department_city', ['department', 'city_id'], unique=False)

    op.create_table('partnerships',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('partner_city_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Integer(), nullable=True),
    sa.CheckConstraint('city_id < partner_city_id', name=op.f('ck_partnerships_ordered_pair')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_partnerships_city_id_cities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_city_id'], ['cities.id'], name=op.f('fk_partnerships_partner_city_id_cities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('city_id', 'partner_city_id', name=op.f('pk_partnerships'))
    )
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.create_index('ix_partnerships_partner', ['partner_city_id'], unique=False)

    op.create_table('announcements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('audience', sa.Text(), server_default='{}', nullable=False),
    sa.Column('text_de', sa.Text(), nullable=True),
    sa.Column('text_en', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('draft', 'scheduled', 'sending', 'sent', 'cancelled')", name=op.f('ck_announcements_status')),
    sa.ForeignKeyConstraint(['author_id'], ['participants.id'], name=op.f('fk_announcements_author_id_participants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_status', ['status', 'scheduled_at'], unique=False)

    op.create_table('conversations',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_conversations_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_conversations'))
    )
    op.create_table('digest_runs',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='enqueued', nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_digest_runs_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'week', name=op.f('pk_digest_runs'))
    )
    op.create_table('identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=200), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('language_code', sa.String(length=16), nullable=True),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_identities_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
    sa.UniqueConstraint('platform', 'user_id', name='uq_identities_platform_user')
    )
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.create_index('ix_identities_participant', ['participant_id'], unique=False)

    op.create_table('introductions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('open', 'accepted', 'declined', 'expired')", name=op.f('ck_introductions_status')),
    sa.CheckConstraint('requester_id <> target_id', name=op.f('ck_introductions_not_self')),
    sa.ForeignKeyConstraint(['requester_id'], ['participants.id'], name=op.f('fk_introductions_requester_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['participants.id'], name=op.f('fk_introductions_target_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_introductions'))
    )
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.create_index('ix_introductions_target', ['target_id', 'status'], unique=False)
        batch_op.create_index('uq_introductions_open_pair', ['requester_id', 'target_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('link_codes',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_link_codes_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_link_codes'))
    )
    op.create_table('notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['participants.id'], name=op.f('fk_notes_author_id_participants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_notes_city_id_cities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_author', ['author_id'], unique=False)
        batch_op.create_index('ix_notes_city_created', ['city_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notes_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_notes_department_created', ['department', 'created_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('pending', 'sent', 'failed')", name=op.f('ck_outbox_status')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_outbox_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_ref', ['kind', 'ref_id'], unique=False)

    op.create_table('participant_sdgs',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('sdg', sa.Integer(), nullable=False),
    sa.CheckConstraint('sdg between 1 and 17', name=op.f('ck_participant_sdgs_sdg_range')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_participant_sdgs_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'sdg', name=op.f('pk_participant_sdgs'))
    )
    with op.batch_alter_table('participant_sdgs', schema=None) as batch_op:
        batch_op.create_index('ix_participant_sdgs_sdg', ['sdg'], unique=False)

    op.create_table('note_cities',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_note_cities_city_id_cities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_cities_note_id_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'city_id', name=op.f('pk_note_cities'))
    )
    with op.batch_alter_table('note_cities', schema=None) as batch_op:
        batch_op.create_index('ix_note_cities_city', ['city_id', 'note_id'], unique=False)

    op.create_table('note_sdgs',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('sdg', sa.Integer(), nullable=False),
    sa.CheckConstraint('sdg between 1 and 17', name=op.f('ck_note_sdgs_sdg_range')),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_sdgs_note_id_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('note_id', 'sdg', name=op.f('pk_note_sdgs'))
    )
    with op.batch_alter_table('note_sdgs', schema=None) as batch_op:
        batch_op.create_index('ix_note_sdgs_sdg', ['sdg', 'note_id'], unique=False)

    # Full-text search over notes.search_text (the text folded in Python, see storage/notes.py),
    # outside the table definitions because each database does it its own way.
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == 'postgresql':
        op.execute(
            "CREATE INDEX ix_notes_search ON notes USING gin (to_tsvector('simple', search_text))"
        )


# An external-content FTS5 table kept in step with notes by triggers.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE notes_fts USING fts5(search_text, content='notes', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 2\")",
    "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN "
    "INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "END",
    "CREATE TRIGGER notes_fts_update AFTER UPDATE OF search_text ON notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO notes_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('notes_fts_insert', 'notes_fts_delete', 'notes_fts_update'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS notes_fts')
    elif dialect == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_notes_search')
    with op.batch_alter_table('note_sdgs', schema=None) as batch_op:
        batch_op.drop_index('ix_note_sdgs_sdg')

    op.drop_table('note_sdgs')
    with op.batch_alter_table('note_cities', schema=None) as batch_op:
        batch_op.drop_index('ix_note_cities_city')

    op.drop_table('note_cities')
    with op.batch_alter_table('participant_sdgs', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_sdgs_sdg')

    op.drop_table('participant_sdgs')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_ref')
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_created_at')
        batch_op.drop_index('ix_notes_department_created')
        batch_op.drop_index('ix_notes_city_created')
        batch_op.drop_index('ix_notes_author')

    op.drop_table('notes')
    op.drop_table('link_codes')
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_index('uq_introductions_open_pair', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_introductions_target')

    op.drop_table('introductions')
    with op.batch_alter_table('identities', schema=None) as batch_op:
        batch_op.drop_index('ix_identities_participant')

    op.drop_table('identities')
    op.drop_table('digest_runs')
    op.drop_table('conversations')
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_status')

    op.drop_table('announcements')
    with op.batch_alter_table('partnerships', schema=None) as batch_op:
        batch_op.drop_index('ix_partnerships_partner')

    op.drop_table('partnerships')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_department_city')
        batch_op.drop_index('ix_participants_city')

    op.drop_table('participants')
    op.drop_table('processed_updates')
    op.drop_table('cities')
