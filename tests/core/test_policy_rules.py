"""Rules of the access policy that the access matrix does not reach: inspectors who also hold
working roles, inactive users, REGION records of owners with no region, the LRO's extra right,
managing users across organisations and the administrator's audit scope.

Expected outcomes are written out by hand from docs/access-and-audit.md; none is computed from
socmaster.core.policy.
"""

from __future__ import annotations

import pytest

from socmaster.core import audit, policy
from socmaster.core.models import AuditEntry
from socmaster.organisations.models import Membership, User
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db

ACTIONS = ("view", "export", "change", "delete")


def threat(org, reference: str, owner: str = "force-durham", handling: str = "region", **extra):
    return Threat.objects.create(
        reference=reference,
        name=f"Threat {reference}",
        owner=org(owner),
        handling=handling,
        **extra,
    )


def join(user: User, org_key: str, *roles: str, org=None) -> User:
    """Give ``user`` roles in another organisation; return a fresh copy (memberships are cached)."""
    for role in roles:
        Membership.objects.create(user=user, organisation=org(org_key), role=role)
    return User.objects.get(pk=user.pk)


def answers(user, record) -> dict[str, tuple[bool, bool]]:
    """action -> (object answer, queryset answer) for one record."""
    return {
        action: (
            policy.can(user, action, record),
            policy.restrict(Threat.objects.all(), user, action).filter(pk=record.pk).exists(),
        )
        for action in ACTIONS
    }


READ_ONLY = {
    "view": (True, True),
    "export": (True, True),
    "change": (False, False),
    "delete": (False, False),
}
FULL = {
    "view": (True, True),
    "export": (True, True),
    "change": (True, True),
    "delete": (True, True),
}
NOTHING = {
    "view": (False, False),
    "export": (False, False),
    "change": (False, False),
    "delete": (False, False),
}


# --- 1. inspectors change nothing, even with another role -----------------------------------------


def test_control_an_analyst_and_administrator_of_the_owner_may_do_everything(make_user, org):
    record = threat(org, "POL-CONTROL")
    user = make_user("force-durham", "analyst", "administrator")
    assert answers(user, record) == FULL
    assert policy.can_create_for(user, org("force-durham")) is True


def test_inspector_who_is_also_analyst_and_administrator_of_the_owner(make_user, org):
    record = threat(org, "POL-INSP-OTHER")
    inspector = join(
        make_user("hmicfrs", "inspector"), "force-durham", "analyst", "administrator", org=org
    )
    assert answers(inspector, record) == READ_ONLY
    assert policy.can_create_for(inspector, org("force-durham")) is False


def test_inspector_with_working_roles_in_the_inspectorate_itself(make_user, org):
    record = threat(org, "POL-INSP-SAME", owner="hmicfrs", handling="owner")
    inspector = make_user("hmicfrs", "inspector", "analyst", "administrator")
    assert answers(inspector, record) == READ_ONLY
    assert policy.can_create_for(inspector, org("hmicfrs")) is False


def test_inspector_who_is_the_threats_lro_still_may_not_change_it(make_user, org):
    inspector = join(make_user("hmicfrs", "inspector"), "force-cleveland", "lro", org=org)
    record = threat(org, "POL-INSP-LRO", lro=inspector)
    assert answers(inspector, record) == READ_ONLY
    assert policy.can_create_for(inspector, org("force-cleveland")) is False


def test_inspector_refused_through_the_api_too(make_user, org, api):
    record = threat(org, "POL-INSP-API")
    inspector = join(
        make_user("hmicfrs", "inspector"), "force-durham", "analyst", "administrator", org=org
    )
    client = api(inspector)
    patched = client.patch(
        f"/api/threats/{record.reference}/", {"operation_names": "Op Inspect"}, format="json"
    )
    assert patched.status_code == 403
    deleted = client.delete(f"/api/threats/{record.reference}/", HTTP_X_REASON="clean-up test")
    assert deleted.status_code == 403
    record.refresh_from_db()
    assert record.operation_names == ""
    assert Threat.objects.filter(pk=record.pk).exists()


# --- 2. inactive users get nothing ---------------------------------------------------------------


def test_inactive_user_gets_nothing(make_user, org):
    records = [
        threat(org, "POL-OFF-OWN", handling="owner"),
        threat(org, "POL-OFF-NAT", handling="national"),
    ]
    user = make_user("force-durham", "analyst", "administrator")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user = User.objects.get(pk=user.pk)
    for record in records:
        assert answers(user, record) == NOTHING, record.reference
    for action in ACTIONS:
        assert not policy.restrict(Threat.objects.all(), user, action).exists(), action


def test_inactive_inspector_gets_nothing(make_user, org):
    record = threat(org, "POL-OFF-INSP", handling="owner")
    inspector = make_user("hmicfrs", "inspector")
    User.objects.filter(pk=inspector.pk).update(is_active=False)
    inspector = User.objects.get(pk=inspector.pk)
    assert answers(inspector, record) == NOTHING
    assert not policy.restrict(Threat.objects.all(), inspector, "view").exists()


# --- 3. REGION records of owners with no region ----------------------------------------------------


def test_region_record_of_an_owner_without_a_region(make_user, org):
    """Counter Terrorism Policing and the NCA are police organisations with no region: a REGION
    record owned by one is not visible to the other ("no region" is not a shared region)."""
    regional = threat(org, "POL-CTP-REG", owner="counter-terrorism-policing")
    national = threat(org, "POL-CTP-NAT", owner="counter-terrorism-policing", handling="national")
    nca = make_user("national-crime-agency", "analyst")
    assert policy.can(nca, "view", regional) is False
    assert policy.can(nca, "export", regional) is False
    assert not policy.restrict(Threat.objects.all(), nca, "view").filter(pk=regional.pk).exists()
    # the NCA user is a police user all the same: a national record is visible
    assert policy.can(nca, "view", national) is True
    # and the owner's own staff see the regional record
    ctp = make_user("counter-terrorism-policing", "analyst")
    assert policy.can(ctp, "view", regional) is True


def test_region_record_of_an_owner_without_a_region_through_the_api(make_user, org, api):
    regional = threat(org, "POL-CTP-API", owner="counter-terrorism-policing")
    nca = make_user("national-crime-agency", "analyst")
    response = api(nca).get(f"/api/threats/{regional.reference}/", HTTP_X_REASON="api check")
    assert response.status_code == 404


# --- 4. the LRO may change, not delete ------------------------------------------------------------


def test_lro_outside_the_owner_may_change_but_not_delete(make_user, org):
    lro = make_user("force-cleveland", "lro")  # same region as the owner, no role in it
    record = threat(org, "POL-LRO", lro=lro)
    assert answers(lro, record) == {
        "view": (True, True),
        "export": (True, True),
        "change": (True, True),
        "delete": (False, False),
    }


def test_lro_who_is_also_an_administrator_elsewhere_still_may_not_delete(make_user, org):
    lro = make_user("force-cleveland", "lro", "administrator")
    record = threat(org, "POL-LRO-ADMIN", lro=lro)
    assert policy.can(lro, "change", record) is True
    assert policy.can(lro, "delete", record) is False
    assert not policy.restrict(Threat.objects.all(), lro, "delete").filter(pk=record.pk).exists()


def test_someone_elses_lro_right_is_not_mine(make_user, org):
    record = threat(org, "POL-LRO-OTHER", lro=make_user("force-cleveland", "lro"))
    colleague = make_user("force-cleveland", "lro")
    assert answers(colleague, record)["change"] == (False, False)


# --- 5. managing users ---------------------------------------------------------------------------


def test_administrator_manages_users_only_of_organisations_they_all_administer(make_user, org):
    admin = make_user("force-durham", "administrator")
    only_here = make_user("force-durham", "analyst")
    also_elsewhere = join(make_user("force-durham", "analyst"), "force-cleveland", "lro", org=org)
    only_elsewhere = make_user("force-cleveland", "analyst")
    assert policy.can_manage_user(admin, only_here) is True
    assert policy.can_manage_user(admin, also_elsewhere) is False
    assert policy.can_manage_user(admin, only_elsewhere) is False
    both = join(
        make_user("force-durham", "administrator"), "force-cleveland", "administrator", org=org
    )
    assert policy.can_manage_user(both, also_elsewhere) is True


def test_nobody_but_a_superuser_manages_a_user_with_no_organisation(make_user, org):
    admin = make_user("force-durham", "administrator")
    loner = User.objects.create_user(username="loner", password="correct-horse-battery")
    assert policy.can_manage_user(admin, loner) is False
    assert policy.can_manage_user(make_user("force-durham", superuser=True), loner) is True


def test_a_non_administrator_manages_nobody(make_user):
    analyst = make_user("force-durham", "analyst", "chief_officer")
    assert policy.can_manage_user(analyst, make_user("force-durham", "analyst")) is False


# --- 6. the audit viewer's scope -----------------------------------------------------------------


@pytest.fixture
def entries(make_user, org):
    """Five entries, one of each kind the administrator of Durham must or must not see."""
    durham_user = make_user("force-durham", "analyst", "lro")  # two roles: one row, not two
    visitor = join(make_user("force-cleveland", "analyst"), "force-durham", "analyst", org=org)
    outsider = make_user("force-cleveland", "analyst", "administrator")
    made = {
        "by_durham_user": audit.record(
            "view", user=durham_user, record_type="x.y", record_id="1", record_repr="one"
        ),
        "for_durham_by_system": audit.record(
            "create", organisation=org("force-durham"), record_type="x.y", record_id="2"
        ),
        "by_member_acting_elsewhere": audit.record(
            "view",
            user=visitor,
            organisation=org("force-cleveland"),
            record_type="x.y",
            record_id="3",
        ),
        "by_outsider": audit.record("update", user=outsider, record_type="x.y", record_id="4"),
        "system": audit.record("login_failed", record_type="", record_id=""),
    }
    assert made["by_member_acting_elsewhere"].organisation_id == org("force-cleveland").pk
    assert made["by_outsider"].organisation_id == org("force-cleveland").pk
    return made


def scope(user, entries) -> list[str]:
    names = {e.pk: name for name, e in entries.items()}
    seen = policy.audit_scope(AuditEntry.objects.all(), user).filter(pk__in=names)
    return sorted(names[pk] for pk in seen.values_list("pk", flat=True))


def test_administrator_sees_entries_of_their_organisation_and_its_members(entries, make_user):
    admin = make_user("force-durham", "administrator")
    # A Durham member acting for Cleveland is scoped by that membership: Cleveland's, not Durham's.
    assert scope(admin, entries) == ["by_durham_user", "for_durham_by_system"]


def test_administrator_of_the_other_organisation(entries, make_user):
    admin = make_user("force-cleveland", "administrator")
    # Cleveland's entries, and the Durham user who also belongs to Cleveland; not Durham's others
    assert scope(admin, entries) == ["by_member_acting_elsewhere", "by_outsider"]


def test_inspector_sees_every_entry(entries, make_user):
    assert scope(make_user("hmicfrs", "inspector"), entries) == sorted(entries)


def test_user_without_an_administrator_role_sees_none(entries, make_user):
    analyst = make_user("force-durham", "analyst", "chief_officer", "lro")
    assert scope(analyst, entries) == []
    assert not policy.audit_scope(AuditEntry.objects.all(), analyst).exists()


def test_only_the_organisations_administered_count_not_every_membership(entries, make_user, org):
    admin = join(make_user("force-durham", "administrator"), "force-cleveland", "analyst", org=org)
    # an analyst in Cleveland: Cleveland's own entries stay out of this administrator's viewer
    assert scope(admin, entries) == ["by_durham_user", "for_durham_by_system"]
