from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.conftest import PASSWORD


@pytest.fixture
def login(page: Page, live_server, transactional_db):
    def do_login(username: str) -> Page:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/o/**/accounts/")
        return page

    return do_login


def mark_page(page: Page) -> None:
    """Sets a flag that a full page load would wipe out."""
    page.evaluate("window.__noReload = true")


def still_same_page(page: Page) -> bool:
    return page.evaluate("window.__noReload === true")


@pytest.fixture(autouse=True)
def no_script_errors_or_csp_violations(page: Page):
    """Every browser test also proves the page ran without a CSP violation or a script error."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield
    assert problems == []


def htmx_settled(page: Page) -> None:
    """Waits until htmx has settled its last swap: only then are the swapped-in forms its own
    (htmx processes new content after its settle delay; a form submitted before that is
    sent by the browser, as without JavaScript)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
