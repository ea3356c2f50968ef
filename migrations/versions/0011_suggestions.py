"""praise suggestions: the bar as campaign settings, and who was suggested for which campaign

Revision ID: 0011_suggestions
Revises: 0008_allowance
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_suggestions'
down_revision = '0009_lanes'
branch_labels = None
depends_on = None

BAR = (('suggest_min_edits', '8'), ('suggest_days', '7'), ('suggest_max_edits', '500'),
       ('suggest_snooze_days', '10'), ('suggest_newcomer_days', '30'))


def upgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        for name, default in BAR:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default=default, nullable=False))
    op.create_table('suggestion',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('registered', sa.DateTime(), nullable=True),
    sa.Column('editcount', sa.Integer(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('edits', sa.Integer(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('bytes_added', sa.Integer(), nullable=True),
    sa.Column('reverted', sa.Integer(), nullable=True),
    sa.Column('notable', sa.JSON(), nullable=False),
    sa.Column('thanks_received', sa.Integer(), nullable=True),
    sa.Column('streak_days', sa.Integer(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('eligible_since', sa.DateTime(), nullable=True),
    sa.Column('shown_at', sa.DateTime(), nullable=True),
    sa.Column('snoozed_until', sa.DateTime(), nullable=True),
    sa.Column('snoozed_by', sa.String(length=255), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(), nullable=True),
    sa.Column('dismissed_by', sa.String(length=255), nullable=True),
    sa.Column('thanked_at', sa.DateTime(), nullable=True),
    sa.Column('nomination_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_suggestion_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['nomination_id'], ['nomination.id'], name=op.f('fk_suggestion_nomination_id_nomination'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id', 'user_id', name=op.f('pk_suggestion')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_username', ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_username')
    op.drop_table('suggestion')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        for name, _default in reversed(BAR):
            batch_op.drop_column(name)
