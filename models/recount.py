"""Recounting the counters from the rows they count, after a load that bypassed the triggers.

Safe while the app serves: the recount holds every counter row for its one transaction, so a writer's trigger
waits for it to commit and then adds its own rows on top of the exact count, and readers go on reading the old
values meanwhile. PostgreSQL takes the counters table in EXCLUSIVE mode (plain reads pass; every counter update
waits), which first waits for the transactions that already moved a counter to end: the counts, read afterwards
in a new snapshot (read committed, the default), then see their rows. Taken as one table lock rather than row by
row, it cannot deadlock with a writer that takes the counter rows in another order. SQLite starts with a write,
which takes the database's one write lock.
"""

from dataclasses import dataclass

from sqlalchemy import BigInteger, insert, literal_column, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.counter import COUNTER_NAMES, DEFINITIONS, Counter, CounterName


@dataclass(frozen=True)
class Correction:
    """A counter that differed from its count: `old` is what it held (None: its row was missing)."""

    name: CounterName
    old: int | None
    new: int

    def __str__(self) -> str:
        old = "(missing)" if self.old is None else str(self.old)
        return f"{self.name}: {old} -> {self.new}"


async def _lock_counters(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(text("LOCK TABLE counters IN EXCLUSIVE MODE"))
    else:  # SQLite: the first write of a transaction takes the write lock, held until it ends
        await conn.execute(update(Counter).values(value=Counter.value))


async def recount(engine: AsyncEngine) -> list[Correction]:
    """Set every counter to its count in one transaction; the counters that were off, in COUNTER_NAMES order."""
    counts = [literal_column(f"({DEFINITIONS[name]})", BigInteger).label(name) for name in COUNTER_NAMES]
    async with engine.begin() as conn:
        await _lock_counters(conn)
        kept: dict[str, int] = dict((await conn.execute(select(Counter.name, Counter.value))).all())
        counted = (await conn.execute(select(*counts))).one()._mapping
        corrections = [
            Correction(name, kept.get(name), counted[name]) for name in COUNTER_NAMES if kept.get(name) != counted[name]
        ]
        for correction in corrections:
            if correction.old is None:
                await conn.execute(insert(Counter).values(name=correction.name, value=correction.new))
            else:
                await conn.execute(update(Counter).where(Counter.name == correction.name).values(value=correction.new))
    return corrections


def report(corrections: list[Correction]) -> str:
    """What `python -m app recount` prints."""
    if not corrections:
        return "all counters were exact"
    return "\n".join(["corrected:", *(f"  {correction}" for correction in corrections)])
