"""history chain: seal event data with per-case keys, link each instance's events by SHA-256, refuse changes

Existing history gets its chain here: every instance receives a case key, its events (oldest first) are
numbered 1..n, their data sealed with the key and hashed into the chain; the instance row keeps the head.
Then the database is told to refuse UPDATE and DELETE on `instance_event` and `audit_log` (triggers on
PostgreSQL and SQLite). Downgrade opens the data again (erased data comes back as {}) and drops it all.

A later migration that rebuilds `instance_event` or `audit_log` in batch mode on SQLite (copy and rename)
loses their triggers and must create them again: tests/history/test_append_only.py checks they exist.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 06:45:00.000000

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

from engine.history import chain, sealing

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

GUARDED = ('instance_event', 'audit_log')

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _create_triggers(dialect: str) -> None:
    if dialect == 'postgresql':
        op.execute(PG_FUNCTION)
    for table in GUARDED:
        if dialect == 'postgresql':
            op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                       'FOR EACH ROW EXECUTE FUNCTION refuse_history_change()')
            op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
                       'FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()')
        else:
            for action in ('UPDATE', 'DELETE'):
                op.execute(f'CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} '
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def _drop_triggers(dialect: str) -> None:
    for table in GUARDED:
        if dialect == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
        else:
            for action in ('update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_no_{action}')
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS refuse_history_change()')


instance = sa.table(
    'process_instance', sa.column('id', sa.Integer), sa.column('business_key', sa.String),
    sa.column('history_key', sa.LargeBinary), sa.column('history_seq', sa.Integer),
    sa.column('history_head', sa.LargeBinary), sa.column('history_erased_at', sa.DateTime(timezone=True)))
event = sa.table(
    'instance_event', sa.column('id', sa.Integer), sa.column('instance_id', sa.Integer),
    sa.column('at', sa.DateTime(timezone=True)), sa.column('actor', sa.String), sa.column('kind', sa.String),
    sa.column('task_id', sa.String), sa.column('bpmn_id', sa.String), sa.column('step', sa.String),
    sa.column('data', sa.JSON), sa.column('seq', sa.Integer), sa.column('sealed', sa.LargeBinary),
    sa.column('prev_hash', sa.LargeBinary), sa.column('hash', sa.LargeBinary))


def _aware(at: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _chain_existing_history() -> None:
    conn = op.get_bind()
    instances = conn.execute(sa.select(instance.c.id, instance.c.business_key).order_by(instance.c.id)).all()
    for instance_id, business_key in instances:
        rows = conn.execute(sa.select(event.c.id, event.c.at, event.c.actor, event.c.kind, event.c.task_id,
                                      event.c.bpmn_id, event.c.step, event.c.data)
                            .where(event.c.instance_id == instance_id).order_by(event.c.at, event.c.id)).all()
        if not rows:
            continue
        key, prev, links = sealing.new_key(), chain.GENESIS, []
        for seq, row in enumerate(rows, start=1):
            sealed = sealing.seal(key, instance_id, seq, row.data) if row.data else None
            digest = chain.link_hash(instance_id, business_key, seq, _aware(row.at), row.actor, row.kind,
                                     row.task_id, row.bpmn_id, row.step, sealed, prev)
            links.append({'event_id': row.id, 'seq': seq, 'sealed': sealed, 'prev_hash': prev, 'hash': digest})
            prev = digest
        conn.execute(event.update().where(event.c.id == sa.bindparam('event_id'))
                     .values(seq=sa.bindparam('seq'), sealed=sa.bindparam('sealed'),
                             prev_hash=sa.bindparam('prev_hash'), hash=sa.bindparam('hash')), links)
        conn.execute(instance.update().where(instance.c.id == instance_id)
                     .values(history_key=key, history_seq=len(rows), history_head=prev))


def upgrade():
    with op.batch_alter_table('process_instance', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('history_key', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('history_seq', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('history_head', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('history_erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('history_erased_reason', sa.String(length=200), nullable=True))
    with op.batch_alter_table('instance_event', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.LargeBinary(), nullable=True))

    _chain_existing_history()

    with op.batch_alter_table('instance_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_event_instance_id'))
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('data')
        # (instance_id, seq) is unique: the chain has one event per place; it also serves lookups by instance.
        batch_op.create_unique_constraint(batch_op.f('uq_instance_event_instance_id'), ['instance_id', 'seq'])

    _create_triggers(op.get_bind().dialect.name)


def _open_sealed_history() -> None:
    conn = op.get_bind()
    keys = {row.id: row.history_key for row in conn.execute(
        sa.select(instance.c.id, instance.c.history_key).where(instance.c.history_key.is_not(None)))}
    opened = []
    for row in conn.execute(sa.select(event.c.id, event.c.instance_id, event.c.seq, event.c.sealed)):
        key = keys.get(row.instance_id)
        data = sealing.open_sealed(key, row.instance_id, row.seq, row.sealed) if key and row.sealed else {}
        opened.append({'event_id': row.id, 'data': data})
    if opened:
        conn.execute(event.update().where(event.c.id == sa.bindparam('event_id'))
                     .values(data=sa.bindparam('data')), opened)


def downgrade():
    _drop_triggers(op.get_bind().dialect.name)
    with op.batch_alter_table('instance_event', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
    _open_sealed_history()
    with op.batch_alter_table('instance_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_instance_event_instance_id'), type_='unique')
        batch_op.alter_column('data', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('sealed')
        batch_op.drop_column('seq')
        batch_op.create_index(batch_op.f('ix_instance_event_instance_id'), ['instance_id'], unique=False)
    with op.batch_alter_table('process_instance', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('history_erased_reason')
        batch_op.drop_column('history_erased_at')
        batch_op.drop_column('history_head')
        batch_op.drop_column('history_seq')
        batch_op.drop_column('history_key')
