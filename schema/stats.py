"""The Stats type."""

import strawberry


@strawberry.type(description="Counts over the whole index.")
class Stats:
    package_count: int
    release_count: int = strawberry.field(description="All releases, yanked ones included.")
    user_count: int
    maintainer_count: int = strawberry.field(description="Distinct users who maintain at least one package.")
