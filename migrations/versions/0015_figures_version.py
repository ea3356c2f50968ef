"""a version of each campaign's dashboard figures, so the dashboard can keep the figures of campaigns that
did not change

Revision ID: 0015_figures_version
Revises: 0014_dashboard_week
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0015_figures_version'
down_revision = '0014_dashboard_week'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No rows: a campaign without one has version 0, and its first change writes it (kudos.figures_version).
    op.create_table('figures_version',
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_figures_version')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('figures_version')
