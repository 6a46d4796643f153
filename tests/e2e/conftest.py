"""Browser tests: Playwright driving Debian's chromium against a live server.

They skip, saying so, where chromium is not installed (``make test`` installs
it where it can).  Screenshots go to ``test-results/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "chromium is not installed: browser tests skipped (make test installs it "
            "where it can: apt-get install chromium)"
        )
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop; the ORM calls of the test itself are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


PASSWORD = "pw-for-tests-only"


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the form, in a fresh session, as another person's browser would."""
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login/" not in page.url, f"{username} could not log in"


@pytest.fixture
def person(browser: object) -> Iterator[Callable[[], object]]:
    """A browser session of a person's own (cookies not shared with anyone else's)."""
    contexts = []

    def open_page() -> object:
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def roles_as_installed() -> None:
    """The role groups with the permissions the migrations give them (a transactional
    test before this one may have flushed them): what a fresh installation holds."""
    from django.contrib.auth.models import Group, Permission

    from workflow.roles import ROLES, role_permissions

    for name in ROLES:
        group, created = Group.objects.get_or_create(name=name)
        if created:
            for dotted in role_permissions(name):
                app_label, codename = dotted.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
