"""add the appeal card's handling (resolution, who processed it, the reminder sent) and corrective-task assignees

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('processed_by', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_appeal_remind_at'), ['remind_at'], unique=False)
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_corrective_action_assignee_user_id'), ['assignee_user_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_corrective_action_assignee_user_id_user'), 'user',
                                    ['assignee_user_id'], ['id'])


def downgrade():
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_corrective_action_assignee_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_corrective_action_assignee_user_id'))
        batch_op.drop_column('assignee_user_id')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_remind_at'))
        batch_op.drop_column('processed_by')
        batch_op.drop_column('resolution')
        batch_op.drop_column('reminder_sent_at')
