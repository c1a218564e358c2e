"""Every edit form: open it, post back exactly what the page rendered, and nothing stored changes
(no update in the audit log, every field as it was), dates included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from socmaster.core.models import AuditEntry
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.organisations.models import Membership
from socmaster.plans import services as plan_services
from socmaster.plans.models import PlanAction, PlanTemplate
from socmaster.threats.models import CrimeType, Threat
from tests.formdata import form_data, post_back_unchanged

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
START, DUE = TODAY - dt.timedelta(days=12), TODAY + dt.timedelta(days=70)


def stored(obj) -> dict:
    obj = type(obj).objects.get(pk=obj.pk)
    values = model_to_dict(obj)
    return {
        k: sorted(x.pk for x in v) if isinstance(v, list) and hasattr(v[:1] and v[0], "pk") else v
        for k, v in values.items()
    }


def audit_updates() -> int:
    return AuditEntry.objects.filter(action__in=["update", "create", "delete"]).count()


def assert_unchanged(client, url, obj, *, action=None, expect_redirect=True):
    before, updates = stored(obj), audit_updates()
    data, response = post_back_unchanged(client, url, action)
    if expect_redirect:
        assert response.status_code == 302, response.content.decode()[-4000:]
    assert audit_updates() == updates
    assert stored(obj) == before
    return data


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", "analyst", username="lro"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
        "admin": make_user("force-durham", "administrator", username="admin"),
        "colleague": make_user("force-durham", "analyst", "lro", username="colleague"),
    }


@pytest.fixture
def threat(org, people):
    threat = Threat.objects.create(
        reference="SU-1",
        name="Harbour network",
        owner=org("force-durham"),
        lro=people["lro"],
        threat_type="ocg",
        handling="region",
        opened_on=dt.date(2024, 3, 27),
        description="Drugs through the harbour.",
    )
    threat.crime_types.set(CrimeType.objects.all()[:2])
    threat.shared_with.set([org("partner-durham-county-council"), org("force-cleveland")])
    threat.areas.set([org("force-durham")])
    return threat


@pytest.fixture
def plan(threat, people, org):
    plan = plan_services.create_plan(people["lro"], threat, aim="Dismantle the harbour network.")
    plan_services.add_action(
        people["lro"],
        plan,
        four_p="pursue",
        description="Arrest the principals",
        owner_user=people["lro"],
        start_date=START,
        due_date=DUE,
    )
    plan_services.add_action(
        people["lro"],
        plan,
        four_p="protect",
        description="Close the unlicensed car wash",
        owner_organisation=org("partner-durham-county-council"),
        start_date=START,
        due_date=DUE,
    )
    return plan


def test_threat_edit_saved_unchanged_keeps_every_value(web, people, threat):
    data = assert_unchanged(web(people["lro"]), f"/threats/{threat.reference}/edit/", threat)
    assert data["opened_on_day"] == ["27"] and data["opened_on_year"] == ["2024"]
    assert len(data["shared_with"]) == 2 and len(data["crime_types"]) == 2
    assert threat.opened_on == Threat.objects.get(pk=threat.pk).opened_on


def test_disruption_edit_saved_unchanged_keeps_both_dates(web, people, threat, org):
    disruption = disruption_services.record_disruption(
        people["lro"],
        threat,
        recording_organisation=org("force-durham"),
        event_date=TODAY - dt.timedelta(days=5),
        record_date=TODAY - dt.timedelta(days=1),
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Three principals arrested; drugs line closed.",
        evidence="Custody refs 1-3",
    )
    assert_unchanged(web(people["lro"]), f"/disruptions/{disruption.reference}/edit/", disruption)
    assert Disruption.objects.get(pk=disruption.pk).event_date == TODAY - dt.timedelta(days=5)


def test_plan_edit_saved_unchanged(web, people, plan):
    assert_unchanged(web(people["lro"]), f"/plans/{plan.threat.reference}/edit/", plan)


def test_plan_action_saved_unchanged_keeps_its_dates(web, people, plan):
    action = plan.actions.get(four_p="pursue")
    data = assert_unchanged(web(people["lro"]), f"/plans/actions/{action.pk}/", action)
    assert data["start_date_day"] == [str(START.day)] and data["due_date_year"] == [str(DUE.year)]
    action = PlanAction.objects.get(pk=action.pk)
    assert (action.start_date, action.due_date) == (START, DUE)


def test_partner_action_form_saved_unchanged(web, people, plan):
    action = plan.actions.get(four_p="protect")
    assert_unchanged(web(people["partner"]), f"/plans/actions/{action.pk}/", action)
    assert PlanAction.objects.get(pk=action.pk).start_date == START


def test_plan_template_saved_unchanged(web, people, org):
    plan_services.save_template(
        people["admin"],
        organisation=org("force-durham"),
        threat_type="ocg",
        name="Durham: organised crime groups",
        aim="Dismantle the group.",
        pursue_objectives="Arrest the principals.",
        prevent_objectives="",
        protect_objectives="",
        prepare_objectives="",
        suggested_actions=[{"four_p": "pursue", "description": "Arrest the principals"}],
    )
    template = PlanTemplate.objects.get(organisation=org("force-durham"), threat_type="ocg")
    assert_unchanged(web(people["admin"]), "/plans/templates/force-durham/ocg/", template)


def test_user_roles_saved_unchanged_keeps_the_roles(web, people):
    target = people["colleague"]
    before = sorted(Membership.objects.filter(user=target).values_list("role", flat=True))
    page = web(people["admin"]).get(f"/people/{target.username}/roles/")
    assert sorted(form_data(page.content.decode())["roles"]) == before
    assert_unchanged(web(people["admin"]), f"/people/{target.username}/roles/", target)
    assert sorted(Membership.objects.filter(user=target).values_list("role", flat=True)) == before
