"""Alembic, driven from code so `lineage migrate` and the tests need no alembic.ini lookup."""

import io

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str, *, quiet: bool = False) -> None:
    """Raise if the models and the migrations disagree (alembic check); `quiet`: without
    Alembic's "No new upgrade operations detected." on stdout."""
    cfg = alembic_config(database_url)
    if quiet:
        cfg.stdout = io.StringIO()
    command.check(cfg)
