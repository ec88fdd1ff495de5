"""Alembic environment: the models' metadata, batch mode for SQLite's ALTER TABLE."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables)
from app.config import Settings
from app.db import make_engine

from app.search.fts import FTS_NAMES, TRGM_INDEXES

config = context.config
target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """The full-text index is made by app.search.fts, not by the models: autogenerate leaves it alone."""
    if type_ == "table" and (name in FTS_NAMES or any(name.startswith(f + "_") for f in FTS_NAMES)):
        return False
    if type_ == "index" and name in TRGM_INDEXES:
        return False
    return True


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return Settings(database_url=url).sqlalchemy_url if url else Settings().sqlalchemy_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
