"""an index for the public wall: done wall deliveries, newest first

Revision ID: 0002_web_indexes
Revises: 0002_insight
Create Date: 2026-11-30
"""

from alembic import op

revision = '0002_web_indexes'
down_revision = '0002_insight'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_channel_status_id', ['channel', 'status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_channel_status_id')
