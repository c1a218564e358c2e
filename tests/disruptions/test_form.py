"""The disruption form: what the standard requires is marked required, only the chosen P's
tactics are offered, every error is reported in one pass, and the moderator's reason is asked for
with a GOV.UK error summary."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from socmaster.disruptions import services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.threats.models import Threat
from tests.formdata import form_data

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people(make_user):
    return {
        "recorder": make_user("force-durham", "analyst", username="rec"),
        "moderator": make_user("rocu-north-east", "moderator", username="mod"),
    }


@pytest.fixture
def ocg(org):
    return Threat.objects.create(
        reference="DF-OCG",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
    )


def _labels(html: str) -> dict[str, str]:
    return {
        m.group(1): re.sub(r"\s+", " ", m.group(2)).strip()
        for m in re.finditer(r'<label class="govuk-label" for="id_(\w+)">(.*?)</label>', html, re.S)
    }


def test_what_the_standard_requires_is_marked_required(web, people, ocg):
    standard = services.current_standard()
    assert standard.required_fields
    html = web(people["recorder"]).get(f"/disruptions/new/{ocg.reference}/").content.decode()
    labels = _labels(html)
    for name in standard.required_fields:
        assert name in labels and "(optional)" not in labels[name], (name, labels.get(name))
    assert "(optional)" in labels["lead"]


def test_tactics_are_offered_by_p_and_the_server_refuses_another_ps(web, people, ocg, org):
    client = web(people["recorder"])
    html = client.get(f"/disruptions/new/{ocg.reference}/").content.decode()
    # Every tactic, grouped under its P and marked with it for the page's script.
    assert '<optgroup label="Pursue">' in html and '<optgroup label="Prepare">' in html
    assert html.count("data-four-p=") == Tactic.objects.count()
    assert "tactic-filter.js" in html
    # Each tactic is marked with its own P (the script hides the others).
    select = re.search(r'<select name="tactic".*?</select>', html, re.S)[0]
    for tactic in Tactic.objects.all():
        assert f'value="{tactic.pk}" data-four-p="{tactic.four_p}"' in select
    # The server refuses a tactic of another P, in the domain's words.
    arrest = Tactic.objects.get(code="arrest")
    data = {
        "recording_organisation": org("force-durham").pk,
        "team": "Op Lantern",
        "disruption_type": "lead",
        "event_date_day": (TODAY - dt.timedelta(days=1)).day,
        "event_date_month": (TODAY - dt.timedelta(days=1)).month,
        "event_date_year": (TODAY - dt.timedelta(days=1)).year,
        "record_date": TODAY.isoformat(),
        "four_p": "prepare",
        "category": "minor",
        "tactic": arrest.pk,
        "narrative": "Resilience work with the harbour businesses",
        "evidence": "Minutes",
    }
    response = client.post(f"/disruptions/new/{ocg.reference}/", data)
    assert "is a Pursue tactic, not Prepare" in response.content.decode()
    assert not Disruption.objects.exists()


def test_every_error_is_reported_in_one_pass(web, people, ocg, org):
    client = web(people["recorder"])
    response = client.post(
        f"/disruptions/new/{ocg.reference}/",
        {
            "recording_organisation": org("force-durham").pk,
            "disruption_type": "lead",
            "four_p": "prepare",
            "category": "minor",
            "tactic": Tactic.objects.get(code="arrest").pk,
            "narrative": "Routine patrol in the area",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)[0]
    for message in (
        "Enter the event date",  # the form's own
        "Enter the team",  # required by the standard
        "Enter the evidence",
        "is a Pursue tactic, not Prepare",  # the service's rule
        "Routine patrol is not a SOC disruption",  # the standard's excluded activities
    ):
        assert message in summary, message
    assert "This field is required" not in html
    assert not Disruption.objects.exists()


def test_editing_reports_the_services_errors_with_the_forms(web, people, ocg, org):
    d = services.record_disruption(
        people["recorder"],
        ocg,
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
    client = web(people["recorder"])
    data = form_data(client.get(f"/disruptions/{d.reference}/edit/").content.decode())
    data.update({"four_p": ["prepare"], "event_date_day": [""]})
    html = client.post(f"/disruptions/{d.reference}/edit/", data).content.decode()
    assert "Event date must include a day" in html and "is a Pursue tactic, not Prepare" in html


def test_moderators_reason_is_asked_for_with_an_error_summary(web, people, ocg, org):
    d = services.record_disruption(
        people["recorder"],
        ocg,
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
    services.submit_disruption(people["recorder"], d)
    client = web(people["moderator"])
    html = client.get(f"/disruptions/{d.reference}/").content.decode()
    assert "(optional)" not in html and "(required to return or reject)" not in html
    assert "Needed to return or reject" in html
    response = client.post(f"/disruptions/{d.reference}/return/", {"reason": " "})
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "govuk-notification-banner" not in html
    assert 'href="#id_reason"' in html and "<title>Error: " in html
    d.refresh_from_db()
    assert d.status == "submitted"


def test_a_refusal_with_no_field_of_its_own_is_reported_with_the_forms_errors(web, people, org):
    standard = services.current_standard()
    kind = next(t for t in ("vulnerability", "pi", "ocg") if t not in standard.allowed_threat_types)
    threat = Threat.objects.create(
        reference="DF-OTHER",
        name="Not allowed",
        owner=org("force-durham"),
        threat_type=kind,
        handling="region",
    )
    html = (
        web(people["recorder"])
        .post(f"/disruptions/new/{threat.reference}/", {"four_p": "pursue"})
        .content.decode()
    )
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)[0]
    assert (
        "Enter the event date" in summary and "disruptions can be recorded only against" in summary
    )
