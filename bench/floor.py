"""The floor: each workload query answered by ONE hand-written SQL statement that builds the whole JSON answer.

`uvicorn bench.floor:app` serves POST /graphql, configured by DATABASE_URL (and SECRET_KEY, to read bearer
tokens the way the app does). The statement is chosen by the operation name; it is `floor_sql/<name>.sql`
with the name in snake_case, and its header says which variable each `$n` parameter takes. PostgreSQL only.
"""

import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import jwt

from bench.urls import asyncpg_dsn

SQL_DIR = Path(__file__).resolve().parent / "floor_sql"
POOL_SIZE = 20  # as many connections as the app's pool may open (10, plus 10 overflow)
PARAMETER = re.compile(r"^-- \$(\d+): (\S+)", re.MULTILINE)
OPERATION = re.compile(r"\b(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class FloorError(Exception):
    """A request the floor cannot answer; it becomes a GraphQL `errors` answer."""


@dataclass(frozen=True)
class Statement:
    """One operation's SQL and, for each `$n` in order, where its value comes from."""

    sql: str
    sources: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> "Statement":
        sql = path.read_text(encoding="utf-8")
        numbered = sorted((int(n), source) for n, source in PARAMETER.findall(sql))
        if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
            raise ValueError(f"{path.name}: parameters must be declared as $1, $2, ... in order")
        return cls(sql=sql, sources=tuple(source for _, source in numbered))

    def arguments(self, variables: dict[str, Any], viewer: int | None) -> list[Any]:
        return [_argument(source, variables, viewer) for source in self.sources]


def _argument(source: str, variables: dict[str, Any], viewer: int | None) -> Any:
    if source == "viewer":
        if viewer is None:
            raise FloorError("Sign in first.")
        return viewer
    kind, _, path = source.partition(".")
    if kind != "variables":
        raise ValueError(f"unknown parameter source {source!r}")
    value: Any = variables
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def snake_case(operation_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_name).lower()


def statements() -> dict[str, Statement]:
    """Every operation the floor answers, by its snake_case name."""
    return {path.stem: Statement.load(path) for path in sorted(SQL_DIR.glob("*.sql")) if path.stem != "helpers"}


class Floor:
    """A raw ASGI app: the lifespan opens the pool, every POST /graphql runs one statement."""

    def __init__(self) -> None:
        self.statements = statements()
        self.helpers = (SQL_DIR / "helpers.sql").read_text(encoding="utf-8")
        self.secret = os.environ.get("SECRET_KEY", "")
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.pool = await asyncpg.create_pool(
                    asyncpg_dsn(os.environ["DATABASE_URL"]),
                    min_size=1,
                    max_size=POOL_SIZE,
                    init=self.prepare,
                    reset=self.keep,
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def prepare(self, connection: asyncpg.Connection) -> None:
        await connection.execute(self.helpers)

    async def keep(self, connection: asyncpg.Connection) -> None:
        """A request leaves no session state behind, so asyncpg's reset (RESET ALL, UNLISTEN *, ...) is skipped."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST" or scope["path"] != "/graphql":
            await respond(send, 404, b'{"errors": [{"message": "POST /graphql only"}]}')
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        try:
            answer = await self.answer(json.loads(body), headers.get(b"authorization", b"").decode())
        except (FloorError, asyncpg.PostgresError, ValueError) as error:  # ValueError: the body is not JSON
            await respond(send, 200, json.dumps({"data": None, "errors": [{"message": str(error)}]}).encode())
            return
        await respond(send, 200, answer.encode())

    async def answer(self, request: dict[str, Any], authorization: str) -> str:
        name = request.get("operationName") or _operation_name(request.get("query", ""))
        statement = self.statements.get(snake_case(name))
        if statement is None:
            raise FloorError(f"The floor has no statement for operation {name!r}.")
        arguments = statement.arguments(request.get("variables") or {}, self.viewer(authorization))
        assert self.pool is not None, "the lifespan opens the pool"
        async with self.pool.acquire() as connection:
            answer: str | None = await connection.fetchval(statement.sql, *arguments)
        if answer is None:
            raise FloorError(f"{name}: the statement found nothing to answer with.")
        return answer

    def viewer(self, authorization: str) -> int | None:
        """The user id in a bearer token, if SECRET_KEY signed it (HS256, as the app signs its tokens)."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not self.secret:
            return None
        try:
            claims = jwt.decode(token.strip(), self.secret, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return None
        return int(claims["sub"])


def _operation_name(document: str) -> str:
    found = OPERATION.search(document)
    if found is None:
        raise FloorError("Name the operation: the floor picks its statement by name.")
    return found.group(1)


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = Floor()
