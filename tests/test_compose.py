"""docker-compose.yml, Dockerfile, deploy/nginx.conf and .dockerignore, read as files: no Docker engine.

These check what a user's `docker compose up` depends on: the app finds the database service, one service
migrates once before any replica starts, the replicas only serve, behind nginx on one port, their health
check asks `/readyz`, and every setting of the app is documented in the Dockerfile.
"""

import fnmatch
import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import make_url

from app import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
MIGRATE = "python -m app migrate"
SERVE = "python -m app serve"


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    config = services[name]
    assert isinstance(config, dict)
    return config


def environment(name: str) -> dict[str, str]:
    """A service's environment, written as a mapping or as a list of KEY=value, as Compose interpolates it."""
    env = service(name).get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): interpolate(str(value)) for key, value in env.items()}


# What a user puts in .env: Compose refuses to start without it (`${SECRET_KEY:?...}`).
USER_ENV = {"SECRET_KEY": "a-key-of-the-users-own-at-least-32-characters-long"}


def interpolate(text: str) -> str:
    """Compose's `${VAR:-default}` and `${VAR-default}` with VAR unset, and `${VAR:?message}` with VAR from .env."""
    text = re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: USER_ENV[m.group(1)], text)
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", text)


@cache
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def instruction(keyword: str) -> list[str]:
    return [arguments for kw, arguments in dockerfile() if kw == keyword]


def as_shell(command: Any) -> str:
    """A Dockerfile CMD or a compose `command` as the shell line it runs."""
    if isinstance(command, str):
        stripped = command.strip()
        if not stripped.startswith("["):
            return stripped  # shell form
        command = json.loads(stripped)
    assert isinstance(command, list)
    assert all(isinstance(part, str) for part in command)
    if command[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"]):
        return str(command[2])
    return shlex.join(command)


def image_command() -> str:
    assert not instruction("ENTRYPOINT"), "an ENTRYPOINT would wrap CMD; these tests read CMD alone"
    cmds = instruction("CMD")
    assert cmds, "the Dockerfile has no CMD"
    return as_shell(cmds[-1])  # the last CMD is the one that counts


def app_command() -> str:
    """What the app container runs: compose's `command` if it sets one, else the image's CMD."""
    override = service("app").get("command")
    return image_command() if override is None else as_shell(override)


def test_compose_has_the_database_and_the_app() -> None:
    assert {"db", "app"} <= set(compose()["services"])
    assert service("db")["image"].startswith("postgres:15")
    assert service("app").get("build") is not None, "the app is built from this repository's Dockerfile"


def test_database_keeps_its_data_in_a_named_volume() -> None:
    mounts = [str(volume) for volume in service("db").get("volumes", [])]
    data = [mount for mount in mounts if mount.split(":")[1:2] == ["/var/lib/postgresql/data"]]
    assert data, "PostgreSQL's data directory must be on a volume"
    name = data[0].split(":")[0]
    assert not name.startswith((".", "/")), "a named volume, not a bind mount"
    assert name in (compose().get("volumes") or {}), f"volume {name!r} is not declared at the top level"


def test_database_healthcheck_uses_pg_isready() -> None:
    check = service("db")["healthcheck"]["test"]
    assert "pg_isready" in (check if isinstance(check, str) else " ".join(check))


def test_app_database_url_points_at_the_db_service() -> None:
    url = environment("app")["DATABASE_URL"]
    assert url == "postgresql://cheeseshop:cheeseshop@db:5432/cheeseshop"
    parsed, db = make_url(url), environment("db")
    assert (parsed.host, parsed.port) == ("db", 5432)
    assert (parsed.username, parsed.password, parsed.database) == (
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
        db["POSTGRES_DB"],
    )


def test_app_database_url_is_accepted_and_gets_the_asyncpg_driver() -> None:
    settings = Settings(database_url=environment("app")["DATABASE_URL"])
    parsed = make_url(settings.database_url)
    assert parsed.drivername == "postgresql+asyncpg"
    assert (parsed.host, parsed.port, parsed.database) == ("db", 5432, "cheeseshop")
    assert not settings.embedded


def test_app_environment_names_only_settings_and_they_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    env = environment("app")
    unknown = {key for key in env if key.lower() not in Settings.model_fields}
    assert not unknown, f"not settings of the app (typo?): {sorted(unknown)}"
    for key, value in env.items():  # as the container gets them: environment variables
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert make_url(settings.database_url).drivername == "postgresql+asyncpg"
    assert make_url(settings.database_url).host == "db"
    assert settings.graphiql is (env.get("GRAPHIQL", "true") == "true")


def test_app_starts_only_once_the_database_is_healthy() -> None:
    depends = service("app")["depends_on"]
    assert isinstance(depends, dict), "depends_on must be the long form, to give a condition"
    assert depends["db"]["condition"] == "service_healthy"


def runs(name: str) -> str:
    """What a service runs: its `command`; else the image's CMD when it is this repository's image."""
    config = service(name)
    if config.get("command") is not None:
        return as_shell(config["command"])
    return image_command() if config.get("build") is not None else ""


def migrating_services() -> list[str]:
    return [name for name in compose()["services"] if MIGRATE in runs(name)]


def test_exactly_one_service_migrates_and_it_runs_first() -> None:
    """Replicas starting together must not all run the first migration at once."""
    assert migrating_services() == ["migrate"]
    migrate = service("migrate")
    assert environment("migrate")["DATABASE_URL"] == environment("app")["DATABASE_URL"]
    assert migrate.get("image") == service("app").get("image"), "migrate must run the app's own image"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no", "a one-shot service"
    assert service("app")["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_replicas_serve_and_do_not_migrate() -> None:
    command = shlex.split(app_command())
    assert "migrate" not in command
    assert shlex.join(command[:4]) == SERVE
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8000"
    assert "--workers" not in command, "replicas, not workers, under Compose: each replica is one process"


def test_image_cmd_migrates_then_serves() -> None:
    command = image_command()
    assert command.index(MIGRATE) < command.index(SERVE)
    assert "&&" in command[command.index(MIGRATE) : command.index(SERVE)], "a failed migration must stop the start"
    assert f"exec {SERVE}" in command, "the server should replace the shell, to get docker stop's SIGTERM"


def test_image_installs_the_project_and_runs_as_a_non_root_user() -> None:
    assert instruction("FROM") == ["python:3.12-slim"]
    assert any(re.search(r"\bpip install (--\S+ )*\.(\s|$)", run) for run in instruction("RUN"))
    users = instruction("USER")
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    keywords = [keyword for keyword, _ in dockerfile()]
    assert len(keywords) - 1 - keywords[::-1].index("USER") < keywords.index("CMD")


def test_two_replicas_run_behind_one_port() -> None:
    app = service("app")
    assert "container_name" not in app, "a fixed container name allows one replica only"
    assert int(app["deploy"]["replicas"]) == 2
    assert "ports" not in app, "the replicas are reached through the load balancer only"
    lb = service("lb")
    assert lb["image"].startswith("nginx:1.27")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in lb["volumes"]
    [port] = lb["ports"]
    host, _, container = interpolate(str(port)).rpartition(":")
    assert (host, container) == ("8000", str(nginx_listen_port()))
    assert lb["depends_on"]["app"]["condition"] == "service_healthy"


def test_healthchecks_ask_readyz_with_urllib() -> None:
    check = service("app")["healthcheck"]["test"]
    assert isinstance(check, list)
    assert check[0] == "CMD"
    assert check[1:3] == ["python", "-c"]
    code = check[3]
    compile(code, "healthcheck", "exec")
    assert "urllib.request" in code
    assert "http://localhost:8000/readyz" in code
    assert "http://localhost:8000/readyz" in " ".join(instruction("HEALTHCHECK"))


def seconds(duration: str) -> float:
    """A Compose duration such as `30s`, `1m30s`."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert duration, "an empty duration"
    assert parts, f"not a duration Compose writes: {duration!r}"
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


def test_replicas_get_longer_to_stop_than_their_requests_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in environment("app").items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.shutdown_timeout_seconds < seconds(service("app")["stop_grace_period"])


@cache
def nginx() -> str:
    return re.sub(r"#.*", "", (ROOT / "deploy" / "nginx.conf").read_text())


def nginx_block(header: str) -> str:
    """The body of the first block whose header matches, its nested blocks included."""
    match = re.search(header + r"\s*\{", nginx())
    assert match, f"deploy/nginx.conf has no block {header!r}"
    depth, start = 1, match.end()
    for i in range(start, len(nginx())):
        depth += {"{": 1, "}": -1}.get(nginx()[i], 0)
        if depth == 0:
            return nginx()[start:i]
    raise AssertionError(f"block {header!r} is not closed")


def directives(block: str) -> list[list[str]]:
    """The block's own directives (not those of nested blocks), each split into words."""
    flat = re.sub(r"\{[^{}]*\}", ";", block)
    while "{" in flat:
        flat = re.sub(r"\{[^{}]*\}", ";", flat)
    return [statement.split() for statement in flat.split(";") if statement.strip()]


def nginx_listen_port() -> int:
    [listen] = [d for d in directives(nginx_block(r"\bserver")) if d[0] == "listen"]
    return int(listen[1])


def test_nginx_sends_every_request_to_the_app_replicas() -> None:
    upstream = directives(nginx_block(r"upstream cheeseshop"))
    servers = [d for d in upstream if d[0] == "server"]
    assert servers == [["server", "app:8000", "resolve"]], "every replica, by the service's name"
    assert ["resolver", "127.0.0.11", "valid=10s", "ipv6=off"] in directives(nginx_block(r"http"))
    for location in (r"location /graphql", r"location /"):
        assert ["proxy_pass", "http://cheeseshop"] in directives(nginx_block(location))
    assert ["return", "404"] in directives(nginx_block(r"location = /metrics")), "metrics stay internal"


def test_nginx_passes_websocket_upgrades_and_the_request_id() -> None:
    server = directives(nginx_block(r"\bserver"))
    assert ["proxy_http_version", "1.1"] in server
    assert ["proxy_set_header", "Upgrade", "$http_upgrade"] in server
    assert ["proxy_set_header", "Connection", "$connection_upgrade"] in server
    assert ["proxy_set_header", "X-Request-ID", "$request_id"] in server
    assert ["proxy_set_header", "X-Forwarded-For", "$proxy_add_x_forwarded_for"] in server
    for location in (r"location /graphql", r"location /"):
        assert not [d for d in directives(nginx_block(location)) if d[0] == "proxy_set_header"], (
            "a location with a proxy_set_header of its own drops every one of the server's"
        )
    assert "map $http_upgrade $connection_upgrade" in nginx()
    assert environment("app")["AUTH_RATE_TRUST_FORWARDED_FOR"] == "true", "behind exactly one proxy that appends"


def test_the_dockerfile_documents_every_setting() -> None:
    comments = " ".join(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("#"))
    documented = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{4,}\b", comments))
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in documented)
    assert not missing, f"settings missing from the Dockerfile's list: {missing}"


async def test_the_replicas_settings_serve_health_and_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as a replica's environment configures it (its database left out) answers what Compose asks."""
    for key, value in environment("app").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app(Settings(_env_file=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200


async def test_healthz_answers_without_a_database() -> None:
    """The health check's path exists and needs no database (the lifespan, which connects, is not run)."""
    app = create_app(Settings(database_url="sqlite://", graphiql=False, demo_data=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_dockerignore_keeps_what_the_build_needs() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = ["pyproject.toml", "README.md", "app.py", "models", "schema", "resolvers", "loaders", "migrations", "web"]
    needed += ["web/graphiql", "web/graphiql/index.html"]
    for path in needed:
        ignored = [p for p in patterns if not p.startswith("!") and fnmatch.fnmatch(path, p.removeprefix("**/"))]
        assert not ignored, f"{path} is needed in the image but .dockerignore drops it ({ignored})"
    for path in (".git", ".env", "cheeseshop.db"):
        assert any(fnmatch.fnmatch(path, p) for p in patterns), f".dockerignore should drop {path}"


def test_the_signing_key_has_no_default_and_must_come_from_the_user() -> None:
    raw = str(service("app")["environment"]["SECRET_KEY"])
    assert raw.startswith("${SECRET_KEY:?"), "a key written in the file would be known to everyone"


def test_every_replica_signs_tokens_with_the_same_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in environment("app").items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.secret_key is not None
    assert len(settings.secret_key) >= 32, "a key made up per process would reject other replicas' tokens"
