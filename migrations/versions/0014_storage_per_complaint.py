"""storage per complaint: history rows without the previous hash, no repeated deadline index, states in rows

- `instance_event.prev_hash` is the `hash` of the same instance's event at seq - 1 (32 zero bytes for the
  first): the chain's recipe still hashes it, readers take it from the row before. Dropped in place
  (ALTER TABLE … DROP COLUMN: no copy of the table, so the append-only triggers of 0010 stay); downgrade
  puts it back from the rows before, behind the triggers.
- `ix_deadline_business_key` repeats the first column of the unique (business_key, step) index.
- PostgreSQL: `process_instance.state` gets STORAGE MAIN. A compact state (2-4 KB) then stays in its row
  instead of TOAST: every save of an instance writes a new row version, and a dead one in the row is
  reclaimed by page pruning, while a dead TOAST value waits for VACUUM.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 10:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

GENESIS = bytes(32)
SQLITE_GUARDS = ('instance_event_no_update', 'instance_event_no_delete')


def upgrade():
    dialect = op.get_bind().dialect.name
    op.execute('ALTER TABLE instance_event DROP COLUMN prev_hash')
    op.drop_index('ix_deadline_business_key', table_name='deadline')
    if dialect == 'postgresql':
        op.execute('ALTER TABLE process_instance ALTER COLUMN state SET STORAGE MAIN')


def downgrade():
    conn = op.get_bind()
    dialect = conn.dialect.name
    if dialect == 'postgresql':
        op.execute('ALTER TABLE process_instance ALTER COLUMN state SET STORAGE EXTENDED')
    op.create_index('ix_deadline_business_key', 'deadline', ['business_key'], unique=False)
    op.add_column('instance_event', sa.Column('prev_hash', sa.LargeBinary(), nullable=True))
    fill = sa.text('UPDATE instance_event SET prev_hash = coalesce((SELECT e.hash FROM instance_event e '
                   'WHERE e.instance_id = instance_event.instance_id AND e.seq = instance_event.seq - 1), :genesis)'
                   ).bindparams(sa.bindparam('genesis', GENESIS, type_=sa.LargeBinary))
    if dialect == 'postgresql':
        op.execute('ALTER TABLE instance_event DISABLE TRIGGER instance_event_append_only')
        conn.execute(fill)
        op.execute('ALTER TABLE instance_event ENABLE TRIGGER instance_event_append_only')
        op.execute('ALTER TABLE instance_event ALTER COLUMN prev_hash SET NOT NULL')
    else:  # SQLite cannot switch a trigger off: drop the guards and make them again from their own SQL
        guards = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                                      f"{SQLITE_GUARDS!r}")).all()
        for name, _sql in guards:
            op.execute(f'DROP TRIGGER "{name}"')
        conn.execute(fill)
        for _name, sql in guards:
            op.execute(sql)
