"""Inputs, payloads and result unions of the write side."""

from enum import Enum
from typing import Annotated

import strawberry

from schema.errors import (
    Conflict,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    TryAgainLater,
    UnexpectedError,
    ValidationError,
)
from schema.package import Package
from schema.release import Release
from schema.user import User


@strawberry.input(description="A new account.")
class RegisterInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    email: str = strawberry.field(description="Stored in lower case; one account per address.")
    password: str = strawberry.field(description="10 to 1,024 characters.")


@strawberry.type(description="The account, and a token that signs it in at once.")
class AuthPayload:
    user: User
    token: str = strawberry.field(description="Send it as `Authorization: Bearer <token>`.")


RegisterResult = Annotated[
    AuthPayload | ValidationError | Conflict | TryAgainLater | UnexpectedError, strawberry.union("RegisterResult")
]
LoginResult = Annotated[
    AuthPayload | ValidationError | NotAuthenticated | TryAgainLater | UnexpectedError, strawberry.union("LoginResult")
]


@strawberry.input(description="A new package; the caller becomes its first owner.")
class CreatePackageInput:
    name: str = strawberry.field(description="Stored PEP 503 normalised; `Foo_Bar` and `foo-bar` are the same name.")
    summary: str | None = None
    description: str | None = None
    home_page: str | None = None
    docs_url: str | None = None
    license: str | None = None
    author_name: str | None = None
    author_email: str | None = None


@strawberry.input(description="New values for a package's fields; a field left out keeps its value, null clears it.")
class UpdatePackageInput:
    package: str = strawberry.field(description="The package's name (normalised before lookup).")
    summary: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    home_page: str | None = strawberry.UNSET
    docs_url: str | None = strawberry.UNSET
    license: str | None = strawberry.UNSET
    author_name: str | None = strawberry.UNSET
    author_email: str | None = strawberry.UNSET


@strawberry.type
class PackagePayload:
    package: Package


@strawberry.type
class DeletePackagePayload:
    deleted_id: strawberry.ID = strawberry.field(description="The global ID the package had.")
    name: str


CreatePackageResult = Annotated[
    PackagePayload | ValidationError | NotAuthenticated | Conflict | UnexpectedError,
    strawberry.union("CreatePackageResult"),
]
UpdatePackageResult = Annotated[
    PackagePayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("UpdatePackageResult"),
]
DeletePackageResult = Annotated[
    DeletePackagePayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("DeletePackageResult"),
]


@strawberry.input(description="A new release of a package.")
class PublishReleaseInput:
    package: str = strawberry.field(description="The package's name (normalised before lookup).")
    version: str = strawberry.field(description="A PEP 440 version; stored normalised (`1.0-RC1` is `1.0rc1`).")
    comment: str | None = None
    url: str | None = None
    size: int = strawberry.field(default=0, description="Size of the release's files in bytes.")


@strawberry.type
class ReleasePayload:
    release: Release


PublishReleaseResult = Annotated[
    ReleasePayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("PublishReleaseResult"),
]
YankReleaseResult = Annotated[
    ReleasePayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("YankReleaseResult"),
]


@strawberry.enum(description="What a maintainer may do: owners also manage the maintainers and may delete.")
class MaintainerRole(Enum):
    OWNER = "owner"
    MAINTAINER = "maintainer"


@strawberry.type(description="A package with one of its maintainers.")
class MaintainerPayload:
    package: Package
    user: User


AddMaintainerResult = Annotated[
    MaintainerPayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("AddMaintainerResult"),
]
RemoveMaintainerResult = Annotated[
    MaintainerPayload | ValidationError | NotAuthenticated | NotAllowed | NotFound | Conflict | UnexpectedError,
    strawberry.union("RemoveMaintainerResult"),
]
