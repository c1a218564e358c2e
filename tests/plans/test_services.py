"""4P plan services: who may write, one audit entry per write, field-level messages, templates,
actions, versions, reviews and templates saved by administrators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.models import AuditEntry
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.disruptions.services import current_standard
from socmaster.plans import services
from socmaster.plans.models import Plan, PlanAction, PlanReview, PlanTemplate, PlanTextBand
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "sio": make_user("force-durham", "sio", username="sio"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "admin": make_user("force-durham", "administrator", username="admin"),
        "neighbour": make_user("force-cleveland", "analyst", username="cleveland"),
        "neighbour_chief": make_user("force-cleveland", "chief_officer", username="clevechief"),
        "neighbour_admin": make_user("force-cleveland", "administrator", username="cleveadmin"),
        "far": make_user("force-west-yorkshire", "analyst", username="wy"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def threat(org, people):
    return Threat.objects.create(
        reference="PLN-1",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=people["lro"],
        sro=people["sro"],
    )


@pytest.fixture
def other_threat(org, people):
    return Threat.objects.create(
        reference="PLN-2",
        name="Quarry group",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=people["lro"],
    )


def text(**overrides) -> dict:
    values = dict(
        aim="Dismantle the Harbour network and stop its county lines into Durham.",
        pursue_objectives="Charge the three principals with conspiracy to supply.",
        prevent_objectives="Divert the younger runners into the youth diversion scheme.",
        protect_objectives="Safeguard the cuckooed tenants on the Bishop estate.",
        prepare_objectives="Brief the community safety partnership before the arrest phase.",
    )
    values.update(overrides)
    return values


def action_values(**overrides) -> dict:
    values = dict(
        four_p="pursue",
        description="Obtain the phone billing for the deal line.",
        start_date=today() - days(5),
        due_date=today() + days(30),
    )
    values.update(overrides)
    return values


def disruption(threat, user, reference: str) -> Disruption:
    return Disruption.objects.create(
        reference=reference,
        threat=threat,
        standard=current_standard(),
        event_date=today() - days(3),
        record_date=today(),
        recording_organisation=threat.owner,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Arrests",
        evidence="Custody refs",
        status="approved",
        recorder=user,
    )


def last_seq() -> int:
    return AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0


def entries_since(seq: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=seq).order_by("seq"))


def only_entry_since(seq: int) -> AuditEntry:
    entries = entries_since(seq)
    assert len(entries) == 1, [(e.action, e.record_type) for e in entries]
    return entries[0]


def messages(exc_info) -> dict:
    return exc_info.value.message_dict


@pytest.fixture
def plan(people, threat):
    return services.create_plan(people["lro"], threat, **text())


# --- creating a plan ------------------------------------------------------------------------------


def test_lro_creates_the_first_plan_with_one_audit_entry(people, threat):
    seq = last_seq()
    plan = services.create_plan(people["lro"], threat, **text())
    plan.refresh_from_db()
    assert (plan.threat, plan.version, plan.status) == (threat, 1, "current")
    assert (plan.author, plan.author_role, plan.updated_by) == (people["lro"], "lro", people["lro"])
    assert plan.template == PlanTemplate.objects.get(organisation=None, threat_type="ocg")
    assert plan.review_frequency_days == 90
    assert not plan.actions.exists()
    entry = only_entry_since(seq)
    assert (entry.action, entry.record_type, entry.record_id) == (
        "create",
        "plans.plan",
        str(plan.pk),
    )
    assert entry.user == people["lro"]
    after = entry.changes["after"]
    assert after["aim"] == text()["aim"]
    assert (after["threat_id"], after["version"], after["author_role"]) == (threat.pk, 1, "lro")
    assert entry.changes["suggested_actions_added"] == 0


def test_lro_from_another_organisation_and_owning_staff_may_create(people, org, make_user):
    rocu_lro = make_user("rocu-north-east", "lro", username="rocu-lro")
    held = Threat.objects.create(
        reference="PLN-R",
        name="r",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=rocu_lro,
    )
    plan = services.create_plan(rocu_lro, held, **text())
    assert (plan.author, plan.author_role) == (rocu_lro, "lro")

    unowned = Threat.objects.create(
        reference="PLN-U", name="u", owner=org("force-durham"), threat_type="ocg", handling="region"
    )
    plan = services.create_plan(people["analyst"], unowned, **text())
    assert (plan.author, plan.author_role) == (people["analyst"], "other")


@pytest.mark.parametrize(
    "who, refusal",
    [
        ("far", Http404),  # another region: cannot see the threat
        ("partner", Http404),  # a partner the threat is not shared with
        ("neighbour", PermissionDenied),  # same region: sees the threat, may not change it
        ("neighbour_chief", PermissionDenied),
        ("inspector", PermissionDenied),  # reads everything, changes nothing
    ],
)
def test_who_may_not_create(people, threat, who, refusal):
    seq = last_seq()
    with pytest.raises(refusal):
        services.create_plan(people[who], threat, **text())
    assert not Plan.objects.exists()
    assert entries_since(seq) == []


def test_owner_only_threat_is_hidden_from_the_region(people, org):
    hidden = Threat.objects.create(
        reference="PLN-H", name="h", owner=org("force-durham"), handling="owner", lro=people["lro"]
    )
    with pytest.raises(Http404):
        services.create_plan(people["neighbour"], hidden, **text())
    assert services.create_plan(people["analyst"], hidden, **text()).threat == hidden


def test_second_current_plan_is_refused(people, threat, plan):
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.create_plan(people["analyst"], threat, **text(aim="Another aim"))
    assert "PLN-1 already has a current plan" in messages(exc)["threat"][0]
    services.new_version(people["lro"], plan)
    with pytest.raises(ValidationError) as exc:
        services.create_plan(people["lro"], threat, **text())
    assert list(messages(exc)) == ["threat"]
    assert Plan.objects.filter(threat=threat).count() == 2
    assert [e.action for e in entries_since(seq)] == ["create"]  # the new version only


@pytest.mark.parametrize(
    "values, field, message",
    [
        (text(aim=""), "aim", "Say what the plan sets out to achieve."),
        (text(aim="   "), "aim", "Say what the plan sets out to achieve."),
        (
            text(review_frequency_days=6),
            "review_frequency_days",
            "Give a review period between 7 and 365 days.",
        ),
        (
            text(review_frequency_days=366),
            "review_frequency_days",
            "Give a review period between 7 and 365 days.",
        ),
        (
            text(review_frequency_days="30"),
            "review_frequency_days",
            "Give a review period between 7 and 365 days.",
        ),
        (
            text(partner_sections=["aim", "nominals"]),
            "partner_sections",
            "Choose from aim, objectives, intelligence_gaps, linked_plans, other_actions, reviews.",
        ),
        (
            text(partner_sections="aim"),
            "partner_sections",
            "Choose from aim, objectives, intelligence_gaps, linked_plans, other_actions, reviews.",
        ),
        (text(colour="red"), "colour", "Unknown field."),
        (text(status="superseded"), "status", "Unknown field."),
    ],
)
def test_plan_field_messages_and_nothing_stored(people, threat, values, field, message):
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.create_plan(people["lro"], threat, add_suggested_actions=True, **values)
    assert messages(exc)[field] == [message]
    assert not Plan.objects.exists() and not PlanAction.objects.exists()
    assert not PlanTextBand.objects.exists()
    assert entries_since(seq) == []


def test_none_sections_get_a_field_message(people, threat):
    with pytest.raises(ValidationError) as exc:
        services.create_plan(people["lro"], threat, aim="A", partner_sections=None)
    assert "partner_sections" in messages(exc)
    assert not Plan.objects.filter(threat=threat).exists()


def test_none_text_is_stored_as_empty_text(people, threat, other_threat):
    plan = services.create_plan(people["lro"], threat, aim="A", pursue_objectives=None)
    assert plan.pursue_objectives == ""
    action = services.add_action(people["lro"], plan, four_p="pursue", description="D", result=None)
    assert action.result == ""
    with pytest.raises(ValidationError) as exc:
        services.add_action(people["lro"], plan, four_p="pursue", description=None)
    assert "description" in messages(exc)


@pytest.mark.parametrize("review_days", [7, 365])
def test_review_period_bounds_are_inclusive(people, threat, review_days):
    plan = services.create_plan(people["lro"], threat, **text(review_frequency_days=review_days))
    assert plan.review_frequency_days == review_days


def test_default_review_period_is_a_setting(people, threat, settings):
    settings.SOCMASTER = {**settings.SOCMASTER, "PLAN_REVIEW_DAYS": 30}
    assert services.create_plan(people["lro"], threat, **text()).review_frequency_days == 30


def test_text_is_stripped(people, threat):
    plan = services.create_plan(people["lro"], threat, **text(aim="  Stop the supply.  "))
    assert Plan.objects.get(pk=plan.pk).aim == "Stop the supply."


def test_failed_audit_write_leaves_no_plan(people, threat, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.create_plan(people["lro"], threat, add_suggested_actions=True, **text())
    assert not Plan.objects.exists()
    assert not PlanAction.objects.exists()
    assert not PlanTextBand.objects.exists()


# --- templates and author role ----------------------------------------------------------------


def test_template_for_prefers_the_organisations_own_template(people, threat, org):
    national = PlanTemplate.objects.get(organisation=None, threat_type="ocg")
    assert services.template_for(threat) == national
    own = services.save_template(
        people["admin"],
        organisation=org("force-durham"),
        threat_type="ocg",
        name="Durham OCG plan",
        aim="Durham aim for organised crime groups.",
        pursue_objectives="Durham pursue line.",
        suggested_actions=[
            {"four_p": "prevent", "description": "Durham diversion referral."},
            {"four_p": "protect", "description": "Durham safeguarding strategy."},
        ],
    )
    assert services.template_for(threat) == own
    neighbour_threat = Threat.objects.create(
        reference="CLE-1", name="c", owner=org("force-cleveland"), threat_type="ocg"
    )
    assert services.template_for(neighbour_threat) == national
    pi = Threat.objects.create(
        reference="PLN-PI", name="p", owner=org("force-durham"), threat_type="priority_individual"
    )
    assert services.template_for(pi) == PlanTemplate.objects.get(
        organisation=None, threat_type="priority_individual"
    )

    initial = services.initial_from_template(services.template_for(threat))
    assert initial["aim"] == "Durham aim for organised crime groups."
    assert initial["pursue_objectives"] == "Durham pursue line."
    assert initial["review_frequency_days"] == 90
    plan = services.create_plan(people["lro"], threat, add_suggested_actions=True, **initial)
    assert plan.template == own and plan.aim == "Durham aim for organised crime groups."
    assert sorted(plan.actions.values_list("four_p", "description")) == [
        ("prevent", "Durham diversion referral."),
        ("protect", "Durham safeguarding strategy."),
    ]


def test_initial_without_a_template_is_only_the_review_period():
    assert services.initial_from_template(None) == {"review_frequency_days": 90}


def test_suggested_actions_from_the_national_template(people, threat):
    seq = last_seq()
    national = PlanTemplate.objects.get(organisation=None, threat_type="ocg")
    plan = services.create_plan(
        people["lro"],
        threat,
        add_suggested_actions=True,
        **services.initial_from_template(national),
    )
    added = list(plan.actions.order_by("id"))
    assert [(a.four_p, a.description) for a in added] == [
        (s["four_p"], s["description"]) for s in national.suggested_actions
    ]
    assert len(added) == 5
    assert all(a.created_by == people["lro"] and a.status == "not_started" for a in added)
    entry = only_entry_since(seq)  # one entry for the plan, none per suggested action
    assert entry.record_type == "plans.plan" and entry.changes["suggested_actions_added"] == 5
    bare = Threat.objects.create(reference="PLN-N", name="n", owner=threat.owner, threat_type="ocg")
    assert not services.create_plan(people["lro"], bare, **text()).actions.exists()


def test_author_role_records_an_sio_writing_the_plan(people, threat, org, make_user):
    plan = services.create_plan(people["sio"], threat, **text())
    assert (plan.author, plan.author_role) == (people["sio"], "sio")
    sio_lro = make_user("force-durham", "sio", username="sio-lro")
    own = Threat.objects.create(
        reference="PLN-S", name="s", owner=org("force-durham"), threat_type="ocg", lro=sio_lro
    )
    # the LRO, who happens to be an SIO
    assert services.create_plan(sio_lro, own, **text()).author_role == "lro"
    assert services.new_version(people["lro"], plan).author_role == "lro"


# --- changing a plan --------------------------------------------------------------------------


def test_update_plan_audits_before_and_after_and_attributes(people, plan):
    Plan.objects.filter(pk=plan.pk).update(updated_at=timezone.now() - days(3), updated_by=None)
    seq = last_seq()
    started = timezone.now()
    services.update_plan(
        people["analyst"],
        plan,
        aim="  Close the deal line.  ",
        review_frequency_days=60,
        protect_objectives=text()["protect_objectives"],
    )
    plan.refresh_from_db()
    assert plan.aim == "Close the deal line." and plan.review_frequency_days == 60
    assert plan.updated_by == people["analyst"] and plan.updated_at >= started
    entry = only_entry_since(seq)
    assert (entry.action, entry.record_id, entry.user) == (
        "update",
        str(plan.pk),
        people["analyst"],
    )
    assert entry.changes == {
        "aim": {"before": text()["aim"], "after": "Close the deal line."},
        "review_frequency_days": {"before": 90, "after": 60},
    }


def test_update_plan_with_no_change_writes_nothing(people, plan):
    stamp = Plan.objects.get(pk=plan.pk).updated_at
    seq = last_seq()
    services.update_plan(people["lro"], plan, aim=text()["aim"])
    assert entries_since(seq) == []
    assert Plan.objects.get(pk=plan.pk).updated_at == stamp


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"aim": ""}, "aim", "Say what the plan sets out to achieve."),
        (
            {"review_frequency_days": 400},
            "review_frequency_days",
            "Give a review period between 7 and 365 days.",
        ),
        (
            {"partner_sections": ["everything"]},
            "partner_sections",
            "Choose from aim, objectives, intelligence_gaps, linked_plans, other_actions, reviews.",
        ),
        ({"version": 7}, "version", "This field cannot be changed here."),
        ({"author": None}, "author", "This field cannot be changed here."),
    ],
)
def test_update_plan_field_messages_leave_the_plan_unchanged(people, plan, values, field, message):
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.update_plan(people["lro"], plan, **values)
    assert messages(exc)[field] == [message]
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.aim, stored.review_frequency_days, stored.partner_sections, stored.version) == (
        text()["aim"],
        90,
        [],
        1,
    )
    assert entries_since(seq) == []


@pytest.mark.parametrize(
    "who, refusal",
    [
        ("far", Http404),
        ("partner", Http404),
        ("neighbour", PermissionDenied),
        ("inspector", PermissionDenied),
    ],
)
def test_who_may_not_update_a_plan(people, plan, who, refusal):
    with pytest.raises(refusal):
        services.update_plan(people[who], plan, aim="Changed")
    assert Plan.objects.get(pk=plan.pk).aim == text()["aim"]


# --- actions -------------------------------------------------------------------------------------


def test_add_action_audits_attributes_and_touches_the_plan(people, plan, threat, org):
    Plan.objects.filter(pk=plan.pk).update(updated_at=timezone.now() - days(10), updated_by=None)
    d = disruption(threat, people["analyst"], "DIS-1")
    seq = last_seq()
    started = timezone.now()
    action = services.add_action(
        people["analyst"],
        plan,
        disruptions=[d],
        **action_values(
            four_p="protect",
            owner_organisation=org("partner-durham-county-council"),
            description="  Joint visit to the cuckooed addresses.  ",
        ),
    )
    action.refresh_from_db()
    assert action.description == "Joint visit to the cuckooed addresses."
    assert (action.created_by, action.updated_by, action.status) == (
        people["analyst"],
        people["analyst"],
        "not_started",
    )
    assert action.completed_on is None and list(action.disruptions.all()) == [d]
    plan.refresh_from_db()
    assert plan.updated_by == people["analyst"] and plan.updated_at >= started
    entry = only_entry_since(seq)
    assert (entry.action, entry.record_type, entry.record_id) == (
        "create",
        "plans.planaction",
        str(action.pk),
    )
    after = entry.changes["after"]
    assert after["four_p"] == "protect" and after["disruptions"] == [d.pk]
    assert after["owner_organisation_id"] == org("partner-durham-county-council").pk
    assert after["plan_id"] == plan.pk and after["due_date"] == (today() + days(30)).isoformat()


def test_action_added_as_complete_is_dated(people, plan):
    action = services.add_action(
        people["lro"], plan, **action_values(status="complete", result="Billing obtained.")
    )
    assert action.completed_on == today()


@pytest.mark.parametrize(
    "values, field, message",
    [
        (action_values(description=""), "description", "Describe the action."),
        (action_values(description="  "), "description", "Describe the action."),
        (
            action_values(start_date=dt.date(2026, 5, 2), due_date=dt.date(2026, 5, 1)),
            "due_date",
            "The due date cannot be before the start date.",
        ),
        (
            action_values(status="complete"),
            "result",
            "Record the result before completing the action (covert activity included).",
        ),
        (
            action_values(status="complete", result="   "),
            "result",
            "Record the result before completing the action (covert activity included).",
        ),
        (action_values(four_p="punish"), "four_p", "Choose Pursue, Prevent, Protect or Prepare."),
        (
            action_values(status="done"),
            "status",
            "Choose one of: Not started, In progress, Complete, Cancelled.",
        ),
        (action_values(priority="high"), "priority", "Unknown field."),
    ],
)
def test_action_field_messages_and_nothing_stored(people, plan, values, field, message):
    stamp = Plan.objects.get(pk=plan.pk).updated_at
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.add_action(people["lro"], plan, **values)
    assert messages(exc)[field] == [message]
    assert not PlanAction.objects.exists()
    assert Plan.objects.get(pk=plan.pk).updated_at == stamp
    assert entries_since(seq) == []


def test_due_date_equal_to_start_date_is_fine(people, plan):
    assert services.add_action(
        people["lro"], plan, **action_values(start_date=today(), due_date=today())
    ).pk


def test_disruptions_of_another_threat_are_refused(people, plan, threat, other_threat):
    mine = disruption(threat, people["analyst"], "DIS-MINE")
    theirs = disruption(other_threat, people["analyst"], "DIS-THEIRS")
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.add_action(people["lro"], plan, disruptions=[mine, theirs], **action_values())
    assert messages(exc)["disruptions"] == ["DIS-THEIRS was not recorded against PLN-1."]
    assert not PlanAction.objects.exists()
    action = services.add_action(people["lro"], plan, disruptions=[mine], **action_values())
    with pytest.raises(ValidationError) as exc:
        services.update_action(people["lro"], action, disruptions=[theirs])
    assert "DIS-THEIRS was not recorded against PLN-1." in messages(exc)["disruptions"]
    assert list(PlanAction.objects.get(pk=action.pk).disruptions.all()) == [mine]
    assert [e.action for e in entries_since(seq)] == ["create"]


def test_inactive_owners_are_refused(people, plan, org, make_user):
    gone = make_user("force-durham", "analyst", username="gone")
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as exc:
        services.add_action(people["lro"], plan, owner_user=gone, **action_values())
    assert "is not an active user" in messages(exc)["owner_user"][0]


def test_completing_dates_the_action_and_reopening_clears_it(people, plan):
    action = services.add_action(people["lro"], plan, **action_values())
    services.update_action(people["lro"], action, status="in_progress")
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.update_action(people["lro"], action, status="complete")
    assert list(messages(exc)) == ["result"]
    assert PlanAction.objects.get(pk=action.pk).status == "in_progress"
    assert entries_since(seq) == []

    services.update_action(people["lro"], action, status="complete", result="Billing obtained.")
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on) == ("complete", today())
    entry = only_entry_since(seq)
    assert entry.action == "update" and entry.record_id == str(action.pk)
    assert entry.changes == {
        "completed_on": {"before": None, "after": today().isoformat()},
        "result": {"before": "", "after": "Billing obtained."},
        "status": {"before": "in_progress", "after": "complete"},
    }
    # a later change to the result keeps the completion date
    PlanAction.objects.filter(pk=action.pk).update(completed_on=today() - days(2))
    services.update_action(people["lro"], action, result="Billing obtained; two new numbers.")
    assert PlanAction.objects.get(pk=action.pk).completed_on == today() - days(2)
    with pytest.raises(ValidationError) as exc:  # clearing the result of a completed action
        services.update_action(people["lro"], action, result="")
    assert list(messages(exc)) == ["result"]

    services.update_action(people["lro"], action, status="in_progress")
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_on) == ("in_progress", None)


def test_action_update_attributes_and_touches_the_plan(people, plan):
    action = services.add_action(people["lro"], plan, **action_values())
    long_ago = timezone.now() - days(20)
    PlanAction.objects.filter(pk=action.pk).update(updated_at=long_ago)
    Plan.objects.filter(pk=plan.pk).update(updated_at=long_ago, updated_by=people["lro"])
    started = timezone.now()
    seq = last_seq()
    services.update_action(people["analyst"], action, due_date=today() + days(60))
    stored = PlanAction.objects.get(pk=action.pk)
    assert stored.updated_by == people["analyst"] and stored.updated_at >= started
    assert stored.created_by == people["lro"]
    plan.refresh_from_db()
    assert plan.updated_by == people["analyst"] and plan.updated_at >= started
    entry = only_entry_since(seq)
    assert entry.changes == {
        "due_date": {
            "before": (today() + days(30)).isoformat(),
            "after": (today() + days(60)).isoformat(),
        }
    }
    # no change: no entry, no new stamp
    seq = last_seq()
    services.update_action(people["analyst"], action, due_date=today() + days(60))
    assert entries_since(seq) == []


def test_action_disruption_changes_are_audited(people, plan, threat):
    first = disruption(threat, people["lro"], "DIS-A")
    second = disruption(threat, people["lro"], "DIS-B")
    action = services.add_action(people["lro"], plan, disruptions=[first], **action_values())
    seq = last_seq()
    services.update_action(people["lro"], action, disruptions=[first, second])
    entry = only_entry_since(seq)
    assert entry.changes == {
        "disruptions": {"before": [first.pk], "after": sorted([first.pk, second.pk])}
    }


def test_unknown_action_field_is_refused(people, plan):
    action = services.add_action(people["lro"], plan, **action_values())
    with pytest.raises(ValidationError) as exc:
        services.update_action(people["lro"], action, plan=None)
    assert messages(exc) == {"plan": ["Unknown field."]}


def test_failed_audit_write_leaves_the_action_unchanged(people, plan, monkeypatch):
    action = services.add_action(people["lro"], plan, **action_values())
    stamp = Plan.objects.get(pk=plan.pk).updated_at

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.update_action(people["lro"], action, status="complete", result="Done.")
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.result, stored.completed_on) == ("not_started", "", None)
    assert Plan.objects.get(pk=plan.pk).updated_at == stamp


# --- versions ------------------------------------------------------------------------------------


def test_new_version_supersedes_and_copies_everything(people, plan, threat, org):
    d = disruption(threat, people["lro"], "DIS-V")
    services.update_plan(
        people["lro"],
        plan,
        intelligence_gaps="Who launders the cash?",
        partner_sections=["aim"],
        review_frequency_days=30,
    )
    first = services.add_action(people["lro"], plan, disruptions=[d], **action_values())
    second = services.add_action(
        people["lro"],
        plan,
        **action_values(
            four_p="protect",
            owner_organisation=org("partner-durham-county-council"),
            status="complete",
            result="Tenants rehoused.",
        ),
    )
    before = Plan.objects.get(pk=plan.pk)
    seq = last_seq()

    copy = services.new_version(people["analyst"], plan)

    old = Plan.objects.get(pk=plan.pk)
    assert (old.status, old.version) == ("superseded", 1) and old.superseded_at is not None
    for name in services.PLAN_FIELDS:
        assert getattr(old, name) == getattr(before, name)
        assert getattr(copy, name) == getattr(before, name), name
    assert old.updated_at == before.updated_at and old.updated_by == before.updated_by
    assert sorted(old.actions.values_list("pk", flat=True)) == sorted([first.pk, second.pk])
    assert not PlanTextBand.objects.filter(plan=old).exists()

    copy.refresh_from_db()
    assert (copy.version, copy.status, copy.author, copy.template) == (
        2,
        "current",
        people["analyst"],
        before.template,
    )
    assert Plan.objects.current().get(threat=threat) == copy
    carried = {a.carried_from_id: a for a in copy.actions.all()}
    assert set(carried) == {first.pk, second.pk}
    assert (carried[first.pk].description, carried[first.pk].due_date) == (
        first.description,
        first.due_date,
    )
    assert (
        carried[second.pk].status,
        carried[second.pk].result,
        carried[second.pk].owner_organisation,
    ) == ("complete", "Tenants rehoused.", org("partner-durham-county-council"))
    assert PlanAction.objects.get(pk=first.pk).plan_id == plan.pk  # the originals stay put

    entry = only_entry_since(seq)
    assert (entry.action, entry.record_id) == ("create", str(copy.pk))
    assert entry.changes["supersedes"] == {"plan": plan.pk, "version": 1}
    assert entry.changes["actions_carried"] == 2
    assert services.new_version(people["lro"], copy).version == 3


def test_new_version_copies_the_actions_disruptions(people, plan, threat):
    d1 = disruption(threat, people["lro"], "DIS-C1")
    d2 = disruption(threat, people["lro"], "DIS-C2")
    action = services.add_action(people["lro"], plan, disruptions=[d1, d2], **action_values())
    copy = services.new_version(people["lro"], plan)
    carried = copy.actions.get(carried_from=action)
    assert sorted(carried.disruptions.values_list("reference", flat=True)) == ["DIS-C1", "DIS-C2"]
    assert sorted(action.disruptions.values_list("reference", flat=True)) == ["DIS-C1", "DIS-C2"]


def test_superseded_versions_cannot_be_changed(people, plan):
    action = services.add_action(people["lro"], plan, **action_values())
    services.new_version(people["lro"], plan)
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.update_plan(people["lro"], plan, aim="Rewritten")
    assert "Version 1 has been superseded" in messages(exc)["status"][0]
    with pytest.raises(ValidationError) as exc:
        services.add_action(people["lro"], plan, **action_values())
    assert "status" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.update_action(people["lro"], action, status="in_progress")
    assert "status" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.new_version(people["lro"], plan)
    assert "has been superseded" in messages(exc)["status"][0]
    old = Plan.objects.get(pk=plan.pk)
    assert old.aim == text()["aim"] and old.actions.count() == 1
    assert PlanAction.objects.get(pk=action.pk).status == "not_started"
    assert entries_since(seq) == []


@pytest.mark.parametrize(
    "who, refusal",
    [("far", Http404), ("neighbour", PermissionDenied), ("inspector", PermissionDenied)],
)
def test_who_may_not_start_a_new_version(people, plan, who, refusal):
    with pytest.raises(refusal):
        services.new_version(people[who], plan)
    assert Plan.objects.get(pk=plan.pk).status == "current"
    assert Plan.objects.count() == 1


def test_failed_audit_write_leaves_the_current_version(people, plan, monkeypatch):
    services.add_action(people["lro"], plan, **action_values())

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.new_version(people["lro"], plan)
    assert list(Plan.objects.values_list("version", "status")) == [(1, "current")]
    assert PlanAction.objects.count() == 1
    assert PlanTextBand.objects.filter(plan=plan).count() == 16


# --- reviews -------------------------------------------------------------------------------------


def review_values(**overrides) -> dict:
    values = dict(outcome="improve", comments="Prevent and Prepare actions are thin.")
    values.update(overrides)
    return values


@pytest.mark.parametrize("who, role", [("sro", "sro"), ("chief", "chief_officer")])
def test_sro_and_chief_officer_review(people, plan, who, role):
    seq = last_seq()
    review = services.record_review(people[who], plan, **review_values(reviewed_on=today()))
    review.refresh_from_db()
    assert (review.reviewer, review.reviewer_role, review.reviewed_on, review.outcome) == (
        people[who],
        role,
        today(),
        "improve",
    )
    entry = only_entry_since(seq)
    assert (entry.action, entry.record_type, entry.record_id) == (
        "create",
        "plans.planreview",
        str(review.pk),
    )
    assert entry.changes["after"]["reviewer_role"] == role
    assert entry.changes["after"]["comments"] == "Prevent and Prepare actions are thin."


def test_review_date_defaults_to_today(people, plan):
    assert services.record_review(people["sro"], plan, **review_values()).reviewed_on == today()


@pytest.mark.parametrize(
    "who, refusal",
    [
        ("lro", PermissionDenied),  # not their own plan
        ("analyst", PermissionDenied),
        ("sio", PermissionDenied),
        ("admin", PermissionDenied),
        (
            "neighbour_chief",
            PermissionDenied,
        ),  # a chief officer, but not of the owning organisation
        ("inspector", PermissionDenied),
        ("far", Http404),
        ("partner", Http404),
    ],
)
def test_who_may_not_review(people, plan, who, refusal):
    with pytest.raises(refusal):
        services.record_review(people[who], plan, **review_values())
    assert not PlanReview.objects.exists()


def test_an_lro_who_is_a_chief_officer_may_not_review_their_plan(people, threat, plan, make_user):
    lro_chief = make_user("force-durham", "lro", "chief_officer", username="lro-chief")
    Threat.objects.filter(pk=threat.pk).update(lro=lro_chief)
    with pytest.raises(PermissionDenied):
        services.record_review(lro_chief, Plan.objects.get(pk=plan.pk), **review_values())
    assert services.reviewer_role(people["chief"], Plan.objects.get(pk=plan.pk)) == "chief_officer"


@pytest.mark.parametrize(
    "values, field, message",
    [
        (
            review_values(reviewed_on=timezone.localdate() + dt.timedelta(days=1)),
            "reviewed_on",
            "Give the date of the review; it cannot be in the future.",
        ),
        (
            review_values(reviewed_on=timezone.localdate() - dt.timedelta(days=2)),
            "reviewed_on",
            "The review cannot be dated before the plan was written.",
        ),
        (review_values(comments=""), "comments", "Record what the review found."),
        (review_values(comments="   "), "comments", "Record what the review found."),
        (
            review_values(outcome="fine"),
            "outcome",
            "Choose one of: Good: no changes needed, "
            "Requires improvement, Inadequate: rewrite needed.",
        ),
        (review_values(score=3), "score", "Unknown field."),
    ],
)
def test_review_field_messages_and_nothing_stored(people, plan, values, field, message):
    seq = last_seq()
    with pytest.raises(ValidationError) as exc:
        services.record_review(people["sro"], plan, **values)
    assert messages(exc)[field] == [message]
    assert not PlanReview.objects.exists()
    assert entries_since(seq) == []


def test_superseded_version_cannot_be_reviewed(people, plan):
    services.new_version(people["lro"], plan)
    with pytest.raises(ValidationError) as exc:
        services.record_review(people["sro"], plan, **review_values())
    assert "status" in messages(exc)


def test_review_cannot_predate_the_first_version(people, plan):
    Plan.objects.filter(pk=plan.pk).update(created_at=timezone.now() - days(100))
    second = services.new_version(people["lro"], plan)
    services.record_review(people["sro"], second, **review_values(reviewed_on=today() - days(50)))
    with pytest.raises(ValidationError) as exc:
        services.record_review(
            people["sro"], second, **review_values(reviewed_on=today() - days(400))
        )
    assert "reviewed_on" in messages(exc)


# --- templates -----------------------------------------------------------------------------------


def test_administrators_save_one_template_per_threat_type(people, org):
    durham = org("force-durham")
    seq = last_seq()
    created = services.save_template(
        people["admin"],
        organisation=durham,
        threat_type="ocg",
        name="  Durham OCG  ",
        aim="Durham aim.",
    )
    entry = only_entry_since(seq)
    assert (entry.action, entry.record_type, entry.record_id) == (
        "create",
        "plans.plantemplate",
        str(created.pk),
    )
    assert entry.changes["after"]["name"] == "Durham OCG"

    seq = last_seq()
    updated = services.save_template(
        people["admin"],
        organisation=durham,
        threat_type="ocg",
        name="Durham OCG v2",
        suggested_actions=[{"four_p": "prepare", "description": "Tension briefing."}],
    )
    assert updated.pk == created.pk
    assert PlanTemplate.objects.filter(organisation=durham, threat_type="ocg").count() == 1
    stored = PlanTemplate.objects.get(pk=created.pk)
    assert (stored.name, stored.aim) == ("Durham OCG v2", "Durham aim.")
    entry = only_entry_since(seq)
    assert entry.action == "update"
    assert entry.changes["name"] == {"before": "Durham OCG", "after": "Durham OCG v2"}
    assert entry.changes["suggested_actions"]["after"] == [
        {"four_p": "prepare", "description": "Tension briefing."}
    ]
    assert "aim" not in entry.changes

    other = services.save_template(
        people["admin"],
        organisation=durham,
        threat_type="vulnerability",
        name="Durham vulnerability",
    )
    assert other.pk != created.pk
    assert PlanTemplate.objects.filter(organisation=durham).count() == 2


@pytest.mark.parametrize(
    "who, organisation",
    [
        ("analyst", "force-durham"),
        ("lro", "force-durham"),
        ("chief", "force-durham"),
        ("neighbour_admin", "force-durham"),  # an administrator of another organisation
        ("inspector", "force-durham"),
        ("admin", None),  # national templates are reference data
    ],
)
def test_only_the_organisations_administrators_save_templates(people, org, who, organisation):
    target = org(organisation) if organisation else None
    seq = last_seq()
    with pytest.raises(PermissionDenied):
        services.save_template(people[who], organisation=target, threat_type="ocg", name="Mine")
    assert PlanTemplate.objects.filter(name="Mine").count() == 0
    assert entries_since(seq) == []


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"name": " "}, "name", "Give the template a name."),
        (
            {"name": "T", "suggested_actions": {"four_p": "pursue"}},
            "suggested_actions",
            "Give a list of suggested actions.",
        ),
        (
            {
                "name": "T",
                "suggested_actions": [
                    {"four_p": "pursue", "description": "ok"},
                    {"four_p": "punish", "description": "x"},
                ],
            },
            "suggested_actions",
            "Suggested action 2: give a P (pursue, prevent, protect or prepare) and a description.",
        ),
        ({"name": "T", "organisation_id": 3}, "organisation_id", "Unknown field."),
    ],
)
def test_template_field_messages(people, org, values, field, message):
    with pytest.raises(ValidationError) as exc:
        services.save_template(
            people["admin"], organisation=org("force-durham"), threat_type="ocg", **values
        )
    assert messages(exc)[field] == [message]
    assert not PlanTemplate.objects.filter(organisation=org("force-durham")).exists()
