"""The fields of each document that an admin set, which commands do not overwrite, and the value a
command brought for one of them and did not apply (an open conflict)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: Union[str, None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "admin_field",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("set_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("offered_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("offered", sa.JSON(), nullable=True),
        sa.Column("kept", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "field"),
    )
    op.create_index("ix_admin_field_offered", "admin_field", ["offered_at"])
    # The fields admins set before this revision are not known: the audit log's snapshots say
    # which fields each admin save changed, and they are marked from it.
    conn = op.get_bind()
    _mark_from_audit_log(conn)


# The fields a command leaves alone once an admin set them (app.documents.history.PROTECTED, as
# this revision has it).
_PROTECTED = ("symbol", "kind", "session", "date", "title", "title_en", "organization", "became", "text",
              "citations")


def _mark_from_audit_log(conn) -> None:
    """Every field an admin's add, edit or restore changed, of the documents that are still
    there, oldest first (a later admin save of a field is the one kept): read in pages of entries."""
    import datetime as dt
    import json

    entries = sa.table("auditentry", sa.column("id"), sa.column("at"), sa.column("username"), sa.column("action"),
                       sa.column("document_id"), sa.column("before"), sa.column("after"))
    documents = sa.table("document", sa.column("id"), sa.column("text"))
    marks: dict[tuple[int, str], tuple[str, object]] = {}
    last = 0
    while True:
        rows = conn.execute(
            sa.select(entries.c.id, entries.c.at, entries.c.username, entries.c.action, entries.c.document_id,
                      entries.c.before, entries.c.after)
            .where(entries.c.id > last, entries.c.action.in_(("add", "edit", "restore", "delete")))
            .order_by(entries.c.id).limit(500)
        ).all()
        if not rows:
            break
        for row in rows:
            last = row.id
            if row.document_id is None:
                continue
            if row.action == "delete":
                for key in [k for k in marks if k[0] == row.document_id]:
                    del marks[key]
                continue

            def load(value):
                return json.loads(value) if isinstance(value, str) else (value or {})

            before, after = load(row.before), load(row.after)
            changed = {f for f in _PROTECTED if f != "citations" and before.get(f) != after.get(f)}
            if before.get("citations") != after.get("citations") or "text" in changed:
                changed.add("citations")
            for name in changed:
                marks[(row.document_id, name)] = (row.username, row.at)
    if not marks:
        return
    present = set(conn.execute(sa.select(documents.c.id).where(documents.c.text.is_not(None))).scalars())
    table = sa.table("admin_field", sa.column("document_id"), sa.column("field"), sa.column("set_by"),
                     sa.column("set_at"))
    rows = [{"document_id": d, "field": f, "set_by": who, "set_at": at or dt.datetime.now(dt.timezone.utc)}
            for (d, f), (who, at) in sorted(marks.items()) if d in present]
    for start in range(0, len(rows), 500):
        conn.execute(sa.insert(table), rows[start:start + 500])


def downgrade() -> None:
    op.drop_index("ix_admin_field_offered", table_name="admin_field")
    op.drop_table("admin_field")
