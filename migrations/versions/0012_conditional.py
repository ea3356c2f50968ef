"""the version of what the public wall shows, for conditional requests to the feeds and the API

Revision ID: 0012_conditional
Revises: 0008_allowance
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = '0012_conditional'
down_revision = '0011_suggestions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('wall_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('modified', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wall_version')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    # The row exists from the start, so moving it is an update that locks one row (kudos.wall_version).
    op.bulk_insert(table, [{'id': 1, 'version': 0, 'modified': 0}])


def downgrade() -> None:
    op.drop_table('wall_version')
