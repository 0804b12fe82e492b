"""cancelled timers deleted: the database drops a timer row in the statement that cancels it

A boundary timer is cancelled when its step is done before it falls due: most of a complaint's timers end so
(13 of 13 on a complaint closed in time), and a cancelled row was never read again (its task is cancelled or
gone in the workflow, the history has no event for it). A trigger deletes the row in the INSERT or UPDATE
that writes it cancelled, so cancelling costs no statement of its own. Fired and failed rows stay: a fired row
is what keeps a timer SpiffWorkflow still holds from firing twice, and a failed one is re-armed by a retry.

Downgrade drops the triggers; deleted rows do not come back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 13:20:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION timer_drop_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM timer WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""
ACTIONS = ('INSERT', 'UPDATE OF status')


def _name(action):
    return f"timer_cancelled_{action.split()[0].lower()}"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(PG_FUNCTION)
    for action in ACTIONS:
        if dialect == 'postgresql':
            op.execute(f"CREATE TRIGGER {_name(action)} AFTER {action} ON timer FOR EACH ROW "
                       "WHEN (NEW.status = 'cancelled') EXECUTE FUNCTION timer_drop_cancelled()")
        else:
            op.execute(f"CREATE TRIGGER {_name(action)} AFTER {action} ON timer FOR EACH ROW "
                       "WHEN NEW.status = 'cancelled' BEGIN DELETE FROM timer WHERE id = NEW.id; END")
    op.execute("DELETE FROM timer WHERE status = 'cancelled'")


def downgrade():
    dialect = op.get_bind().dialect.name
    for action in ACTIONS:
        op.execute(f"DROP TRIGGER IF EXISTS {_name(action)}" + (" ON timer" if dialect == 'postgresql' else ''))
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS timer_drop_cancelled()')
