"""The Subscription root type, served over `graphql-transport-ws` at /graphql."""

import strawberry

import resolvers.subscriptions


@strawberry.type(description="Events, over a WebSocket at /graphql with the `graphql-transport-ws` protocol.")
class Subscription:
    release_published = strawberry.subscription(
        resolver=resolvers.subscriptions.release_published,
        description="Each release published from now on; of one package when `package` names it (PEP 503"
        " normalised), of every package otherwise.",
    )
