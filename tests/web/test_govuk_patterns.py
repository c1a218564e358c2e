"""GOV.UK patterns rather than browser defaults: radios and check boxes in a fieldset with a
legend, grouped check boxes that show what is chosen for "Shared with" and "Areas affected", no
native date or Ctrl-click controls, specific messages, and the domain's words on screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from socmaster.core import audit
from socmaster.core.choices import AuditAction
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Tactic
from socmaster.plans import services as plan_services
from socmaster.threats.models import CrimeType, Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _group(html: str, name: str) -> str:
    """The form group of field ``name``."""
    match = re.search(
        rf'<div class="govuk-form-group[^"]*" data-field="{name}">(.*?)</fieldset>', html, re.S
    )
    assert match, f"no fieldset for {name}"
    return match[1]


@pytest.fixture
def people(make_user):
    lro = make_user("force-durham", "lro", "analyst", username="lro")
    lro.first_name, lro.last_name = "Ann", "Lee"
    lro.save()
    return {
        "lro": lro,
        "admin": make_user("force-durham", "administrator", username="admin"),
        "colleague": make_user("force-durham", "analyst", username="colleague"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "auditor": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def threat(org, people):
    threat = Threat.objects.create(
        reference="GP-1",
        name="Harbour network",
        owner=org("force-durham"),
        lro=people["lro"],
        threat_type="ocg",
        handling="region",
    )
    threat.crime_types.set(CrimeType.objects.all()[:1])
    threat.shared_with.set([org("force-cleveland")])
    threat.areas.set([org("force-durham")])
    return threat


def test_morile_whole_threat_is_govuk_radios_in_a_fieldset(web, people, threat):
    html = web(people["lro"]).get(f"/assessments/new/{threat.reference}/").content.decode()
    group = _group(html, "whole_threat")
    assert '<legend class="govuk-fieldset__legend' in group
    assert "Does this assessment cover the whole threat" in group
    assert 'class="govuk-radios govuk-radios--inline"' in group
    assert group.count('class="govuk-radios__input" type="radio"') == 2
    assert "govuk-input" not in group
    assert re.search(
        r'<label class="govuk-label govuk-radios__label" for="id_whole_threat_0">Yes', group
    )


def test_crime_types_and_roles_are_govuk_check_boxes_in_a_fieldset(web, people, threat):
    html = web(people["lro"]).get(f"/threats/{threat.reference}/edit/").content.decode()
    group = _group(html, "crime_types")
    assert "<legend" in group and "Crime types" in group
    assert 'class="govuk-checkboxes__input" type="checkbox"' in group and " checked" in group
    html = web(people["admin"]).get("/people/colleague/roles/").content.decode()
    group = _group(html, "roles")
    assert "<legend" in group and "Roles" in group and "govuk-checkboxes__label" in group


def test_shared_with_and_areas_are_grouped_check_boxes_that_show_what_is_chosen(
    web, people, threat
):
    html = web(people["lro"]).get(f"/threats/{threat.reference}/edit/").content.decode()
    assert "<select" not in _group(html, "shared_with")
    assert not [tag for tag in re.findall(r"<select[^>]*>", html) if "multiple" in tag]
    shared = _group(html, "shared_with")
    assert "Chosen (1):</strong> Cleveland Police" in shared
    assert re.search(
        r'<details class="govuk-details[^"]*" open>\s*<summary[^>]*><span[^>]*>North East \(1 chosen\)',
        shared,
    )
    assert shared.count("<details") >= 10  # one group per region and kind of organisation
    areas = _group(html, "areas")
    assert "Chosen (1):</strong> Durham Constabulary" in areas


def test_no_native_date_or_multi_select_controls_on_any_form(web, people, threat):
    plan = plan_services.create_plan(people["lro"], threat, aim="Dismantle the network.")
    client = web(people["lro"])
    pages = [
        "/threats/new/",
        f"/threats/{threat.reference}/edit/",
        f"/disruptions/new/{threat.reference}/",
        f"/assessments/new/{threat.reference}/",
        f"/plans/{threat.reference}/edit/",
        f"/plans/{threat.reference}/actions/new/",
        "/disruptions/",
        "/disruptions/report/",
        "/disruptions/extract/",
        "/disruptions/recording-audit/",
        "/plans/actions/",
        "/threats/",
    ]
    assert plan.pk
    chief = web(people["chief"]).get(f"/plans/{threat.reference}/reviews/new/").content.decode()
    assert 'name="reviewed_on_day"' in chief and 'type="date"' not in chief
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'type="date"' not in html, url
        assert (
            "<select" not in html or "multiple" not in re.findall(r"<select[^>]*>", html).__str__()
        ), url
        assert "---------" not in html, url


def test_filter_fields_are_not_all_optional_and_have_no_developer_hints(web, people):
    client = web(people["lro"])
    for url in ("/threats/", "/disruptions/", "/plans/actions/", "/plans/"):
        html = client.get(url).content.decode()
        assert "(optional)" not in html, url
        assert "(name, short name or key)" not in html and "(id)" not in html, url
        assert "user name, 'me' or 'none'" not in html, url


def test_specific_required_messages_not_this_field_is_required(web, people, threat):
    html = web(people["lro"]).post("/threats/new/", {"name": ""}).content.decode()
    assert "This field is required" not in html
    assert "Enter the name" in html and "<title>Error: " in html


def test_audit_viewer_speaks_the_domains_words(web, people, threat, org):
    disruption = disruption_services.record_disruption(
        people["lro"],
        threat,
        recording_organisation=org("force-durham"),
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested.",
        evidence="Custody refs 1-3",
    )
    disruption_services.submit_disruption(people["lro"], disruption)
    audit.record(AuditAction.VIEW, threat, user=people["lro"])
    client = web(people["auditor"])
    html = client.get("/audit/").content.decode()
    assert "threats.threat" not in html and "Workflow transition" not in html
    assert "Status change" in html and "Ann Lee" in html
    assert re.search(r"Threat no\. \d+", html)
    assert "disruptions.disruption" not in html
    # The kind of record is searched in words.
    found = client.get("/audit/", {"record_type": "threat"}).content.decode()
    assert "Threat no." in found and "Disruption no." not in found


def test_recording_audit_names_the_rules_not_the_fields(web, people, threat, org):
    d = disruption_services.record_disruption(
        people["lro"],
        threat,
        recording_organisation=org("force-durham"),
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested.",
        evidence="Custody refs 1-3",
    )
    type(d).objects.filter(pk=d.pk).update(event_date=TODAY - dt.timedelta(days=200))
    html = web(people["lro"]).get("/disruptions/recording-audit/").content.decode()
    assert "Time allowed to record" in html and "record_date" not in html
    html = web(people["lro"]).get("/disruptions/extract/").content.decode()
    assert "lead_disruptions" not in html


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_exports_and_plan_checks_show_peoples_names(web, people, threat):
    plan = plan_services.create_plan(people["lro"], threat, aim="Dismantle the network.")
    plan_services.add_action(
        people["lro"],
        plan,
        four_p="pursue",
        description="Arrest the principals",
        owner_user=people["lro"],
        start_date=TODAY,
        due_date=TODAY + dt.timedelta(days=9),
    )
    client = web(people["lro"])
    reason = {"reason": "Preparing the tasking meeting pack"}
    for url in ("/threats/export.csv", "/plans/actions.csv?scope=all", "/plans/export.csv"):
        body = _body(client.post(url, reason))
        rows = body.splitlines()[1:]
        assert any("Ann Lee" in row for row in rows), url
        assert not any(re.search(r"(^|,)lro(,|$)", row) for row in rows), url
    html = client.get(f"/plans/{threat.reference}/print/").content.decode()
    assert "by Ann Lee" in html
    assert "A P with no actions" not in client.get("/plans/quality/").content.decode()


def test_a_field_with_an_error_is_styled_and_described_by_its_message(web, people):
    html = web(people["lro"]).post("/threats/new/", {"name": ""}).content.decode()
    tag = re.search(r'<input type="text" name="name"[^>]*>', html)[0]
    assert "govuk-input--error" in tag and 'aria-describedby="id_name-error"' in tag
    assert 'href="#id_name"' in html


def test_a_bad_filter_date_says_so_in_the_title_and_on_the_field(web, people):
    html = (
        web(people["lro"])
        .get(
            "/disruptions/",
            {
                "event_date_from_day": "31",
                "event_date_from_month": "2",
                "event_date_from_year": "2025",
            },
        )
        .content.decode()
    )
    assert "<title>Error: " in html and "Event on or after must be a real date" in html
    assert 'value="31"' in html
