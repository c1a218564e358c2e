"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import pytest

from socmaster.threats.models import Threat
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_open_directory_and_hidden_record_is_404(browser, live_server, make_user, org):
    make_user("force-durham", "analyst", username="playwright")
    Threat.objects.create(
        reference="BR-HIDDEN", name="Kent only", owner=org("force-kent"), handling="owner"
    )
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "playwright")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("[data-testid=current-organisation]").inner_text() == "Durham"

    page.click("text=Organisations >> nth=0")
    page.wait_for_url(f"{live_server.url}/organisations/")
    assert page.locator("[data-testid=region]").count() == 10
    assert page.locator("[data-testid=force]").count() == 44
    page.click("text=North East Regional Organised Crime Unit")
    assert page.locator("h1").inner_text() == "North East Regional Organised Crime Unit"
    assert "Durham Constabulary" in page.locator("[data-testid=forces]").inner_text()
    # Styles come from the product itself, not a CDN.
    css = page.evaluate(
        "() => getComputedStyle(document.querySelector('.govuk-header')).backgroundColor"
    )
    assert css in ("rgb(11, 12, 12)", "rgb(29, 112, 184)")

    response = page.goto(f"{live_server.url}/threats/BR-HIDDEN/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    page.close()


def test_partner_updates_its_plan_action_in_the_browser(browser, live_server, make_user, org):
    import datetime as dt

    from socmaster.plans import services
    from socmaster.plans.models import PlanAction

    lro = make_user("force-durham", "lro", username="br-lro")
    make_user("partner-durham-county-council", "partner_user", username="br-council")
    threat = Threat.objects.create(
        reference="BR-PLAN", name="Riverside crew", owner=org("force-durham"), lro=lro
    )
    plan = services.create_plan(lro, threat, aim="Dismantle the riverside crew.")
    today = dt.date.today()
    services.add_action(
        lro,
        plan,
        four_p="pursue",
        description="Police-only surveillance",
        owner_user=lro,
        start_date=today,
        due_date=today + dt.timedelta(days=5),
    )
    action = services.add_action(
        lro,
        plan,
        four_p="protect",
        description="Close the unlicensed car wash",
        owner_organisation=org("partner-durham-county-council"),
        start_date=today,
        due_date=today + dt.timedelta(days=30),
    )
    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "br-council")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("text=4P plans >> nth=0")
    page.click("text=My actions")
    assert (
        "Close the unlicensed car wash" in page.locator("[data-testid=action-table]").inner_text()
    )
    page.click("text=Close the unlicensed car wash")
    page.select_option("#id_status", "complete")
    page.click("button:has-text('Save')")
    assert (
        "Record the result before completing the action"
        in page.locator(".govuk-error-summary").inner_text()
    )
    page.fill("#id_result", "Premises closed by licensing order.")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/plans/BR-PLAN/#action-{action.pk}")
    body = page.locator("main").inner_text()
    assert "Premises closed by licensing order." in body and "Police-only surveillance" not in body
    assert PlanAction.objects.get(pk=action.pk).status == "complete"
    page.close()
