"""ASGI middleware: a request body is read whole and bounded first; a client that leaves takes its work with it."""

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.media import error_response

log = logging.getLogger(__name__)


class BufferedBody:
    """Reads each HTTP request's body, up to `max_bytes`, before the app sees any of it; then watches the client.

    Over the limit is a 413 as soon as the limit is passed (or at once when `Content-Length` says so), whatever
    `Content-Length` claims, before anything parses a byte. Once the body is in and until the answer starts,
    a disconnect cancels the app: a query still waiting for an execution slot never starts, and one executing
    stops, its session closed on the way out. After the answer has started, the app is left to finish it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":  # gone before it finished sending: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await _ClientWatch(self.app, b"".join(chunks), receive, send).run(scope)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The rest of the body is not read: the connection closes after the answer.
        response = error_response(413, f"The request body is larger than {self.max_bytes} bytes.")
        response.headers["connection"] = "close"
        await response(scope, receive, send)


class _ClientWatch:
    """Runs the app on a body already read, and cancels it when the client disconnects before the answer starts."""

    def __init__(self, app: ASGIApp, body: bytes, receive: Receive, send: Send) -> None:
        self.app, self.body, self.receive, self.send = app, body, receive, send
        self.replayed = self.started = False
        self.left = asyncio.Event()
        self.handler: asyncio.Task[None] | None = None
        self.watcher: asyncio.Task[None] | None = None

    async def run(self, scope: Scope) -> None:
        self.handler = asyncio.create_task(self._handle(scope))
        self.watcher = watcher = asyncio.create_task(self._watch())
        try:
            await self.handler
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not self.left.is_set() or (current is not None and current.cancelling()):
                raise  # not the client's leaving: whoever cancelled this request wants it to stop
            log.info("client disconnected before its answer started: %s %s cancelled", scope["method"], scope["path"])
        finally:
            watcher.cancel()

    async def _handle(self, scope: Scope) -> None:
        await self.app(scope, self._replay, self._send)

    async def _replay(self) -> Message:
        if not self.replayed:
            self.replayed = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.left.wait()  # the app asks whether the client is still there
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if self.watcher is not None:  # from here on the answer is written whole, whoever still reads it
                self.watcher.cancel()
        await self.send(message)

    async def _watch(self) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
        self.left.set()
        if self.handler is not None:
            self.handler.cancel()
