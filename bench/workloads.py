"""The workload: frontend-shaped GraphQL operations kept in bench/queries/, and the request bodies they make."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
PUBLISH = "publish_release"
# Stands for the version in a publishRelease body; each request replaces it with a version not yet published.
VERSION_PLACEHOLDER = "__VERSION__"
# The package the bench publishes to: its name sorts after every seeded one, so no read workload shows it.
PUBLISH_PACKAGE = "zzz-bench-publish"


@dataclass(frozen=True)
class Workload:
    """One operation with its variables: read queries first, the publishRelease mix last."""

    name: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def publishes(self) -> bool:
        return self.name == PUBLISH

    def body(self, version: str | None = None) -> bytes:
        """The JSON request; for the publish mix, with `version` in place of the placeholder (kept if None)."""
        text = json.dumps({"query": self.document, "variables": self.variables})
        if version is not None:
            text = text.replace(VERSION_PLACEHOLDER, version)
        return text.encode()


def workload_names() -> list[str]:
    """Every workload in bench/queries/, reads by name and the publish mix last (it changes the data)."""
    names = sorted(path.stem for path in QUERIES_DIR.glob("*.graphql"))
    return sorted(names, key=lambda name: name == PUBLISH)


def load_workloads(names: list[str], variables: dict[str, dict[str, Any]]) -> list[Workload]:
    return [
        Workload(name, (QUERIES_DIR / f"{name}.graphql").read_text(encoding="utf-8"), variables.get(name, {}))
        for name in names
    ]


def publish_variables() -> dict[str, Any]:
    return {"input": {"package": PUBLISH_PACKAGE, "version": VERSION_PLACEHOLDER, "size": 123_456}}


def versions(major: int, count: int) -> list[str]:
    """Versions for the one-client loop; wrk makes `<major>.<thread>.<n>` with threads from 1, so never these."""
    return [f"{major}.0.{n}" for n in range(1, count + 1)]
