"""Compartments: a compartmented record (of any app, and what inherits from it) is seen only by
the compartment's current members who may also see it by its handling. The expected outcomes are
written out by hand, not computed from the policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from socmaster.core import audit, compartments, policy
from socmaster.core.models import AuditEntry
from socmaster.core.policy import audit_scope
from socmaster.intelligence.models import IntelligenceReport, ReportSubject
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Nominal, Threat, ThreatMember
from tests.access import same_body

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()

#: Who sees a national-handling record in Durham's "siu" compartment (hand-written).
SEES = {
    "member_owner": True,  # a Durham analyst in the compartment
    "member_elsewhere": True,  # a West Yorkshire analyst in it (national handling lets them)
    "member_partner_unshared": False,  # in the compartment, but handling does not reach them
    "owner_analyst": False,  # Durham, not in the compartment
    "owner_admin": False,  # Durham's administrator, not in it
    "inspector": False,  # reads everything else
    "inspector_member": True,  # an inspector given the compartment
    "superuser": False,  # not in it
    "ended": False,  # membership ended yesterday
    "future": False,  # membership starts tomorrow
}


def org(key):
    return Organisation.objects.get(key=key)


@pytest.fixture
def world(make_user):
    durham = org("force-durham")
    people = {
        "member_owner": make_user("force-durham", "analyst"),
        "member_elsewhere": make_user("force-west-yorkshire", "analyst"),
        "member_partner_unshared": make_user("partner-middlesbrough-council", "partner_user"),
        "owner_analyst": make_user("force-durham", "analyst"),
        "owner_admin": make_user("force-durham", "administrator"),
        "inspector": make_user("hmicfrs", "inspector"),
        "inspector_member": make_user("hmicfrs", "inspector"),
        "superuser": make_user("force-durham", "analyst", superuser=True),
        "ended": make_user("force-durham", "analyst"),
        "future": make_user("force-durham", "analyst"),
    }
    siu = compartments.create_compartment(None, code="siu", name="Sensitive unit", owner=durham)
    for name in ("member_owner", "member_elsewhere", "member_partner_unshared", "inspector_member"):
        compartments.grant(None, siu, people[name], reason="Member of the unit")
    ended = compartments.grant(
        None, siu, people["ended"], reason="Former member", valid_from=TODAY - dt.timedelta(days=30)
    )
    compartments.end(None, ended, reason="Left the unit", on=TODAY)
    compartments.grant(
        None,
        siu,
        people["future"],
        reason="Joins tomorrow",
        valid_from=TODAY + dt.timedelta(days=1),
    )
    threat = Threat.objects.create(
        reference="SOC-CMP", name="Compartmented group", owner=durham, handling="national"
    )
    nominal = Nominal.objects.create(
        reference="NOM-CMP", family_name="Hidden", owner=durham, handling="national"
    )
    report = IntelligenceReport.objects.create(
        reference="INT-CMP",
        owner=durham,
        handling="national",
        original_text="Synthetic.",
        source_evaluation="1",
        intelligence_assessment="A",
        handling_code="P",
    )
    for record in (threat, nominal, report):
        compartments.place(people["member_owner"], record, siu, reason="Sensitive source")
    member = ThreatMember.objects.create(
        threat=threat,
        nominal=Nominal.objects.create(
            reference="NOM-OPEN", family_name="Open", owner=durham, handling="national"
        ),
    )
    subject = ReportSubject.objects.create(report=report, family_name="Subject")
    return {
        "people": people,
        "siu": siu,
        "records": [threat, nominal, report, member, subject],
    }


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_who_sees_a_compartmented_record(world):
    failures = []
    for name, user in world["people"].items():
        user = _fresh(user)
        for record in world["records"]:
            want = SEES[name]
            in_list = type(record).objects.visible_to(user).filter(pk=record.pk).exists()
            if policy.can(user, "view", record) is not want or in_list is not want:
                failures.append(f"{name} {type(record).__name__}: want {want}")
    assert not failures, failures


def test_nobody_outside_changes_it(world):
    threat = world["records"][0]
    admin = _fresh(world["people"]["owner_admin"])
    assert not policy.can(admin, "change", threat)
    assert not policy.can(admin, "delete", threat)
    assert (
        not Threat.objects.filter(pk=threat.pk)
        .filter(pk__in=policy.restrict(Threat.objects.all(), admin, "change"))
        .exists()
    )
    assert policy.can(_fresh(world["people"]["member_owner"]), "change", threat)


def test_a_hidden_page_answers_like_a_missing_one_and_a_member_gives_a_reason(world):
    for name in ("owner_analyst", "inspector", "superuser"):
        client = Client()
        client.force_login(world["people"][name], backend=settings.AUTHENTICATION_BACKENDS[-1])
        for url, missing in (
            ("/threats/SOC-CMP/", "/threats/SOC-NONE/"),
            ("/threats/nominals/NOM-CMP/", "/threats/nominals/NOM-NONE/"),
            ("/intelligence/INT-CMP/", "/intelligence/INT-NONE/"),
        ):
            hidden, absent = client.get(url), client.get(missing)
            assert hidden.status_code == absent.status_code == 404, (name, url)
            assert same_body(hidden.content, absent.content), (name, url)
    client = Client()
    client.force_login(
        world["people"]["member_owner"], backend=settings.AUTHENTICATION_BACKENDS[-1]
    )
    response = client.get("/threats/SOC-CMP/")
    assert response.status_code == 302 and "/reason/" in response["Location"]


def test_audit_entries_about_it_are_for_members_only(world):
    threat = world["records"][0]
    people = world["people"]
    from django.db import transaction

    with transaction.atomic():
        audit.record("view", threat, user=people["member_owner"], reason="Checking the group")
    entries = AuditEntry.objects.filter(record_type="threats.threat", record_id=str(threat.pk))
    entry = entries.latest("seq")
    assert entry.record_compartment_id == world["siu"].pk
    assert "Compartmented group" not in entry.record_repr
    for name, expect in (("inspector", False), ("owner_admin", False), ("superuser", False)):
        seen = audit_scope(AuditEntry.objects.all(), _fresh(people[name])).filter(pk=entry.pk)
        assert seen.exists() is expect, name
    assert (
        audit_scope(AuditEntry.objects.all(), _fresh(people["inspector_member"]))
        .filter(pk=entry.pk)
        .exists()
    )


def test_the_compartment_is_part_of_the_hash(world):
    from django.db import connection

    entry = AuditEntry.objects.exclude(record_compartment_id=None).latest("seq")
    assert audit.verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET record_compartment_id = NULL WHERE id = %s", [entry.pk]
        )
    assert not audit.verify_chain().ok


def test_nobody_gives_themselves_a_compartment(world, make_user):
    people = world["people"]
    siu = world["siu"]
    admin = _fresh(people["owner_admin"])
    with pytest.raises(PermissionDenied):
        compartments.grant(admin, siu, admin, reason="I need it")
    with pytest.raises(PermissionDenied):
        compartments.create_compartment(admin, code="x", name="X", owner=org("force-durham"))
    # A member who administers the owner may grant; a member who does not, may not.
    compartments.grant(None, siu, admin, reason="Unit lead")
    admin = _fresh(admin)
    newcomer = make_user("force-durham", "analyst")
    compartments.grant(admin, siu, newcomer, reason="Joined the unit")
    with pytest.raises(PermissionDenied):
        compartments.grant(
            _fresh(people["member_owner"]), siu, people["owner_analyst"], reason="Please"
        )
    with pytest.raises(ValidationError):
        compartments.grant(admin, siu, newcomer, reason="Twice")
    with pytest.raises(ValidationError):
        compartments.grant(admin, siu, people["owner_analyst"], reason="")


def test_placing_needs_membership_and_change_rights(world):
    people = world["people"]
    durham = org("force-durham")
    other = compartments.create_compartment(None, code="acu", name="Anti-corruption", owner=durham)
    threat = world["records"][0]
    with pytest.raises(PermissionDenied):  # a member of siu, not of acu
        compartments.place(_fresh(people["member_owner"]), threat, other, reason="Move it")
    with pytest.raises(PermissionDenied):  # not a member, cannot take it out
        compartments.place(_fresh(people["owner_analyst"]), threat, None, reason="Open it up")
    with pytest.raises(ValidationError):
        compartments.place(None, world["records"][3], other, reason="A child record")
    assert compartments.place(_fresh(people["member_owner"]), threat, None, reason="No longer")
    assert policy.can(_fresh(people["owner_analyst"]), "view", Threat.objects.get(pk=threat.pk))
    last = AuditEntry.objects.filter(record_id=str(threat.pk), action="update").latest("seq")
    assert last.changes == {"compartment": {"before": world["siu"].pk, "after": None}}
