"""Browser tests of the connector dashboard: Playwright driving Debian's Chromium against a
running platform whose TSO and DSO checks wait for a person (``auto_review=False``), so that the
TSO and the DSO decide in their own browser sessions.

The platform here is a second one beside the shared ``world``: its own Anvil, database, Celery
worker and queue.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ledger.core.settings import PROJECT_ROOT
from tests.conftest import World, build_world

CHROMIUM = Path(os.environ.get("CBP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "reports" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test installs it)"
    )
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ui_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A running platform on which the TSO and DSOs decide by hand."""
    yield from build_world(
        tmp_path_factory.mktemp("platform-ui"), "sqlite", None, auto_review=False
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One organisation's browser tab, signed in through the login form."""

    def __init__(
        self, page: Any, world: World, slug: str, shots: Callable[[Any, str], Path]
    ) -> None:
        self.page = page
        self.world = world
        self.slug = slug
        self._shots = shots

    def shot(self, name: str) -> Path:
        return self._shots(self.page, f"{self.slug}-{name}")

    def nav(self, name: str) -> None:
        """Follow a link of the main navigation."""
        self.page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=name, exact=True
        ).click()

    def go(self, hash_path: str) -> None:
        self.page.goto(f"{self.world.api_url}/ui/#/{hash_path}")


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as reports/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
    taken: list[Path] = []

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{test}-{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


@pytest.fixture
def sign_in(
    browser: Any, ui_world: World, shots: Callable[[Any, str], Path]
) -> Iterator[Callable[..., Session]]:
    """sign_in("bsp1") -> a new browser context for that organisation, signed in.

    Every request the pages make is recorded; at the end none may have left the platform's
    origin (the dashboard loads nothing from the internet) and no page may have thrown.
    """
    contexts: list[Any] = []
    outside: list[str] = []
    page_errors: list[str] = []
    origin = urlparse(ui_world.api_url).netloc

    def open_session(slug: str, viewport: dict[str, int] | None = None) -> Session:
        context = browser.new_context(viewport=viewport or LAPTOP)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda r: outside.append(r.url) if _leaves(r.url, origin) else None)
        page.on("pageerror", lambda e: page_errors.append(f"{slug}: {e}"))
        session = Session(page, ui_world, slug, shots)
        session.go("home")
        page.get_by_label("Organisation API token").fill(ui_world.tokens[slug])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name=re.compile("^Welcome")).wait_for()
        return session

    yield open_session
    for context in contexts:
        context.close()
    assert not outside, f"the dashboard reached outside its origin: {outside}"
    assert not page_errors, f"uncaught errors in the pages: {page_errors}"


def _leaves(url: str, origin: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"http", "https", "ws", "wss"} and parsed.netloc != origin
