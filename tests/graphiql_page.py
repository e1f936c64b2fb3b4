"""GraphiQL at `/graphql` in headless Chromium, driven as a person would: type, click, read the result pane."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own browser download cannot reach its host here
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
LOOPBACK = {"127.0.0.1", "localhost"}
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".graphiql-response .CodeMirror"


def launch(playwright: Playwright) -> Browser:
    # A missing browser fails the test, locally and in CI alike: it is a prerequisite, not an option.
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for a test module's tests (import it there: it is a fixture)."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


class GraphiQLPage:
    """One tab on GraphiQL; every request to a host off this machine is aborted and remembered in `refused`."""

    def __init__(self, page: Page, base: str, screenshots: Path) -> None:
        self.page, self.base, self.screenshots = page, base, screenshots
        self.requested: list[str] = []
        self.refused: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._only_loopback)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _only_loopback(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")

    def open(self) -> None:
        self.page.goto(f"{self.base}/graphql")
        self.page.wait_for_selector(QUERY_EDITOR)

    def _type_into(self, editor: str, text: str) -> None:
        self.page.click(editor)
        self.page.keyboard.press("Control+A")
        # One input event, as a paste or an input method sends. Key by key, a busy machine lets strawberry's page
        # hand GraphiQL a value its debounced change handler read a few keys earlier, which moves the cursor.
        self.page.keyboard.insert_text(text)
        typed = self.page.evaluate("(selector) => document.querySelector(selector).CodeMirror.getValue()", editor)
        assert typed == text, f"the editor holds {typed!r}, not what was typed"

    def type_query(self, text: str) -> None:
        self._type_into(QUERY_EDITOR, text)
        # GraphiQL parses the query 100 ms after the last change, and decides from that parse whether to send it
        # over HTTP or as a subscription: wait for it, as a person's pause before clicking would.
        self.page.wait_for_function(
            "(selector) => { const editor = document.querySelector(selector).CodeMirror;"
            " return editor.documentAST?.loc?.source.body === editor.getValue(); }",
            arg=QUERY_EDITOR,
        )

    def type_headers(self, text: str) -> None:
        self.page.click(".graphiql-editor-tools button[data-name=headers]")
        self.page.wait_for_selector(HEADERS_EDITOR)
        self._type_into(HEADERS_EDITOR, text)

    def run(self) -> None:
        self.page.click(".graphiql-execute-button")

    def wait_until_idle(self) -> None:
        """Until no query or subscription runs: the button would stop one rather than run the next."""
        self.page.wait_for_selector(".graphiql-execute-button[aria-label^=Execute]")

    def wait_for_result(self, containing: str) -> Any:
        """The result pane's JSON, once it holds the text `containing`."""
        read = "(selector) => document.querySelector(selector).CodeMirror.getValue()"
        self.page.wait_for_function(
            "([selector, text]) => document.querySelector(selector).CodeMirror.getValue().includes(text)",
            arg=[RESULT, containing],
        )
        return json.loads(self.page.evaluate(read, RESULT))

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=path)
        return path


@contextmanager
def graphiql(browser: Browser, base: str, screenshots: Path) -> Iterator[GraphiQLPage]:
    """A fresh browser context (no stored headers or tabs) with GraphiQL open."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        tab = GraphiQLPage(context.new_page(), base, screenshots)
        tab.open()
        yield tab
    finally:
        context.close()
