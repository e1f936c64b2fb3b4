"""`python -m app export-schema --check` classifies how the code's schema differs from a pinned schema.graphql.

Each test pins an altered copy of today's schema.graphql: what the file has and the code lacks, the code removed.
"""

from pathlib import Path

import pytest

from app import main
from tests.test_schema_snapshot import SNAPSHOT, out_of_date_message

PACKAGE = "type Package implements Node {\n"


def altered(old: str, new: str, within: str = "") -> str:
    """Today's schema.graphql with `old` (once, in the type or line that `within` begins) replaced by `new`."""
    text = SNAPSHOT.read_text()
    start = text.index(within) if within else 0
    block = within.rstrip().endswith("{")  # a type's fields, or else one line
    end = text.index("\n}\n" if block else "\n", start) + 1 if within else len(text)
    assert text.count(old, start, end) == 1, f"{old!r} is not unique"
    at = text.index(old, start, end)
    return text[:at] + new + text[at + len(old) :]


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], pinned: str | None) -> tuple[int, list[str]]:
    """The exit code and the lines of `export-schema --check` against `pinned` (None: no file)."""
    path = tmp_path / "schema.graphql"
    if pinned is not None:
        path.write_text(pinned)
    try:
        main(["export-schema", "--check", "--path", str(path)])
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    return code, capsys.readouterr().out.splitlines()


def test_an_up_to_date_file_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(tmp_path, capsys, SNAPSHOT.read_text()) == (0, ["schema.graphql is up to date"])


def test_a_removed_field_is_breaking_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered("  name: String!\n", "  name: String!\n  foo: Int\n", PACKAGE))
    assert code == 1
    assert lines[0] == "BREAKING  FIELD_REMOVED  Field Package.foo was removed."
    assert lines[1].startswith(
        "schema.graphql differs from the schema the code builds (1 breaking, 0 dangerous, 0 safe)"
    )
    assert len(lines) == 2


def test_a_changed_field_type_is_breaking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered("  name: String!\n", "  name: Int!\n", PACKAGE))
    assert (code, lines[:-1]) == (
        1,
        ["BREAKING  FIELD_CHANGED_KIND  Field Package.name changed type from Int! to String!."],
    )


def test_an_added_field_is_safe_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered("  docsUrl: String\n", "", PACKAGE))
    assert (code, lines[:-1]) == (0, ["SAFE  FIELD_ADDED  Field Package.docsUrl was added."])
    assert "(0 breaking, 0 dangerous, 1 safe)" in lines[-1]


def test_an_added_enum_value_is_dangerous_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered("  ASC\n  DESC\n", "  ASC\n", "enum OrderDirection {"))
    assert (code, lines[:-1]) == (0, ["DANGEROUS  VALUE_ADDED_TO_ENUM  Enum value OrderDirection.DESC was added."])


def test_an_added_union_member_is_dangerous_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered(" | TryAgainLater", "", "union LoginResult ="))
    assert (code, lines[:-1]) == (
        0,
        ["DANGEROUS  TYPE_ADDED_TO_UNION  TryAgainLater was added to union type LoginResult."],
    )


def test_an_added_optional_argument_is_dangerous(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, altered("latestReleases(limit: Int = 10)", "latestReleases", "type Query {"))
    assert (code, lines[:-1]) == (
        0,
        ["DANGEROUS  OPTIONAL_ARG_ADDED  An optional argument Query.latestReleases(limit:) was added."],
    )


def test_a_removed_argument_is_breaking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pinned = altered("  name: String!\n", '  name(case: String = "lower"): String!\n', PACKAGE)
    code, lines = check(tmp_path, capsys, pinned)
    assert (code, lines[:-1]) == (1, ["BREAKING  ARG_REMOVED  Argument Package.name(case:) was removed."])


def test_a_deprecation_taken_back_is_safe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pinned = altered("  license: String\n", '  license: String @deprecated(reason: "Use classifiers.")\n', PACKAGE)
    code, lines = check(tmp_path, capsys, pinned)
    assert (code, lines[:-1]) == (0, ["SAFE  DEPRECATION_REMOVED  Field Package.license is no longer deprecated."])


def test_every_class_is_listed_breaking_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pinned = altered("  docsUrl: String\n", "  docsUrl: String\n  foo: Int\n", PACKAGE)
    pinned = pinned.replace("  homePage: String\n", "", 1).replace(" | TryAgainLater", "", 1)
    code, lines = check(tmp_path, capsys, pinned)
    assert code == 1
    assert [line.split("  ")[:2] for line in lines[:-1]] == [
        ["BREAKING", "FIELD_REMOVED"],
        ["DANGEROUS", "TYPE_ADDED_TO_UNION"],
        ["SAFE", "FIELD_ADDED"],
    ]
    assert "(1 breaking, 1 dangerous, 1 safe)" in lines[-1]


def test_a_difference_in_layout_only_is_one_safe_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, capsys, "# pinned by the web team\n" + SNAPSHOT.read_text())
    assert (code, lines[:-1]) == (
        0,
        ["SAFE  PRINTED_SCHEMA_CHANGED  The printed schema differs only in order or layout."],
    )


@pytest.mark.parametrize(
    ("pinned", "says"),
    [
        (None, "schema.graphql does not exist"),
        ("type Query {", "schema.graphql is not a valid schema: Syntax Error"),
        ("type Query { a: Nope }", "schema.graphql is not a valid schema: Unknown type 'Nope'."),
    ],
)
def test_a_missing_or_invalid_file_fails_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pinned: str | None, says: str
) -> None:
    code, lines = check(tmp_path, capsys, pinned)
    assert code == 1
    assert lines[0].startswith(says), lines


def test_export_schema_without_check_still_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "schema.graphql"
    path.write_text("type Query { old: Int }\n")
    main(["export-schema", "--path", str(path)])
    assert path.read_text() == SNAPSHOT.read_text()
    assert check(tmp_path, capsys, None) == (0, ["wrote " + str(path), "schema.graphql is up to date"])


def test_the_snapshot_test_classifies_the_difference_too() -> None:
    message = out_of_date_message(altered("  name: String!\n", "  name: String!\n  foo: Int\n", PACKAGE))
    assert message is not None
    assert "BREAKING  FIELD_REMOVED  Field Package.foo was removed." in message
    assert "-  foo: Int" in message  # the diff follows
    assert out_of_date_message(SNAPSHOT.read_text()) is None
    assert "is not a valid schema: Syntax Error" in (out_of_date_message("type Query {") or "")
