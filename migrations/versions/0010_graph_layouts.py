"""graph layouts: each timeline graph laid out once per version of its data (app/graph/layouts.py)

Revision ID: 0010
Revises: 0005
Create Date: 2026-11-29
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('graph_layout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('svg', sa.Text(), nullable=True),
    sa.Column('routing', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('graph_layout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_graph_layout_digest'), ['digest'], unique=True)
        batch_op.create_index('ix_graph_layout_scope', ['scope', 'lang'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('graph_layout', schema=None) as batch_op:
        batch_op.drop_index('ix_graph_layout_scope')
        batch_op.drop_index(batch_op.f('ix_graph_layout_digest'))

    op.drop_table('graph_layout')
