"""The threat page's chart draws in a real headless Chromium, with no script errors (the page's
Content-Security-Policy allows no inline script, so a broken or blocked script shows here)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.reporting.test_threat_chart import people, threat  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_score_chart_draws_without_script_errors(
    browser,  # noqa: F811
    live_server,
    reference_data,
    threat,  # noqa: F811
    people,  # noqa: F811
):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", people["lro"].username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/threats/{threat.reference}/")
    canvas = page.locator("#score-chart")
    canvas.scroll_into_view_if_needed()
    # Something was drawn: a blank canvas has no pixel with any opacity.
    drawn = page.evaluate(
        """() => { const c = document.getElementById('score-chart');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert drawn > 1000, drawn
    assert errors == []
    page.click("text=Show the figures as a table")
    assert page.locator("[data-testid=chart-table] table").first.is_visible()
    page.close()
