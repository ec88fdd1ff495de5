"""An index in the order search results are listed (newest first), so a page of matches is read
off it instead of sorting every match

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_document_recent", "document", [sa.text('"date" DESC'), sa.text('"session" DESC'), "key"]
    )


def downgrade() -> None:
    op.drop_index("ix_document_recent", table_name="document")
