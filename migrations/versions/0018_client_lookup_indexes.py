"""client lookup indexes: a registration finds the client's contact and earlier appeals without a scan

Every registration looks up the counterparty it names (by INN, or by name when it has none), that
counterparty's contact of the given name, and the counterparty's other appeals, newest first; the card lists
its other complaints the same way. None of these had an index but the INN's, so each read the whole contact
or appeal table, a cost that grew with every appeal ever registered.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 16:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_counterparty_name", "counterparty", ["name"]),
    ("ix_contact_counterparty_name", "contact", ["counterparty_id", "full_name"]),
    ("ix_appeal_counterparty_received", "appeal", ["counterparty_id", "received_at"]),
    ("ix_complaint_counterparty_registered", "complaint", ["counterparty_id", "registered_at"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
