"""each recipient's account id on each wiki, so a renamed recipient is found under the new name

Revision ID: 0004_user_ids
Revises: 0002_web_indexes
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_user_ids'
down_revision = '0002_web_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wiki_account',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('wiki', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_wiki_account_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'wiki', name=op.f('pk_wiki_account')),
    sa.UniqueConstraint('wiki', 'user_id', name=op.f('uq_wiki_account_wiki_user_id')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('wiki_account')
