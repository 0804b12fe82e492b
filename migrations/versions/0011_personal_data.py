"""personal data: the consent register's columns, anonymisation marks, the record of data exports

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

PURPOSES = {'personal_data': 'appeal_handling', 'user_agreement': 'user_agreement',
            'publish_review': 'review_publication'}


def upgrade():
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('inn', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('channel', sa.String(length=30), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_note', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_consent_email'), ['email'], unique=False)
    # Existing consents learn whose they are from the appeal or rating they came with.
    op.execute("""UPDATE consent SET
        person = (SELECT contact.full_name FROM appeal JOIN contact ON contact.id = appeal.contact_id
                  WHERE appeal.id = consent.appeal_id),
        phone = (SELECT contact.phone FROM appeal JOIN contact ON contact.id = appeal.contact_id
                 WHERE appeal.id = consent.appeal_id),
        email = (SELECT contact.email FROM appeal JOIN contact ON contact.id = appeal.contact_id
                 WHERE appeal.id = consent.appeal_id),
        inn = (SELECT counterparty.inn FROM appeal JOIN counterparty ON counterparty.id = appeal.counterparty_id
               WHERE appeal.id = consent.appeal_id AND length(counterparty.inn) = 12),
        channel = COALESCE((SELECT appeal.channel FROM appeal WHERE appeal.id = consent.appeal_id), '')
        WHERE appeal_id IS NOT NULL""")
    op.execute("""UPDATE consent SET
        person = (SELECT review.author_name FROM review WHERE review.id = consent.review_id),
        email = (SELECT review.author_contact FROM review WHERE review.id = consent.review_id
                 AND review.author_contact LIKE '%@%'),
        phone = (SELECT review.author_contact FROM review WHERE review.id = consent.review_id
                 AND review.author_contact NOT LIKE '%@%'),
        channel = (SELECT CASE review.kind WHEN 'manager' THEN 'rate_manager' ELSE 'delivery_rating' END
                   FROM review WHERE review.id = consent.review_id)
        WHERE review_id IS NOT NULL""")
    for kind, purpose in PURPOSES.items():
        op.execute(sa.text("UPDATE consent SET purpose = :purpose WHERE kind = :kind").bindparams(
            purpose=purpose, kind=kind))
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.alter_column('purpose', server_default=None)
        batch_op.alter_column('channel', server_default=None)
    for table in ('appeal', 'review', 'client_message', 'outbox'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('data_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=60), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user.id'], name=op.f('fk_data_export_actor_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export'))
    )
    op.create_index(op.f('ix_data_export_at'), 'data_export', ['at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_data_export_at'), table_name='data_export')
    op.drop_table('data_export')
    for table in ('outbox', 'client_message', 'review', 'appeal'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_email'))
        for column in ('erased_at', 'withdrawal_note', 'withdrawn_by', 'withdrawn_at', 'channel', 'purpose', 'inn',
                       'email', 'phone', 'person'):
            batch_op.drop_column(column)
