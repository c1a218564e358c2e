"""The home page's attention list in a real headless Chromium, for each role: the figures shown,
urgent ones first, and each link opening the list it counts."""

# ruff: noqa: F811 (the shared fixtures are imported by name)
from __future__ import annotations

import pytest

from tests.web.test_attention import EXPECTED, people, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_sees_its_attention_list_and_can_follow_it(
    browser, live_server, reference_data, sign_in, people, world
):
    for role in ("lro", "moderator", "partner", "chief"):
        page = sign_in(browser, people[role].username)
        shown = {}
        for card in page.locator("[data-testid^=count-]").all():
            shown[card.get_attribute("data-testid").removeprefix("count-")] = int(
                card.text_content().strip()
            )
        expected = {k: v for k, v in EXPECTED[role].items()}
        assert set(shown) == set(expected), (role, shown)
        for key, count in expected.items():
            if count is not None:
                assert shown[key] == count, (role, key)
        if role == "lro":  # overdue figures come first, tagged
            first = page.locator("[data-testid^=count-]").first
            assert first.get_attribute("data-testid") in (
                "count-my-actions-overdue",
                "count-led-actions-overdue",
            )
        # the first figure with something in it opens a page that answers
        link = page.locator("[data-testid=attention] a.govuk-link").first
        link.click()
        page.wait_for_load_state()
        assert page.locator("h1").count() == 1 and "Error" not in page.title(), (role, page.url)
        page.close()
