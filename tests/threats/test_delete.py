"""A threat with history is closed, never deleted; what may be deleted is recorded whole."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.core.models import AuditEntry
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Tactic
from socmaster.threats import services
from socmaster.threats.models import LinkedEntity, Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def admin(make_user):
    return make_user("force-durham", "analyst", "administrator", username="deleter")


@pytest.fixture
def threat(admin, org):
    return services.create_threat(admin, owner=org("force-durham"), name="Harbour network")


def _disruption(admin, threat, org):
    return disruption_services.record_disruption(
        admin,
        threat,
        recording_organisation=org("force-durham"),
        event_date=TODAY - dt.timedelta(days=2),
        record_date=TODAY,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested; drugs line closed.",
        evidence="Custody refs 1-3",
    )


def _member(admin, threat, org):
    nominal = services.create_nominal(admin, owner=org("force-durham"), family_name="Ash")
    services.add_member(admin, threat, nominal, role="principal", from_date=TODAY)


@pytest.mark.parametrize("history", [_disruption, _member])
def test_api_refuses_to_delete_a_threat_with_history(api, admin, org, threat, history):
    history(admin, threat, org)
    entries = AuditEntry.objects.count()
    response = api(admin).delete(
        f"/api/threats/{threat.reference}/", HTTP_X_REASON="Created in error"
    )
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "has history" in message and "close it instead" in message
    assert Threat.objects.filter(pk=threat.pk).exists()
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("history", [_disruption, _member])
def test_delete_page_shows_why_a_threat_with_history_stays(web, admin, org, threat, history):
    history(admin, threat, org)
    response = web(admin).post(
        f"/threats/{threat.reference}/delete/", {"reason": "Created in error"}
    )
    assert response.status_code == 400
    assert "close it instead" in response.content.decode()
    assert Threat.objects.filter(pk=threat.pk).exists()


def test_a_threat_without_history_is_deleted_with_its_links_recorded_whole(api, admin, threat):
    services.add_link(admin, threat, kind="vehicle", name="Blue van", detail="AB12 CDE")
    response = api(admin).delete(
        f"/api/threats/{threat.reference}/", HTTP_X_REASON="Created in error"
    )
    assert response.status_code == 204
    assert not Threat.objects.filter(pk=threat.pk).exists()
    assert not LinkedEntity.objects.exists()
    entry = AuditEntry.objects.filter(action="delete").latest("seq")
    before = entry.changes["before"]
    assert before["reference"] == threat.reference and before["name"] == "Harbour network"
    assert [link["name"] for link in before["links"]] == ["Blue van"]
    assert "crime_types" in before and "shared_with" in before
