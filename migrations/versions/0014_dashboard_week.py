"""the dashboard's barnstars of the last week read as a range per campaign

Revision ID: 0014_dashboard_week
Revises: 0013_campaign_settings
Create Date: 2026-12-03
"""

from alembic import op


revision = '0014_dashboard_week'
down_revision = '0013_campaign_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_delivery_campaign_channel_status_done', 'delivery',
                    ['campaign_id', 'channel', 'status', 'done_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_delivery_campaign_channel_status_done', table_name='delivery')
