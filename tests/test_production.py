"""Production mode: no introspection, no suggestions, no GraphiQL, no OpenAPI pages, no demo data; each settable."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import DEFAULT_DATABASE_URL, Settings, create_app
from models.db import Db, Maker
from tests.conftest import SqlCounter, settings_for_tests

FEATURES = ("introspection", "field_suggestions", "graphiql", "openapi_docs", "demo_data")
INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = '{ __type(name: "Package") { fields { name } } }'
# Each misspells something the schema has: a field, an argument, an enum value in a variable.
MISSPELLED = [
    ('{ pakage(name: "cheese") { id } }', None),
    ("{ packages(frist: 1) { totalCount } }", None),
    ("query ($order: PackageOrder) { packages(orderBy: $order) { totalCount } }", {"order": {"field": "NAMES"}}),
]


def production(**overrides: Any) -> Settings:
    """Test settings in production mode, every developer feature left to follow it."""
    unset: dict[str, Any] = {"graphiql": None, "demo_data": None}
    return settings_for_tests(environment="production", **{**unset, **overrides})


@asynccontextmanager
async def http(settings: Settings, sessionmaker: Maker | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_production_turns_every_developer_feature_off_and_development_keeps_them_on() -> None:
    prod = Settings(environment="production", secret_key="k" * 32)
    dev = Settings()
    assert [getattr(prod, name) for name in FEATURES] == [False] * len(FEATURES)
    assert [getattr(dev, name) for name in FEATURES] == [True] * len(FEATURES)


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_can_be_set_against_the_environment(feature: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv(feature.upper(), "true")
    prod = Settings()
    assert [getattr(prod, name) for name in FEATURES] == [name == feature for name in FEATURES]
    dev = settings_for_tests(**{"environment": "development", "graphiql": None, "demo_data": None, feature: False})
    assert [getattr(dev, name) for name in FEATURES] == [name != feature for name in FEATURES]


@pytest.mark.parametrize("document", [INTROSPECTION, TYPE_INTROSPECTION])
async def test_introspection_is_refused_in_production_before_any_sql(
    document: str, sessionmaker: Maker, sql: SqlCounter
) -> None:
    async with http(production(), sessionmaker) as client:
        with sql.expect(0):
            response = await client.post("/graphql", json={"query": document})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert "introspection has been disabled" in error["message"]
    assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_introspection_refused_is_a_400_for_a_spec_client(sessionmaker: Maker) -> None:
    async with http(production(), sessionmaker) as client:
        response = await client.post(
            "/graphql", json={"query": INTROSPECTION}, headers={"Accept": "application/graphql-response+json"}
        )
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_typename_keeps_working_in_production(sessionmaker: Maker) -> None:
    async with http(production(), sessionmaker) as client:
        body = await post(client, "{ __typename stats { __typename } }")
    assert body == {"data": {"__typename": "Query", "stats": {"__typename": "Stats"}}}


@pytest.mark.parametrize(
    "settings", [settings_for_tests(), production(introspection=True)], ids=["development", "production-opted-in"]
)
async def test_introspection_answers_where_it_is_on(settings: Settings, sessionmaker: Maker) -> None:
    async with http(settings, sessionmaker) as client:
        body = await post(client, '{ __schema { queryType { name } } __type(name: "Package") { name } }')
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}, "__type": {"name": "Package"}}


async def test_introspection_seen_in_development_is_still_refused_in_production(sessionmaker: Maker) -> None:
    """The document cache keeps valid texts process-wide; what production refuses does not depend on it."""
    async with http(settings_for_tests(), sessionmaker) as client:
        assert "errors" not in await post(client, INTROSPECTION)
    async with http(production(), sessionmaker) as client:
        assert (await post(client, INTROSPECTION))["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


@pytest.mark.parametrize(("document", "variables"), MISSPELLED, ids=["field", "argument", "enum-value"])
async def test_no_suggestions_in_production(
    document: str, variables: dict[str, Any] | None, sessionmaker: Maker
) -> None:
    async with http(settings_for_tests(), sessionmaker) as client:
        helpful = (await post(client, document, variables))["errors"]
    async with http(production(), sessionmaker) as client:
        terse = (await post(client, document, variables))["errors"]
    async with http(production(field_suggestions=True), sessionmaker) as client:
        opted_in = (await post(client, document, variables))["errors"]
    assert any("Did you mean" in error["message"] for error in helpful), helpful
    assert opted_in == helpful
    assert len(terse) == len(helpful)
    assert not any("Did you mean" in error["message"] for error in terse), terse
    assert all(error["message"] for error in terse)


async def test_graphiql_is_off_in_production_unless_asked_for(sessionmaker: Maker) -> None:
    page = {"Accept": "text/html"}
    async with http(production(), sessionmaker) as client:
        off = await client.get("/graphql", headers=page)
        asset = await client.get("/graphql/static/graphiql.min.js")
    async with http(production(graphiql=True), sessionmaker) as client:
        on = await client.get("/graphql", headers=page)
    assert off.status_code == 404
    assert off.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert asset.status_code == 404
    assert on.status_code == 200
    assert "graphiql" in on.text.lower()


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_openapi_pages_are_off_in_production_unless_asked_for(path: str) -> None:
    async with http(production()) as client:
        off = await client.get(path)
    async with http(production(openapi_docs=True)) as client:
        on = await client.get(path)
    async with http(settings_for_tests()) as client:
        development = await client.get(path)
    assert off.status_code == 404
    assert (on.status_code, development.status_code) == (200, 200)


async def test_production_on_the_embedded_default_migrates_but_seeds_no_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = production(database_url=DEFAULT_DATABASE_URL)
    assert settings.embedded
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        body = await post(client, "{ stats { packageCount userCount } }")
    assert body == {"data": {"stats": {"packageCount": 0, "userCount": 0}}}
    assert (tmp_path / "cheeseshop.db").exists()


@pytest.mark.parametrize("settings", [production(), settings_for_tests()], ids=["production", "development"])
async def test_unexpected_errors_are_masked_with_a_request_id_in_every_environment(
    settings: Settings, sessionmaker: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the internals at /srv/app/models/db.py")

    monkeypatch.setattr(Db, "rows", broken)
    async with http(settings, sessionmaker) as client:
        body = await post(client, "{ stats { packageCount } }")
    [error] = body["errors"]
    assert error["message"] == "Internal server error."
    assert re.fullmatch(r"[0-9a-f]{32}", error["extensions"]["requestId"])
    assert "internals" not in str(body)
