"""What is announced when a release is published: ids only, so that every subscriber reads the row itself."""

from dataclasses import dataclass

import orjson

CHANNEL = "release_published"  # the PostgreSQL NOTIFY channel


@dataclass(frozen=True, slots=True)
class ReleasePublished:
    release_id: int
    package_id: int
    package: str  # the package's PEP 503 name, which subscriptions filter on

    def encode(self) -> str:
        return orjson.dumps(
            {"release_id": self.release_id, "package_id": self.package_id, "package": self.package}
        ).decode()

    @classmethod
    def decode(cls, payload: str) -> "ReleasePublished | None":
        """The event a NOTIFY payload carries; None for anything else sent on the channel."""
        try:
            data = orjson.loads(payload)
            release_id, package_id, package = data["release_id"], data["package_id"], data["package"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None
        if not (isinstance(release_id, int) and isinstance(package_id, int) and isinstance(package, str)):
            return None
        return cls(release_id, package_id, package)
