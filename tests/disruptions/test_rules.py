"""Disruption rules no other test reaches: the moderator's region, inspectors who also moderate,
who may submit and change a record, the record date, what a support record may point at and
required fields given only as spaces.

Expected outcomes are written by hand from docs/access-and-audit.md and docs/disruptions.md.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from socmaster.core import policy
from socmaster.disruptions import services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.organisations.models import Membership, User
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def people(make_user, org):
    inspector = make_user("hmicfrs", "inspector", username="insp-mod")
    Membership.objects.create(user=inspector, organisation=org("rocu-north-east"), role="moderator")
    return {
        # Durham owns the threats below; the recorder and a colleague work there.
        "recorder": make_user("force-durham", "analyst", username="rec"),
        "owner_colleague": make_user("force-durham", "analyst", username="colleague"),
        # Same region as the owner: may see region records, may not change them.
        "rocu_recorder": make_user("rocu-north-east", "analyst", username="rocurec"),
        "rocu_analyst": make_user("rocu-north-east", "analyst", username="rocuana"),
        "moderator": make_user("rocu-north-east", "moderator", username="mod"),
        "far_moderator": make_user("rocu-south-east", "moderator", username="semod"),
        "inspector_moderator": User.objects.get(pk=inspector.pk),
    }


def make_threat(org, reference: str, handling: str = "region") -> Threat:
    return Threat.objects.create(
        reference=reference,
        name=f"Network {reference}",
        owner=org("force-durham"),
        threat_type="ocg",
        handling=handling,
    )


@pytest.fixture
def ocg(org):
    return make_threat(org, "DR-OCG")


def good(**overrides):
    values = dict(
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested; drugs line closed.",
        evidence="Custody refs 1-3",
    )
    values.update(overrides)
    return values


def record(user, threat, org_key, org, **overrides):
    return services.record_disruption(
        user, threat, recording_organisation=org(org_key), **good(**overrides)
    )


def submitted(user, threat, org_key, org) -> Disruption:
    d = record(user, threat, org_key, org)
    return services.submit_disruption(user, d)


def status_of(d: Disruption) -> str:
    return Disruption.objects.get(pk=d.pk).status


# --- moderation ---------------------------------------------------------------------------------


def test_a_moderator_of_another_region_may_not_moderate_a_record_they_can_see(people, org):
    national = make_threat(org, "DR-NAT", handling="national")
    d = submitted(people["recorder"], national, "force-durham", org)
    far = people["far_moderator"]
    assert policy.can(far, "view", national) is True  # seeing it is not the obstacle
    assert services.may_moderate(far, d) is False
    for decision in ("approve", "return", "reject"):
        with pytest.raises(PermissionDenied):
            services.moderate_disruption(far, d, decision, "Not ours to judge")
    assert status_of(d) == "submitted"
    # the owner's regional moderator may
    assert services.may_moderate(people["moderator"], d) is True
    services.moderate_disruption(people["moderator"], d, "approve")
    assert status_of(d) == "approved"


def test_an_inspector_never_moderates_even_holding_the_moderator_role(people, ocg, org):
    d = submitted(people["recorder"], ocg, "force-durham", org)
    inspector = people["inspector_moderator"]
    assert inspector.roles_in(org("rocu-north-east").pk) == {"moderator"}
    assert services.may_moderate(inspector, d) is False
    for decision in ("approve", "return", "reject"):
        with pytest.raises(PermissionDenied):
            services.moderate_disruption(inspector, d, decision, "Inspection finding")
    assert status_of(d) == "submitted"


def test_nobody_moderates_for_an_owner_with_no_region(people, org, make_user):
    """The National Crime Agency has no region, so no moderator is "of the owner's region"."""
    agency = Threat.objects.create(
        reference="DR-NCA",
        name="Network DR-NCA",
        owner=org("national-crime-agency"),
        threat_type="ocg",
        handling="national",
    )
    recorder = make_user("national-crime-agency", "analyst")
    d = submitted(recorder, agency, "national-crime-agency", org)
    for moderator in (
        make_user("national-crime-agency", "moderator"),
        make_user("counter-terrorism-policing", "moderator"),
        people["moderator"],
    ):
        assert services.may_moderate(moderator, d) is False
        with pytest.raises(PermissionDenied):
            services.moderate_disruption(moderator, d, "approve")
    assert status_of(d) == "submitted"


# --- who may submit and change ------------------------------------------------------------------


def test_the_recorder_submits_without_rights_over_the_threat(people, ocg, org):
    rocu = people["rocu_recorder"]
    assert policy.can(rocu, "change", ocg) is False
    d = record(rocu, ocg, "rocu-north-east", org)
    services.submit_disruption(rocu, d)
    assert status_of(d) == "submitted"


def test_someone_who_may_change_the_threat_submits_another_persons_record(people, ocg, org):
    d = record(people["rocu_recorder"], ocg, "rocu-north-east", org)
    services.submit_disruption(people["owner_colleague"], d)
    assert status_of(d) == "submitted"


def test_anyone_else_may_not_submit(people, ocg, org):
    d = record(people["recorder"], ocg, "force-durham", org)
    other = people["rocu_analyst"]
    assert policy.can(other, "view", ocg) is True  # sees it, may not change it
    with pytest.raises(PermissionDenied):
        services.submit_disruption(other, d)
    assert status_of(d) == "draft"


def test_the_recorder_changes_their_record_without_rights_over_the_threat(people, ocg, org):
    d = record(people["rocu_recorder"], ocg, "rocu-north-east", org)
    services.update_disruption(people["rocu_recorder"], d, team="Op Lantern 2")
    assert Disruption.objects.get(pk=d.pk).team == "Op Lantern 2"


def test_someone_who_may_change_the_threat_changes_another_persons_record(people, ocg, org):
    d = record(people["rocu_recorder"], ocg, "rocu-north-east", org)
    services.update_disruption(people["owner_colleague"], d, team="Op Lantern 3")
    assert Disruption.objects.get(pk=d.pk).team == "Op Lantern 3"


def test_anyone_else_may_not_change_a_record(people, ocg, org):
    d = record(people["recorder"], ocg, "force-durham", org)
    with pytest.raises(PermissionDenied):
        services.update_disruption(people["rocu_analyst"], d, team="Hijacked")
    assert Disruption.objects.get(pk=d.pk).team == "Op Lantern"


# --- validation ---------------------------------------------------------------------------------


def test_a_record_date_before_the_event_is_refused(people, ocg, org):
    with pytest.raises(ValidationError) as exc:
        record(
            people["recorder"],
            ocg,
            "force-durham",
            org,
            event_date=TODAY - dt.timedelta(days=3),
            record_date=TODAY - dt.timedelta(days=4),
        )
    assert exc.value.message_dict["record_date"] == ["The record date cannot be before the event."]
    assert not Disruption.objects.exists()
    # the same day is fine
    assert record(people["recorder"], ocg, "force-durham", org, record_date=TODAY - dt.timedelta(3))


def test_a_record_date_moved_before_the_event_is_refused_on_change(people, ocg, org):
    d = record(people["recorder"], ocg, "force-durham", org)
    with pytest.raises(ValidationError) as exc:
        services.update_disruption(people["recorder"], d, record_date=TODAY - dt.timedelta(days=5))
    assert "cannot be before the event" in exc.value.message_dict["record_date"][0]
    assert Disruption.objects.get(pk=d.pk).record_date == TODAY


def support(**overrides):
    values = dict(
        disruption_type="support",
        four_p="protect",
        tactic=Tactic.objects.get(code="licence_review"),
    )
    values.update(overrides)
    return values


def test_support_must_point_at_a_lead_on_the_same_threat(people, ocg, org):
    other = make_threat(org, "DR-OTHER")
    lead_elsewhere = record(people["recorder"], other, "force-durham", org)
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], ocg, "force-durham", org, **support(lead=lead_elsewhere))
    assert exc.value.message_dict["lead"] == [
        "Choose a lead disruption recorded against the same threat."
    ]
    assert not Disruption.objects.filter(threat=ocg).exists()


def test_support_may_not_point_at_another_support_record(people, ocg, org):
    lead = record(people["recorder"], ocg, "force-durham", org)
    first = record(people["recorder"], ocg, "force-durham", org, **support(lead=lead))
    assert first.lead == lead  # a support record of a lead on the same threat is fine
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], ocg, "force-durham", org, **support(lead=first))
    assert exc.value.message_dict["lead"] == [
        "Choose a lead disruption recorded against the same threat."
    ]
    assert Disruption.objects.filter(threat=ocg).count() == 2


@pytest.mark.parametrize("field", ["narrative", "evidence", "team"])
@pytest.mark.parametrize(
    "blank", [" ", "   \t  ", "\n"], ids=["space", "spaces-and-tab", "newline"]
)
def test_required_fields_of_only_spaces_are_refused(people, ocg, org, field, blank):
    with pytest.raises(ValidationError) as exc:
        record(people["recorder"], ocg, "force-durham", org, **{field: blank})
    assert "minimum standard requires" in exc.value.message_dict[field][0]
    assert not Disruption.objects.exists()


def test_a_required_field_changed_to_spaces_is_refused(people, ocg, org):
    d = record(people["recorder"], ocg, "force-durham", org)
    with pytest.raises(ValidationError) as exc:
        services.update_disruption(people["recorder"], d, narrative="   ")
    assert "minimum standard requires" in exc.value.message_dict["narrative"][0]
    assert Disruption.objects.get(pk=d.pk).narrative == good()["narrative"]
