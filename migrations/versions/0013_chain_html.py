"""the chain as the page shows it, rendered by the writer once per language (app/web/chain_html.py)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Filled by the writer, `lineage rebuild` and `lineage migrate` (which renders what is missing
    # or stale once the schema is current); until then the page renders the chain from rows.
    op.create_table('chain_html',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('organization_id', 'lang')
    )


def downgrade() -> None:
    op.drop_table('chain_html')
