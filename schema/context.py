"""What every resolver gets: the request's database handle, loaders, settings and caller."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import strawberry
from strawberry.fastapi import BaseContext

from loaders import Loaders
from models.db import Db

if TYPE_CHECKING:
    from app import Settings


@dataclass
class Context(BaseContext):
    db: Db
    loaders: Loaders
    settings: "Settings"
    viewer_id: int | None


Info = strawberry.Info[Context, None]
