"""Forms in a real browser: a disruption's every error shown in one pass (tactics offered by P),
and a plan action opened and saved unchanged keeping its dates."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.disruptions.models import Disruption, Tactic
from socmaster.threats.models import Threat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recording_a_disruption_shows_every_error_in_one_pass(
    browser, live_server, sign_in, make_user, org, reference_data
):
    make_user("force-durham", "analyst", username="br-recorder")
    Threat.objects.create(
        reference="BR-DIS",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
    )
    page = sign_in(browser, "br-recorder")
    page.goto(f"{live_server.url}/disruptions/new/BR-DIS/")
    today = dt.date.today()
    # Today's date is filled in as day, month and year.
    assert page.input_value("#id_event_date_day") == str(today.day)
    assert page.input_value("#id_event_date_year") == str(today.year)
    for part in ("day", "month", "year"):
        page.fill(f"#id_event_date_{part}", "")
    # Choosing a P leaves only its tactics to choose from.
    page.select_option("#id_four_p", "prepare")
    offered = page.eval_on_selector_all(
        "#id_tactic option[data-four-p]", "els => els.map(e => e.dataset.fourP)"
    )
    assert offered and set(offered) == {"prepare"}
    page.select_option("#id_four_p", "pursue")
    offered = page.eval_on_selector_all(
        "#id_tactic option[data-four-p]", "els => els.map(e => e.dataset.fourP)"
    )
    assert set(offered) == {"pursue"}
    page.select_option("#id_category", "minor")
    page.fill("#id_narrative", "Routine patrol in the area")
    page.click("button:has-text('Save draft')")

    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary").inner_text()
    for message in (
        "Enter the event date",
        "Enter the team",
        "Select the tactic",
        "Enter the evidence",
        "Routine patrol is not a SOC disruption",
    ):
        assert message in summary, (message, summary)
    assert "This field is required" not in summary
    # The summary's link takes the user to the date's first input.
    page.click(".govuk-error-summary a:has-text('Enter the event date')")
    assert page.evaluate("document.activeElement.id") == "id_event_date_day"

    # One more pass with everything put right saves it.
    event = today - dt.timedelta(days=2)
    page.fill("#id_event_date_day", str(event.day))
    page.fill("#id_event_date_month", str(event.month))
    page.fill("#id_event_date_year", str(event.year))
    page.fill("#id_team", "Op Lantern")
    arrest = Tactic.objects.get(code="arrest")
    page.select_option("#id_tactic", str(arrest.pk))
    page.fill("#id_narrative", "Three principals arrested; drugs line closed.")
    page.fill("#id_evidence", "Custody refs 1-3")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("[data-testid=status]")
    disruption = Disruption.objects.get()
    assert disruption.event_date == event and disruption.tactic == arrest
    page.close()


def test_editing_a_plan_action_and_saving_unchanged_keeps_its_dates(
    browser, live_server, sign_in, make_user, org
):
    from socmaster.plans import services
    from socmaster.plans.models import PlanAction

    lro = make_user("force-durham", "lro", username="br-plan-lro")
    threat = Threat.objects.create(
        reference="BR-ACT",
        name="Riverside crew",
        owner=org("force-durham"),
        lro=lro,
        handling="region",
    )
    plan = services.create_plan(lro, threat, aim="Dismantle the riverside crew.")
    start, due = dt.date(2026, 11, 20), dt.date(2027, 1, 31)
    action = services.add_action(
        lro,
        plan,
        four_p="pursue",
        description="Arrest the principals",
        owner_user=lro,
        start_date=start,
        due_date=due,
    )
    page = sign_in(browser, "br-plan-lro")
    page.goto(f"{live_server.url}/plans/actions/{action.pk}/")
    assert page.input_value("#id_start_date_day") == "20"
    assert page.input_value("#id_start_date_month") == "11"
    assert page.input_value("#id_due_date_year") == "2027"
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/plans/BR-ACT/#action-{action.pk}")
    action = PlanAction.objects.get(pk=action.pk)
    assert (action.start_date, action.due_date) == (start, due)
    assert "31 Jan 2027" in page.locator("main").inner_text()
    page.close()


def test_shared_with_check_boxes_show_what_is_chosen_as_they_are_ticked(
    browser, live_server, sign_in, make_user, org
):
    make_user("force-durham", "analyst", username="br-sharer")
    threat = Threat.objects.create(
        reference="BR-SHARE", name="Shared", owner=org("force-durham"), handling="named"
    )
    threat.shared_with.set([org("force-cleveland")])
    page = sign_in(browser, "br-sharer")
    page.goto(f"{live_server.url}/threats/BR-SHARE/edit/")
    chosen = page.locator("[data-field=shared_with] [data-testid=chosen]")
    assert chosen.inner_text() == "Chosen (1): Cleveland Police"
    # A group with something chosen is open; others are folded.
    assert page.locator("[data-field=shared_with] details[open]").count() == 1
    page.locator("[data-field=shared_with] label", has_text="Northumbria Police").click()
    assert chosen.inner_text() == "Chosen (2): Cleveland Police, Northumbria Police"
    # Another region's group opens to tick one of its forces.
    page.locator("[data-field=shared_with] summary", has_text="Wales").click()
    page.locator("[data-field=shared_with] label", has_text="Gwent Police").click()
    assert chosen.inner_text().startswith("Chosen (3): ")
    assert "Gwent Police" in chosen.inner_text()
    page.close()
