"""admin sessions kept on the server: logout and a new password end them

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "adminsession",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adminsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adminsession_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_adminsession_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adminsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adminsession_user_id"))
        batch_op.drop_index(batch_op.f("ix_adminsession_expires_at"))
    op.drop_table("adminsession")
