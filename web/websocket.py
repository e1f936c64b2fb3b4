"""`graphql-transport-ws` at /graphql: strawberry's protocol handler, held to well-formed messages, with a
context per connection (the token from `connection_init`) and a session per operation."""

import dataclasses
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import suppress
from json import JSONDecodeError

from cross_web import HTTPException
from fastapi import WebSocket
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    Message,
    SubscribeMessage,
)
from strawberry.utils.aio import aclosing

from loaders import Loaders
from models.db import Db
from resolvers import tokens
from schema.context import Context
from schema.persisted_queries import PersistedQueryError

TRY_AGAIN_LATER = 1013  # the WebSocket close code for a server at capacity; clients retry it with a backoff


class SocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, with the router's JSON refusals (not UTF-8, nested too deep) as protocol errors, and
    every message sent as a text frame."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        # The protocol's messages are text frames; strawberry's adapter sends the router's orjson bytes as binary
        # ones, which a browser's graphql-ws client cannot parse.
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                try:
                    yield self.view.decode_json(text)
                except (JSONDecodeError, HTTPException) as error:
                    raise NonJsonMessageReceived from error
        except KeyError as error:  # a binary frame
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


def malformed(message: object) -> str | None:
    """What is wrong with a message's shape, for the 4400 close; None when strawberry may handle it."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a string `type`."
    kind, payload = message["type"], message.get("payload")
    if kind in ("subscribe", "complete") and not (isinstance(message.get("id"), str) and message["id"]):
        return f"A `{kind}` message needs a non-empty string `id`."
    if kind == "subscribe":
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return "A `subscribe` message needs a `payload` object with a string `query`."
        for name, kind_of in (("variables", dict), ("operationName", str), ("extensions", dict)):
            if payload.get(name) is not None and not isinstance(payload[name], kind_of):
                return f"The `subscribe` payload's `{name}` has the wrong type."
    elif kind in ("ping", "pong") and payload is not None and not isinstance(payload, dict):
        return f"A `{kind}` payload must be an object."
    return None


def too_many_subscriptions(limit: int) -> GraphQLError:
    return GraphQLError(
        f"The connection runs more than {limit:,} operations at once; the limit"
        f" (MAX_SUBSCRIPTIONS_PER_CONNECTION) is {limit:,}. Complete one first, or open another connection.",
        extensions={
            "code": "TOO_MANY_SUBSCRIPTIONS",
            "limit": limit,
            "measured": limit + 1,
            "setting": "MAX_SUBSCRIPTIONS_PER_CONNECTION",
        },
    )


class TransportWsHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's handler; each operation runs with a context (and a session and loaders) of its own."""

    async def handle_message(self, message: Message) -> None:
        problem = malformed(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Strawberry's own cap, with an error that says which limit it is, as the document limits' errors do.
        limit = self.max_subscriptions_per_connection
        if (
            limit is not None
            and self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            error = too_many_subscriptions(limit)
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Strawberry's own, but with the operation's context: a subscription replaces its session per event.
        db = Db(self.context.sessionmaker())
        context = dataclasses.replace(self.context, db=db, loaders=Loaders(db), revealed_user_ids=set())
        expires_at = context.viewer_expires_at
        if expires_at is not None and tokens.now() >= expires_at:  # refused as over HTTP, where it is read anew
            context.viewer_id, context.viewer_key, context.token_refused = None, None, True
            context.auth_problem = tokens.EXPIRED
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message(CompleteMessage(id=operation.id, type="complete"))
        except _OperationStreamClosed:
            return
        except PersistedQueryError as error:  # refused before it ran, as over HTTP: the client's to read
            await operation.send_initial_errors([error])
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            await context.db.close()


def authorization(params: object) -> object:
    """The `Authorization` entry of a `connection_init` payload, its key in any case; None when absent."""
    if not isinstance(params, dict):
        return None
    return next((value for key, value in params.items() if key.lower() == "authorization"), None)


def sign_in(context: Context) -> None:
    """The caller from the token in `connection_init`: no token is anonymous, an invalid one is refused (4403)."""
    value = authorization(context.connection_params)
    if value is not None and not isinstance(value, str):
        raise ConnectionRejectionError()
    caller = tokens.caller(value, secret=context.secret)
    if caller.refused:
        raise ConnectionRejectionError()
    context.viewer_id, context.viewer_key, context.auth_problem = caller.user_id, caller.key, caller.problem
    context.viewer_expires_at = caller.expires_at


async def serve_socket(
    websocket: WebSocket,
    make_context: Callable[[WebSocket], Context],
    max_connections: int,
    run: Callable[[Context], Awaitable[None]],
) -> None:
    """One WebSocket: refused unless it speaks `graphql-transport-ws`, closed at once past the process's cap."""
    if GRAPHQL_TRANSPORT_WS_PROTOCOL not in websocket.scope.get("subprotocols", ()):
        # Before accepting: the server answers the handshake with HTTP 403 (the legacy `graphql-ws` included).
        await websocket.close(code=1002, reason=f"Only the {GRAPHQL_TRANSPORT_WS_PROTOCOL} subprotocol is served.")
        return
    context = make_context(websocket)
    sockets = context.live.sockets
    if len(sockets) >= max_connections or context.live.broadcaster.closed:
        await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL)
        await websocket.close(code=TRY_AGAIN_LATER, reason="Too many connections; try again later.")
        return
    sockets.add(websocket)
    try:
        await run(context)
    finally:
        sockets.discard(websocket)
