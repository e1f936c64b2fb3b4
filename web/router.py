"""Strawberry's router held to the GraphQL-over-HTTP spec (strict bodies, negotiated answers), and its WebSocket."""

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import Request, WebSocket
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from schema.context import Context
from web.media import GRAPHQL_RESPONSE, JSON, REQUEST_TYPES, answer_type, content_type, error_response
from web.websocket import SocketAdapter, TransportWsHandler, serve_socket, sign_in

SUBSCRIPTIONS_ARE_SOCKETS = (
    f"Subscriptions are not served over HTTP: open a WebSocket to /graphql with the {GRAPHQL_TRANSPORT_WS_PROTOCOL} "
    "protocol."
)
# What `process_result` decided for the answer it built; `run` applies it to the response.
ANSWER_STATUS = "graphql_answer_status"
# The response an operation may add headers to (`Context.response`), merged into the answer by strawberry.
SUB_RESPONSE = "graphql_sub_response"
# A request's context, entered for the request and left once its answer is built.
RequestContext = Callable[[Request, Response], AbstractAsyncContextManager[Context]]


class EdgeRouter(GraphQLRouter[Context, None]):
    """The `/graphql` endpoint: POST and GET (queries only), GraphiQL from the app's own files, and
    `graphql-transport-ws` over a WebSocket (see `web.websocket`).

    Malformed requests are a 4xx with a JSON `errors` body, never a 500. Answers are
    `application/graphql-response+json` when the client accepts it, with the spec's status codes: 4xx for a
    request that never reached execution (unparsable, invalid, refused before it ran), 200 once it ran, even
    with field errors. `application/json` answers keep their legacy shape: 200 for every GraphQL answer.
    """

    graphql_transport_ws_handler_class = TransportWsHandler
    websocket_adapter_class = SocketAdapter

    def __init__(
        self,
        schema: BaseSchema,
        *,
        max_json_depth: int,
        graphiql_dir: Path,
        request_context: RequestContext,
        socket_context: Callable[[WebSocket], Context],
        max_connections: int,
        connection_init_seconds: float,
        max_subscriptions_per_connection: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=connection_init_seconds),
            max_subscriptions_per_connection=max_subscriptions_per_connection,
            **kwargs,
        )
        self.max_json_depth, self.graphiql_dir = max_json_depth, graphiql_dir
        self.request_context = request_context
        self.socket_context, self.max_connections = socket_context, max_connections
        # Strawberry's routes take their context as a FastAPI yield dependency: solving it was about a quarter
        # of a small query's time (bench/README.md), and its sub-response is one attribute shared by all requests
        # in flight. This route's only parameter is the request; it builds each request's context and
        # sub-response itself. Strawberry's WebSocket route builds the context with the HTTP getter, which reads
        # a body; a socket gets a context of its own.
        self.routes[:] = [route for route in self.routes if not isinstance(route, APIRoute | APIWebSocketRoute)]
        for method in ("GET", "POST"):  # a route each: one operation each in the OpenAPI document
            self.add_api_route("", self.http_endpoint, methods=[method], name=f"graphql_{method.lower()}")
        self.add_api_websocket_route("", self.websocket_endpoint)
        # Any other method gets the same kind of answer as any other refused request, not FastAPI's `detail`.
        self.add_api_route("", refuse_method, methods=["PUT", "PATCH", "DELETE", "OPTIONS"], include_in_schema=False)

    async def http_endpoint(self, request: Request) -> Response:
        sub_response = Response()
        del sub_response.headers["content-length"]  # what FastAPI's dependency response is: no body, no status
        sub_response.status_code = None  # type: ignore[assignment]  # strawberry answers 200 unless it is set
        setattr(request.state, SUB_RESPONSE, sub_response)
        async with self.request_context(request, sub_response) as context:
            return await self.run(request, context, None)

    async def get_sub_response(self, request: Request) -> Response:
        sub_response: Response = getattr(request.state, SUB_RESPONSE)
        return sub_response

    async def run(  # type: ignore[override]  # one signature for what the base class spells as two overloads
        self, request: Request, context: Context = UNSET, root_value: None = UNSET
    ) -> Response:
        accepted = answer_type(request.headers.get("accept")) or JSON
        try:
            response: Response = await super().run(request, context, root_value)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):  # a mutation over GET
                return error_response(405, error.reason, media_type=accepted, headers={"Allow": "POST"})
            return error_response(error.status_code, error.reason, media_type=accepted)
        status = getattr(request.state, ANSWER_STATUS, None)
        if status is not None:
            response.status_code = status
            response.headers["content-type"] = content_type(accepted)
        return response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Strawberry's, without subscriptions: over HTTP they would run once and fail; they are the socket's."""
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed -= {OperationType.QUERY}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, SUBSCRIPTIONS_ARE_SOCKETS) from None
            raise HTTPException(400, error.as_http_error_reason(request_adapter.method)) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error

    async def websocket_endpoint(self, websocket: WebSocket) -> None:
        async def run(context: Context) -> None:
            await GraphQLRouter.run(self, websocket, context, None)  # the HTTP edge's `run` is for HTTP only

        await serve_socket(websocket, self.socket_context, self.max_connections, run)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        sign_in(context)
        return await super().on_ws_connect(context)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL, its scripts and styles served by the app rather than a CDN (strawberry's page without them)."""
        if not self.graphiql_dir.is_dir():
            return await super().render_graphql_ide(request)
        return HTMLResponse((self.graphiql_dir / "index.html").read_text(encoding="utf-8"))

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query by its hash has no `query` either, and older clients accept `*/*`.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    def encode_json(self, data: object) -> bytes:
        # Answers run to megabytes; orjson writes them several times faster than the standard library.
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """JSON from a body or a GET parameter, which must be UTF-8 and nest at most `max_json_depth` deep."""
        if isinstance(data, bytes):
            try:
                data = data.decode()
            except UnicodeDecodeError:
                raise HTTPException(400, "The request body is not UTF-8.") from None
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            # orjson refuses an escaped lone surrogate (`"\ud800"`), which JSON allows; the standard library reads
            # it, and the schema then says which argument holds it. Anything deeper than orjson's own depth limit
            # is past ours too, and the standard library would only recurse into it.
            value = _standard_json(data, self.max_json_depth)
        if _deeper_than(value, self.max_json_depth):
            raise _too_deep(self.max_json_depth)
        return value

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if answer_type(request.headers.get("accept")) is None:
            raise HTTPException(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.")
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        else:
            media_type, _ = parse_content_type(request.content_type or "")
            if media_type not in REQUEST_TYPES:
                raise HTTPException(415, f"POST a body of type {JSON}.")
            data = self.parse_json(await request.get_body())
            if not isinstance(data, dict):  # batching is off: a list is as wrong as null, a number or a string
                raise HTTPException(400, "The request body must be a JSON object.")
        return GraphQLRequestData(
            query=_member(data, "query", str),
            variables=_member(data, "variables", dict),
            operation_name=_member(data, "operationName", str),
            extensions=_member(data, "extensions", dict),
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        answer = process_result(result)
        if answer_type(request.headers.get("accept")) != GRAPHQL_RESPONSE:
            setattr(request.state, ANSWER_STATUS, 200)
            return answer
        # Field errors carry a path; a document that never ran (parse, validation, a limit) has none, and answers
        # without `data`, as the spec's request errors do.
        ran = result.data is not None or any(error.path for error in result.errors or ())
        if ran:
            setattr(request.state, ANSWER_STATUS, 200)
            return answer
        errors = result.errors or ()
        codes = {(error.extensions or {}).get("code") for error in errors}
        # An error may name its own status (a persisted query not found is 200, as Apollo's links expect).
        chosen = [status for error in errors if (status := getattr(error, "http_status", None)) is not None]
        status = 500 if "INTERNAL_SERVER_ERROR" in codes else max(chosen, default=400)
        setattr(request.state, ANSWER_STATUS, status)
        answer.pop("data", None)
        return answer


async def refuse_method(request: Request) -> Response:
    accepted = answer_type(request.headers.get("accept")) or JSON
    message = f"{request.method} is not a GraphQL request: send a query by GET or POST."
    return error_response(405, message, media_type=accepted, headers={"Allow": "GET, POST"})


def _standard_json(text: str, max_depth: int) -> object:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:  # not JSON, or a number of more digits than Python converts
        raise HTTPException(400, "The request's JSON is not valid.") from None


def _too_deep(max_depth: int) -> HTTPException:
    return HTTPException(400, f"The request's JSON nests deeper than {max_depth} levels.")


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _deeper_than(value: object, bound: int) -> bool:
    """Whether arrays and objects nest more than `bound` levels in `value`; without recursion."""
    containers: list[tuple[object, int]] = [(value, 1)]
    while containers:
        item, depth = containers.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > bound:
            return True
        containers.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _member(data: dict[str, Any], name: str, kind: type) -> Any:
    """A request member, which must be of `kind` or null when present."""
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        what = "a string" if kind is str else "an object"
        raise HTTPException(400, f"The request's `{name}` must be {what} or null.")
    return value
