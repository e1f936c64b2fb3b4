"""Uvicorn for `python -m app serve`: on shutdown, subscriptions are closed with 1001 before uvicorn closes the rest."""

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

from live import hub


class GoingAwayServer(uvicorn.Server):
    """Uvicorn's server, whose shutdown first has the apps close their sockets with 1001 (Going Away): uvicorn's own
    closes every WebSocket with 1012 and only then runs the lifespan's shutdown, too late for the apps to say it."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await hub.go_away()
        await super().shutdown(sockets)


class GoingAwayWorker(multiprocess.Process):
    """A worker of `--workers N`, which runs a `GoingAwayServer`."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = GoingAwayServer(config=self.config)
        return self._server


@contextmanager
def going_away_workers() -> Iterator[None]:
    # Uvicorn's supervisor makes (and remakes) its workers by this module-level name, and has no parameter for it.
    plain = multiprocess.Process
    multiprocess.Process = GoingAwayWorker  # type: ignore[misc]
    try:
        yield
    finally:
        multiprocess.Process = plain  # type: ignore[misc]


def run(config: uvicorn.Config) -> None:
    """Serve as `uvicorn.run` does (one process, or a supervisor and `config.workers` workers)."""
    if config.workers > 1:
        sock = config.bind_socket()
        with going_away_workers():
            multiprocess.Multiprocess(config, sockets=[sock]).run()
    else:
        server = GoingAwayServer(config)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
