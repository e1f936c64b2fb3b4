"""Who may run each mutation, through HTTP; every refusal leaves the database as it was, on SQLite and PostgreSQL."""

import asyncio
import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

import models
from models.db import Maker
from resolvers import tokens
from tests import factories
from tests.conftest import TEST_SECRET, GraphQLClient

# The failures every result can have; `field` is aliased on Conflict, where it is nullable.
OUTCOME = "__typename ... on Error { message } ... on ValidationError { field problems { field } }"
WITH_CONFLICT = OUTCOME + " ... on Conflict { conflictField: field }"

DOCUMENTS = {
    "createPackage": "mutation($package: String!) { result: createPackage(input: {name: $package}) { "
    + WITH_CONFLICT
    + " } }",
    "updatePackage": "mutation($package: String!) { "
    + 'result: updatePackage(input: {package: $package, summary: "Changed"}) { '
    + OUTCOME
    + " } }",
    "publishRelease": "mutation($package: String!) { "
    + 'result: publishRelease(input: {package: $package, version: "2.0"}) { '
    + WITH_CONFLICT
    + " } }",
    "yankRelease": 'mutation($package: String!) { result: yankRelease(package: $package, version: "1.0") { '
    + OUTCOME
    + " } }",
    "deletePackage": "mutation($package: String!) { result: deletePackage(package: $package) { " + OUTCOME + " } }",
    "addMaintainer": "mutation($package: String!, $user: ID!, $role: MaintainerRole! = MAINTAINER) { "
    + "result: addMaintainer(package: $package, user: $user, role: $role) { "
    + WITH_CONFLICT
    + " } }",
    "removeMaintainer": "mutation($package: String!, $user: ID!) { "
    + "result: removeMaintainer(package: $package, user: $user) { "
    + WITH_CONFLICT
    + " } }",
}

SUCCESS = {
    "updatePackage": "PackagePayload",
    "publishRelease": "ReleasePayload",
    "yankRelease": "ReleasePayload",
    "deletePackage": "DeletePackagePayload",
    "addMaintainer": "MaintainerPayload",
    "removeMaintainer": "MaintainerPayload",
}
MAINTAINER_MUTATIONS = ["updatePackage", "publishRelease", "yankRelease"]
OWNER_MUTATIONS = ["deletePackage", "addMaintainer", "removeMaintainer"]
PACKAGE_MUTATIONS = MAINTAINER_MUTATIONS + OWNER_MUTATIONS

# Whom the maintainer mutations name: a newcomer is added, the (non-owner) maintainer removed.
TARGETS = {"addMaintainer": "newcomer", "removeMaintainer": "maintainer"}

Users = dict[str, models.User]
State = dict[str, Any]


def global_id(type_name: str, row_id: int | str) -> str:
    return relay.to_base64(type_name, row_id)


def token_for(user: models.User) -> str:
    return tokens.issue(user.id, user.token_key, secret=TEST_SECRET, lifetime=timedelta(hours=1))


async def seed(session: AsyncSession) -> Users:
    """`spam` (owner, maintainer) and `eggs`, which the stranger owns; the newcomer maintains nothing."""
    users = {
        "owner": await factories.user(session, "Olive Owner"),
        "maintainer": await factories.user(session, "Max Maintainer"),
        "stranger": await factories.user(session, "Sam Stranger"),
        "newcomer": await factories.user(session, "Nia Newcomer"),
    }
    await factories.package(
        session,
        "spam",
        versions=["1.0"],
        maintainers=[(users["owner"], "owner"), (users["maintainer"], "maintainer")],
        summary="Spam",
    )
    await factories.package(session, "eggs", versions=["1.0"], maintainers=[(users["stranger"], "owner")])
    return users


async def spam_id(session: AsyncSession) -> int:
    row_id = await session.scalar(select(models.Package.id).where(models.Package.name == "spam"))
    assert row_id is not None
    return row_id


async def send(
    client: GraphQLClient, document: str, variables: dict[str, Any], caller: models.User | None
) -> dict[str, Any]:
    """The data of an answer that must be HTTP 200 with no errors, sent as `caller` (anonymous when None)."""
    headers = {"Authorization": f"Bearer {token_for(caller)}"} if caller is not None else {}
    response = await client.http.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def run(
    client: GraphQLClient,
    mutation: str,
    caller: models.User | None,
    users: Users,
    package: str = "spam",
    **variables: Any,
) -> dict[str, Any]:
    """The result of `mutation` on `package`, with the user it names by default (see TARGETS)."""
    if mutation in TARGETS:
        variables.setdefault("user", global_id("User", users[TARGETS[mutation]].id))
    data = await send(client, DOCUMENTS[mutation], {"package": package, **variables}, caller)
    result: dict[str, Any] = data["result"]
    return result


async def snapshot(sessionmaker: Maker) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read in a session of its own."""
    async with sessionmaker() as session:
        return {
            table.name: [tuple(row) for row in await session.execute(select(table).order_by(*table.columns))]
            for table in models.Base.metadata.sorted_tables
        }


async def package_state(sessionmaker: Maker, name: str) -> State | None:
    """A package's summary, releases (version: yanked) and maintainers (user id: role); None when it is gone."""
    async with sessionmaker() as session:
        row = await session.scalar(select(models.Package).where(models.Package.name == name))
        if row is None:
            return None
        releases = await session.execute(
            select(models.Release.version, models.Release.yanked).where(models.Release.package_id == row.id)
        )
        maintainers = await session.execute(
            select(models.Maintainer.user_id, models.Maintainer.role).where(models.Maintainer.package_id == row.id)
        )
        return {
            "summary": row.summary,
            "releases": {version: yanked for version, yanked in releases},
            "maintainers": {user_id: role for user_id, role in maintainers},
        }


def seeded_spam(users: Users) -> State:
    return {
        "summary": "Spam",
        "releases": {"1.0": False},
        "maintainers": {users["owner"].id: "owner", users["maintainer"].id: "maintainer"},
    }


def spam_after(mutation: str, users: Users) -> State | None:
    """What `spam` must look like after `mutation` succeeded with its default arguments."""
    state = seeded_spam(users)
    if mutation == "updatePackage":
        state["summary"] = "Changed"
    elif mutation == "publishRelease":
        state["releases"]["2.0"] = False
    elif mutation == "yankRelease":
        state["releases"]["1.0"] = True
    elif mutation == "deletePackage":
        return None
    elif mutation == "addMaintainer":
        state["maintainers"][users["newcomer"].id] = "maintainer"
    elif mutation == "removeMaintainer":
        del state["maintainers"][users["maintainer"].id]
    return state


async def maintainers_shown(client: GraphQLClient, package: str) -> list[str]:
    """The names the API lists as the package's maintainers."""
    data = await send(
        client, "query($name: String!) { package(name: $name) { maintainers { name } } }", {"name": package}, None
    )
    return [user["name"] for user in data["package"]["maintainers"]]


# who may do what


@pytest.mark.parametrize("role", ["maintainer", "owner"])
@pytest.mark.parametrize("mutation", MAINTAINER_MUTATIONS)
async def test_maintainer_mutations_succeed_for_a_maintainer_and_for_an_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str, role: str
) -> None:
    users = await seed(session)
    eggs = await package_state(sessionmaker, "eggs")

    result = await run(client, mutation, users[role], users)

    assert result["__typename"] == SUCCESS[mutation], result
    assert await package_state(sessionmaker, "spam") == spam_after(mutation, users)
    assert await package_state(sessionmaker, "eggs") == eggs


@pytest.mark.parametrize("mutation", OWNER_MUTATIONS)
async def test_owner_mutations_succeed_for_an_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str
) -> None:
    users = await seed(session)
    eggs = await package_state(sessionmaker, "eggs")

    result = await run(client, mutation, users["owner"], users)

    assert result["__typename"] == SUCCESS[mutation], result
    assert await package_state(sessionmaker, "spam") == spam_after(mutation, users)
    assert await package_state(sessionmaker, "eggs") == eggs


async def test_deleting_a_package_deletes_its_releases_maintainer_and_classifier_links(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    spam = await spam_id(session)
    classifier = await factories.classifier(session, "Programming Language :: Python :: 3")
    await session.execute(models.package_classifiers.insert().values(package_id=spam, classifier_id=classifier.id))
    await session.commit()

    await run(client, "deletePackage", users["owner"], users)

    async with sessionmaker() as fresh:
        for table in ("releases", "maintainers", "package_classifiers"):
            columns = models.Base.metadata.tables[table].c
            left = await fresh.scalar(select(func.count()).where(columns.package_id == spam))
            assert left == 0, table
    rows = await snapshot(sessionmaker)
    assert len(rows["users"]) == 4
    assert len(rows["classifiers"]) == 1
    assert await package_state(sessionmaker, "eggs") is not None


@pytest.mark.parametrize("caller", ["stranger", "newcomer"])
@pytest.mark.parametrize("mutation", PACKAGE_MUTATIONS)
async def test_every_package_mutation_by_a_signed_in_non_maintainer_is_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str, caller: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, mutation, users[caller], users)

    assert result["__typename"] == "NotAllowed", result
    assert "spam" in result["message"]
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize("mutation", OWNER_MUTATIONS)
async def test_owner_mutations_by_a_maintainer_who_is_not_an_owner_are_not_allowed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, mutation, users["maintainer"], users)

    assert result["__typename"] == "NotAllowed", result
    assert "owner" in result["message"]
    assert await snapshot(sessionmaker) == before


async def test_a_maintainer_cannot_remove_themselves(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(
        client, "removeMaintainer", users["maintainer"], users, user=global_id("User", users["maintainer"].id)
    )

    assert result["__typename"] == "NotAllowed", result
    assert await snapshot(sessionmaker) == before


async def test_a_maintainer_cannot_promote_themselves_to_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)
    me = global_id("User", users["maintainer"].id)

    result = await run(client, "addMaintainer", users["maintainer"], users, user=me, role="OWNER")

    assert result["__typename"] == "NotAllowed", result
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize("mutation", ["createPackage", *PACKAGE_MUTATIONS])
async def test_every_mutation_by_an_anonymous_caller_is_not_authenticated(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, mutation, None, users, package="ham" if mutation == "createPackage" else "spam")

    assert result["__typename"] == "NotAuthenticated", result
    assert result["message"]
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize("mutation", PACKAGE_MUTATIONS)
async def test_every_package_mutation_on_an_unknown_package_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, mutation, users["owner"], users, package="no-such-package")

    assert result["__typename"] == "NotFound", result
    assert "no-such-package" in result["message"]
    assert await snapshot(sessionmaker) == before


@pytest.mark.parametrize("mutation", PACKAGE_MUTATIONS)
async def test_package_mutations_find_the_package_by_any_spelling_of_its_name(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str
) -> None:
    users = await seed(session)

    result = await run(client, mutation, users["owner"], users, package="SPAM")

    assert result["__typename"] == SUCCESS[mutation], result
    assert await package_state(sessionmaker, "spam") == spam_after(mutation, users)


# the first owner


async def test_the_creator_of_a_package_is_its_first_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    creator = users["newcomer"]

    created = await run(client, "createPackage", creator, users, package="Ham")

    assert created["__typename"] == "PackagePayload", created
    assert await maintainers_shown(client, "ham") == ["Nia Newcomer"]
    assert await package_state(sessionmaker, "ham") == {
        "summary": None,
        "releases": {},
        "maintainers": {creator.id: "owner"},
    }


async def test_the_creator_of_a_package_may_manage_its_maintainers_and_delete_it(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    creator = users["newcomer"]
    await run(client, "createPackage", creator, users, package="ham")

    added = await run(client, "addMaintainer", creator, users, package="ham", user=global_id("User", users["owner"].id))
    deleted = await run(client, "deletePackage", creator, users, package="ham")

    assert added["__typename"] == "MaintainerPayload", added
    assert deleted["__typename"] == "DeletePackagePayload", deleted
    assert await package_state(sessionmaker, "ham") is None


# removing maintainers


async def test_removing_the_last_owner_is_a_conflict(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, "removeMaintainer", users["owner"], users, user=global_id("User", users["owner"].id))

    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "user"
    assert "last owner" in result["message"]
    assert await snapshot(sessionmaker) == before


async def test_an_owner_can_remove_another_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    session.add(models.Maintainer(user_id=users["newcomer"].id, package_id=await spam_id(session), role="owner"))
    await session.commit()

    result = await run(client, "removeMaintainer", users["owner"], users, user=global_id("User", users["newcomer"].id))

    assert result["__typename"] == "MaintainerPayload", result
    assert await package_state(sessionmaker, "spam") == seeded_spam(users)
    assert await maintainers_shown(client, "spam") == ["Max Maintainer", "Olive Owner"]


async def test_an_owner_can_remove_themselves_while_another_owner_remains(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    session.add(models.Maintainer(user_id=users["newcomer"].id, package_id=await spam_id(session), role="owner"))
    await session.commit()

    result = await run(client, "removeMaintainer", users["owner"], users, user=global_id("User", users["owner"].id))

    assert result["__typename"] == "MaintainerPayload", result
    state = await package_state(sessionmaker, "spam")
    assert state is not None
    assert state["maintainers"] == {users["maintainer"].id: "maintainer", users["newcomer"].id: "owner"}
    after = await run(client, "deletePackage", users["owner"], users)
    assert after["__typename"] == "NotAllowed", "a removed owner has no rights left"


async def test_the_remaining_owner_is_then_the_last_and_cannot_be_removed(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    session.add(models.Maintainer(user_id=users["newcomer"].id, package_id=await spam_id(session), role="owner"))
    await session.commit()
    newcomer = global_id("User", users["newcomer"].id)
    await run(client, "removeMaintainer", users["owner"], users, user=global_id("User", users["owner"].id))
    before = await snapshot(sessionmaker)

    result = await run(client, "removeMaintainer", users["newcomer"], users, user=newcomer)

    assert result["__typename"] == "Conflict", result
    assert await snapshot(sessionmaker) == before


async def test_a_maintainer_can_be_removed_by_an_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)

    result = await run(client, "removeMaintainer", users["owner"], users)

    assert result["__typename"] == "MaintainerPayload", result
    assert await maintainers_shown(client, "spam") == ["Olive Owner"]
    after = await run(client, "updatePackage", users["maintainer"], users)
    assert after["__typename"] == "NotAllowed", "a removed maintainer has no rights left"


async def test_removing_a_user_who_does_not_maintain_the_package_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, "removeMaintainer", users["owner"], users, user=global_id("User", users["stranger"].id))

    assert result["__typename"] == "NotFound", result
    assert await snapshot(sessionmaker) == before


# adding maintainers


async def test_adding_a_maintainer_as_an_owner_gives_them_the_owners_rights(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)

    result = await run(client, "addMaintainer", users["owner"], users, role="OWNER")

    assert result["__typename"] == "MaintainerPayload", result
    state = await package_state(sessionmaker, "spam")
    assert state is not None
    assert state["maintainers"][users["newcomer"].id] == "owner"
    assert (await run(client, "deletePackage", users["newcomer"], users))["__typename"] == "DeletePackagePayload"


@pytest.mark.parametrize("role", ["MAINTAINER", "OWNER"])
@pytest.mark.parametrize("target", ["maintainer", "owner"])
async def test_adding_an_existing_maintainer_is_a_conflict(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, target: str, role: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(
        client, "addMaintainer", users["owner"], users, user=global_id("User", users[target].id), role=role
    )

    assert result["__typename"] == "Conflict", result
    assert result["conflictField"] == "user"
    assert await snapshot(sessionmaker) == before


async def test_adding_an_unknown_user_is_not_found(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, "addMaintainer", users["owner"], users, user=global_id("User", 999_999))

    assert result["__typename"] == "NotFound", result
    assert await snapshot(sessionmaker) == before


def malformed_user_id(kind: str, package_id: int) -> str:
    if kind == "not base64":
        return "not an id!"
    if kind == "empty":
        return ""
    if kind == "a package's ID":
        return global_id("Package", package_id)
    if kind == "a release's ID":
        return global_id("Release", 1)
    if kind == "not a number":
        return global_id("User", "ada")
    if kind == "out of range":
        return global_id("User", 2**40)
    if kind == "no type":
        return base64.b64encode(b"42").decode()
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["not base64", "empty", "a package's ID", "a release's ID", "not a number", "out of range", "no type"]
)
@pytest.mark.parametrize("mutation", ["addMaintainer", "removeMaintainer"])
async def test_a_malformed_user_id_is_a_validation_error_on_user(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker, mutation: str, kind: str
) -> None:
    users = await seed(session)
    before = await snapshot(sessionmaker)

    result = await run(client, mutation, users["owner"], users, user=malformed_user_id(kind, await spam_id(session)))

    assert result["__typename"] == "ValidationError", result
    assert result["field"] == "user"
    assert [problem["field"] for problem in result["problems"]] == ["user"]
    assert await snapshot(sessionmaker) == before


async def test_two_owners_removing_each_other_at_once_leave_one_owner(
    client: GraphQLClient, session: AsyncSession, sessionmaker: Maker
) -> None:
    users = await seed(session)
    session.add(models.Maintainer(user_id=users["newcomer"].id, package_id=await spam_id(session), role="owner"))
    await session.commit()
    owner, newcomer = global_id("User", users["owner"].id), global_id("User", users["newcomer"].id)

    results = await asyncio.gather(
        run(client, "removeMaintainer", users["owner"], users, user=newcomer),
        run(client, "removeMaintainer", users["newcomer"], users, user=owner),
    )

    # Serialised, the second finds its caller removed (NotAllowed) or itself the last owner (Conflict).
    outcomes = sorted(result["__typename"] for result in results)
    assert outcomes in (["MaintainerPayload", "NotAllowed"], ["Conflict", "MaintainerPayload"]), results
    state = await package_state(sessionmaker, "spam")
    assert state is not None
    assert list(state["maintainers"].values()).count("owner") == 1
