"""The browser tests' fixtures: one headless Chromium per module (Debian's /usr/bin/chromium,
driven by Playwright) and the reference data (organisations, the gateway's capabilities) put back
after each transactional test."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("SOCMASTER_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _reference_organisations(transactional_db):
    """Transactional tests empty every table afterwards: put the reference organisations back."""
    from django.core.management import call_command

    from socmaster.organisations.models import Organisation

    if not Organisation.objects.exists():
        call_command("load-organisations", verbosity=0)
    _capabilities()


def _capabilities():
    """The gateway's capabilities, reference data a migration loads, as that migration does."""
    from socmaster.gateway.choices import CAPABILITIES, DEFAULT_CRITERIA
    from socmaster.gateway.models import Capability

    if not Capability.objects.exists():
        for code, name in CAPABILITIES:
            Capability.objects.create(
                code=code, name=name, acceptance_criteria=DEFAULT_CRITERIA.get(code, [])
            )


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/setup.sh --test-deps")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, sync_playwright

    # Pages load parts of themselves after they open (htmx panels): closing one while such a
    # request is still being served leaves the live server reading the test database while it
    # is emptied ("database table is locked"). Every close first lets the page's requests end.
    close = Page.close

    def settled_close(page, *args, **kwargs):
        try:
            page.wait_for_load_state("networkidle", timeout=5000)
        except PlaywrightError:
            pass
        return close(page, *args, **kwargs)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    Page.close = settled_close
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()
    finally:
        Page.close = close
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def sign_in(live_server):
    """sign_in(browser, "user name") -> a new page signed in as that user."""

    def open_page(browser, username):
        page = browser.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return open_page
