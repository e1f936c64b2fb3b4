"""Media types of the GraphQL-over-HTTP spec, and the JSON error bodies of requests refused before GraphQL."""

from collections.abc import Mapping

import orjson
from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# The body types a POST may have. Neither is one a cross-site form or a `text/plain` fetch can send without a
# CORS preflight, so no page on another origin can make a browser run a mutation with its user's token.
REQUEST_TYPES = frozenset({JSON, GRAPHQL_RESPONSE})

CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def answer_type(accept: str | None) -> str | None:
    """The media type to answer in for this `Accept` header; None when it accepts neither of ours.

    No header, `*/*` and `application/*` get `application/json`, as legacy clients expect; the spec's own type
    wins a tie, so `application/graphql-response+json, application/json` gets it.
    """
    if accept is None or not accept.strip():
        return JSON
    best, best_q = None, 0.0
    for item in accept.split(","):
        kind, *params = (part.strip().lower() for part in item.split(";"))
        if kind == GRAPHQL_RESPONSE:
            candidate = GRAPHQL_RESPONSE
        elif kind in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        q = _quality(params)
        if q > best_q or (q == best_q > 0 and candidate == GRAPHQL_RESPONSE):
            best, best_q = candidate, q
    return best


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE else media_type


def error_response(
    status: int, message: str, *, media_type: str = JSON, headers: Mapping[str, str] | None = None
) -> Response:
    """A GraphQL-shaped answer with one error and no `data`, for a request that never reached the schema."""
    body = {"errors": [{"message": message, "extensions": {"code": CODES.get(status, "BAD_REQUEST")}}]}
    response = Response(orjson.dumps(body), status_code=status, headers=headers)
    response.headers["content-type"] = content_type(media_type)
    return response
