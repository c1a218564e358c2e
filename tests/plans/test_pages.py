"""4P plan pages through the Django test client: writing a plan from its template, actions, partner
updates, reviews, lists, the dashboard, exports, the plan on a page (HTML and PDF) and templates."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from socmaster.core.models import AuditEntry
from socmaster.plans import services
from socmaster.plans.models import Plan, PlanAction, PlanReview, PlanTemplate
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "admin": make_user("force-durham", "administrator", username="admin"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "outsider": make_user("force-kent", "analyst", username="kent"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def threat(org, people):
    return Threat.objects.create(
        reference="PL-1",
        name="Harbour network",
        owner=org("force-durham"),
        lro=people["lro"],
        handling="region",
    )


@pytest.fixture
def plan(threat, people, org):
    plan = services.create_plan(people["lro"], threat, aim="Dismantle the harbour network.")
    for p in ("pursue", "prevent", "protect", "prepare"):
        services.add_action(
            people["lro"],
            plan,
            four_p=p,
            description=f"{p} action for the harbour network",
            owner_user=people["lro"],
            start_date=TODAY,
            due_date=TODAY + dt.timedelta(days=30),
        )
    services.add_action(
        people["lro"],
        plan,
        four_p="protect",
        description="Council licensing visits",
        owner_organisation=org("partner-durham-county-council"),
        start_date=TODAY,
        due_date=TODAY + dt.timedelta(days=60),
    )
    return plan


def test_write_a_plan_from_the_threat_page_with_template_prefill(web, people, threat):
    client = web(people["lro"])
    page = client.get(f"/threats/{threat.reference}/")
    assert (
        b"No 4P plan" in page.content and f"/plans/{threat.reference}/new/".encode() in page.content
    )
    form = client.get(f"/plans/{threat.reference}/new/")
    assert b"National template: organised crime group" in form.content
    assert b"Bring the principal members to justice." in form.content  # objectives pre-filled
    response = client.post(
        f"/plans/{threat.reference}/new/",
        {
            "aim": "Dismantle the group.",
            "pursue_objectives": "Charge the principals.",
            "review_frequency_days": 60,
            "add_suggested_actions": "on",
        },
    )
    assert response.status_code == 302 and response.url == f"/plans/{threat.reference}/"
    plan = Plan.objects.get(threat=threat)
    assert plan.actions.count() == len(
        PlanTemplate.objects.get(organisation=None, threat_type="ocg").suggested_actions
    )
    detail = client.get(response.url)
    assert (
        b"Actions without owner or dates" in detail.content
    )  # suggested actions still need owners and dates
    assert (
        client.get(f"/threats/{threat.reference}/").content.count(b"Version 1 of the 4P plan") == 1
    )


def test_bad_plan_input_shows_field_errors_and_stores_nothing(web, people, threat):
    response = web(people["lro"]).post(
        f"/plans/{threat.reference}/new/", {"aim": " ", "review_frequency_days": 2}
    )
    assert response.status_code == 200
    assert b"Enter the aim" in response.content
    assert b"Give a review period of at least 7 days." in response.content
    assert not Plan.objects.exists()


def test_outsiders_get_404_and_inspectors_cannot_write(web, client, people, threat, plan):
    assert web(people["outsider"]).get(f"/plans/{threat.reference}/").status_code == 404
    assert web(people["outsider"]).get(f"/plans/{threat.reference}/print/").status_code == 404
    client.logout()
    inspector = web(people["inspector"])
    assert inspector.get(f"/plans/{threat.reference}/").status_code == 200
    assert inspector.get(f"/plans/{threat.reference}/edit/").status_code == 403
    assert (
        inspector.post(f"/plans/{threat.reference}/actions/new/", {"four_p": "pursue"}).status_code
        == 403
    )


def test_add_and_complete_an_action_needs_a_result(web, people, threat, plan):
    client = web(people["lro"])
    response = client.post(
        f"/plans/{threat.reference}/actions/new/",
        {
            "four_p": "prepare",
            "description": "Community resilience meeting",
            "owner_user": people["lro"].pk,
            "start_date": TODAY.isoformat(),
            "due_date": (TODAY - dt.timedelta(days=1)).isoformat(),
            "status": "not_started",
        },
    )
    assert (
        response.status_code == 200
        and b"The due date cannot be before the start date." in response.content
    )
    action = plan.actions.get(description="prepare action for the harbour network")
    response = client.post(
        f"/plans/actions/{action.pk}/",
        {
            "four_p": "prepare",
            "description": action.description,
            "owner_user": people["lro"].pk,
            "start_date": TODAY.isoformat(),
            "due_date": action.due_date.isoformat(),
            "status": "complete",
            "result": "",
        },
    )
    assert (
        response.status_code == 200
        and b"Record the result before completing the action" in response.content
    )
    response = client.post(
        f"/plans/actions/{action.pk}/",
        {
            "four_p": "prepare",
            "description": action.description,
            "owner_user": people["lro"].pk,
            "start_date": TODAY.isoformat(),
            "due_date": action.due_date.isoformat(),
            "status": "complete",
            "result": "Meeting held; 40 residents attended.",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "complete" and action.completed_on == TODAY
    history = client.get(f"/plans/actions/{action.pk}/")
    assert b"changed" in history.content and b"status" in history.content


def test_partner_sees_only_own_actions_and_chosen_sections_and_updates_own_action(
    web, client, people, threat, plan
):
    partner = web(people["partner"])
    page = partner.get(f"/plans/{threat.reference}/")
    assert page.status_code == 200 and b"partner-view" in page.content
    assert b"Council licensing visits" in page.content
    assert b"pursue action for the harbour network" not in page.content
    assert b"Dismantle the harbour network." not in page.content  # aim not shared yet
    assert b"Quality checks" not in page.content
    mine = plan.actions.get(description="Council licensing visits")
    other = plan.actions.get(description="pursue action for the harbour network")
    response = partner.post(
        f"/plans/actions/{mine.pk}/",
        {
            "status": "in_progress",
            "start_date": TODAY.isoformat(),
            "result": "Two premises visited.",
        },
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "in_progress" and mine.updated_by == people["partner"]
    assert partner.post(f"/plans/actions/{other.pk}/", {"status": "complete"}).status_code == 404
    listing = partner.get("/plans/actions/")
    assert (
        b"Council licensing visits" in listing.content and b"pursue action" not in listing.content
    )
    client.logout()
    lro = web(people["lro"])
    data = {
        "aim": plan.aim,
        "review_frequency_days": 90,
        "partner_sections": ["aim", "other_actions"],
    }
    assert lro.post(f"/plans/{threat.reference}/edit/", data).status_code == 302
    client.logout()
    page = web(people["partner"]).get(f"/plans/{threat.reference}/")
    assert (
        b"Dismantle the harbour network." in page.content
        and b"pursue action for the harbour network" in page.content
    )


def test_review_by_chief_officer_and_not_by_lro(web, client, people, threat, plan):
    assert web(people["lro"]).get(f"/plans/{threat.reference}/reviews/new/").status_code == 403
    client.logout()
    chief = web(people["chief"])
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    response = chief.post(
        f"/plans/{threat.reference}/reviews/new/",
        {"reviewed_on": future, "outcome": "good", "comments": "Fine."},
    )
    assert response.status_code == 200 and b"cannot be in the future" in response.content
    response = chief.post(
        f"/plans/{threat.reference}/reviews/new/",
        {
            "reviewed_on": TODAY.isoformat(),
            "outcome": "improve",
            "comments": "Prevent actions too thin.",
        },
    )
    assert response.status_code == 302
    review = PlanReview.objects.get()
    assert review.reviewer_role == "chief_officer"
    assert b"Prevent actions too thin." in chief.get(f"/plans/{threat.reference}/").content


def test_new_version_keeps_the_old_one(web, people, threat, plan):
    client = web(people["lro"])
    response = client.post(f"/plans/{threat.reference}/new-version/")
    assert response.status_code == 302
    old = Plan.objects.get(threat=threat, version=1)
    assert old.status == "superseded"
    assert Plan.objects.get(threat=threat, version=2).actions.count() == old.actions.count()
    page = client.get(f"/plans/{threat.reference}/?version=1")
    assert b"was superseded" in page.content and b"Change the plan" not in page.content
    again = client.post(f"/plans/{threat.reference}/new-version/?version=1", follow=True)
    assert (
        again.status_code == 200 and b"has been superseded and cannot be changed" in again.content
    )
    assert Plan.objects.filter(threat=threat).count() == 2


def test_lists_dashboard_reviews_due_and_filters(web, people, threat, plan, org):
    Threat.objects.create(reference="PL-2", name="No plan yet", owner=org("force-durham"))
    client = web(people["analyst"])
    listing = client.get("/plans/")
    assert (
        b"PL-1" in listing.content and b"PL-2" in listing.content and b"No plan" in listing.content
    )
    only_missing = client.get("/plans/?check=no_plan")
    assert b"PL-2" in only_missing.content and b">PL-1<" not in only_missing.content
    assert b"PL-1" in client.get("/plans/?q=harbour").content
    assert b"no-plans" in client.get("/plans/?q=nothing-matches").content
    bad = client.get("/plans/?organisation=Nowhere+Constabulary")
    assert bad.status_code == 200 and b"Unknown organisation" in bad.content
    dashboard = client.get("/plans/quality/")
    assert dashboard.status_code == 200
    assert b'data-testid="total-plans">1<' in dashboard.content
    assert b'data-testid="total-no-plan">1<' in dashboard.content
    assert b"Durham Constabulary" in dashboard.content
    Plan.objects.filter(pk=plan.pk).update(created_at=plan.created_at - dt.timedelta(days=200))
    due = client.get("/plans/reviews-due/")
    assert b"PL-1" in due.content and b"Overdue" in due.content


def test_exports_need_a_reason_and_are_audited(web, people, threat, plan):
    client = web(people["lro"])
    ask = client.get("/plans/actions.csv?scope=all")
    assert ask.status_code == 200 and b"reason" in ask.content
    response = client.post("/plans/actions.csv?scope=all", {"reason": "Partner meeting pack"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("threat,plan_version,four_p,description")
    assert "Council licensing visits" in body and body.count("PL-1") == 5
    xlsx = client.post("/plans/actions.xlsx?scope=all", {"reason": "Partner meeting pack"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    listing = client.post("/plans/export.csv", {"reason": "Quality work"})
    text = b"".join(listing.streaming_content).decode()
    assert (
        text.splitlines()[0]
        == "threat,organisation,region,lro,plan_version,checks_failed,next_review_due,reasons"
    )
    assert AuditEntry.objects.filter(action="export", reason="Partner meeting pack").count() == 2


def test_plan_on_a_page_html_and_pdf(web, people, threat, plan):
    from pypdf import PdfReader

    client = web(people["lro"])
    html = client.get(f"/plans/{threat.reference}/print/")
    assert (
        html.status_code == 200
        and b"plan on a page" in html.content
        and b"OFFICIAL-SENSITIVE" in html.content
    )
    assert client.get(f"/plans/{threat.reference}/plan.pdf").status_code == 200  # the reason prompt
    refused = client.post(f"/plans/{threat.reference}/plan.pdf", {"reason": " "})
    assert refused.status_code == 400
    response = client.post(
        f"/plans/{threat.reference}/plan.pdf", {"reason": "Partnership meeting 3 March"}
    )
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "PL-1" in text and "Council licensing visits" in text and "OFFICIAL-SENSITIVE" in text
    entry = AuditEntry.objects.filter(action="export", record_type="plans.plan").get()
    assert entry.reason == "Partnership meeting 3 March"


def test_partner_pdf_holds_only_what_the_partner_may_see(web, people, threat, plan):
    from pypdf import PdfReader

    response = web(people["partner"]).post(
        f"/plans/{threat.reference}/plan.pdf", {"reason": "Meeting"}
    )
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert (
        "Council licensing visits" in text and "pursue action for the harbour network" not in text
    )


def test_templates_are_edited_by_the_organisations_administrators(web, client, people, threat):
    assert web(people["analyst"]).get("/plans/templates/force-durham/ocg/").status_code == 403
    client.logout()
    admin = web(people["admin"])
    form = admin.get("/plans/templates/force-durham/ocg/")
    assert form.status_code == 200 and b"Bring the principal members to justice." in form.content
    bad = admin.post(
        "/plans/templates/force-durham/ocg/",
        {"name": "Durham OCG", "suggested_actions": "later: x"},
    )
    assert bad.status_code == 200 and b"Line 1" in bad.content
    response = admin.post(
        "/plans/templates/force-durham/ocg/",
        {
            "name": "Durham OCG template",
            "aim": "Durham aim.",
            "pursue_objectives": "Durham pursue objective.",
            "suggested_actions": "pursue: Durham pursue step\nprevent: Durham prevent step",
        },
    )
    assert response.status_code == 302
    template = PlanTemplate.objects.get(organisation__key="force-durham", threat_type="ocg")
    assert [a["four_p"] for a in template.suggested_actions] == ["pursue", "prevent"]
    assert services.template_for(threat) == template
    assert b"Durham OCG template" in admin.get("/plans/templates/").content


def test_restricted_threat_plan_asks_for_a_reason(web, people, org):
    threat = Threat.objects.create(
        reference="PL-R",
        name="Restricted",
        owner=org("force-durham"),
        lro=people["lro"],
        handling="owner",
    )
    services.create_plan(people["lro"], threat, aim="Restricted aim.")
    response = web(people["lro"]).get("/plans/PL-R/")
    assert response.status_code == 302 and response.url.startswith("/reason/")


def test_partner_without_actions_gets_404(web, people, threat, plan):
    PlanAction.objects.filter(owner_organisation__isnull=False).delete()
    assert web(people["partner"]).get(f"/plans/{threat.reference}/").status_code == 404


def test_home_page_counts_open_actions_held_by_my_organisation(web, people, plan):
    PlanAction.objects.filter(description="Council licensing visits").update(
        due_date=TODAY - dt.timedelta(days=1)
    )
    page = web(people["partner"]).get("/")
    assert b'data-testid="count-my-actions-overdue">1<' in page.content
    assert b'data-testid="urgent-my-actions-overdue"' in page.content
    assert b"(1 day ago)" in page.content


def test_plan_settings_are_checked(settings):
    from socmaster.plans.apps import check_plan_settings

    assert check_plan_settings() == []
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_REVIEW_DAYS": 400, "PLAN_COPY_SIMILARITY": 0}
    messages = [e.msg for e in check_plan_settings()]
    assert messages == [
        "SOCMASTER_PLAN_REVIEW_DAYS is 400; it must be between 7 and 365.",
        "SOCMASTER_PLAN_COPY_SIMILARITY is 0; it must be above 0 and at most 1.",
    ]


def test_action_page_of_a_restricted_threat_asks_for_a_reason(web, people, org):
    threat = Threat.objects.create(
        reference="PL-RA",
        name="Restricted",
        owner=org("force-durham"),
        lro=people["lro"],
        handling="owner",
    )
    plan = services.create_plan(people["lro"], threat, aim="Restricted aim.")
    action = services.add_action(
        people["lro"], plan, four_p="pursue", description="Covert deployment"
    )
    response = web(people["lro"]).get(f"/plans/actions/{action.pk}/")
    assert response.status_code == 302 and response.url.startswith("/reason/")


def test_template_edits_do_not_turn_old_template_lines_into_own_text(people, org):
    from socmaster.plans import quality

    plans = []
    for n in (1, 2):
        threat = Threat.objects.create(
            reference=f"PL-T{n}", name=f"Group {n}", owner=org("force-durham"), lro=people["lro"]
        )
        plans.append(
            services.create_plan(
                people["lro"],
                threat,
                **services.initial_from_template(services.template_for(threat)),
            )
        )
    services.save_template(
        people["admin"],
        organisation=org("force-durham"),
        threat_type="ocg",
        name="New wording",
        aim="Entirely new template aim for Durham.",
    )
    for plan in plans:
        services.update_plan(
            people["lro"], plan, intelligence_gaps=f"Gap for {plan.threat.reference}."
        )
    rows = quality.evaluate(Plan.objects.filter(pk__in=[p.pk for p in plans]))
    assert all("copied_text" not in r.failed_keys for r in rows)
    assert Plan.objects.get(pk=plans[0].pk).template_lines[0].startswith("Dismantle the group")


def test_every_count_on_the_dashboard_links_to_the_plans_it_counts(web, people, threat, plan, org):
    import html
    import re

    Threat.objects.create(  # a second managed threat, without a plan or an LRO
        reference="DASH-2", name="No plan yet", owner=org("force-durham"), phase=threat.phase
    )
    client = web(people["lro"])
    page = client.get("/plans/quality/").content.decode()
    links = re.findall(
        r'<a class="govuk-link" href="([^"]+)" data-testid="link-[^"]+"(?: data-count="(\d+)")?>([^<]+)</a>',
        page,
    )
    assert len(links) >= 4, links  # region and organisation rows, passing and failed checks
    for href, count, text in links:
        expected = int(count) if count else int(text)
        listed = client.get(html.unescape(href)).content.decode()
        body = listed.split('data-testid="plan-table"', 1)[-1].split("</tbody>", 1)[0]
        rows = body.count('<tr class="govuk-table__row">') - 1  # less the header row
        assert rows == expected, (href, expected, rows)
