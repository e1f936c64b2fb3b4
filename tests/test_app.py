"""The app around the schema: settings, health checks and the embedded default."""

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app import DEFAULT_DATABASE_URL, GRAPHIQL_DIR, Settings, create_app, load_settings
from models.db import Maker
from tests.conftest import settings_for_tests


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://h/db", "postgresql+asyncpg://h/db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_plain_database_urls_are_mapped_to_their_async_driver(given: str, used: str) -> None:
    assert Settings(database_url=given).database_url == used


def test_an_unknown_scheme_fails_at_start_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="database_url"):
        Settings(database_url="mysql://h/db")
    monkeypatch.setenv("DATABASE_URL", "oracle://h/db")
    with pytest.raises(SystemExit, match="DATABASE_URL"):
        load_settings()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGE_SIZE_MAX", "50")
    monkeypatch.setenv("DATABASE_URL", "postgresql://h/db")
    settings = Settings()
    assert settings.page_size_max == 50
    assert settings.database_url == "postgresql+asyncpg://h/db"
    assert not settings.embedded


async def test_first_start_on_the_embedded_default_migrates_and_shows_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=DEFAULT_DATABASE_URL, graphiql=False)
    assert settings.embedded
    app = create_app(settings)
    query = {"query": "{ stats { packageCount } packages(first: 1) { edges { node { name } } } }"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        body = (await http.post("/graphql", json=query)).json()
    assert body["data"]["stats"]["packageCount"] == 50
    assert (tmp_path / "cheeseshop.db").exists()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        again = (await http.post("/graphql", json=query)).json()
    assert again["data"]["stats"]["packageCount"] == 50, "a second start seeds nothing more"


def test_uvicorn_gets_an_app_configured_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import app as module

    monkeypatch.setenv("DATABASE_URL", "postgresql://h/db")
    monkeypatch.setenv("GRAPHIQL", "false")
    served = module.app
    assert isinstance(served, FastAPI)


async def test_graphiql_is_served_with_its_assets_and_no_cdn(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(graphiql=True), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assets = re.findall(r'(?:src|href)="(/graphql/static/[^"]+)"', page.text)
        responses = [await http.get(asset) for asset in assets]
    assert page.status_code == 200
    assert "unpkg" not in page.text
    assert not re.search(r'(?:src|href)="https?://', page.text), "every script and style comes from the app"
    assert {asset.rsplit("/", 1)[1] for asset in assets} == {
        path.name for path in GRAPHIQL_DIR.iterdir() if path.suffix in {".js", ".css"}
    }
    assert [r.status_code for r in responses] == [200] * len(assets)


async def test_graphiql_can_be_switched_off(sessionmaker: Maker) -> None:
    app = create_app(settings_for_tests(graphiql=False), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        asset = await http.get("/graphql/static/graphiql.min.js")
    assert page.status_code != 200 or "graphiql" not in page.text.lower()
    assert asset.status_code == 404


async def test_an_install_without_the_graphiql_assets_still_starts_and_serves_a_page(
    sessionmaker: Maker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app as module

    monkeypatch.setattr(module, "GRAPHIQL_DIR", tmp_path / "missing")
    app = create_app(settings_for_tests(graphiql=True), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


@pytest.mark.parametrize(("default", "cap"), [(0, 100), (101, 100), (20, 10)])
def test_page_sizes_that_contradict_each_other_fail_at_start(default: int, cap: int) -> None:
    with pytest.raises(ValidationError, match="PAGE_SIZE_DEFAULT"):
        Settings(page_size_default=default, page_size_max=cap)
