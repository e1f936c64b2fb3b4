"""The wheel, installed (not editable) into a new environment and run from another folder, is the whole app."""

import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app import GRAPHIQL_DIR
from tests.servers import serving
from tests.test_schema_snapshot import SNAPSHOT

SOURCE = Path(__file__).resolve().parent.parent
# What is not part of the project's source; copied along, a stale build/ could put removed files in the wheel.
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.db*", "test-artifacts")


@dataclass
class Install:
    python: Path
    site_packages: Path
    folder: Path  # a working folder outside the source tree


class AssetLinks(HTMLParser):
    """The URLs of a page's scripts and style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("src") if tag == "script" else named.get("href") if tag == "link" else None
        if url is not None and not url.startswith("data:"):
            self.urls.append(url)


def run(install: Install, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(install.python), *args], cwd=install.folder, capture_output=True, text=True, timeout=120, check=True
    )


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    """The wheel built from a copy of the source, installed with no index into a venv that borrows the
    dependencies from the test environment (a .pth file naming its site-packages), so nothing is downloaded."""
    root = tmp_path_factory.mktemp("install")
    shutil.copytree(SOURCE, root / "source", ignore=shutil.ignore_patterns(*NOT_SOURCE))
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    wheel = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", str(root / "source"), "-w", str(root)]
    subprocess.run(wheel, check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root / "venv"], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(borrowed)))
    # The test environment has the project installed too (editable); the new one gets its own copy regardless.
    (built,) = root.glob("cheeseshop-*.whl")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--ignore-installed", built],
        check=True,
        timeout=300,
    )
    (root / "elsewhere").mkdir()
    return Install(python=python, site_packages=site_packages, folder=root / "elsewhere")


def test_the_installed_project_is_imported_from_the_new_environment(install: Install) -> None:
    files = run(install, "-c", "import app, web, migrations; print(app.__file__, web.__file__, migrations.__file__)")
    for file in files.stdout.split():
        assert Path(file).is_relative_to(install.site_packages), file


def test_the_installed_app_serves_graphiql_and_every_asset_from_itself(install: Install) -> None:
    # The embedded default database in the working folder: migrated at start, which needs the shipped migrations.
    with serving(install.folder, python=str(install.python), env={"DEMO_DATA": "false"}) as base:
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
        links = AssetLinks()
        links.feed(page.text)
        assert all(url.startswith("/graphql/static/") for url in links.urls), links.urls
        assets = {url: httpx.get(f"{base}{url}") for url in links.urls}
        answer = httpx.post(f"{base}/graphql", json={"query": "{ stats { packageCount } }"}).json()
    assert page.status_code == 200
    shipped = {path.name for path in GRAPHIQL_DIR.iterdir() if path.suffix in {".js", ".css"}}
    assert {url.rsplit("/", 1)[1] for url in links.urls} == shipped
    for url, response in assets.items():
        assert response.status_code == 200, url
        assert response.content == (GRAPHIQL_DIR / url.rsplit("/", 1)[1]).read_bytes(), url
    assert answer == {"data": {"stats": {"packageCount": 0}}}


def test_the_installed_export_schema_writes_into_the_working_folder(install: Install) -> None:
    run(install, "-m", "app", "export-schema")
    assert (install.folder / "schema.graphql").read_text() == SNAPSHOT.read_text()
    assert not list(install.site_packages.rglob("schema.graphql"))
