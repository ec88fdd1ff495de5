"""Where a page's reads and rendering run (app.db.run_page): on SQLite, a small page on the event
loop, where handing it to a thread would cost more than it does; a large one, and every page on
PostgreSQL, whose reads wait on the network, on the worker's threads, so that the loop goes on
answering the others meanwhile."""

import threading

import anyio
import pytest

from app.db import run_page


class Refused(Exception):
    pass


def _thread() -> int:
    return threading.get_ident()


def _refuse() -> None:
    raise Refused("no such page")


@pytest.mark.parametrize("small", [True, False])
def test_a_small_page_runs_on_the_loop_on_sqlite_only(session, small):
    async def main():
        return threading.get_ident(), await run_page(session, _thread, small=small)

    loop, ran_on = anyio.run(main)
    assert (ran_on == loop) is (small and session.get_bind().dialect.name == "sqlite")


@pytest.mark.parametrize("small", [True, False])
def test_what_the_page_raises_reaches_the_handler_either_way(session, small):
    async def main():
        await run_page(session, _refuse, small=small)

    with pytest.raises(Refused):
        anyio.run(main)
