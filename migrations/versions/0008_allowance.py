"""daily allowances counted in the database, shared by every web worker

Revision ID: 0008_allowance
Revises: 0005_delivery_campaign
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_allowance'
down_revision = '0007_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allowance',
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'kind', 'day', name=op.f('pk_allowance')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('allowance')
