"""campaign settings made on the web: the awards a campaign offers, its event page, closing early

Revision ID: 0013_campaign_settings
Revises: 0012_conditional
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0013_campaign_settings'
down_revision = '0012_conditional'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awards', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('event_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('event_url')
        batch_op.drop_column('awards')
