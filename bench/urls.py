"""PostgreSQL URLs as the bench needs them: for asyncpg, for another database on the same server, for printing."""

from urllib.parse import urlsplit, urlunsplit

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def asyncpg_dsn(url: str) -> str:
    """asyncpg takes a plain postgresql:// URL, without SQLAlchemy's `+driver`."""
    scheme, sep, rest = url.partition("://")
    if scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise SystemExit(f"Not a PostgreSQL URL: {redacted(url)}")
    return "postgresql" + sep + rest


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise SystemExit(f"The URL names no database: {redacted(url)}")
    return name


def with_database(url: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(asyncpg_dsn(url))
    return urlunsplit(parts._replace(path="/" + name))


def is_local(url: str) -> bool:
    """Whether the server runs on this machine (TCP to a loopback address, or a Unix socket)."""
    host = urlsplit(url).hostname or ""
    return host in LOCAL_HOSTS or host.startswith("/")


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))
