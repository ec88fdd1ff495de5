"""cited by organization: which organizations' own texts cite each document (the timeline graph
reads it instead of every citer of every node); filled from the citations already stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "cited_by_organization",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "organization_id"),
    )
    op.create_index("ix_cited_by_organization_organization", "cited_by_organization", ["organization_id"])
    from sqlalchemy.orm import Session

    from app.chains import readmodel

    with Session(bind=op.get_bind()) as session:
        readmodel.write_citing_organizations(session, None)
        session.flush()


def downgrade() -> None:
    op.drop_index("ix_cited_by_organization_organization", table_name="cited_by_organization")
    op.drop_table("cited_by_organization")
