"""The data version: a number that every committed change to organizations, documents or
citations advances, in the same transaction, whoever makes it.

A timeline graph's drawing is stored with the version it was found to show
(app/graph/layouts.py): while no change came since, the page serves it without reading the
documents the graph shows, and after any change its first reader checks it again (a layout only
when what the graph shows did change). Database triggers keep the number rather than the writer's
code, so that no write path (an admin save, an import, a migration, a hand-made fix) can leave a
drawing looking current when it is not. SQLite's triggers fire per row (a bulk import advances
the number once per row, an in-page update each); PostgreSQL's once per statement.

The statements live here once: migration 0014 runs them, and so does `create_all` (DDL events).
"""

from sqlalchemy import event, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from app.models import Citation, DataVersion, Document, Organization

TABLES = ("organization", "document", "citation")
# The row is made again if it went (a TRUNCATE of every table, say).
BUMP = ("INSERT INTO data_version (id, version) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1")

SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_data_version_{op.lower()} AFTER {op} ON {table} "
    f"BEGIN {BUMP}; END"
    for table in TABLES for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_data_version_{op}" for table in TABLES
               for op in ("insert", "update", "delete")]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION lineage_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {BUMP}; RETURN NULL; END $$",
    *[
        sql
        for table in TABLES
        for sql in (
            f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}",
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION lineage_data_version()",
        )
    ],
]
POSTGRESQL_DROP = [
    *[f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS lineage_data_version()",
]

FIRST_ROW = "INSERT INTO data_version (id, version) VALUES (1, 0)"


def statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, [])


def current(session: Session) -> int | None:
    """The version now; None when the database has no version row (nothing is then current)."""
    return session.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar()


def _after_create(metadata, connection, tables=(), **_kw) -> None:
    """After `create_all`: the first row, and the triggers, once all four tables exist."""
    names = {t.name for t in tables}
    if DataVersion.__tablename__ in names:
        connection.exec_driver_sql(FIRST_ROW)
    if names & {DataVersion.__tablename__, *TABLES}:
        for sql in statements(connection.dialect.name):
            connection.exec_driver_sql(sql)


def _install_events() -> None:
    assert {Organization.__tablename__, Document.__tablename__, Citation.__tablename__} == set(TABLES)
    event.listen(SQLModel.metadata, "after_create", _after_create)


_install_events()
