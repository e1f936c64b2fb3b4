"""The engine's errors and logs name the statement, never its bound values."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

SECRET = "ada-secret@example.org"


async def test_a_failed_statement_carries_no_bound_value(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as failure:
            await conn.execute(text("SELECT * FROM no_such_table WHERE email = :email"), {"email": SECRET})
    assert "no_such_table" in str(failure.value)
    assert SECRET not in str(failure.value)
