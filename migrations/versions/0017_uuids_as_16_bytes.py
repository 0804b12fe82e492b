"""task and timer ids, and the task id of history events, stored as 16 bytes instead of 36 characters

`models.base.UUIDText` gives and reads them as canonical text (what SpiffWorkflow names its tasks); PostgreSQL
stores them as uuid, SQLite as a 16-byte BLOB in the same VARCHAR(36) column (TEXT affinity keeps a BLOB as it
is: no table is rebuilt). The history hashes cover the task id as text, which the bytes give back exactly: a
value that is not a canonical UUID would not, and is refused here rather than changed (PostgreSQL), or left as
text (SQLite, where the type reads both). The append-only guards are dropped around the SQLite conversion and
made again from their own SQL.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 14:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = (('task', 'id'), ('timer', 'id'), ('instance_event', 'task_id'))
CANONICAL = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'


def _canonical_bytes(value):
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return parsed.bytes if str(parsed) == value else None


def _sqlite(convert, stored_as):
    conn = op.get_bind()
    triggers = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    for name, _sql in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    for table, column in COLUMNS:
        rows = conn.execute(sa.text(f'SELECT rowid, "{column}" FROM "{table}" WHERE typeof("{column}") = :kind'),
                            {'kind': stored_as}).all()
        changed = [{'row': row, 'value': new} for row, value in rows if (new := convert(value)) is not None]
        if changed:
            conn.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :value WHERE rowid = :row'), changed)
    for _name, sql in triggers:
        op.execute(sql)


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        _sqlite(_canonical_bytes, 'text')
        return
    for table, column in COLUMNS:
        odd = conn.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE "{column}" !~ :canonical'),
                           {'canonical': CANONICAL}).scalar()
        if odd:
            raise RuntimeError(f'{table}.{column}: {odd} values are not canonical UUIDs; they would change')
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE uuid USING "{column}"::uuid')


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        _sqlite(lambda value: str(uuid.UUID(bytes=bytes(value))), 'blob')
        return
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar(36) USING "{column}"::text')
