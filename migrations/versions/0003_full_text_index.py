"""The full-text index: FTS5 trigram tables on SQLite, pg_trgm indexes on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op

from app.search import fts

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The same statements create_all runs (app/search/fts.py), so tests and migrated databases agree.
    for sql in fts.statements(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade() -> None:
    for sql in fts.statements(op.get_bind().dialect.name, drop=True):
        op.execute(sql)
