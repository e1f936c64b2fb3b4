"""What every resolver gets: the request's (or socket operation's) database handle, loaders, settings and caller."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.fastapi import BaseContext

from live.hub import Live
from loaders import Loaders
from models.db import Db, Maker
from models.document import Documents
from models.passwords import Passwords

if TYPE_CHECKING:
    from app import Settings


@dataclass
class Context(BaseContext):
    db: Db
    loaders: Loaders
    settings: "Settings"
    passwords: Passwords
    secret: str = field(repr=False)  # signs tokens
    executing: asyncio.Semaphore  # the process's queries that may execute at once (see `ExecutionSlots`)
    documents: Documents  # persisted documents by hash, with the process's cache of them
    live: Live  # the process's subscribers, to announce a publish to
    sessionmaker: Maker  # sessions of its own for each event of a subscription
    viewer_id: int | None = None  # from the token; the user row is loaded only if asked for
    viewer_key: str | None = None  # the token's account key: the row of `viewer_id` must still have it
    auth_problem: str | None = None  # why there is no viewer, for mutations that need one
    viewer_expires_at: datetime | None = None  # when the token stops signing the viewer in
    token_refused: bool = False  # a token was sent but is not valid: never anonymous (see `RejectRefusedTokens`)
    # Users who proved who they are in this request (register, login): their answer may show their email.
    revealed_user_ids: set[int] = field(default_factory=set)
    # BaseContext sets these in an `__init__` a dataclass never calls: fields, so every context has them.
    request: Request | WebSocket | None = None  # the HTTP request, or the socket an operation came over
    response: Response | None = None  # HTTP only
    background_tasks: BackgroundTasks | None = None


Info = strawberry.Info[Context, None]
