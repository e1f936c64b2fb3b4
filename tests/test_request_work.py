"""Work done once per query text, and the limit on queries executing at once."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from loaders.user import MaintainersByPackageIdLoader
from models.db import Maker
from schema.document_cache import BUDGET, DocumentCache, LruCache
from tests.conftest import GraphQLClient, settings_for_tests
from tests.test_sessions import seed_small_index

pytestmark = pytest.mark.usefixtures("fresh_document_caches")


async def test_a_valid_query_text_is_parsed_and_validated_once(client: GraphQLClient, validations: list[str]) -> None:
    query = "{ stats { packageCount } }"
    for _ in range(3):
        assert (await client.query(query))["stats"]["packageCount"] == 0
    assert validations == [query]
    assert DocumentCache.valid.find(query) is not None


async def test_a_query_text_with_errors_is_validated_every_time_and_not_kept(
    client: GraphQLClient, validations: list[str]
) -> None:
    query = "{ stats { noSuchField } }"
    for _ in range(2):
        assert "noSuchField" in await client.error(query)
    assert validations == [query, query]
    assert len(DocumentCache.valid) == 0


async def test_a_query_text_too_long_for_the_budget_is_not_kept(client: GraphQLClient, validations: list[str]) -> None:
    query = "{ stats { packageCount } }" + " " * (BUDGET // 16)
    await client.query(query)
    await client.query(query)
    assert len(validations) == 2
    assert len(DocumentCache.valid) == 0


def test_the_cache_drops_the_least_recently_used_texts_beyond_its_budget() -> None:
    cache: LruCache[int] = LruCache(budget=100, largest=50)
    for i in range(5):
        cache.put(f"{i}" * 30, i)  # 30 characters each: three fit
        cache.find("0" * 30)  # kept in use
    assert cache.used <= 100
    assert [cache.find(f"{i}" * 30) for i in range(5)] == [0, None, None, 3, 4]


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        pytest.param({"name": "bad\x00name"}, "name", id="in-a-variable"),
        pytest.param({}, "name", id="in-a-default"),
    ],
)
async def test_unstorable_text_is_refused_whatever_the_earlier_requests_of_the_same_text(
    client: GraphQLClient, variables: dict[str, Any], argument: str
) -> None:
    query = 'query ($name: String! = "de\\u0000fault") { package(name: $name) { name } }'
    assert (await client.query(query, {"name": "fine"}))["package"] is None  # the text is now known
    body = await client.execute(query, variables)
    assert body["errors"][0]["extensions"]["argument"] == argument
    assert (await client.query(query, {"name": "fine"}))["package"] is None


@pytest.fixture
async def one_at_a_time(sessionmaker: Maker) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings_for_tests(max_concurrent_operations=1), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield GraphQLClient(http)


PAGE = "{ packages(first: 5) { edges { node { name maintainers { name } } } } }"
LOGIN = 'mutation { login(email: "nobody@example.org", password: "not the password") { __typename } }'


async def test_queries_beyond_the_limit_wait_for_a_slot_and_all_get_answers(
    one_at_a_time: GraphQLClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_small_index(session)
    running, most = 0, 0
    original = MaintainersByPackageIdLoader.batch_load_fn

    async def tracked(self: MaintainersByPackageIdLoader, keys: list[int]) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(0.01)  # long enough for the others to start, were they let in
            return await original(self, keys)
        finally:
            running -= 1

    monkeypatch.setattr(MaintainersByPackageIdLoader, "batch_load_fn", tracked)
    answers = await asyncio.gather(*(one_at_a_time.query(PAGE) for _ in range(6)))
    assert most == 1, f"{most} queries executed at once with a limit of 1"
    assert answers[0]["packages"]["edges"]
    assert all(answer == answers[0] for answer in answers)


async def test_a_mutation_runs_while_a_query_holds_the_only_slot(
    one_at_a_time: GraphQLClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_small_index(session)
    release = asyncio.Event()
    original = MaintainersByPackageIdLoader.batch_load_fn

    async def held(self: MaintainersByPackageIdLoader, keys: list[int]) -> Any:
        await release.wait()
        return await original(self, keys)

    monkeypatch.setattr(MaintainersByPackageIdLoader, "batch_load_fn", held)
    slow = asyncio.create_task(one_at_a_time.query(PAGE))
    await asyncio.sleep(0.05)  # the slow query has the slot
    waiting = asyncio.create_task(one_at_a_time.query("{ stats { packageCount } }"))
    body = await asyncio.wait_for(one_at_a_time.execute(LOGIN), timeout=10)
    assert body["data"]["login"]["__typename"], body
    await asyncio.sleep(0.05)
    assert not waiting.done(), "a second query ran while the only slot was taken"
    release.set()
    assert (await slow)["packages"]["edges"]
    assert (await waiting)["stats"]["packageCount"] > 0
