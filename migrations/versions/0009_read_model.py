"""The read model: chain members and their links, chain summaries, anomalies, cited-by counts and
unresolved symbols, kept by the writer; filled here from the documents and citations already
stored

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "chain_member",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("has_text", sa.Boolean(), nullable=False),
        sa.Column("recalls", sa.JSON(), nullable=False),
        sa.Column("leaves_out", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "document_id"),
    )
    op.create_index("ix_chain_member_position", "chain_member", ["organization_id", "position"], unique=True)
    op.create_index("ix_chain_member_document", "chain_member", ["document_id"])
    op.create_table(
        "chain_summary",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=True),
        sa.Column("latest_id", sa.Integer(), nullable=True),
        sa.Column("anomalies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id"),
    )
    op.create_table(
        "chain_anomaly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=120), nullable=True),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("cadence", sa.Integer(), nullable=True),
        sa.Column("cited_date", sa.Date(), nullable=True),
        sa.Column("citing_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chain_anomaly_order", "chain_anomaly", ["organization_id", "seq"], unique=True)
    op.create_table(
        "cited_count",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("citers", sa.Integer(), nullable=False),
        sa.Column("citations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_cited_count_rank", "cited_count", [sa.text('"citers" DESC'), "document_id"])
    op.create_table(
        "unresolved_symbol",
        sa.Column("symbol", sa.String(length=120), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("citers", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("symbol"),
    )
    op.create_index("ix_unresolved_document", "unresolved_symbol", ["document_id"])
    op.create_index(
        "ix_unresolved_rank", "unresolved_symbol",
        [sa.text('"citers" DESC'), sa.text('"mentions" DESC'), "symbol"],
    )
    op.create_table(
        "unresolved_citer",
        sa.Column("symbol", sa.String(length=120), nullable=False),
        sa.Column("citing_id", sa.Integer(), nullable=False),
        sa.Column("sort_date", sa.Date(), nullable=False),
        sa.Column("citing_key", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "citing_id"),
    )
    op.create_index("ix_unresolved_citer_order", "unresolved_citer", ["symbol", "sort_date", "citing_key"])
    op.create_index("ix_unresolved_citer_citing", "unresolved_citer", ["citing_id"])
    op.create_index("ix_citation_cited_date", "citation", ["cited_id", "cited_date"])

    from sqlmodel import Session

    from app.chains import readmodel

    with Session(bind=op.get_bind()) as session:
        # migrations 0011 and 0013 fill the tables they add (0013: `lineage migrate`, at the end)
        readmodel.rebuild(session, citing_organizations=False, chain_html=False)
        session.flush()


def downgrade() -> None:
    op.drop_index("ix_citation_cited_date", table_name="citation")
    for table in ("unresolved_citer", "unresolved_symbol", "cited_count", "chain_anomaly",
                  "chain_summary", "chain_member"):
        op.drop_table(table)
