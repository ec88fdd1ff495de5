"""PostgreSQL: a notification on every committed change to organizations, documents and
citations, for the page cache of every worker (app/changes.py); nothing on SQLite

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op

from app import changes

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in changes.POSTGRESQL:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for sql in changes.POSTGRESQL_DROP:
            op.execute(sql)
