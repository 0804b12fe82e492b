"""SQLite: moments stored as integer microseconds since 1970 UTC instead of text

SQLAlchemy's SQLite DATETIME is 26 characters of text ('2026-11-27 12:56:35.653656'); an integer takes 8
bytes and compares the same way. `models.base.UTCDateTime` now writes and reads integers on SQLite; here every
DATETIME column of every table is converted in place (DATETIME has NUMERIC affinity: the integers stay
integers, no table is rebuilt). The append-only tables' guards are dropped around the conversion and made
again from their own SQL: the history hashes cover the moment as text in UTC with microseconds, which the
integer gives back exactly. PostgreSQL keeps timestamptz: nothing to do there.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# '2026-11-27 12:56:35.653656' (or without the fraction) -> 1795697795653656
TO_INTEGER = ("CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER) * 1000000 + "
              "CAST(substr(substr({c}, 21) || '000000', 1, 6) AS INTEGER)")
TO_TEXT = "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || printf('.%06d', {c} % 1000000)"


def _convert(expression, stored_as):
    conn = op.get_bind()
    if conn.dialect.name != 'sqlite':
        return
    triggers = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    for name, _sql in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    inspector = sa.inspect(conn)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column['type'], sa.DateTime):
                c = f'"{column["name"]}"'
                op.execute(f'UPDATE "{table}" SET {c} = {expression.format(c=c)} WHERE typeof({c}) = \'{stored_as}\'')
    for _name, sql in triggers:
        op.execute(sql)


def upgrade():
    _convert(TO_INTEGER, 'text')


def downgrade():
    _convert(TO_TEXT, 'integer')
