"""Password hashing with argon2id, off the event loop, on a bounded pool of threads."""

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class PasswordsBusy(Exception):
    """As many hashes as the queue allows are running or waiting; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"password hashing is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class Passwords:
    """Hashes and checks passwords with the cost the settings give, `workers` at a time.

    At most `queue_max` hashes run or wait at once; one more is refused at once with `PasswordsBusy`, so that
    a burst of sign-ins gets an answer it can retry on instead of a wait that grows with the burst.
    """

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int, workers: int, queue_max: int) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        self.workers, self.queue_max = workers, queue_max
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="passwords")
        # Jobs in the pool, running or waiting. Counted down by the job's own future, so a caller that gave up
        # waiting does not free a place its hash still holds.
        self._lock = threading.Lock()
        self._jobs = 0
        self._seconds_per_job = 0.0  # a moving average, for the retry estimate

    @cached_property
    def _decoy(self) -> str:
        """A hash to check against when there is no account, so that a miss costs what a wrong password costs."""
        return self.hasher.hash("no account has this password")

    def busy(self) -> int | None:
        """Seconds to wait before a new hash may be queued, or None when one may be queued now."""
        with self._lock:
            return self._retry_after() if self._jobs >= self.queue_max else None

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def check(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; with nothing stored, the same work is done and the answer is no."""
        return await self._run(self._check, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _check(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._decoy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    async def _run(self, work: Callable[..., T], *args: str | None) -> T:
        with self._lock:
            if self._jobs >= self.queue_max:
                raise PasswordsBusy(self._retry_after())
            self._jobs += 1
        job = self._pool.submit(self._timed, work, *args)
        job.add_done_callback(self._finished)
        return await asyncio.wrap_future(job)

    def _timed(self, work: Callable[..., T], *args: str | None) -> T:
        start = time.perf_counter()
        try:
            return work(*args)
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self._seconds_per_job += (elapsed - self._seconds_per_job) * 0.2

    def _finished(self, _: Future[Any]) -> None:
        with self._lock:
            self._jobs -= 1

    def _retry_after(self) -> int:
        """Whole seconds until the queue has drained enough for one more (the lock is held)."""
        return max(1, math.ceil(self._jobs / self.workers * self._seconds_per_job))
