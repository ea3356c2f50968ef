"""one lane per wiki: which job replica posts to it, when its next edit may go out, and why it waits

Revision ID: 0009_lanes
Revises: 0005_delivery_campaign
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = '0009_lanes'
down_revision = '0008_allowance'
branch_labels = None
depends_on = None

PRECISE_TIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table('wiki_lane',
    sa.Column('wiki', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=True),
    sa.Column('lease_until', PRECISE_TIME, nullable=True),
    sa.Column('next_edit_at', PRECISE_TIME, nullable=False),
    sa.Column('paused_kind', sa.String(length=20), nullable=True),
    sa.Column('paused_reason', sa.Text(), nullable=True),
    sa.Column('paused_since', sa.DateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('wiki', name=op.f('pk_wiki_lane')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('wiki_lane')
