"""How a PostgreSQL database tells Lineage's workers that its data changed (the page cache).

Every statement that writes to the tables the pages read sends a notification on CHANNEL. A
notification reaches the listeners of the same database only when its transaction commits, and
one transaction's notifications are folded into one: exactly the signal a cache of rendered
pages needs (app/web/cache.py). SQLite needs none of this: `PRAGMA data_version` says the same.

The statements live here once: migration 0005 runs them, and so does `create_all` (DDL events),
as for the full-text index (app/search/fts.py).
"""

from sqlalchemy import DDL, event

from app.models import Citation, Document, Organization

CHANNEL = "lineage_changed"
TABLES = ("organization", "document", "citation")

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION lineage_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$",
    *[
        sql
        for table in TABLES
        for sql in (
            f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}",
            f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION lineage_notify_change()",
        )
    ],
]

POSTGRESQL_DROP = [
    *[f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS lineage_notify_change()",
]


def _install_events() -> None:
    # After the citation table exists (it comes after organization and document), all three are there.
    for sql in POSTGRESQL:
        event.listen(Citation.__table__, "after_create", DDL(sql).execute_if(dialect="postgresql"))
    assert {Organization.__tablename__, Document.__tablename__, Citation.__tablename__} == set(TABLES)


_install_events()
