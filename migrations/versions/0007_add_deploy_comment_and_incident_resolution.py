"""add the deploy comment of a definition version and the comment resolving an incident

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 02:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('process_definition', sa.Column('comment', sa.Text(), nullable=True))
    op.add_column('incident', sa.Column('resolution', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('incident') as batch:
        batch.drop_column('resolution')
    with op.batch_alter_table('process_definition') as batch:
        batch.drop_column('comment')
