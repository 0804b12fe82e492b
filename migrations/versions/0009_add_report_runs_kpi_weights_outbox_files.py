"""add report cron runs, KPI weights, outbox attachments and the report indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 02:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cron_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cron_run')),
    sa.UniqueConstraint('job', 'period', name=op.f('uq_cron_run_job'))
    )
    op.create_table('kpi_weight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_weight')),
    sa.UniqueConstraint('indicator', name=op.f('uq_kpi_weight_indicator'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('attachment', sa.LargeBinary(), nullable=True))
    op.create_index(op.f('ix_appeal_received_at'), 'appeal', ['received_at'], unique=False)
    op.create_index(op.f('ix_complaint_registered_at'), 'complaint', ['registered_at'], unique=False)
    op.create_index(op.f('ix_complaint_stage1_closed_at'), 'complaint', ['stage1_closed_at'], unique=False)
    op.create_index(op.f('ix_complaint_stage2_closed_at'), 'complaint', ['stage2_closed_at'], unique=False)
    op.create_index(op.f('ix_deadline_due_at'), 'deadline', ['due_at'], unique=False)


def downgrade():
    for table, column in (('deadline', 'due_at'), ('complaint', 'stage2_closed_at'),
                          ('complaint', 'stage1_closed_at'), ('complaint', 'registered_at'), ('appeal', 'received_at')):
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attachment')
        batch_op.drop_column('attachment_name')
    op.drop_table('kpi_weight')
    op.drop_table('cron_run')
