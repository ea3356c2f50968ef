"""each delivery knows its campaign: a campaign's wall and feed read their newest shout-outs from one index

Revision ID: 0005_delivery_campaign
Revises: 0004_user_ids
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_delivery_campaign'
down_revision = '0004_user_ids'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
    op.execute("UPDATE delivery SET campaign_id = "
               "(SELECT nomination.campaign_id FROM nomination WHERE nomination.id = delivery.nomination_id)")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('campaign_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(op.f('fk_delivery_campaign_id_campaign'), 'campaign', ['campaign_id'], ['id'])
        batch_op.create_index('ix_delivery_campaign_channel_status_id', ['campaign_id', 'channel', 'status', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        # The foreign key first: MariaDB keeps an index that a foreign key needs.
        batch_op.drop_constraint(op.f('fk_delivery_campaign_id_campaign'), type_='foreignkey')
        batch_op.drop_index('ix_delivery_campaign_channel_status_id')
        batch_op.drop_column('campaign_id')
