"""Who sees which audit entries: scoped by the organisation owning the record and by the membership
in force at the time, never by memberships a user held before or since."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.core import policy
from socmaster.core.models import AuditEntry
from socmaster.core.services import record_view
from socmaster.organisations.models import Membership
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


def _scope(user):
    return policy.audit_scope(AuditEntry.objects.all(), user)


def test_former_membership_does_not_open_another_forces_entries(make_user, org):
    durham_admin = make_user("force-durham", "administrator", username="dur-admin")
    cambs_admin = make_user("force-cambridgeshire", "administrator", username="cam-admin")
    mover = make_user("force-cambridgeshire", "analyst", username="mover")
    # The mover once worked in Durham; that membership has ended.
    Membership.objects.create(
        user=mover,
        organisation=org("force-durham"),
        role="analyst",
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2021, 1, 1),
    )
    secret = Threat.objects.create(
        reference="SC-1", name="Cambs only", handling="owner", owner=org("force-cambridgeshire")
    )
    record_view(mover, secret, "Briefing for Op Fen")
    entry = AuditEntry.objects.get(action="view", record_id=str(secret.pk))
    assert entry.organisation_id == org("force-cambridgeshire").pk
    assert entry.record_owner_id == org("force-cambridgeshire").pk
    assert not _scope(durham_admin).filter(pk=entry.pk).exists()
    assert _scope(cambs_admin).filter(pk=entry.pk).exists()


def test_the_owner_sees_who_outside_opened_its_record(make_user, org):
    cambs_admin = make_user("force-cambridgeshire", "administrator", username="cam-admin2")
    kent_admin = make_user("force-kent", "administrator", username="kent-admin")
    durham_admin = make_user("force-durham", "administrator", username="dur-admin2")
    outsider = make_user("force-kent", "analyst", username="kent-analyst")
    national = Threat.objects.create(
        reference="SC-2", name="National", handling="national", owner=org("force-cambridgeshire")
    )
    record_view(outsider, national)
    entry = AuditEntry.objects.get(action="view", record_id=str(national.pk))
    assert _scope(cambs_admin).filter(pk=entry.pk).exists()  # the owner
    assert _scope(kent_admin).filter(pk=entry.pk).exists()  # the outsider's own organisation
    assert not _scope(durham_admin).filter(pk=entry.pk).exists()


def test_entry_records_the_membership_that_gave_the_access(make_user, org):
    user = make_user("force-kent", "analyst", username="two-hats")
    durham = Membership.objects.create(user=user, organisation=org("force-durham"), role="sio")
    threat = Threat.objects.create(
        reference="SC-3", name="Durham", handling="owner", owner=org("force-durham")
    )
    record_view(user, threat, "Case review")
    entry = AuditEntry.objects.get(action="view", record_id=str(threat.pk))
    assert entry.membership_id == durham.pk
    assert entry.organisation_id == org("force-durham").pk
    assert entry.organisation_name == "Durham Constabulary"


def test_inspector_who_is_also_administrator_sees_everything_read_only(make_user, org):
    both = make_user("hmicfrs", "inspector", "administrator", username="insp-adm")
    other = make_user("force-kent", "analyst", username="kent-2")
    threat = Threat.objects.create(reference="SC-4", name="Kent", owner=org("force-kent"))
    record_view(other, threat)
    assert _scope(both).filter(record_id=str(threat.pk)).exists()
