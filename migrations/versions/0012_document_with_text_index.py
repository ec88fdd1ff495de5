"""an index of the documents that have a text: the admin's list and its count read it, not the table

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_document_with_text", "document", ["id"],
        sqlite_where=sa.text("text IS NOT NULL"), postgresql_where=sa.text("text IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_document_with_text", table_name="document")
