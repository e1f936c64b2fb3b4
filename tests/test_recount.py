"""`python -m app recount` puts every counter back to the count of its rows, and says which ones it changed."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

import models
import models.recount
from models.counter import COUNTER_NAMES
from models.recount import Correction, recount, report
from models.seed import seed
from tests.conftest import SqlCounter
from tests.test_counters import TRUTH, Counts, exact_counts


async def kept_and_truth(engine: AsyncEngine) -> tuple[Counts, Counts]:
    async with engine.connect() as conn:
        kept: Counts = dict((await conn.execute(text("SELECT name, value FROM counters"))).all())
        return kept, dict((await conn.execute(TRUTH)).one()._mapping)


@asynccontextmanager
async def behind_the_triggers(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine on the same database whose writes the counting triggers do not see, as a bulk load or a
    data-only restore."""
    if engine.dialect.name == "postgresql":
        loader = create_async_engine(
            engine.url, connect_args={"server_settings": {"session_replication_role": "replica"}}
        )
        try:
            yield loader
        finally:
            await loader.dispose()
        return
    # SQLite has no switch for triggers: take them away for the load and put them back as they were.
    async with engine.begin() as conn:
        triggers = (await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))).all()
        assert triggers, "the counting triggers exist"
        for name, _ in triggers:
            await conn.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            for _, sql in triggers:
                await conn.execute(text(sql))


async def test_a_load_that_bypassed_the_triggers_is_recounted(engine: AsyncEngine) -> None:
    async with behind_the_triggers(engine) as loader:
        await seed(loader, packages=20, seed=2, progress=False)
    kept, truth = await kept_and_truth(engine)
    assert kept == dict.fromkeys(COUNTER_NAMES, 0), "the load was not counted"
    assert truth["packages"] == 20
    assert min(truth.values()) > 0

    corrections = await recount(engine)

    assert corrections == [Correction(name, 0, truth[name]) for name in COUNTER_NAMES]
    assert await exact_counts(engine) == truth
    assert await recount(engine) == []


async def test_corrupted_and_missing_counters_are_set_to_their_counts(engine: AsyncEngine, sql: SqlCounter) -> None:
    await seed(engine, packages=10, seed=1, progress=False)
    truth = await exact_counts(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE counters SET value = value + 7 WHERE name IN ('packages', 'maintainers')"))
        await conn.execute(text("UPDATE counters SET value = -1 WHERE name = 'releases'"))
        await conn.execute(text("DELETE FROM counters WHERE name = 'users'"))

    with sql.expect(3 + 4):  # lock, read the counters, count the rows; one write per correction
        corrections = await recount(engine)

    assert corrections == [
        Correction("packages", truth["packages"] + 7, truth["packages"]),
        Correction("releases", -1, truth["releases"]),
        Correction("users", None, truth["users"]),
        Correction("maintainers", truth["maintainers"] + 7, truth["maintainers"]),
    ]
    assert report(corrections).splitlines() == [
        "corrected:",
        f"  packages: {truth['packages'] + 7} -> {truth['packages']}",
        f"  releases: -1 -> {truth['releases']}",
        f"  users: (missing) -> {truth['users']}",
        f"  maintainers: {truth['maintainers'] + 7} -> {truth['maintainers']}",
    ]
    assert await exact_counts(engine) == truth
    with sql.expect(3):  # nothing to correct: nothing written
        assert await recount(engine) == []
    assert report([]) == "all counters were exact"


async def test_an_empty_database_recounts_to_zero(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE counters SET value = 5"))
    assert [(c.old, c.new) for c in await recount(engine)] == [(5, 0)] * 5
    assert set((await exact_counts(engine)).values()) == {0}


# While the app serves


async def test_the_recount_waits_for_a_writer_that_moved_a_counter_and_counts_its_rows(engine: AsyncEngine) -> None:
    async with engine.connect() as writer:
        await writer.begin()
        await writer.execute(insert(models.Package).values(name="cheese"))  # its counter is now held
        recounting = asyncio.ensure_future(recount(engine))
        done, _ = await asyncio.wait([recounting], timeout=0.5)
        assert not done, "the recount waits for the writer's transaction"
        await writer.commit()
    assert await recounting == []  # the writer counted itself; the recount found its row
    assert (await exact_counts(engine))["packages"] == 1


async def test_a_writer_waits_for_the_recount_and_counts_itself_on_top(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE counters SET value = 9 WHERE name = 'packages'"))
    locked, go_on = asyncio.Event(), asyncio.Event()
    lock_counters = models.recount._lock_counters

    async def lock_then_wait(conn: AsyncConnection) -> None:
        await lock_counters(conn)
        locked.set()
        await go_on.wait()

    monkeypatch.setattr(models.recount, "_lock_counters", lock_then_wait)
    recounting = asyncio.ensure_future(recount(engine))
    await locked.wait()

    async def create_package() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(models.Package).values(name="cheese"))

    writing = asyncio.ensure_future(create_package())
    done, _ = await asyncio.wait([writing], timeout=0.5)
    assert not done, "the writer waits for the recount to commit"
    go_on.set()
    assert await recounting == [Correction("packages", 9, 0)]  # the uncommitted package is not counted
    await writing
    assert (await exact_counts(engine))["packages"] == 1


# The command


async def run_app(*args: str, database_url: str, cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_the_recount_command_prints_what_it_corrected_then_that_all_are_exact(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, packages=5, seed=3, progress=False)
    truth = await exact_counts(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE counters SET value = 0 WHERE name IN ('releases', 'classifiers')"))
    url = engine.url.render_as_string(hide_password=False)

    code, out, err = await run_app("recount", database_url=url, cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        "corrected:",
        f"  releases: 0 -> {truth['releases']}",
        f"  classifiers: 0 -> {truth['classifiers']}",
    ]
    assert await exact_counts(engine) == truth

    code, out, err = await run_app("recount", database_url=url, cwd=tmp_path)
    assert (code, out) == (0, "all counters were exact\n"), err
