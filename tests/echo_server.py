"""A GraphQL server for the GraphiQL page's WebSocket side: strawberry's own graphql-transport-ws, nothing else.

It serves the app's GraphiQL page and assets, and one subscription that answers what the page put in
`connection_init`'s payload, so a test can see what GraphiQL sends over the socket (`python -m uvicorn
tests.echo_server:app`).
"""

from collections.abc import AsyncGenerator

import strawberry
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app import GRAPHIQL_DIR


@strawberry.type
class Query:
    ready: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def connection_authorization(self, info: strawberry.Info) -> AsyncGenerator[str | None, None]:
        """The `Authorization` of the connection's `connection_init` payload, once."""
        yield info.context["connection_params"].get("Authorization")


class EchoRouter(GraphQLRouter[object, None]):
    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse((GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8"))


app = FastAPI()
app.include_router(
    EchoRouter(
        strawberry.Schema(Query, subscription=Subscription), subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL]
    ),
    prefix="/graphql",
)
app.mount("/graphql/static", StaticFiles(directory=GRAPHIQL_DIR))


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}
