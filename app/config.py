"""Settings: the only reader of environment variables."""

from functools import lru_cache
from pathlib import Path

from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore")

    # The embedded default: a SQLite file in the working directory.
    database_url: str = "sqlite:///./lineage.db"
    environment: str = "development"  # development | production
    secret_key: str | None = None
    seed_dir: Path = PROJECT_ROOT / "seed_data"
    # Pasted texts larger than this are refused with 413 (issue 3).
    max_text_bytes: int = 1_000_000
    # Session and CSRF cookies get `Secure` on https requests (behind a proxy: X-Forwarded-Proto
    # from a trusted address); this forces it on every request.
    secure_cookies: bool = False
    # `lineage create-admin` reads the password from here when set, else prompts for it.
    admin_password: str | None = None
    # Failed logins past the first few wait this long per further failure before an answer.
    login_slowdown_seconds: float = 1.0
    # Addresses (or networks, comma-separated) of the reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. None by default: a client could otherwise claim any address
    # and escape the login lock-out, or any scheme.
    trusted_proxies: str = ""

    # Where readers reach Lineage (`https://lineage.example.org`, or with a path prefix): the base
    # of the absolute URLs in feeds and exports. Unset, those are relative (`/documents/…`): never
    # taken from a request's Host header, which a client or a shared cache's other users choose.
    public_url: str = ""

    # Rendered pages kept for anonymous readers, per worker, until the database changes
    # (app/web/cache.py). 0 turns the cache off.
    page_cache_mb: int = 32
    # Threads a worker runs request handlers on; unset: 4 on SQLite, 40 on PostgreSQL (app/main.py).
    worker_threads: int | None = Field(default=None, ge=1, le=1000)

    # Timeline graphs (app/graph/): one layout may run this long and take this much memory
    # before it is killed (then simpler edge routing is tried); a reader whose graph has no
    # drawing yet waits this long for it, then gets the chain as a list.
    graph_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    graph_memory_mb: int = Field(default=1024, ge=64, le=16384)
    graph_wait_seconds: float = Field(default=2.0, ge=0, le=60)
    # Drawings of the views that are not stored (ranges of sessions readers ask for) are kept in
    # each worker's memory up to this many MB (app/graph/memory.py); 0 keeps none. At most
    # `graph_queue` such drawings wait for `dot` at once per worker; readers of more get the
    # list (the SVG alone: 503 with Retry-After) until one is done.
    graph_cache_mb: int = Field(default=16, ge=0, le=4096)
    graph_queue: int = Field(default=8, ge=1, le=1000)

    # What one anonymous request may spend (issue 27): CPU-heavy work (extract, diff, search, a
    # first drawing) stops after this many seconds with a 503, and one client may run at most
    # this many such requests at once (more get a 429 with Retry-After).
    request_budget_seconds: float = Field(default=5.0, gt=0, le=600)
    heavy_per_client: int = Field(default=1, ge=1, le=100_000)

    # A client that stops reading an answer is cut off (app/web/slow_clients.py): when one write
    # to it waits this long, or when, over this many seconds of waiting, it took fewer bytes a
    # second than this. A person's browser, even on a poor mobile line, takes far more.
    send_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    send_min_bytes_per_second: int = Field(default=4096, ge=0)
    send_rate_window_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A connection must send a whole request line and headers this long after it opens, or after
    # the first byte of its next request; an idle one between requests is closed after 65 s.
    request_head_timeout_seconds: float = Field(default=20.0, gt=0, le=3600)
    # Connections one worker keeps open at once; past them uvicorn answers 503 at once.
    max_connections: int = Field(default=1000, ge=1)
    # Exports are written once per data version to files here (app/exports/snapshots.py), in a
    # directory per worker; unset: the system's temporary directory. Complete files are kept up to
    # this many MB per worker (0: none kept, each export is written for its own request).
    export_cache_dir: Path | None = None
    export_cache_mb: int = Field(default=1024, ge=0)

    # Fault injection for the crash tests only: hold a save open this many seconds before its
    # commit, so a test can SIGKILL the server in the middle of it. Never set in production.
    fault_pause_before_commit: float = 0.0

    @field_validator("public_url")
    @classmethod
    def _a_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
                or "@" in parts.netloc:
            raise ValueError("LINEAGE_PUBLIC_URL must be an http(s) URL such as https://lineage.example.org, "
                             "with no query, fragment or user name")
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> "Settings":
        if self.environment == "production" and not self.secret_key:
            raise ValueError("LINEAGE_SECRET_KEY must be set when LINEAGE_ENVIRONMENT=production")
        return self

    @property
    def threads(self) -> int:
        """The threads a worker runs request handlers on: `worker_threads`, else 4 on SQLite
        (its reads are work under one GIL: more threads only take turns) and 40 on PostgreSQL
        (its queries wait on the network)."""
        return self.worker_threads or (4 if self.sqlalchemy_url.startswith("sqlite") else 40)

    @property
    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy needs: `postgresql://` means psycopg 3 here."""
        url = self.database_url
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
