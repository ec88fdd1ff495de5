"""data version: a number every change to organizations, documents and citations advances
(triggers, app/data_version.py); a stored graph drawing keeps the version it was found to show,
and what the page says beside it; documents indexed by session (the overall graph's range)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app import data_version

revision: str = "0014"
down_revision: Union[str, None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(data_version.FIRST_ROW)
    with op.batch_alter_table("graph_layout") as batch:
        batch.add_column(sa.Column("stamp", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    for sql in data_version.statements(op.get_bind().dialect.name):
        op.execute(sql)
    op.create_index("ix_document_session", "document", ["session"])


def downgrade() -> None:
    op.drop_index("ix_document_session", table_name="document")
    drop = {"sqlite": data_version.SQLITE_DROP, "postgresql": data_version.POSTGRESQL_DROP}
    for sql in drop.get(op.get_bind().dialect.name, []):
        op.execute(sql)
    with op.batch_alter_table("graph_layout") as batch:
        batch.drop_column("facts")
        batch.drop_column("stamp")
    op.drop_table("data_version")
