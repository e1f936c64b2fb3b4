"""The read API through HTTP: every root query and every field of the four types, on SQLite and PostgreSQL."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

import models
from tests import factories
from tests.conftest import GraphQLClient

PACKAGE_NAMES = "{ totalCount edges { node { name } } }"


def global_id(type_name: str, row_id: int | str) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def names(connection: dict[str, Any]) -> list[str]:
    return [node["name"] for node in nodes(connection)]


def at(text: str) -> datetime:
    """A timestamp as the API writes it (ISO 8601 with an offset)."""
    return datetime.fromisoformat(text)


async def release_row(session: AsyncSession, package: models.Package, version: str) -> models.Release:
    stmt = select(models.Release).where(models.Release.package_id == package.id, models.Release.version == version)
    return (await session.scalars(stmt)).one()


async def set_times(session: AsyncSession, row: models.Package, created: str, updated: str) -> None:
    row.created_at, row.updated_at = at(created), at(updated)
    await session.commit()


async def filtered(client: GraphQLClient, filter: dict[str, Any]) -> list[str]:
    """The names of the packages that pass `filter`, in the default order; totalCount must agree."""
    document = "query($filter: PackageFilter) { packages(filter: $filter) " + PACKAGE_NAMES + " }"
    connection = (await client.query(document, {"filter": filter}))["packages"]
    assert connection["totalCount"] == len(connection["edges"])
    return names(connection)


async def searched(client: GraphQLClient, query: str) -> list[str]:
    document = "query($query: String!) { search(query: $query) " + PACKAGE_NAMES + " }"
    connection = (await client.query(document, {"query": query}))["search"]
    assert connection["totalCount"] == len(connection["edges"])
    return names(connection)


async def ordered(client: GraphQLClient, order: dict[str, str]) -> list[str]:
    document = "query($order: PackageOrder) { packages(orderBy: $order) " + PACKAGE_NAMES + " }"
    return names((await client.query(document, {"order": order}))["packages"])


# package(name:) and the fields of Package


async def test_package_is_found_by_any_spelling_of_its_normalised_name(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "flask-sqlalchemy")
    await factories.package(session, "flask")
    for spelling in (
        "flask-sqlalchemy",
        "Flask_SQLAlchemy",
        "FLASK.SQLALCHEMY",
        "flask__sqlalchemy",
        "Flask-_.SqlAlchemy",
    ):
        data = await client.query("query($name: String!) { package(name: $name) { name } }", {"name": spelling})
        assert data["package"] == {"name": "flask-sqlalchemy"}, spelling


async def test_unknown_package_is_null(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "flask")
    assert await client.query('{ package(name: "flask-nope") { name } }') == {"package": None}


async def test_package_shows_every_column(client: GraphQLClient, session: AsyncSession) -> None:
    row = await factories.package(
        session,
        "cheese-shop",
        versions=["1.0"],
        summary="Sells cheese.",
        description="# Cheese shop\n\nNo cheese here.",
        home_page="https://cheese.example.org",
        docs_url="https://docs.cheese.example.org",
        license="MIT",
        author_name="Monty Python",
        author_email="monty@example.org",
    )
    document = """{ package(name: "cheese-shop") { id name summary description homePage docsUrl license
                    authorName authorEmail createdAt updatedAt } }"""
    package = (await client.query(document))["package"]
    assert row.updated_at > row.created_at  # the release moved it on, so swapped fields would show
    assert at(package.pop("createdAt")) == row.created_at
    assert at(package.pop("updatedAt")) == row.updated_at
    assert package == {
        "id": global_id("Package", row.id),
        "name": "cheese-shop",
        "summary": "Sells cheese.",
        "description": "# Cheese shop\n\nNo cheese here.",
        "homePage": "https://cheese.example.org",
        "docsUrl": "https://docs.cheese.example.org",
        "license": "MIT",
        "authorName": "Monty Python",
        "authorEmail": "monty@example.org",
    }


async def test_package_without_optional_columns_shows_nulls(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "bare")
    document = '{ package(name: "bare") { summary description homePage docsUrl license authorName authorEmail } }'
    package = (await client.query(document))["package"]
    assert set(package.values()) == {None}


async def test_latest_release_is_the_newest_that_is_not_yanked(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "newest-yanked", versions=["1.0", "1.1", "2.0"], yanked={"2.0"})
    await factories.package(session, "middle-yanked", versions=["1.0", "1.1", "2.0"], yanked={"1.1"})
    document = "{ packages { edges { node { name latestRelease { version yanked package { name } } } } } }"
    latest = {node["name"]: node["latestRelease"] for node in nodes((await client.query(document))["packages"])}
    assert latest == {
        "newest-yanked": {"version": "1.1", "yanked": False, "package": {"name": "newest-yanked"}},
        "middle-yanked": {"version": "2.0", "yanked": False, "package": {"name": "middle-yanked"}},
    }


async def test_latest_release_is_null_when_all_are_yanked_or_there_are_none(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "all-yanked", versions=["1.0", "1.1"], yanked={"1.0", "1.1"})
    await factories.package(session, "unreleased")
    document = "{ packages { edges { node { name latestRelease { version } } } } }"
    latest = {node["name"]: node["latestRelease"] for node in nodes((await client.query(document))["packages"])}
    assert latest == {"all-yanked": None, "unreleased": None}


async def test_release_count_includes_yanked_releases(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "some-yanked", versions=["1.0", "1.1", "1.2"], yanked={"1.0", "1.2"})
    await factories.package(session, "unreleased")
    await factories.package(session, "one", versions=["0.1"])
    document = "{ packages { edges { node { name releaseCount } } } }"
    counts = {node["name"]: node["releaseCount"] for node in nodes((await client.query(document))["packages"])}
    assert counts == {"one": 1, "some-yanked": 3, "unreleased": 0}


async def test_package_maintainers_are_listed_by_name(client: GraphQLClient, session: AsyncSession) -> None:
    bob, carol = await factories.user(session, "bob"), await factories.user(session, "Carol")
    first_alice, second_alice = await factories.user(session, "Alice"), await factories.user(session, "Alice")
    outsider = await factories.user(session, "Aaron")
    await factories.package(
        session,
        "shared",
        maintainers=[(bob, "maintainer"), (second_alice, "owner"), (carol, "owner"), (first_alice, "maintainer")],
    )
    await factories.package(session, "other", maintainers=[(outsider, "owner")])
    maintainers = (await client.query('{ package(name: "shared") { maintainers { id name } } }'))["package"][
        "maintainers"
    ]
    # Code point order puts upper case first; equal names go by id.
    assert maintainers == [
        {"id": global_id("User", first_alice.id), "name": "Alice"},
        {"id": global_id("User", second_alice.id), "name": "Alice"},
        {"id": global_id("User", carol.id), "name": "Carol"},
        {"id": global_id("User", bob.id), "name": "bob"},
    ]


async def test_package_without_maintainers_or_classifiers_lists_none(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "lonely")
    data = await client.query('{ package(name: "lonely") { maintainers { name } classifiers { name } } }')
    assert data["package"] == {"maintainers": [], "classifiers": []}


async def test_package_classifiers_are_listed_by_name(client: GraphQLClient, session: AsyncSession) -> None:
    utilities = await factories.classifier(session, "Topic :: Utilities")
    lower = await factories.classifier(session, "Topic :: database")
    flask = await factories.classifier(session, "Framework :: Flask")
    unused = await factories.classifier(session, "Framework :: Django")
    await factories.package(session, "tagged", classifiers=[utilities, lower, flask])
    await factories.package(session, "other", classifiers=[unused])
    classifiers = (await client.query('{ package(name: "tagged") { classifiers { id name } } }'))["package"][
        "classifiers"
    ]
    assert classifiers == [
        {"id": global_id("Classifier", flask.id), "name": "Framework :: Flask"},
        {"id": global_id("Classifier", utilities.id), "name": "Topic :: Utilities"},
        {"id": global_id("Classifier", lower.id), "name": "Topic :: database"},
    ]


async def test_package_releases_are_newest_first_unless_ordered_oldest_first(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "history", versions=["0.9", "1.0", "1.1", "2.0"], yanked={"1.0"})
    await factories.package(session, "other", versions=["5.0"])
    document = """query($order: ReleaseOrder) { package(name: "history") {
                    releases(orderBy: $order) { totalCount edges { node { version yanked } } } } }"""
    newest = (await client.query(document))["package"]["releases"]
    oldest = (await client.query(document, {"order": {"field": "CREATED_AT", "direction": "ASC"}}))["package"][
        "releases"
    ]
    assert [node["version"] for node in nodes(newest)] == ["2.0", "1.1", "1.0", "0.9"]
    assert [node["yanked"] for node in nodes(newest)] == [False, False, True, False]
    assert [node["version"] for node in nodes(oldest)] == ["0.9", "1.0", "1.1", "2.0"]
    assert newest["totalCount"] == oldest["totalCount"] == 4


async def test_package_releases_at_the_same_moment_go_by_id(client: GraphQLClient, session: AsyncSession) -> None:
    row = await factories.package(session, "burst", versions=["3.0", "1.0", "2.0"])
    moment = (await release_row(session, row, "3.0")).created_at
    for version in ("1.0", "2.0"):
        (await release_row(session, row, version)).created_at = moment
    await session.commit()
    document = '{ package(name: "burst") { releases { edges { node { version } } } } }'
    releases = (await client.query(document))["package"]["releases"]
    assert [node["version"] for node in nodes(releases)] == ["2.0", "1.0", "3.0"]  # id descending


# release(package:, version:) and latestReleases


async def test_release_is_found_by_normalised_package_name_and_version(
    client: GraphQLClient, session: AsyncSession
) -> None:
    row = await factories.package(session, "flask-sqlalchemy", versions=["3.0.0", "3.1.0"], yanked={"3.1.0"})
    await factories.package(session, "flask", versions=["3.1.0"])
    release = await release_row(session, row, "3.1.0")
    release.comment, release.url, release.size = "Bad build.", "https://files.example.org/fsa-3.1.0.tar.gz", 123_456
    await session.commit()
    document = """{ release(package: "Flask_SQLAlchemy", version: "3.1.0") {
                    id version createdAt comment url size yanked package { id name } } }"""
    found = (await client.query(document))["release"]
    assert at(found.pop("createdAt")) == release.created_at
    assert found == {
        "id": global_id("Release", release.id),
        "version": "3.1.0",
        "comment": "Bad build.",
        "url": "https://files.example.org/fsa-3.1.0.tar.gz",
        "size": 123_456,
        "yanked": True,
        "package": {"id": global_id("Package", row.id), "name": "flask-sqlalchemy"},
    }


async def test_release_of_unknown_version_or_package_is_null(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "flask", versions=["3.1.0"])
    await factories.package(session, "quart", versions=["0.1"])
    data = await client.query(
        """{ wrongVersion: release(package: "flask", version: "0.1") { version }
             wrongPackage: release(package: "django", version: "3.1.0") { version } }"""
    )
    assert data == {"wrongVersion": None, "wrongPackage": None}


async def test_latest_releases_are_newest_first_across_packages_yanked_included(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "first", versions=["1.0", "1.1"])
    await factories.package(session, "second", versions=["2.0"])
    await factories.package(session, "third", versions=["3.0", "3.1"], yanked={"3.1"})
    document = "{ latestReleases(limit: 4) { version yanked package { name } } }"
    assert (await client.query(document))["latestReleases"] == [
        {"version": "3.1", "yanked": True, "package": {"name": "third"}},
        {"version": "3.0", "yanked": False, "package": {"name": "third"}},
        {"version": "2.0", "yanked": False, "package": {"name": "second"}},
        {"version": "1.1", "yanked": False, "package": {"name": "first"}},
    ]


async def test_latest_releases_at_the_same_moment_go_by_id(client: GraphQLClient, session: AsyncSession) -> None:
    older = await factories.package(session, "zzz", versions=["9.0"])
    newer = await factories.package(session, "aaa", versions=["1.0"])
    (await release_row(session, older, "9.0")).created_at = (await release_row(session, newer, "1.0")).created_at
    await session.commit()
    data = await client.query("{ latestReleases { version } }")
    assert data["latestReleases"] == [{"version": "1.0"}, {"version": "9.0"}]


async def test_latest_releases_default_to_ten(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "busy", versions=[f"1.{minor}" for minor in range(12)])
    versions = [
        release["version"] for release in (await client.query("{ latestReleases { version } }"))["latestReleases"]
    ]
    assert versions == [f"1.{minor}" for minor in range(11, 1, -1)]


# user(id:), user(email:), users and the fields of User


async def test_user_is_found_by_id(client: GraphQLClient, session: AsyncSession) -> None:
    ada = await factories.user(session, "Ada Lovelace", email="ada@example.org")
    await factories.user(session, "Alan Turing", email="alan@example.org")
    ada.profile_image_url = "https://avatars.example.org/ada.png"
    await session.commit()
    fields = "id name email createdAt profileImageUrl"
    by_id = (await client.query(f'{{ user(id: "{global_id("User", ada.id)}") {{ {fields} }} }}'))["user"]
    assert at(by_id.pop("createdAt")) == ada.created_at
    assert by_id == {
        "id": global_id("User", ada.id),
        "name": "Ada Lovelace",
        "email": None,  # shown only to its owner, and nobody is signed in
        "profileImageUrl": "https://avatars.example.org/ada.png",
    }


async def test_unknown_user_is_null(client: GraphQLClient, session: AsyncSession) -> None:
    ada = await factories.user(session, "Ada", email="ada@example.org")
    data = await client.query(
        f"""{{ byId: user(id: "{global_id("User", ada.id + 1)}") {{ name }}
               byEmail: user(email: "ada@example.com") {{ name }} }}"""
    )
    assert data == {"byId": None, "byEmail": None}


async def test_user_email_is_null_everywhere_without_sign_in(client: GraphQLClient, session: AsyncSession) -> None:
    ada = await factories.user(session, "Ada", email="ada@example.org")
    await factories.package(session, "engine", maintainers=[(ada, "owner")])
    data = await client.query(
        """{ users { edges { node { email } } }
             package(name: "engine") { maintainers { email } }
             viewer { email } }"""
    )
    assert data["users"] == {"edges": [{"node": {"email": None}}]}
    assert data["package"] == {"maintainers": [{"email": None}]}
    assert data["viewer"] is None


async def test_user_packages_are_listed_by_name(client: GraphQLClient, session: AsyncSession) -> None:
    ada, alan = await factories.user(session, "Ada"), await factories.user(session, "Alan")
    await factories.package(session, "zeta", maintainers=[(ada, "owner")])
    await factories.package(session, "alpha", maintainers=[(ada, "maintainer"), (alan, "owner")])
    await factories.package(session, "only-alan", maintainers=[(alan, "owner")])
    await factories.package(session, "mid", maintainers=[(ada, "owner")])
    document = f'{{ user(id: "{global_id("User", ada.id)}") {{ packages {PACKAGE_NAMES} }} }}'
    packages = (await client.query(document))["user"]["packages"]
    assert names(packages) == ["alpha", "mid", "zeta"]
    assert packages["totalCount"] == 3


async def test_users_are_listed_by_name_in_code_point_order(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("bob", "Émile", "Carol", "alice", "Zoë", "Alice"):
        await factories.user(session, name)
    users = (await client.query("{ users { totalCount edges { node { name } } } }"))["users"]
    assert names(users) == ["Alice", "Carol", "Zoë", "alice", "bob", "Émile"]
    assert users["totalCount"] == 6


# classifiers and Classifier.packages


async def test_classifiers_are_listed_by_name_in_code_point_order(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("Topic :: Utilities", "Topic :: database", "Framework :: Flask", "Typing :: Typed", "Topic :: Zope"):
        await factories.classifier(session, name)
    classifiers = (await client.query("{ classifiers { totalCount edges { node { name } } } }"))["classifiers"]
    assert names(classifiers) == [
        "Framework :: Flask",
        "Topic :: Utilities",
        "Topic :: Zope",
        "Topic :: database",
        "Typing :: Typed",
    ]
    assert classifiers["totalCount"] == 5


async def test_classifier_packages_are_listed_by_name(client: GraphQLClient, session: AsyncSession) -> None:
    flask, django = (
        await factories.classifier(session, "Framework :: Flask"),
        await factories.classifier(session, "Framework :: Django"),
    )
    await factories.package(session, "quart", classifiers=[flask])
    await factories.package(session, "django-rest", classifiers=[django])
    await factories.package(session, "flask-login", classifiers=[flask, django])
    await factories.package(session, "flask", classifiers=[flask])
    document = "{ classifiers { edges { node { name packages " + PACKAGE_NAMES + " } } } }"
    by_classifier = {node["name"]: node["packages"] for node in nodes((await client.query(document))["classifiers"])}
    assert {name: names(packages) for name, packages in by_classifier.items()} == {
        "Framework :: Django": ["django-rest", "flask-login"],
        "Framework :: Flask": ["flask", "flask-login", "quart"],
    }
    assert [packages["totalCount"] for packages in by_classifier.values()] == [2, 3]


# stats


async def test_stats_count_everything_and_maintainers_once_each(client: GraphQLClient, session: AsyncSession) -> None:
    ada, alan = await factories.user(session, "Ada"), await factories.user(session, "Alan")
    await factories.user(session, "Grace")  # maintains nothing
    await factories.package(session, "one", versions=["1.0", "1.1"], yanked={"1.1"}, maintainers=[(ada, "owner")])
    await factories.package(session, "two", versions=["2.0"], maintainers=[(ada, "maintainer"), (alan, "owner")])
    await factories.package(session, "orphan")
    stats = (await client.query("{ stats { packageCount releaseCount userCount maintainerCount } }"))["stats"]
    assert stats == {"packageCount": 3, "releaseCount": 3, "userCount": 3, "maintainerCount": 2}


async def test_stats_of_an_empty_index_are_zero(client: GraphQLClient) -> None:
    stats = (await client.query("{ stats { packageCount releaseCount userCount maintainerCount } }"))["stats"]
    assert stats == {"packageCount": 0, "releaseCount": 0, "userCount": 0, "maintainerCount": 0}


# node(id:)


async def test_node_finds_each_type_by_its_global_id(client: GraphQLClient, session: AsyncSession) -> None:
    ada = await factories.user(session, "Ada")
    typed = await factories.classifier(session, "Typing :: Typed")
    row = await factories.package(
        session, "engine", versions=["1.0"], maintainers=[(ada, "owner")], classifiers=[typed]
    )
    release = await release_row(session, row, "1.0")
    document = """query($id: ID!) { node(id: $id) { __typename id
                    ... on Package { name releaseCount }
                    ... on Release { version package { name } }
                    ... on User { name }
                    ... on Classifier { name } } }"""
    expected: dict[str, dict[str, Any]] = {
        global_id("Package", row.id): {"__typename": "Package", "name": "engine", "releaseCount": 1},
        global_id("Release", release.id): {"__typename": "Release", "version": "1.0", "package": {"name": "engine"}},
        global_id("User", ada.id): {"__typename": "User", "name": "Ada"},
        global_id("Classifier", typed.id): {"__typename": "Classifier", "name": "Typing :: Typed"},
    }
    for id_, fields in expected.items():
        assert (await client.query(document, {"id": id_}))["node"] == {"id": id_, **fields}


@pytest.mark.parametrize("type_name", ["Package", "Release", "User", "Classifier"])
async def test_node_of_a_missing_row_is_null(client: GraphQLClient, session: AsyncSession, type_name: str) -> None:
    await factories.package(session, "engine", versions=["1.0"], maintainers=[(await factories.user(session), "owner")])
    assert (await client.query(f'{{ node(id: "{global_id(type_name, 4242)}") {{ id }} }}')) == {"node": None}


# search(query:)


async def test_search_matches_words_of_name_or_summary_in_any_case(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "gouda", summary="A Dutch CHEESE.")
    await factories.package(session, "cheese-shop")
    await factories.package(session, "wine", summary="Goes with cheese")
    await factories.package(session, "bread", summary="Baked.")
    await factories.package(session, "crackers")
    assert await searched(client, "Cheese") == ["cheese-shop", "gouda", "wine"]
    assert await searched(client, "BAKED") == ["bread"]
    assert await searched(client, "rack") == [], "words match whole, not inside other words"


async def test_search_without_matches_is_empty(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "gouda", summary="A Dutch cheese.")
    assert await searched(client, "brie") == []


# packages(filter:)


async def test_filter_by_name_prefix(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("flask-sqlalchemy", "flask", "quart-flask", "flask-login", "flaskr"):
        await factories.package(session, name)
    assert await filtered(client, {"namePrefix": "flask-"}) == ["flask-login", "flask-sqlalchemy"]
    assert await filtered(client, {"namePrefix": "Flask_"}) == ["flask-login", "flask-sqlalchemy"]
    assert await filtered(client, {"namePrefix": "flask"}) == ["flask", "flask-login", "flask-sqlalchemy", "flaskr"]
    assert await filtered(client, {"namePrefix": "lask"}) == []


async def test_filter_by_name_contains(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("flask-sqlalchemy", "sqlalchemy", "flask", "mysql-connector", "s-q-l"):
        await factories.package(session, name)
    assert await filtered(client, {"nameContains": "sql"}) == ["flask-sqlalchemy", "mysql-connector", "sqlalchemy"]
    assert await filtered(client, {"nameContains": "SQL"}) == ["flask-sqlalchemy", "mysql-connector", "sqlalchemy"]
    assert await filtered(client, {"nameContains": "%"}) == []  # literal, not a wildcard
    assert await filtered(client, {"nameContains": "s_q"}) == ["s-q-l"]  # normalised like a name


async def test_filter_by_classifier(client: GraphQLClient, session: AsyncSession) -> None:
    flask, django = (
        await factories.classifier(session, "Framework :: Flask"),
        await factories.classifier(session, "Framework :: Django"),
    )
    await factories.package(session, "quart", classifiers=[flask])
    await factories.package(session, "django-rest", classifiers=[django])
    await factories.package(session, "both", classifiers=[django, flask])
    await factories.package(session, "none")
    assert await filtered(client, {"classifier": "Framework :: Flask"}) == ["both", "quart"]
    assert await filtered(client, {"classifier": "Framework :: Pyramid"}) == []


async def test_filter_by_maintainer(client: GraphQLClient, session: AsyncSession) -> None:
    ada, alan = await factories.user(session, "Ada"), await factories.user(session, "Alan")
    await factories.package(session, "engine", maintainers=[(ada, "owner")])
    await factories.package(session, "enigma", maintainers=[(alan, "owner")])
    await factories.package(session, "notes", maintainers=[(alan, "owner"), (ada, "maintainer")])
    await factories.package(session, "orphan")
    assert await filtered(client, {"maintainer": global_id("User", ada.id)}) == ["engine", "notes"]
    assert await filtered(client, {"maintainer": global_id("User", alan.id)}) == ["enigma", "notes"]
    assert await filtered(client, {"maintainer": global_id("User", alan.id + 100)}) == []


async def test_filter_by_license_is_exact(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "mit", license="MIT")
    await factories.package(session, "mit-long", license="MIT License")
    await factories.package(session, "mit-lower", license="mit")
    await factories.package(session, "bsd", license="BSD-3-Clause")
    await factories.package(session, "unlicensed")
    assert await filtered(client, {"license": "MIT"}) == ["mit"]
    assert await filtered(client, {"license": "BSD-3-Clause"}) == ["bsd"]


async def test_filters_combine_with_and(client: GraphQLClient, session: AsyncSession) -> None:
    await factories.package(session, "flask-mit", license="MIT")
    await factories.package(session, "flask-bsd", license="BSD")
    await factories.package(session, "quart-mit", license="MIT")
    assert await filtered(client, {"namePrefix": "flask", "license": "MIT"}) == ["flask-mit"]


async def test_filter_by_creation_time_takes_offsets_and_includes_only_the_lower_bound(
    client: GraphQLClient, session: AsyncSession
) -> None:
    # created_at and updated_at run in opposite orders, so a filter on the wrong column shows.
    for name, created, updated in (
        ("early", "2023-12-31T23:00:00+00:00", "2025-03-01T00:00:00+00:00"),
        ("midnight", "2024-01-01T00:00:00+00:00", "2024-09-01T00:00:00+00:00"),
        ("noon", "2024-06-01T12:00:00+00:00", "2024-06-01T12:30:00+00:00"),
        ("late", "2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
    ):
        await set_times(session, await factories.package(session, name), created, updated)
    assert await filtered(client, {"createdAfter": "2024-01-01T00:00:00Z"}) == ["late", "midnight", "noon"]
    assert await filtered(client, {"createdBefore": "2024-01-01T00:00:00Z"}) == ["early"]
    assert await filtered(
        client, {"createdAfter": "2024-01-01T00:00:00Z", "createdBefore": "2025-01-01T00:00:00Z"}
    ) == [
        "midnight",
        "noon",
    ]
    # 13:00 at +02:00 is 11:00 UTC, before noon; 12:00 at -01:00 is 13:00 UTC, after it.
    assert await filtered(client, {"createdAfter": "2024-06-01T13:00:00+02:00"}) == ["late", "noon"]
    assert await filtered(client, {"createdAfter": "2024-06-01T12:00:00-01:00"}) == ["late"]
    assert await filtered(client, {"createdBefore": "2024-01-01T01:00:00+01:00"}) == ["early"]


async def test_filter_by_update_time_takes_offsets_and_includes_only_the_lower_bound(
    client: GraphQLClient, session: AsyncSession
) -> None:
    for name, created, updated in (
        ("early", "2025-03-01T00:00:00+00:00", "2023-12-31T23:00:00+00:00"),
        ("midnight", "2023-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00"),
        ("noon", "2024-06-01T11:00:00+00:00", "2024-06-01T12:00:00+00:00"),
        ("late", "2022-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
    ):
        await set_times(session, await factories.package(session, name), created, updated)
    assert await filtered(client, {"updatedAfter": "2024-01-01T00:00:00Z"}) == ["late", "midnight", "noon"]
    assert await filtered(client, {"updatedBefore": "2024-01-01T00:00:00Z"}) == ["early"]
    assert await filtered(
        client, {"updatedAfter": "2024-01-01T00:00:00Z", "updatedBefore": "2025-01-01T00:00:00Z"}
    ) == [
        "midnight",
        "noon",
    ]
    assert await filtered(client, {"updatedAfter": "2024-06-01T13:00:00+02:00"}) == ["late", "noon"]
    assert await filtered(client, {"updatedAfter": "2024-06-01T12:00:00-01:00"}) == ["late"]
    assert await filtered(client, {"updatedBefore": "2024-01-01T01:00:00+01:00"}) == ["early"]


# packages(orderBy:)

# Made in the order d, c, b, a (so ids run against names), with ties in every other field:
#   created  d=T1 c=T2 b=T1 a=T2   updated  d=U2 c=U1 b=U2 a=U1   releases  d=1 c=0 b=1 a=2
ORDERS = [
    ("NAME", "ASC", ["a", "b", "c", "d"]),
    ("NAME", "DESC", ["d", "c", "b", "a"]),
    ("CREATED_AT", "ASC", ["d", "b", "c", "a"]),
    ("CREATED_AT", "DESC", ["a", "c", "b", "d"]),
    ("UPDATED_AT", "ASC", ["c", "a", "d", "b"]),
    ("UPDATED_AT", "DESC", ["b", "d", "a", "c"]),
    ("RELEASE_COUNT", "ASC", ["c", "d", "b", "a"]),
    ("RELEASE_COUNT", "DESC", ["a", "b", "d", "c"]),
]


@pytest.mark.parametrize(("field", "direction", "expected"), ORDERS)
async def test_packages_order_by_each_field_with_ties_broken_by_id_the_same_way(
    client: GraphQLClient, session: AsyncSession, field: str, direction: str, expected: list[str]
) -> None:
    t1, t2 = "2024-03-01T00:00:00+00:00", "2024-04-01T00:00:00+00:00"
    u1, u2 = "2024-05-01T00:00:00+00:00", "2024-06-01T00:00:00+00:00"
    for name, versions, created, updated in (
        ("d", ["1.0"], t1, u2),
        ("c", [], t2, u1),
        ("b", ["1.0"], t1, u2),
        ("a", ["1.0", "2.0"], t2, u1),
    ):
        await set_times(session, await factories.package(session, name, versions=versions), created, updated)
    assert await ordered(client, {"field": field, "direction": direction}) == expected


async def test_packages_order_by_name_in_code_point_order(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("ab", "a0", "a", "a-b", "b"):
        await factories.package(session, name)
    assert await ordered(client, {"field": "NAME", "direction": "ASC"}) == ["a", "a-b", "a0", "ab", "b"]
    assert await ordered(client, {"field": "NAME", "direction": "DESC"}) == ["b", "ab", "a0", "a-b", "a"]


async def test_packages_order_defaults_to_name_ascending(client: GraphQLClient, session: AsyncSession) -> None:
    for name in ("b", "c", "a"):
        await factories.package(session, name)
    assert names((await client.query("{ packages " + PACKAGE_NAMES + " }"))["packages"]) == ["a", "b", "c"]
    assert await ordered(client, {"direction": "DESC"}) == ["c", "b", "a"]


async def test_search_finds_a_name_written_with_dots_or_underscores(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "zope-interface")
    for query in ("zope.interface", "Zope_Interface", "zope-interface"):
        data = await client.query("query ($q: String!) { search(query: $q) { edges { node { name } } } }", {"q": query})
        assert [e["node"]["name"] for e in data["search"]["edges"]] == ["zope-interface"], query


async def test_release_finds_a_version_written_in_any_pep_440_spelling(
    client: GraphQLClient, session: AsyncSession
) -> None:
    await factories.package(session, "cheese", versions=["1.0rc1"])
    data = await client.query('{ release(package: "Cheese", version: "1.0-RC1") { version } }')
    assert data["release"] == {"version": "1.0rc1"}
