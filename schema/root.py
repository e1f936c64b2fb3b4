"""The root types and the `strawberry.Schema`."""

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import ExecutionContext

import resolvers.classifiers
import resolvers.node
import resolvers.packages
import resolvers.releases
import resolvers.stats
import resolvers.users
from schema.classifier import Classifier
from schema.connection import Connection
from schema.extensions import MaskUnexpectedErrors, RejectNulCharacters
from schema.package import Package
from schema.release import Release
from schema.stats import Stats
from schema.user import User


@strawberry.type
class Query:
    node: relay.Node | None = strawberry.field(
        resolver=resolvers.node.node, description="Any object by its global ID; null when there is none."
    )
    package: Package | None = strawberry.field(
        resolver=resolvers.packages.package,
        description="A package by name, compared after PEP 503 normalising.",
    )
    packages: Connection[Package] = strawberry.field(
        resolver=resolvers.packages.packages, description="Packages, by name unless `orderBy` says otherwise."
    )
    search: Connection[Package] = strawberry.field(
        resolver=resolvers.packages.search,
        description="Packages whose name or summary contains the query, by name.",
    )
    release: Release | None = strawberry.field(
        resolver=resolvers.releases.release,
        description="One version of a package; the package name is normalised.",
    )
    latest_releases: list[Release] = strawberry.field(
        resolver=resolvers.releases.latest_releases,
        description="The newest releases of all packages, yanked ones included.",
    )
    user: User | None = strawberry.field(
        resolver=resolvers.users.user, description="A user by ID or by email (case-insensitive), one of them."
    )
    users: Connection[User] = strawberry.field(resolver=resolvers.users.users, description="Users, by name.")
    viewer: User | None = strawberry.field(resolver=resolvers.users.viewer, description="The caller, from its token.")
    classifiers: Connection[Classifier] = strawberry.field(
        resolver=resolvers.classifiers.classifiers, description="Trove classifiers, by name."
    )
    stats: Stats = strawberry.field(resolver=resolvers.stats.stats, description="Counts over the whole index.")


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log nothing here: client errors are the client's, and `MaskUnexpectedErrors` logs the rest."""


schema = Schema(
    query=Query, types=[Package, Release, User, Classifier], extensions=[RejectNulCharacters, MaskUnexpectedErrors]
)
