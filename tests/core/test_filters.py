"""One FilterSet per list: the page and the API answer the same query string with the same records;
a hidden threat's reference filters exactly like a missing one; a bad choice is a field-level 400
in the API and an error on the page, never a 500. Expected records are written out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from socmaster.assessments import services as assessment_services
from socmaster.assessments.filters import AssessmentFilter
from socmaster.assessments.models import Assessment
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.filters import DisruptionFilter
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.plans import services as plan_services
from socmaster.plans.filters import PlanActionFilter, PlanFilter
from socmaster.plans.models import Plan, PlanAction
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _page_refs(response):
    assert response.status_code == 200
    return [o.reference for o in response.context["page_obj"].object_list]


def _api_refs(response, key="reference"):
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


@pytest.fixture
def cast(make_user):
    return {
        "analyst": make_user("force-durham", "analyst", username="ana"),
        "lro": make_user("force-durham", "lro", username="lro"),
        "kent": make_user("force-kent", "analyst", username="kent"),
        "kent_lro": make_user("force-kent", "lro", username="kentlro"),
        "assessor": make_user("rocu-north-east", "rocta_assessor", username="assessor"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
    }


@pytest.fixture
def threats(org, cast):
    def make(reference, owner, **extra):
        return Threat.objects.create(
            reference=reference,
            name=f"Group {reference}",
            owner=org(owner),
            threat_type="ocg",
            **extra,
        )

    return {
        "one": make("FLT-1", "force-durham", handling="region", lro=cast["lro"]),
        "two": make("FLT-2", "force-durham", handling="region", lro=cast["lro"]),
        # Kent's own: hidden from everyone in Durham, the council and the north-east ROCU.
        "hidden": make("FLT-H", "force-kent", handling="owner", lro=cast["kent_lro"]),
    }


# --- disruptions -------------------------------------------------------------------------------


@pytest.fixture
def disruptions(cast, threats, org):
    def record(user, threat, reference, days_ago, recording="force-durham", **changes):
        disruption_services.record_disruption(
            user,
            threat,
            reference=reference,
            recording_organisation=org(recording),
            event_date=TODAY - dt.timedelta(days=days_ago),
            record_date=TODAY,
            disruption_type="lead",
            four_p="pursue",
            category="major",
            tactic=Tactic.objects.get(code="arrest"),
            team="Op Lantern",
            narrative="Principals arrested.",
            evidence="Custody refs",
        )
        if changes:  # test set-up: states and values the workflow would reach by other paths
            Disruption.objects.filter(reference=reference).update(**changes)

    record(cast["analyst"], threats["one"], "DF-1", 30)
    record(cast["analyst"], threats["one"], "DF-2", 10, four_p="prevent", status="submitted")
    record(cast["analyst"], threats["two"], "DF-3", 20, category="minor")
    record(cast["analyst"], threats["two"], "DF-4", 5, recording_organisation=org("force-kent"))
    record(cast["kent"], threats["hidden"], "DF-H", 1, recording="force-kent")


def _disruption_cases():
    return [
        ({}, ["DF-4", "DF-2", "DF-3", "DF-1"]),
        ({"status": "submitted"}, ["DF-2"]),
        ({"four_p": "prevent"}, ["DF-2"]),
        ({"category": "minor"}, ["DF-3"]),
        ({"disruption_type": "support"}, []),
        ({"threat": "FLT-2"}, ["DF-4", "DF-3"]),
        ({"threat": " FLT-1 "}, ["DF-2", "DF-1"]),
        ({"recording_organisation": "force-kent"}, ["DF-4"]),
        ({"recording_organisation": "{durham_name}"}, ["DF-2", "DF-3", "DF-1"]),
        ({"recording_organisation": "Nowhere Constabulary"}, []),
        (
            {"event_date_from": (TODAY - dt.timedelta(days=20)).isoformat()},
            ["DF-4", "DF-2", "DF-3"],
        ),
        (
            {
                "event_date_from": (TODAY - dt.timedelta(days=25)).isoformat(),
                "event_date_to": (TODAY - dt.timedelta(days=10)).isoformat(),
            },
            ["DF-2", "DF-3"],
        ),
        ({"ordering": "event_date"}, ["DF-1", "DF-3", "DF-2", "DF-4"]),
        ({"ordering": "-event_date", "four_p": "pursue"}, ["DF-4", "DF-3", "DF-1"]),
    ]


@pytest.mark.parametrize(("query", "expected"), _disruption_cases())
def test_disruption_page_and_api_give_the_same_records(
    cast, disruptions, web, api, org, query, expected
):
    query = {k: v.format(durham_name=org("force-durham").name) for k, v in query.items()}
    page = _page_refs(web(cast["analyst"]).get("/disruptions/", query))
    listed = _api_refs(api(cast["analyst"]).get("/api/disruptions/", query))
    assert page == listed == expected


def test_disruption_page_renders_the_filter_form(cast, disruptions, web):
    html = web(cast["analyst"]).get("/disruptions/", {"four_p": "prevent"}).content.decode()
    for name in ("status", "four_p", "category", "disruption_type", "threat", "ordering"):
        assert f'name="{name}"' in html
    assert 'name="recording_organisation"' in html and 'name="event_date_from_day"' in html
    assert 'class="govuk-select"' in html and '<option value="prevent" selected>' in html


def test_disruption_filter_by_hidden_threat_is_like_a_missing_one(cast, disruptions, web, api):
    client, page = api(cast["analyst"]), web(cast["analyst"])
    hidden = client.get("/api/disruptions/", {"threat": "FLT-H"})
    missing = client.get("/api/disruptions/", {"threat": "FLT-NONE"})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() and hidden.json()["results"] == []
    assert _page_refs(page.get("/disruptions/", {"threat": "FLT-H"})) == []
    # The filter itself resolves the reference among visible threats, whatever queryset it gets.
    everything = Disruption.objects.all()
    request = _request(cast["analyst"])
    assert not DisruptionFilter({"threat": "FLT-H"}, everything, request=request).qs.exists()
    assert list(
        DisruptionFilter({"threat": "FLT-1"}, everything, request=request)
        .qs.order_by("reference")
        .values_list("reference", flat=True)
    ) == ["DF-1", "DF-2"]
    # ...and the owner of the hidden threat does find its disruption.
    assert _api_refs(api(cast["kent"]).get("/api/disruptions/", {"threat": "FLT-H"})) == ["DF-H"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"four_p": "pursuit"}, "four_p"),
        ({"ordering": "narrative"}, "ordering"),
        ({"event_date_from": "yesterday"}, "event_date_from"),
    ],
)
def test_disruption_bad_filter_is_a_field_error(cast, disruptions, web, api, query, field):
    response = api(cast["analyst"]).get("/api/disruptions/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field]
    page = web(cast["analyst"]).get("/disruptions/", query)
    assert page.status_code == 200 and _page_refs(page) == []
    assert "govuk-error-message" in page.content.decode()
    assert page.context["filter"].errors[field] == response.json()[field]


# --- plan actions and plans ------------------------------------------------------------------


@pytest.fixture
def plans(cast, threats, org):
    one = plan_services.create_plan(cast["lro"], threats["one"], aim="Dismantle FLT-1.")
    two = plan_services.create_plan(cast["lro"], threats["two"], aim="Dismantle FLT-2.")
    hidden = plan_services.create_plan(cast["kent_lro"], threats["hidden"], aim="Kent's own.")
    council = org("partner-durham-county-council")

    def add(user, plan, description, four_p, days, **owner):
        return plan_services.add_action(
            user,
            plan,
            four_p=four_p,
            description=description,
            start_date=TODAY - dt.timedelta(days=40),
            due_date=TODAY + dt.timedelta(days=days),
            **owner,
        )

    add(cast["lro"], one, "A1 arrest", "pursue", 10, owner_user=cast["lro"])
    late = add(cast["lro"], one, "A2 licensing", "protect", 20, owner_organisation=council)
    add(cast["lro"], two, "A3 diversion", "prevent", 30, owner_user=cast["analyst"])
    done = add(cast["lro"], two, "A4 exercise", "prepare", 40, owner_user=cast["lro"])
    add(cast["kent_lro"], hidden, "AH council visits", "protect", 5, owner_organisation=council)
    # Test set-up: an action past its due date, and a finished one.
    PlanAction.objects.filter(pk=late.pk).update(due_date=TODAY - dt.timedelta(days=2))
    PlanAction.objects.filter(pk=done.pk).update(status="complete", result="Exercise run.")
    return {"one": one, "two": two, "hidden": hidden}


def _actions_page(client, query):
    # The page starts with open actions; "status=" (any) asks it for the API's default.
    response = client.get("/plans/actions/", {"status": "", **query})
    assert response.status_code == 200
    return sorted(a.description for a in response.context["page_obj"].object_list)


def _actions_api(client, query):
    ids = _api_refs(client.get("/api/plan-actions/", query), key="id")
    return sorted(PlanAction.objects.filter(pk__in=ids).values_list("description", flat=True))


@pytest.mark.parametrize(
    ("user", "query", "expected"),
    [
        ("lro", {"scope": "all"}, ["A1 arrest", "A2 licensing", "A3 diversion", "A4 exercise"]),
        ("lro", {"scope": "mine"}, ["A1 arrest", "A4 exercise"]),
        ("analyst", {"scope": "mine"}, ["A3 diversion"]),
        ("lro", {"scope": "all", "status": "complete"}, ["A4 exercise"]),
        ("lro", {"scope": "all", "four_p": "protect"}, ["A2 licensing"]),
        ("lro", {"scope": "all", "threat": "FLT-2"}, ["A3 diversion", "A4 exercise"]),
        ("lro", {"scope": "all", "overdue": "1"}, ["A2 licensing"]),
        ("lro", {"scope": "all", "overdue": "true"}, ["A2 licensing"]),
        ("lro", {"scope": "all", "overdue": "false"}, ["A1 arrest", "A3 diversion", "A4 exercise"]),
        ("lro", {"scope": "mine", "four_p": "pursue"}, ["A1 arrest"]),
        ("partner", {"scope": "mine"}, ["A2 licensing", "AH council visits"]),
        # The council holds A2 in FLT-1's plan but may not see FLT-1 itself.
        ("partner", {"scope": "mine", "threat": "FLT-1"}, []),
        ("kent_lro", {"scope": "all", "threat": "FLT-H"}, ["AH council visits"]),
    ],
)
def test_plan_action_page_and_api_give_the_same_records(
    cast, plans, web, api, user, query, expected
):
    assert _actions_page(web(cast[user]), query) == _actions_api(api(cast[user]), query) == expected


def test_plan_action_page_shows_your_own_actions_unless_asked(cast, plans, web, api):
    page = web(cast["lro"]).get("/plans/actions/")
    # Their own open actions: A4, which they hold, is complete.
    assert sorted(a.description for a in page.context["page_obj"].object_list) == ["A1 arrest"]
    assert page.context["scope"] == "mine"
    assert '<option value="mine" selected>' in page.content.decode()
    assert '<option value="open" selected>' in page.content.decode()


def test_plan_action_filter_by_hidden_threat_is_like_a_missing_one(cast, plans, web, api):
    # The council holds an action in Kent's plan, so it sees that action, but not Kent's threat:
    # naming the threat finds nothing, exactly as a threat nobody has.
    partner = cast["partner"]
    for scope in ("mine", "all"):
        hidden = {"scope": scope, "threat": "FLT-H"}
        missing = {"scope": scope, "threat": "FLT-NONE"}
        assert _actions_page(web(partner), hidden) == _actions_page(web(partner), missing) == []
        client = api(partner)
        assert client.get("/api/plan-actions/", hidden).json() == (
            client.get("/api/plan-actions/", missing).json()
        )
        assert _actions_api(client, hidden) == []
    everything = PlanAction.objects.all()
    request = _request(cast["lro"])
    assert not PlanActionFilter({"threat": "FLT-H"}, everything, request=request).qs.exists()
    assert not PlanActionFilter(
        {"plan": plans["hidden"].pk}, everything, request=request
    ).qs.exists()


def test_plan_action_filter_by_plan(cast, plans, api):
    client = api(cast["lro"])
    assert _actions_api(client, {"plan": plans["two"].pk}) == ["A3 diversion", "A4 exercise"]
    hidden = client.get("/api/plan-actions/", {"plan": plans["hidden"].pk})
    missing = client.get("/api/plan-actions/", {"plan": 999999})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() and hidden.json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"scope": "everyone"}, "scope"),
        ({"four_p": "pursuit"}, "four_p"),
        ({"plan": "first"}, "plan"),
    ],
)
def test_plan_action_bad_filter_is_a_field_error(cast, plans, web, api, query, field):
    response = api(cast["lro"]).get("/api/plan-actions/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field]
    page = web(cast["lro"]).get("/plans/actions/", query)
    assert page.status_code == 200 and list(page.context["page_obj"].object_list) == []
    assert "govuk-error-message" in page.content.decode()
    assert page.context["filter"].errors[field] == response.json()[field]
    export = web(cast["lro"]).get("/plans/actions.csv", query)
    assert export.status_code < 500


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["FLT-1", "FLT-2"]),
        ({"threat": "FLT-2"}, ["FLT-2"]),
        ({"status": "current"}, ["FLT-1", "FLT-2"]),
        ({"status": "superseded"}, []),
        ({"author_role": "lro"}, ["FLT-1", "FLT-2"]),
        ({"author_role": "sio"}, []),
    ],
)
def test_plan_api_filters(cast, plans, api, query, expected):
    assert _api_refs(api(cast["lro"]).get("/api/plans/", query), key="threat") == expected


def test_plan_filter_by_hidden_threat_is_like_a_missing_one(cast, plans, api):
    # The council sees Kent's plan (it holds an action in it) but may not see Kent's threat.
    client = api(cast["partner"])
    assert "FLT-H" in _api_refs(client.get("/api/plans/"), key="threat")
    hidden = client.get("/api/plans/", {"threat": "FLT-H"})
    missing = client.get("/api/plans/", {"threat": "FLT-NONE"})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() and hidden.json()["results"] == []
    request = _request(cast["partner"])
    assert not PlanFilter({"threat": "FLT-H"}, Plan.objects.all(), request=request).qs.exists()
    assert _api_refs(api(cast["kent_lro"]).get("/api/plans/", {"threat": "FLT-H"}), "threat") == [
        "FLT-H"
    ]


def test_plan_bad_filter_is_a_field_error(cast, plans, api):
    response = api(cast["lro"]).get("/api/plans/", {"author_role": "boss"})
    assert response.status_code == 400 and list(response.json()) == ["author_role"]


# --- assessments -------------------------------------------------------------------------------


def _answers(pick=0):
    scheme = assessment_services.current_scheme().engine_scheme()
    return {f.key: f.answers[min(pick, len(f.answers) - 1)].key for f in scheme.factors}


@pytest.fixture
def assessments(cast, threats):
    evidence = dict(
        evidence_from=TODAY - dt.timedelta(days=200),
        evidence_to=TODAY - dt.timedelta(days=10),
        review_due=TODAY + dt.timedelta(days=180),
    )
    made = {}
    for name, threat, pick in (("one", threats["one"], 0), ("two", threats["two"], 3)):
        made[name] = assessment_services.create_assessment(
            cast["assessor"], threat, answers=_answers(pick), **evidence
        )
    assessment_services.submit_assessment(cast["assessor"], made["two"])
    Assessment.objects.filter(pk=made["one"].pk).update(
        whole_threat=False, partial_justification="Two members only.", tier=4
    )
    Assessment.objects.filter(pk=made["two"].pk).update(tier=2)
    # Kent's own threat has an assessment too (a copy, for the test).
    hidden = Assessment.objects.get(pk=made["one"].pk)
    hidden.pk, hidden.threat = None, threats["hidden"]
    hidden.save()
    made["hidden"] = hidden
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["FLT-2", "FLT-1"]),
        ({"status": "submitted"}, ["FLT-2"]),
        ({"tier": "4"}, ["FLT-1"]),
        ({"tier": "3"}, []),
        ({"whole_threat": "false"}, ["FLT-1"]),
        ({"whole_threat": "true"}, ["FLT-2"]),
        ({"threat": "FLT-1"}, ["FLT-1"]),
    ],
)
def test_assessment_api_filters(cast, assessments, api, query, expected):
    listed = _api_refs(api(cast["assessor"]).get("/api/assessments/", query), key="threat")
    assert listed == expected


def test_assessment_filter_by_hidden_threat_is_like_a_missing_one(cast, assessments, api):
    client = api(cast["assessor"])
    hidden = client.get("/api/assessments/", {"threat": "FLT-H"})
    missing = client.get("/api/assessments/", {"threat": "FLT-NONE"})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() and hidden.json()["results"] == []
    request = _request(cast["assessor"])
    everything = Assessment.objects.all()
    assert not AssessmentFilter({"threat": "FLT-H"}, everything, request=request).qs.exists()
    assert AssessmentFilter({"threat": "FLT-1"}, everything, request=request).qs.count() == 1


@pytest.mark.parametrize(
    ("query", "field"), [({"status": "bogus"}, "status"), ({"tier": "9"}, "tier")]
)
def test_assessment_bad_filter_is_a_field_error(cast, assessments, api, query, field):
    response = api(cast["assessor"]).get("/api/assessments/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field]
