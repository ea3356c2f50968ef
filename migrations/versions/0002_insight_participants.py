"""campaign participants and stored contribution counts

Revision ID: 0002_insight
Revises: 0001
Create Date: 2026-11-29 22:37:44.772504
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_insight'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contrib_cursor',
    sa.Column('wiki', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('wiki', 'username', name=op.f('pk_contrib_cursor')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    op.create_table('contrib_day',
    sa.Column('wiki', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('edits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('wiki', 'username', 'day', name=op.f('pk_contrib_day')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    op.create_table('participant',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Enum('paste', 'csv', 'dashboard', 'campaignevents', name='participant_source', native_enum=False, length=20), nullable=False),
    sa.Column('added_by', sa.String(length=255), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_participant_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'username', name=op.f('pk_participant')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index('ix_participant_username', ['username'], unique=False)

    op.create_table('retention_snapshot',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_retention_snapshot_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_retention_snapshot')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )



def downgrade() -> None:
    op.drop_table('retention_snapshot')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_username')

    op.drop_table('participant')
    op.drop_table('contrib_day')
    op.drop_table('contrib_cursor')
