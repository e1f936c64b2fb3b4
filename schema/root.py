"""The root types and the `strawberry.Schema`."""

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types import ExecutionContext

import resolvers.auth
import resolvers.classifiers
import resolvers.maintainers
import resolvers.node
import resolvers.package_mutations
import resolvers.packages
import resolvers.release_mutations
import resolvers.releases
import resolvers.search
import resolvers.stats
import resolvers.users
from schema.authentication import RejectRefusedTokens
from schema.bounds import BoundedTextArguments, RejectOverlongText
from schema.classifier import Classifier
from schema.connection import Connection
from schema.document_cache import DocumentCache
from schema.execution.extension import PlannedExecution
from schema.extensions import (
    ExecutionSlots,
    MaskUnexpectedErrors,
    RejectUnstorableText,
    RequestOutcome,
    StorableTextArguments,
    UnexpectedErrorResult,
)
from schema.limits import QueryLimits
from schema.mutations import (
    AddMaintainerResult,
    CreatePackageResult,
    DeletePackageResult,
    LoginResult,
    PublishReleaseResult,
    RegisterResult,
    RemoveMaintainerResult,
    UpdatePackageResult,
    YankReleaseResult,
)
from schema.package import MAINTAINERS, Package
from schema.persisted_queries import PersistedQueries
from schema.production import HideIntrospection, HideSuggestions
from schema.release import Release
from schema.stats import Stats
from schema.subscription import Subscription
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
        resolver=resolvers.search.search,
        description=(
            "Packages whose name or summary has the query's words, most relevant first: the package named"
            " exactly so, then matches in the name before matches in the summary, the oldest first among equals."
        ),
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


def mutation_extensions() -> list[FieldExtension]:
    """What every mutation field runs around its resolver; the last wraps all the others."""
    return [StorableTextArguments(), BoundedTextArguments(), UnexpectedErrorResult()]


@strawberry.type(description="Changes; each one commits or rolls back as a unit and answers with a typed result.")
class Mutation:
    register: RegisterResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.auth.register,
        description="Create an account; the answer signs it in.",
    )
    login: LoginResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.auth.login,
        description="Sign in; the same answer for a wrong password or email.",
    )
    create_package: CreatePackageResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.package_mutations.create_package,
        description="The caller becomes its first owner.",
    )
    update_package: UpdatePackageResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.package_mutations.update_package,
        description="Maintainers only.",
    )
    delete_package: DeletePackageResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.package_mutations.delete_package,
        description="Owners only. Deletes the package with all its releases, maintainer and classifier links.",
    )
    publish_release: PublishReleaseResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.release_mutations.publish_release,
        description="Maintainers only. The package's `updatedAt` becomes the release's `createdAt`.",
    )
    yank_release: YankReleaseResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.release_mutations.yank_release,
        description="Maintainers only. `yanked: false` takes a yank back.",
    )
    add_maintainer: AddMaintainerResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.maintainers.add_maintainer,
        description=f"Owners only; a package has at most {MAINTAINERS} maintainers.",
    )
    remove_maintainer: RemoveMaintainerResult = strawberry.field(
        extensions=mutation_extensions(),
        resolver=resolvers.maintainers.remove_maintainer,
        description="Owners only; the last owner cannot be removed.",
    )


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log nothing here: client errors are the client's, and `MaskUnexpectedErrors` logs the rest."""


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Package, Release, User, Classifier],
    # PersistedQueries first: it may raise before the others start, and it fills in the text they all read.
    # QueryLimits after DocumentCache: it reads a kept document, and refuses before DocumentCache would keep one.
    # PlannedExecution last: inside the refusals, the execution slot and the masking of unexpected errors.
    extensions=[
        PersistedQueries,
        DocumentCache,
        QueryLimits,
        RejectUnstorableText,
        RejectOverlongText,
        RejectRefusedTokens,
        HideIntrospection,
        HideSuggestions,
        ExecutionSlots,
        RequestOutcome,
        MaskUnexpectedErrors,
        PlannedExecution,
    ],
)
