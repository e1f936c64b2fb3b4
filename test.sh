#!/usr/bin/env bash
# Installs the project into .venv and runs the whole suite: lint, format, types, then the tests on SQLite and
# PostgreSQL (POSTGRES_TEST_URL; the PostgreSQL tests are skipped when it is unreachable, unless CI is set).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"

export POSTGRES_TEST_URL="${POSTGRES_TEST_URL:-postgresql://postgres@127.0.0.1:5432/cheeseshop_test}"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/pytest "$@"
