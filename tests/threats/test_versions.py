"""Two people editing the same record: the second save, started from an older version, is refused
with 409 and a clear message instead of silently overwriting the first."""

from __future__ import annotations

import pytest

from socmaster.core.models import AuditEntry
from socmaster.core.services import VersionConflict
from socmaster.threats import services
from socmaster.threats.forms import ThreatForm
from socmaster.threats.models import Nominal, Threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="editor")


@pytest.fixture
def threat(analyst, org):
    return services.create_threat(analyst, owner=org("force-durham"), name="Harbour network")


def test_each_change_adds_one_to_the_version_and_nothing_changed_adds_nothing(analyst, threat):
    assert threat.lock_version == 1
    threat = services.update_threat(analyst, threat, name="Harbour network 2")
    assert threat.lock_version == 2
    threat = services.update_threat(analyst, threat, name="Harbour network 2")
    assert Threat.objects.get(pk=threat.pk).lock_version == 2


def test_a_stale_expected_version_is_refused_and_nothing_is_saved(analyst, threat):
    services.update_threat(analyst, threat, name="First", expected_version=1)
    entries = AuditEntry.objects.count()
    with pytest.raises(VersionConflict) as raised:
        services.update_threat(analyst, threat, name="Second", expected_version=1)
    assert raised.value.current_version == 2
    assert Threat.objects.get(pk=threat.pk).name == "First"
    assert AuditEntry.objects.count() == entries


def test_api_sends_an_etag_and_answers_409_to_a_stale_if_match(api, analyst, threat):
    client = api(analyst)
    url = f"/api/threats/{threat.reference}/"
    got = client.get(url)
    assert got["ETag"] == '"1"'
    first = client.patch(url, {"name": "First"}, format="json", HTTP_IF_MATCH='"1"')
    assert first.status_code == 200 and first["ETag"] == '"2"'
    stale = client.patch(url, {"name": "Second"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2 and "Someone else changed" in body["detail"]
    assert Threat.objects.get(pk=threat.pk).name == "First"
    # Without If-Match the change is made as before.
    assert client.patch(url, {"name": "Third"}, format="json").status_code == 200
    assert client.get(url)["ETag"] == '"3"'


def test_api_refuses_a_malformed_if_match(api, analyst, threat):
    response = api(analyst).patch(
        f"/api/threats/{threat.reference}/", {"name": "X"}, format="json", HTTP_IF_MATCH="abc"
    )
    assert response.status_code == 400 and "If-Match" in response.json()


def test_api_409_for_nominals(api, analyst, org):
    nominal = services.create_nominal(analyst, owner=org("force-durham"), family_name="Ash")
    url = f"/api/nominals/{nominal.reference}/"
    client = api(analyst)
    assert client.get(url)["ETag"] == '"1"'
    assert client.patch(url, {"notes": "a"}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    stale = client.patch(url, {"notes": "b"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    assert Nominal.objects.get(pk=nominal.pk).notes == "a"


def _form_data(threat, user, **changes):
    form = ThreatForm(instance=threat, user=user)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    data.update(changes)
    return data


def test_edit_form_says_someone_else_changed_the_record(web, analyst, threat):
    client = web(analyst)
    opened = _form_data(threat, analyst, name="My name")
    assert opened["lock_version"] == "1"
    services.update_threat(analyst, threat, name="Their name")
    response = client.post(f"/threats/{threat.reference}/edit/", opened)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed" in page
    assert "Now stored: Their name (you entered: My name)" in page
    assert 'value="My name"' in page  # the user's input is kept
    assert 'name="lock_version" value="2"' in page  # and now carries the stored version
    assert Threat.objects.get(pk=threat.pk).name == "Their name"
    # Having seen the other change, saving again (the form now carries version 2) works.
    again = client.post(f"/threats/{threat.reference}/edit/", opened | {"lock_version": "2"})
    assert again.status_code == 302
    assert Threat.objects.get(pk=threat.pk).name == "My name"


# --- The other changeable records: one If-Match rule through the same API base ------------------


@pytest.fixture
def records(analyst, org):
    """A disruption, an assessment, a plan and a plan action of one Durham threat."""
    import datetime as dt

    from socmaster.assessments import services as assessments
    from socmaster.disruptions import services as disruptions
    from socmaster.disruptions.models import Tactic
    from socmaster.plans import services as plans

    today = dt.date.today()
    threat = services.create_threat(
        analyst, owner=org("force-durham"), name="Versions", threat_type="ocg", lro=analyst
    )
    disruption = disruptions.record_disruption(
        analyst,
        threat,
        recording_organisation=org("force-durham"),
        event_date=today,
        team="Op V",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Arrests.",
        evidence="Ref 1",
    )
    scheme = assessments.current_scheme().engine_scheme()
    assessment = assessments.create_assessment(
        analyst,
        threat,
        answers={f.key: f.answers[0].key for f in scheme.factors},
        evidence_from=today.replace(year=today.year - 1),
        evidence_to=today,
        review_due=today.replace(year=today.year + 1),
    )
    plan = plans.create_plan(analyst, threat, aim="Dismantle")
    action = plans.add_action(analyst, plan, four_p="pursue", description="Arrest", due_date=today)
    return {
        f"/api/disruptions/{disruption.reference}/": ("team", "Op W"),
        f"/api/assessments/{assessment.pk}/": ("summary", "Changed"),
        f"/api/plans/{plan.pk}/": ("aim", "Disrupt"),
        f"/api/plan-actions/{action.pk}/": ("description", "Arrest and charge"),
    }


def test_every_changeable_record_honours_if_match(api, analyst, records):
    client = api(analyst)
    for url, (field, value) in records.items():
        got = client.get(url)
        assert got.status_code == 200 and got["ETag"] == '"1"', url
        first = client.patch(url, {field: value}, format="json", HTTP_IF_MATCH='"1"')
        assert first.status_code == 200 and first["ETag"] == '"2"', (url, first.content)
        stale = client.patch(url, {field: value + " again"}, format="json", HTTP_IF_MATCH='"1"')
        assert stale.status_code == 409, url
        assert client.get(url).json()[field] == value, url
