"""The exports' files (app/exports/snapshots.py): one reading of the database per export and data
version, however many clients, on real files and threads."""

import asyncio
import os
import threading

import pytest

from app.exports import snapshots
from app.exports.snapshots import ExportFailed, SnapshotCache
from app.web import urls


def _parts(count: list, *, n: int = 40, size: int = 10_000, gate: threading.Event | None = None,
           fail_at: int | None = None):
    """An export of `n` parts of `size` bytes that counts its readings in `count`; it waits at
    `gate` after its first part (so that readers come while it is being written), and fails at
    part `fail_at`."""

    def chunks():
        count.append(1)
        for i in range(n):
            if i == 1 and gate is not None:
                assert gate.wait(10)
            if i == fail_at:
                raise OSError("the disk is full")
            yield bytes([i % 256]) * size

    return chunks


def _whole(n: int = 40, size: int = 10_000) -> bytes:
    return b"".join(bytes([i % 256]) * size for i in range(n))


async def _read(cache: SnapshotCache, key, version, chunks) -> bytes:
    snapshot, file = cache.open(key, version, chunks)
    return b"".join([part async for part in snapshots.stream(snapshot, file)])


def _files(cache: SnapshotCache) -> list[str]:
    return sorted(os.listdir(cache._directory()))


@pytest.fixture
def cache(tmp_path):
    c = SnapshotCache(tmp_path / "exports", max_bytes=10 << 20)
    yield c
    c.close()


def test_clients_who_come_while_an_export_is_written_read_the_same_file(cache, monkeypatch):
    monkeypatch.setattr(snapshots, "PUBLISH", 1)  # readers are woken at every part
    count, gate = [], threading.Event()
    chunks = _parts(count, gate=gate)

    async def main():
        readers = [asyncio.create_task(_read(cache, "citations.csv", 7, chunks)) for _ in range(20)]
        await asyncio.sleep(0.05)
        assert cache.written == 0  # none has its whole file yet: they follow the one being written
        gate.set()
        return await asyncio.gather(*readers)

    bodies = asyncio.run(main())
    assert bodies == [_whole()] * 20
    assert count == [1] and cache.written == 1
    # and a client after them gets the file as it is, without another reading
    assert asyncio.run(_read(cache, "citations.csv", 7, chunks)) == _whole()
    assert count == [1]
    assert [name.endswith(".part") for name in _files(cache)] == [False]


def test_a_new_data_version_is_read_again_and_the_older_files_go(cache):
    count = []
    assert asyncio.run(_read(cache, "citations.csv", 7, _parts(count))) == _whole()
    assert asyncio.run(_read(cache, "documents.csv", 7, _parts(count, n=3))) == _whole(3)
    assert len(_files(cache)) == 2
    assert asyncio.run(_read(cache, "citations.csv", 8, _parts(count, n=5))) == _whole(5)
    assert len(count) == 3 and len(_files(cache)) == 1 and cache.bytes == len(_whole(5))
    # a request that read the version before a change it came alongside: its own file, not kept
    assert asyncio.run(_read(cache, "citations.csv", 7, _parts(count, n=2))) == _whole(2)
    assert len(_files(cache)) == 1 and cache.bytes == len(_whole(5))


def test_files_are_kept_within_the_bound_least_recently_asked_for_going_first(tmp_path):
    cache = SnapshotCache(tmp_path / "exports", max_bytes=1_000_000)  # two files of 400,000 bytes
    try:
        count = []
        for name in ("a", "b", "a", "c"):  # "b" is then the least recently asked for
            asyncio.run(_read(cache, name, 1, _parts(count)))
        assert len(count) == 3 and len(_files(cache)) == 2 and cache.bytes <= 1_000_000
        asyncio.run(_read(cache, "a", 1, _parts(count)))
        asyncio.run(_read(cache, "b", 1, _parts(count)))
        assert len(count) == 4  # "a" was kept, "b" was read again
        # A file larger than the bound is written and sent whole, then not kept.
        assert asyncio.run(_read(cache, "big", 1, _parts(count, n=120))) == _whole(120)
        assert cache.bytes <= 1_000_000
    finally:
        cache.close()


def test_a_reader_keeps_its_file_when_it_is_dropped_meanwhile(cache):
    count = []
    snapshot, file = cache.open("citations.csv", 1, _parts(count))

    async def main():
        stream = snapshots.stream(snapshot, file)
        first = await anext(stream)
        # the data changes and another export is asked for: the first one's file goes
        second = await _read(cache, "documents.csv", 2, _parts(count, n=2))
        return first + b"".join([part async for part in stream]), second

    assert asyncio.run(main()) == (_whole(), _whole(2))
    assert len(_files(cache)) == 1


def test_an_export_that_fails_ends_its_readers_responses_and_is_read_again_next_time(cache):
    count = []
    with pytest.raises(ExportFailed):
        asyncio.run(_read(cache, "citations.csv", 1, _parts(count, fail_at=20)))
    assert _files(cache) == [] and cache.bytes == 0
    assert asyncio.run(_read(cache, "citations.csv", 1, _parts(count))) == _whole()
    assert len(count) == 2


def test_a_version_less_database_gets_a_file_per_request(cache):
    count = []
    for _ in range(2):
        assert asyncio.run(_read(cache, "citations.csv", None, _parts(count))) == _whole()
    assert len(count) == 2 and _files(cache) == []


def test_the_directories_of_workers_gone_are_removed_and_a_worker_removes_its_own(tmp_path):
    root = tmp_path / "exports"
    gone = root / "999999999-abc"  # no process has this id
    gone.mkdir(parents=True)
    (gone / "1-x").write_bytes(b"an export of a worker killed")
    alive = root / f"{os.getppid()}-def"
    alive.mkdir()
    cache = SnapshotCache(root, max_bytes=1 << 20)
    asyncio.run(_read(cache, "citations.csv", 1, _parts([])))
    assert sorted(p.name for p in root.iterdir()) == sorted([alive.name, cache._directory().name])
    cache.close()
    assert [p.name for p in root.iterdir()] == [alive.name]
    with pytest.raises(ExportFailed):
        cache.open("citations.csv", 1, _parts([]))


def test_a_second_client_of_an_export_costs_no_reading_until_the_data_changes(seeded, client, session):
    from app.models import Organization

    exports = client.app.state.exports
    first = client.get(urls.export("citations.csv"))
    assert first.status_code == 200 and exports.written == 1
    assert client.get(urls.export("citations.csv")).content == first.content
    assert exports.written == 1
    session.add(Organization(acronym="NEW", name_zh="新组织", name_en="New", observer_symbol="A/RES/99/1",
                             series_titles=[]))
    session.commit()
    assert client.get(urls.export("citations.csv")).status_code == 200
    assert exports.written == 2


def test_past_the_exports_waiting_for_a_writer_a_new_one_is_refused(tmp_path):
    cache = SnapshotCache(tmp_path / "exports", max_bytes=10 << 20, writers=1, max_waiting=2)
    count, gate = [], threading.Event()
    try:
        opened = [cache.open("a", 1, _parts(count, gate=gate))]
        _poll_until(lambda: count == [1])  # "a" is being written, and holds the one writer
        opened += [cache.open(name, 1, _parts(count)) for name in ("b", "c")]
        with pytest.raises(snapshots.ExportsBusy):
            cache.open("d", 1, _parts(count))
        # an export already written or being written is no new work: it is never refused
        opened.append(cache.open("b", 1, _parts(count)))
        gate.set()

        async def main():
            return [b"".join([part async for part in snapshots.stream(*pair)]) for pair in opened]

        assert asyncio.run(main()) == [_whole()] * 4
        assert asyncio.run(_read(cache, "d", 1, _parts(count))) == _whole()
    finally:
        gate.set()
        cache.close()


def _poll_until(condition, seconds: float = 10) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.01)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refused_export_says_when_to_ask_again(read_client, lang, monkeypatch):
    from bs4 import BeautifulSoup

    from app.config import get_settings
    from app.i18n import t

    exports = read_client.app.state.exports
    exports.max_waiting, kept = 0, exports.max_waiting
    # (a public URL of its own: an export another test had written would be no new work)
    monkeypatch.setenv("LINEAGE_PUBLIC_URL", f"https://refused-{lang}.test")
    get_settings.cache_clear()
    try:
        r = read_client.get(urls.export("lineage.json", "SCO"), params={"lang": lang})
    finally:
        exports.max_waiting = kept
        monkeypatch.delenv("LINEAGE_PUBLIC_URL")
        get_settings.cache_clear()
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert t("err_exports_busy", lang) in BeautifulSoup(r.text, "html.parser").get_text()


def test_an_export_reads_one_version_of_the_data_whatever_is_saved_meanwhile(tmp_path):
    """Its statements, one after another on a SQLite file, all read the data as it was at the
    first: a save committed between two of them is in none."""
    from sqlalchemy import func, select
    from sqlmodel import Session, SQLModel

    from app.db import make_engine
    from app.exports.formats import one_read
    from app.models import Organization

    engine = make_engine(f"sqlite:///{tmp_path / 'lineage.db'}")
    SQLModel.metadata.create_all(engine)

    def add(acronym: str) -> None:
        with Session(engine) as s:
            s.add(Organization(acronym=acronym, name_zh=acronym, name_en=acronym,
                               observer_symbol=f"A/RES/99/{acronym}", series_titles=[]))
            s.commit()

    count = select(func.count()).select_from(Organization)
    add("ONE")
    with one_read(engine) as conn:
        assert conn.execute(count).scalar() == 1
        add("TWO")
        assert conn.execute(count).scalar() == 1
    with engine.connect() as conn:
        assert conn.execute(count).scalar() == 2
    engine.dispose()
