"""`python -m app` commands, run as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers import serving
from tests.test_schema_snapshot import SNAPSHOT


def run(tmp_path: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_export_schema_writes_the_snapshot(tmp_path: Path) -> None:
    result = run(tmp_path, "export-schema", "--path", str(tmp_path / "out.graphql"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.graphql").read_text() == SNAPSHOT.read_text()


def test_export_schema_without_a_path_writes_into_the_working_folder(tmp_path: Path) -> None:
    result = run(tmp_path, "export-schema")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "schema.graphql").read_text() == SNAPSHOT.read_text()


def test_migrate_is_idempotent_and_says_what_it_did(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated (empty) ->" in first.stdout
    second = run(tmp_path, "migrate")
    assert second.returncode == 0, second.stderr
    assert "already at" in second.stdout
    status = run(tmp_path, "migrate", "--status")
    assert "up to date" in status.stdout


def test_migrate_status_on_an_empty_database_says_it_is_behind(tmp_path: Path) -> None:
    status = run(tmp_path, "migrate", "--status")
    assert status.returncode == 0, status.stderr
    assert "current: (empty)" in status.stdout
    assert "behind" in status.stdout


def test_seed_reports_what_it_wrote_and_refuses_a_full_database(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    seeded = run(tmp_path, "seed", "--packages", "40", "--seed", "3")
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 20 users" in seeded.stdout
    assert "40 packages" in seeded.stdout
    again = run(tmp_path, "seed", "--packages", "40")
    assert again.returncode != 0
    assert "already has packages" in again.stderr


@pytest.mark.parametrize("url", ["mysql://localhost/db", "nonsense", "postgresql+psycopg2://h/d"])
def test_an_unsupported_database_url_is_a_clear_error_naming_the_setting(tmp_path: Path, url: str) -> None:
    result = run(tmp_path, "migrate", database_url=url)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_starts_on_the_embedded_default_and_answers_queries(tmp_path: Path) -> None:
    with serving(tmp_path) as base:
        answer = httpx.post(f"{base}/graphql", json={"query": "{ stats { packageCount } }"}).json()
        assert answer == {"data": {"stats": {"packageCount": 50}}}
        ide = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
    assert ide.status_code == 200
    assert "graphiql" in ide.text.lower()
