"""Where a page's reads and rendering run (app.db.run_page): on SQLite, a small page on the event
loop, where handing it to a thread would cost more than it does; a large one, and every page on
PostgreSQL, whose reads wait on the network, on the worker's threads, so that the loop goes on
answering the others meanwhile."""

import threading

import anyio
import pytest
from sqlalchemy import text

from app.db import run_page


class Refused(Exception):
    pass


def _thread(conn, seen: list) -> int:
    seen.append(conn)
    assert conn.execute(text("SELECT 1")).scalar_one() == 1
    return threading.get_ident()


def _refuse(conn, seen: list) -> None:
    seen.append(conn)
    conn.execute(text("SELECT 1"))
    raise Refused("no such page")


@pytest.mark.parametrize("small", [True, False])
def test_a_small_page_runs_on_the_loop_on_sqlite_only(engine, small):
    seen = []

    async def main():
        return threading.get_ident(), await run_page(engine, _thread, seen, small=small)

    loop, ran_on = anyio.run(main)
    assert (ran_on == loop) is (small and engine.dialect.name == "sqlite")
    # a connection of its own, handed back when the page is done
    assert len(seen) == 1 and seen[0].closed


@pytest.mark.parametrize("small", [True, False])
def test_what_the_page_raises_reaches_the_handler_either_way(engine, small):
    seen = []

    async def main():
        await run_page(engine, _refuse, seen, small=small)

    with pytest.raises(Refused):
        anyio.run(main)
    assert seen[0].closed


def test_a_page_never_waits_for_a_busy_pool(tmp_path):
    """On SQLite a small page takes its connection on the event loop: however many connections
    are out (slow readers, pages in threads), the pool lends another at once rather than make
    the loop wait for one."""
    from app.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'lineage.db'}", pool_timeout=1)
    held = [engine.connect() for _ in range(40)]
    try:
        for conn in held:
            conn.execute(text("SELECT 1"))
        seen = []

        async def main():
            return await run_page(engine, _thread, seen)

        anyio.run(main)
        assert seen and seen[0].closed
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
