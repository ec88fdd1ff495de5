"""create_app(): FastAPI with the pages, the API and the static files."""

import gc
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import configure_mappers
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.config import PROJECT_ROOT, get_settings
from app.exports.snapshots import SnapshotCache
from app.web.cache import PageCache, version_probe
from app.web.limits import BodyLimit, HeavyLimit
from app.web.slow_clients import SlowClients
from app.web import admin, api, chains, docs, documents, errors, exports, graph, login, render, search, security


@asynccontextmanager
async def lifespan(app: FastAPI):
    # On SQLite a page is Python and SQLite work under one GIL: past a few threads, more of them
    # only take turns (40 threads: 51 ms of CPU a chain page under load; 4: 35 ms, bench/README.md).
    # PostgreSQL queries wait on the network, so there anyio's default of 40 stays.
    to_thread.current_default_thread_limiter().total_tokens = get_settings().threads
    await to_thread.run_sync(render.compile_templates)
    await to_thread.run_sync(_settle)
    try:
        yield
    finally:
        app.state.exports.close()


def _settle() -> None:
    """What every worker builds once (mappers, compiled templates, imported modules) is moved out
    of the garbage collector's sight. A full collection walks every object still in sight: with
    these, 100-160 ms of CPU inside whichever request triggers it, a page's p99 (bench/README.md)."""
    configure_mappers()
    gc.collect()
    gc.freeze()


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Lineage",
        summary="How United Nations resolutions descend from one another",
        version="0.1.0",
        # Swagger UI is served from static/vendor by app/web/docs.py; FastAPI's own pages load it
        # from a CDN with an inline script, which the CSP forbids.
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
    )
    # The session middleware, the login redirect of AdminDep and the login gate. Added first so
    # that it runs inside the two below: bodies are capped before any form is read.
    security.install(app)
    login.install(app)
    # Heavy requests (extract, diff, search, a first drawing): a share per client and of the
    # worker, so that no client takes the threads the readers need (issue 27). Inside the page
    # cache: a page already rendered costs nothing and is not counted.
    settings = get_settings()
    app.add_middleware(HeavyLimit, per_client=settings.heavy_per_client, total=max(1, settings.threads // 2),
                       wait_seconds=settings.request_budget_seconds, refuse=errors.refuse_heavy)
    # A ceiling far above the 1 MB of text any form or API call may carry (issue 3).
    app.add_middleware(BodyLimit, max_bytes=8 * get_settings().max_text_bytes)
    # Starlette's redirect of a trailing slash names the Host header's site: ours is relative.
    app.router.redirect_slashes = False
    app.add_middleware(security.TrailingSlash)
    app.add_middleware(security.SecurityHeaders)
    # Outermost but for the proxy headers, so a stored page is replayed with its security headers
    # and without any work.
    app.add_middleware(
        PageCache, probe=version_probe(settings.sqlalchemy_url), max_bytes=settings.page_cache_mb << 20, owner=app
    )
    if settings.trusted_proxies:
        # Outside everything: the lock-out, the cookies' Secure flag and the cache all see the
        # client and scheme a trusted proxy names, and no one else can name them.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "static")), name="static")

    @app.get("/healthz", tags=["api"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # The routers are tried in this order, each route in turn, on every request: the pages a
    # reader asks for most come first (bench/README.md).
    # exports before documents: its /documents/{ref:path} would swallow /documents/{ref}/citing.atom
    app.include_router(exports.router)
    app.include_router(documents.router)
    app.include_router(chains.router)
    app.include_router(search.router)
    app.include_router(graph.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    app.include_router(login.router)
    app.include_router(admin.router)
    errors.install(app)
    app.openapi = errors.openapi_with_our_errors(app)
    # The exports' files of this worker (app/exports/snapshots.py), removed when it stops.
    app.state.exports = SnapshotCache(settings.export_cache_dir, settings.export_cache_mb << 20)
    return app


def served(app: FastAPI) -> SlowClients:
    """The app as `lineage serve` runs it: inside the guard that cuts off clients that stop
    reading, which must be given the server's own `send` (outside Starlette's error middleware)."""
    settings = get_settings()
    return SlowClients(app, timeout=settings.send_timeout_seconds, min_rate=settings.send_min_bytes_per_second,
                       window=settings.send_rate_window_seconds)


app = create_app()
server_app = served(app)
