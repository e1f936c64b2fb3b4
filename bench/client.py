"""One client: GraphQL over HTTP/1.1 keep-alive, one request at a time, each answer checked and timed.

Blocking on purpose (the standard library's http.client is the thinnest client there is); the harness runs it
in a thread.
"""

import http.client
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


class AnswerError(Exception):
    """An answer with `errors`, or not the answer the workload expects."""


class Client:
    """One keep-alive connection to a GraphQL endpoint."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"expected http://host:port/path, got {url}")
        self.path = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, body: bytes) -> bytes:
        self.connection.request("POST", self.path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        raw = response.read()
        if response.status != 200:
            raise AnswerError(f"HTTP {response.status}: {raw[:500]!r}")
        return raw

    def close(self) -> None:
        self.connection.close()


def checked(raw: bytes, typename: str | None = None) -> dict[str, Any]:
    """The parsed answer; refused when it has `errors` or lacks `typename` (the payload a mutation must return)."""
    try:
        answer = json.loads(raw)
    except ValueError:
        raise AnswerError(f"not JSON: {raw[:500]!r}") from None
    if not isinstance(answer, dict) or answer.get("errors") or not isinstance(answer.get("data"), dict):
        raise AnswerError(f"answer with errors: {raw[:1000].decode(errors='replace')}")
    if typename is not None and f'"{typename}"'.encode() not in raw:
        raise AnswerError(f"expected a {typename}: {raw[:1000].decode(errors='replace')}")
    return answer


def ask(url: str, body: bytes, token: str | None = None, typename: str | None = None) -> dict[str, Any]:
    """One request on a connection of its own (so that the requests of a warm-up spread over the workers)."""
    client = Client(url, token)
    try:
        return checked(client.post(body), typename)
    finally:
        client.close()


def timed_requests(
    url: str, bodies: Iterable[bytes], token: str | None, typename: str | None, seconds: float
) -> list[float]:
    """Seconds per request, sent one after another on one connection, until the bodies or `seconds` run out.

    Every answer is checked, cheaply.
    """
    client = Client(url, token)
    timings: list[float] = []
    try:
        for body in bodies:
            started = time.perf_counter()
            raw = client.post(body)
            timings.append(time.perf_counter() - started)
            if b'"errors"' in raw or (typename is not None and f'"{typename}"'.encode() not in raw):
                checked(raw, typename)
            if sum(timings) > seconds:
                break
    finally:
        client.close()
    return timings


def sign_up_publisher(url: str, email: str, package: str) -> str:
    """Register an account, create `package` with it, and return its token."""
    register = """
        mutation Register($input: RegisterInput!) {
          register(input: $input) { __typename ... on AuthPayload { token } ... on Error { message } }
        }"""
    account = {"name": "Bench Publisher", "email": email, "password": "bench publisher password"}
    answer = ask(url, json.dumps({"query": register, "variables": {"input": account}}).encode(), typename="AuthPayload")
    token: str = answer["data"]["register"]["token"]
    create = """
        mutation CreatePackage($input: CreatePackageInput!) {
          createPackage(input: $input) { __typename ... on Error { message } }
        }"""
    details = {"name": package, "summary": "Where the benchmark publishes its releases."}
    ask(url, json.dumps({"query": create, "variables": {"input": details}}).encode(), token, "PackagePayload")
    return token
