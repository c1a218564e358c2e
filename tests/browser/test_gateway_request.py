"""A request for specialist support from submission to completion, in a real headless Chromium
(synthetic people and threat): a force's analyst asks the North East ROCU's gateway; its gateway
officer triages it, accepts it with a team, starts the work and records the outcome; the
analyst then sees it completed. No script error under the page's Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_user):
    from django.apps import apps

    from socmaster.gateway.models import Capability, CapabilityOffer
    from socmaster.organisations.models import Organisation
    from socmaster.threats.models import Threat

    # Capabilities are reference data loaded by a migration: put them back after a flush.
    importlib.import_module("socmaster.gateway.migrations.0002_capabilities").load(apps, None)
    durham = Organisation.objects.get(key="force-durham")
    rocu = Organisation.objects.get(key="rocu-north-east")
    requester = make_user("force-durham", "analyst", username="gw-browser-requester")
    officer = make_user("rocu-north-east", "gateway_officer", username="gw-browser-officer")
    threat = Threat.objects.create(
        reference="GW-B1", name="Synthetic browser crew", owner=durham, handling="region", tier=2
    )
    offer = CapabilityOffer.objects.create(
        capability=Capability.objects.get(code="rib"),
        organisation=rocu,
        team="Synthetic research desk",
        monthly_capacity=30,
    )
    return requester, officer, threat, offer


def _watch(page, errors: list[str]):
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))


def _step(page, name: str):
    page.click(f"[data-testid=step-{name}] summary")
    page.click(f"[data-testid=do-{name}]")
    page.wait_for_selector(".govuk-notification-banner--success")


def test_a_request_from_submission_to_completion(browser, live_server, sign_in, world):
    from socmaster.gateway.models import SupportRequest

    requester, officer, threat, offer = world
    errors: list[str] = []
    needed = dt.date.today() + dt.timedelta(days=10)

    asker = sign_in(browser, requester.username)
    _watch(asker, errors)
    asker.goto(f"{live_server.url}/threats/{threat.reference}/")
    asker.click("[data-testid=request-support]")  # from the threat page's gateway panel
    assert asker.input_value("#id_threat") == threat.reference
    # Choosing the capability narrows the gateways to those that offer it (htmx).
    with asker.expect_response(lambda r: "capability=rib" in r.url):
        asker.select_option("#id_capability", "rib")
    asker.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    asker.select_option("#id_gateway", "rocu-north-east")
    asker.fill("#id_operation", "Op Synthetic Browser")
    asker.fill("#id_asked_for", "Synthetic: research the crew's phones.")
    asker.fill("#id_justification", "Synthetic: to find who supplies the crew.")
    asker.fill("#id_needed_from_day", str(needed.day))
    asker.fill("#id_needed_from_month", str(needed.month))
    asker.fill("#id_needed_from_year", str(needed.year))
    asker.click("[data-testid=save]")
    asker.wait_for_selector("[data-testid=status]")
    request = SupportRequest.objects.get()
    assert asker.url.endswith(f"/gateway/{request.reference}/")
    assert asker.inner_text("[data-testid=status]") == "Submitted"

    gateway = sign_in(browser, officer.username)
    _watch(gateway, errors)
    gateway.goto(f"{live_server.url}/gateway/")
    gateway.click(f"[data-testid=request-row] a:has-text('{request.reference}')")
    gateway.wait_for_selector("[data-testid=factors]")
    _step(gateway, "triage")
    assert gateway.inner_text("[data-testid=status]") == "Triaged"

    gateway.click("[data-testid=step-accept] summary")
    gateway.select_option("#id_accept-offer", str(offer.pk))
    assert gateway.input_value("#id_accept-committed_from_day") == str(needed.day)
    gateway.fill("#id_accept-committed_to_day", str(needed.day))
    gateway.fill("#id_accept-committed_to_month", str(needed.month))
    gateway.fill("#id_accept-committed_to_year", str(needed.year))
    gateway.fill("#id_accept-committed_capacity", "2")
    gateway.click("[data-testid=do-accept]")
    gateway.wait_for_selector(".govuk-notification-banner--success")
    assert gateway.inner_text("[data-testid=status]") == "Accepted"
    assert gateway.inner_text("[data-testid=team]") == offer.team

    gateway.click("[data-testid=do-start]")  # no fields: the button is shown open
    gateway.wait_for_selector(".govuk-notification-banner--success")
    assert gateway.inner_text("[data-testid=status]") == "In progress"

    gateway.click("[data-testid=step-complete] summary")
    gateway.fill("#id_complete-outcome", "Synthetic: the supplier was identified.")
    gateway.click("[data-testid=do-complete]")
    gateway.wait_for_selector(".govuk-notification-banner--success")
    assert gateway.inner_text("[data-testid=status]") == "Completed"

    asker.goto(f"{live_server.url}/gateway/")
    row = asker.locator(f"[data-testid=request-row]:has-text('{request.reference}')")
    assert "Completed" in row.inner_text()
    asker.click(f"[data-testid=request-row] a:has-text('{request.reference}')")
    assert asker.inner_text("[data-testid=status]") == "Completed"
    assert "the supplier was identified" in asker.inner_text("[data-testid=outcome]")
    request.refresh_from_db()
    assert request.status == "completed" and request.offer == offer
    assert errors == []
    asker.close()
    gateway.close()
