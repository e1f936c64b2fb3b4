"""Generated queries over the whole schema, on seeded data: the two executors must answer each one alike.

The comparison itself is `both_executors` (conftest.py), which runs every planned query through graphql-core
too; this test feeds it queries no one wrote. The examples are drawn once, deterministically, and then sent
one by one, so a failure names its query.
"""

from graphql import StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from sqlalchemy.ext.asyncio import AsyncSession

from schema.execution import extension
from schema.root import schema
from tests.conftest import GraphQLClient
from tests.test_batching import seed_index

EXAMPLES = 100
DATETIMES = st.sampled_from(["2020-01-01T00:00:00+00:00", "2030-06-01T12:00:00Z"]).map(
    lambda value: StringValueNode(value=value)
)


def generated_queries(count: int) -> list[str]:
    drawn: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(queries(schema._schema, custom_scalars={"DateTime": DATETIMES}, allow_x00=False))
    def draw(query: str) -> None:
        drawn.append(query)

    draw()
    return drawn


async def test_generated_queries_get_the_same_answer_from_both_executors(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await seed_index(session, packages=20, users=8, classifiers=4)
    before = extension.outcomes["planned"]
    for query in generated_queries(EXAMPLES):
        body = await client.execute(query)
        codes = {(error.get("extensions") or {}).get("code") for error in body.get("errors") or []}
        assert "INTERNAL_SERVER_ERROR" not in codes, (query, body["errors"])
    assert extension.outcomes["planned"] - before >= EXAMPLES // 2, "most generated queries should be planned"
